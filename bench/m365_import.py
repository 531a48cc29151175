"""Import the m365-ar corpus (DocFX/Microsoft Learn front matter) into this help center's format.

    python bench/m365_import.py ../shared/corpora/m365-ar /tmp/m365-content

Real imported help centers look like this: machine-translated Arabic, `ms.*` keys, `:::image:::`,
`[!NOTE]`, include files. The importer maps what has a counterpart (title, description -> summary,
ms.date -> updated, folder -> category), keeps every other key (our format keeps unknown keys), and
leaves the Markdown alone: the parser must cope with it. Include fragments are not articles.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from pathlib import Path

import yaml

from kb.parsing import parse_source


def find_corpus(checkout: Path) -> Path:
    """The shared corpus beside a checkout (a clone, or a worktree one folder further down)."""
    for shared in (checkout.parent / "shared", checkout.parent.parent / "shared"):
        if (shared / "corpora/m365-ar/microsoft-365").is_dir():
            return shared / "corpora/m365-ar"
    raise FileNotFoundError(
        f"the m365-ar corpus is not in {checkout.parent / 'shared'}: put shared/ beside the checkout"
    )


def convert(source_root: Path, target: Path) -> tuple[int, int]:
    """Write `target/ar/<category>/<id>.md` for each article; return (written, skipped)."""
    if not (source_root / "microsoft-365").is_dir():
        raise FileNotFoundError(f"{source_root}: no microsoft-365 folder (not the m365-ar corpus)")
    written = skipped = 0
    seen: set[str] = set()
    for path in sorted((source_root / "microsoft-365").rglob("*.md")):
        relative = path.relative_to(source_root / "microsoft-365")
        if "includes" in relative.parts:
            skipped += 1
            continue
        category = "-".join(relative.parts[:-1][:2]) or "general"
        article_id = path.stem if path.stem not in seen else f"{category}-{path.stem}"
        seen.add(article_id)
        text = path.read_text("utf-8-sig")
        parsed = parse_source(text)
        meta = yaml.safe_load(parsed.front_matter or "") or {}
        body = "\n".join(text.splitlines()[parsed.body_line - 1 :]) if parsed.front_matter is not None else text
        ours = {"id": article_id, "title": meta.get("title") or path.stem, "lang": "ar", "category": category}
        if meta.get("description"):
            ours["summary"] = str(meta["description"])
        if meta.get("ms.date"):
            with contextlib.suppress(ValueError):
                ours["updated"] = dt.datetime.strptime(str(meta["ms.date"]), "%m/%d/%Y").date()
        merged = {**{k: v for k, v in meta.items() if k not in {"title", "description"}}, **ours}
        out = target / "ar" / category / f"{article_id}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        front = yaml.safe_dump(merged, allow_unicode=True, sort_keys=False)
        out.write_text(f"---\n{front}---\n{body}\n", "utf-8")
        written += 1
    return written, skipped


def import_into(target: Path) -> None:
    """The suite's importer (bench/eval_retrieval.Domain): the shared corpus beside this checkout into `target`."""
    convert(find_corpus(Path.cwd()), target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    written, skipped = convert(args.corpus, args.target)
    print(f"{written} articles written to {args.target}, {skipped} include fragments skipped")


if __name__ == "__main__":
    main()
