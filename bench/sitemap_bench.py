"""How long `/sitemap.xml` takes to build (webapp/seo.py), on the demo content and on a synthetic large site.

    python bench/sitemap_bench.py                  # the demo content, then 12,500 article pairs (25,000+ URLs)
    python bench/sitemap_bench.py --pairs 2500     # a quicker look

The synthetic site copies the demo's first public English/Arabic article pair under new ids into a temporary
content folder. Each size is fetched once to warm the catalog, then `--runs` times through the Flask test client
(no network): the median in ms with the sitemap built (as after a content change: webapp.seo keeps it per catalog
snapshot) and kept.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from kb.settings import Settings
from webapp import create_app

CONTENT = Path(__file__).resolve().parents[1] / "content"
PAIR = ("en/account/reset-password.md", "ar/account/reset-password.md")


def timed(content: Path, runs: int) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        app = create_app(Settings(content_dir=content, data_dir=data))
        client = app.test_client()
        body = client.get("/sitemap.xml").get_data()
        built, kept = [], []
        for _ in range(runs):
            app.extensions.pop("sitemap", None)  # as after a content change: the list is built again
            start = time.perf_counter()
            client.get("/sitemap.xml")
            built.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            client.get("/sitemap.xml")
            kept.append((time.perf_counter() - start) * 1000)
    return body.count(b"<url>"), len(body), statistics.median(built), statistics.median(kept)


def synthetic(root: Path, pairs: int) -> Path:
    for name in ("_categories.yml", "_theme.yml"):
        shutil.copy2(CONTENT / name, root / name)
    for relative in PAIR:
        text = (CONTENT / relative).read_text("utf-8")
        folder = root / Path(relative).parent
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(pairs):
            (folder / f"copy-{number}.md").write_text(
                text.replace("id: reset-password", f"id: copy-{number}", 1), "utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=12_500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("| content | URLs | bytes | median ms, sitemap built | median ms, sitemap kept |")
    print("|---|---|---|---|---|")
    urls, size, built, kept = timed(CONTENT, args.runs)
    print(f"| demo | {urls} | {size} | {built:.1f} | {kept:.1f} |")
    with tempfile.TemporaryDirectory() as tmp:
        urls, size, built, kept = timed(synthetic(Path(tmp), args.pairs), args.runs)
    print(f"| {args.pairs} synthetic pairs | {urls} | {size} | {built:.1f} | {kept:.1f} |")


if __name__ == "__main__":
    main()
