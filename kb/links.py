"""The links and images of an article's Markdown, walked once for everyone who reads them.

`kb lint` judges every link and image where it sits (line and column, so an editor can jump to
it); the indexer keeps the articles an article links to in each of its chunks' payloads
(`article_links`), so ranking reads them from the index it ranks (copilot.series_pages), never
from a working tree that may be at another commit. Both walk the same tokens of the same parser,
so what lint calls a link is what the index records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from kb.parsing import clean_foreign_syntax, markdown_parser, strip_bom
from kb.render import resolve_link

_PARSER = markdown_parser()


@dataclass(frozen=True)
class Link:
    image: bool
    target: str  # the href or src as written
    line: int  # 1-based line in the text walked (line breaks inside a paragraph counted)
    col: int  # 1-based column of the target; 1 when it is not on that line (reference links)
    alt: str = ""  # images only: the text a screen reader says


def iter_links(text: str) -> Iterator[Link]:
    """Every link and image of `text` (a whole article file, BOM stripped), in order."""
    lines = text.split("\n")
    for token in _PARSER.parse(clean_foreign_syntax(text)):
        if token.type != "inline" or not token.map:
            continue
        row, cursor = token.map[0], 0
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                row, cursor = row + 1, 0
                continue
            attribute = "href" if child.type == "link_open" else "src" if child.type == "image" else None
            if attribute is None:
                continue
            target = str(child.attrGet(attribute) or "")
            col, cursor = _column(lines[row] if row < len(lines) else "", target, cursor)
            yield Link(child.type == "image", target, row + 1, col, child.content if child.type == "image" else "")


def article_links(path: str, source: str) -> tuple[str, ...]:
    """The "lang/id" keys of the articles a file's text links to, sorted, each once (`path`: the
    file's, under the content root). Resolved as the site resolves a relative `.md` link
    (kb.render.resolve_link: the id is the linked file's name); site URLs, media, external URLs
    and bare #anchors are no article links."""
    keys: set[str] = set()
    for link in iter_links(strip_bom(source)):
        target = None if link.image else resolve_link(link.target, path)
        if target is not None and target.kind == "article":
            keys.add(f"{target.lang}/{target.id}")
    return tuple(sorted(keys))


def _column(line: str, target: str, cursor: int) -> tuple[int, int]:
    """1-based column of the target in the source line; 1 when it is not there (reference links)."""
    for needle in dict.fromkeys((target, unquote(target))):
        for before in ("](", "(", "<", ""):
            at = line.find(before + needle, cursor) if needle else -1
            if at >= 0:
                start = at + len(before)
                return start + 1, start + len(needle)
    return 1, cursor
