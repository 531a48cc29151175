"""Every indexed section of the articles a ticket's search found, for the drafter to choose from.

Search returns the best chunk of each article: right for an agent scanning suggestions, but the
section that answers a ticket is often another one of the same article (a return question finds the
"follow your return" table; the steps and the pickup fee are two headings further). The drafter
reads the whole of the top articles, so this view lists their other sections as hits scored like the
article's best one. It is built from the index's payloads, once per index version (FromIndex).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import replace

from copilot.index_view import FromIndex, IndexSnapshot
from copilot.retrieval import SearchHit
from indexer.stores.base import VectorStore

_FIELDS = ("key", "anchor", "section", "text", "ordinal")
# The articles the agent is shown (Suggester's five): the drafter can quote any section of them.
# Its choice weighs each section by its article's search score, so a section of the fifth article
# that merely shares words with the ticket does not beat the first article's own (the labelled
# tickets: 3 leading articles drafted one answerable ticket fewer than 5).
ARTICLES = 5
# A section found only through its article ranks a little under the chunk search itself chose.
SIBLING_SHARE = 0.95

_views: weakref.WeakKeyDictionary[VectorStore, ArticleSections] = weakref.WeakKeyDictionary()


class ArticleSections:
    def __init__(self, store: VectorStore) -> None:
        self._by_key = FromIndex(store.version, lambda: _sections(store))

    @classmethod
    def of(cls, store: VectorStore) -> ArticleSections:
        """One view per store: every Suggester of a process shares it."""
        view = _views.get(store)
        if view is None:
            view = _views[store] = cls(store)
        return view

    def siblings(self, hits: Sequence[SearchHit], articles: int = ARTICLES) -> list[SearchHit]:
        """The other sections of the first `articles` articles among `hits`, in article order, as hits."""
        by_key = self._by_key.get()
        seen = {(hit.key, hit.anchor) for hit in hits}
        leading: list[SearchHit] = []
        for hit in hits:
            if hit.key not in {h.key for h in leading}:
                leading.append(hit)
        out: list[SearchHit] = []
        for hit in leading[:articles]:
            for anchor, section, text in by_key.get(hit.key, ()):
                if (hit.key, anchor) in seen:
                    continue
                seen.add((hit.key, anchor))
                out.append(
                    replace(hit, section=section, anchor=anchor, text=text, snippet="", score=hit.score * SIBLING_SHARE)
                )
        return out


def _sections(store: VectorStore) -> dict[str, list[tuple[str, str, str]]]:
    """(anchor, section, text) per article key, in reading order; a section split over several
    chunks is joined back (a step list is quoted whole)."""
    rows = sorted(
        IndexSnapshot.of(store).payloads(_FIELDS), key=lambda p: (str(p.get("key")), int(p.get("ordinal") or 0))
    )
    out: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        sections = out.setdefault(str(row.get("key")), [])
        anchor, section, text = str(row.get("anchor", "")), str(row.get("section", "")), str(row.get("text", ""))
        if sections and sections[-1][0] == anchor:
            sections[-1] = (anchor, section, sections[-1][2] + "\n" + text)
        else:
            sections.append((anchor, section, text))
    return out
