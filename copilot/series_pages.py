"""Series steps: a numbered walkthrough's page defers to the standalone article it links to.

Help centers write long tasks as a series of numbered pages ("الخطوة 4 - إعادة توجيه البريد
الإلكتروني لموظف سابق ... أو تحويله إلى علبة بريد مشتركة", "Step 4 - ..."), each step a short
page in the series' context that says what to do and links to the article written for that task
("convert a user mailbox to a shared mailbox"). For a question about the task the step page
matches as well as the article, plus the series' own words (employee, former, account), and it
wins the near tie: on m365 the former-employee series' steps came first for "restore a deleted
account" and "convert an old employee's mailbox to a shared one", whose answers they link to.

The rule needs no word of any language, only the help center's structure: a page is a series step
when its title opens with a word and a number and at least SERIES_MIN titles of its language open
with the same word and a number; when such a page is the first candidate and an article it links
to (a markdown link in its own text, resolved as the site resolves it, kb.render.resolve_link) is
among the first SERIES_TOP candidates and is not itself a step, the two swap places (and scores). A step
linking to another step (the series' "next" / "previous") changes nothing; nor does a page that
merely links to many candidates: "the first candidate's links among the first five" as the rule,
without the series test, costs every domain (bench/RESULTS.md "Session 9, m365ar4").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from indexer.stores.base import Hit
from kb.parsing import clean_foreign_syntax, markdown_parser, strip_bom
from kb.render import resolve_link

SERIES_MIN = 3  # titles sharing an opening word and a number: fewer is a coincidence, not a series
SERIES_TOP = 5  # the linked article must already be this near: the step only yields a near tie
# "<word> <number> <separator>": Step 4 -, الخطوة 4 -, Part 2:, الجزء ٢ - (\d is every script's digits)
_NUMBERED = re.compile(r"^\s*(\S+)\s+\d+\s*[-–—:.)]")
_PARSER = markdown_parser()


def series_steps(rows: Iterable[Mapping[str, object]]) -> frozenset[str]:
    """The article keys whose titles number them within a series of their language."""
    heads: dict[str, tuple[str, str]] = {}
    for row in rows:
        key, title = str(row.get("key") or ""), str(row.get("title") or "")
        match = _NUMBERED.match(title)
        if key and match:
            heads[key] = (str(row.get("lang") or ""), match.group(1).casefold())
    sizes = Counter(heads.values())
    return frozenset(key for key, head in heads.items() if sizes[head] >= SERIES_MIN)


def linked_articles(path: str, source: str) -> frozenset[str]:
    """The "lang/id" keys of the articles a page's markdown links to (`path`: the page's, under the content root)."""
    keys: set[str] = set()
    for token in _PARSER.parse(clean_foreign_syntax(strip_bom(source))):
        for child in token.children or []:
            if child.type != "link_open":
                continue
            target = resolve_link(str(child.attrGet("href") or ""), path)
            if target is not None and target.kind == "article":
                keys.add(f"{target.lang}/{target.id}")
    return frozenset(keys)


def step_links(content_dir: Path, rows: Iterable[Mapping[str, object]]) -> dict[str, frozenset[str]]:
    """Each series step's linked articles, read from its file (a file gone since indexing links nothing)."""
    rows = list(rows)
    steps = series_steps(rows)
    paths = {str(r["key"]): str(r.get("path") or "") for r in rows if str(r.get("key") or "") in steps}
    links: dict[str, frozenset[str]] = {}
    for key, path in paths.items():
        file = content_dir / path
        if path and file.is_file():
            links[key] = linked_articles(path, file.read_text("utf-8", errors="replace"))
    return links


def defer_steps(ranked: Sequence[Hit], links: Callable[[], Mapping[str, frozenset[str]] | None]) -> list[Hit]:
    """The ranking with a first series step and the standalone article it links to swapped, places and
    scores, when that article is among the first SERIES_TOP (the rest keep theirs, so scores stay in
    order and the step keeps the article's margin below the first: an answer card judges that margin)."""
    steps = links() if ranked else None
    first = str(ranked[0].payload.get("key")) if ranked else ""
    if not steps or first not in steps:
        return list(ranked)
    for i, hit in enumerate(ranked[1:SERIES_TOP], 1):
        key = str(hit.payload.get("key"))
        if key in steps[first] and key not in steps:
            step = ranked[0]
            swapped = [Hit(hit.id, step.score, hit.payload), *ranked[1:i], Hit(step.id, hit.score, step.payload)]
            return [*swapped, *ranked[i + 1 :]]
    return list(ranked)
