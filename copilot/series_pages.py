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
to (a markdown link in its own text, resolved as the site resolves it: kb.links.article_links) is
among the first SERIES_TOP candidates and is not itself a step, the two swap places (and scores). A step
linking to another step (the series' "next" / "previous") changes nothing; nor does a page that
merely links to many candidates: "the first candidate's links among the first five" as the rule,
without the series test, costs every domain (bench/RESULTS.md "Session 9, m365ar4").

The links are the index's: the indexer keeps each article's in its chunks' payloads (`links`,
indexer.sync.chunk_payload), and this reads them from the same snapshot the ranking comes from.
Never from the content folder: the index may be at another commit than the working tree (git
sync publishes commits, `kb index` may have indexed another folder, a server store's web nodes
have no checkout at all), and a step must yield to what the ranked version links to.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from indexer.stores.base import Hit

SERIES_MIN = 3  # titles sharing an opening word and a number: fewer is a coincidence, not a series
SERIES_TOP = 5  # the linked article must already be this near: the step only yields a near tie
# "<word> <number> <separator>": Step 4 -, الخطوة 4 -, Part 2:, الجزء ٢ - (\d is every script's digits)
_NUMBERED = re.compile(r"^\s*(\S+)\s+\d+\s*[-–—:.)]")


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


def step_links(rows: Iterable[Mapping[str, object]]) -> dict[str, frozenset[str]]:
    """Each series step's linked articles, as the index holds them (the rows' `links`, one row per
    chunk); a step indexed before the payload had them (indexer.sync.PAYLOAD_VERSION 1) links nothing."""
    rows = list(rows)
    steps = series_steps(rows)
    links: dict[str, frozenset[str]] = {}
    for row in rows:
        key, linked = str(row.get("key") or ""), row.get("links")
        if key in steps and key not in links and isinstance(linked, list | tuple):
            links[key] = frozenset(str(target) for target in linked)
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
