"""Bytes a customer downloads per help center page, cold (empty cache) and warm (same visit, next page).

    PYTHONPATH=$PWD python bench/page_weight.py [--content content] [--data var/bench/content] [--json]

Real headless Chromium against the app served on 127.0.0.1 (the full demo content). For each page
type (home, category, results, article, contact, ticket) and language, the Resource Timing API
gives each response's transferred bytes (what crossed the wire, compressed if it was; 0 or a
header's worth when the browser's cache answered) and its body size, grouped as HTML, CSS, JS,
fonts and images. "cold" is a first visit in a fresh browser profile; "warm" opens the page a
second time in the same profile, as a customer's next page does. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.engine import Engine  # noqa: E402
from desk.tickets import NewTicket  # noqa: E402
from kb.settings import Settings  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.background import serving  # noqa: E402

KINDS = ("html", "css", "js", "font", "image")
MEASURE = """() => {
  const kind = (name, type) => type === 'navigation' ? 'html' : /\\.css(\\?|$)|theme\\.css/.test(name) ? 'css'
    : /\\.js(\\?|$)/.test(name) ? 'js' : /\\.woff2?(\\?|$)/.test(name) ? 'font' : 'image';
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return entries.map(e => ({kind: kind(e.name, e.entryType), transfer: e.transferSize, body: e.decodedBodySize}));
}"""


def weigh(page: Page, url: str) -> dict[str, dict[str, int]]:
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    out = {kind: {"transfer": 0, "body": 0, "files": 0} for kind in KINDS}
    for entry in page.evaluate(MEASURE):
        bucket = out[entry["kind"]]
        bucket["transfer"] += entry["transfer"]
        bucket["body"] += entry["body"]
        bucket["files"] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "bench" / "content")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    engine = Engine(Settings.from_env(content_dir=args.content, data_dir=args.data, rate_limits=False))
    engine.index(show_progress=None)
    app = create_app(engine=engine)
    figures: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        for lang in ("en", "ar"):
            reference = app.extensions["desk"].tickets.create(NewTicket(
                email="bench@example.com", name="Bench", subject="Where is my order?", body="A week late.",
                lang=lang, channel="web",
            )).reference
            query = "how do I return an item" if lang == "en" else "كيف ارجع منتج"
            pages = {"home": f"/{lang}/", "category": f"/{lang}/categories/returns",
                     "results": f"/{lang}/search?q={query}", "article": f"/{lang}/articles/refund-timing",
                     "contact": f"/{lang}/contact", "ticket": f"/{lang}/tickets/{reference}"}
            for name, path in pages.items():
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                cold = weigh(page, base + path)
                warm = weigh(page, base + path)
                context.close()
                figures[f"{lang}/{name}"] = {"cold": cold, "warm": warm}
        browser.close()
    engine.close()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print("bytes transferred per page (1280 px); warm = the same page again in the same browser profile")
    print(f"{'page':14} {'':5}" + "".join(f"{k:>9}" for k in KINDS) + f"{'total':>9}{'decoded':>9}")
    for key, runs in figures.items():
        for run, kinds in runs.items():
            cells = "".join(f"{v['transfer']:>9}" for v in kinds.values())
            total = sum(v["transfer"] for v in kinds.values())
            decoded = sum(v["body"] for v in kinds.values())
            print(f"{key:14} {run:5}{cells}{total:>9}{decoded:>9}")


if __name__ == "__main__":
    main()
