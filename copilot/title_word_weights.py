"""Title words weighed by the index's own chunk frequencies: a common word in a title says little.

The field credit (copilot.retrieval.Retriever._credit_fields) gives an article the share of the typed
query's terms its title or tags hold, every term alike. On a help center whose titles paraphrase their
task ("Print to file" for saving a PDF, "What is GNOME Classic?" for an old-style desktop with a taskbar),
the right title often holds none of the question's words while a neighbour's title holds one incidental
word of it ("computer", "desktop", "mouse", "windows"), and that one word's credit decides a near tie
the wrong way (bench/RESULTS.md "Session 20, titles20": 11 of gnome's 12 English questions the credit
costs have a right title matching nothing and a winner matching one or two of five to seven words).

Here a matched term counts by how specific it is to the help center's text, on the index's own counts (no
list of words): `weight` is copilot.common_terms' factor, 1 for a term at most COMMON_SHARE of the
chunks hold, less (its IDF over the IDF at that share) for one more chunks hold. The typed query's
terms each count one, as before, so a title holding the query's common words only earns a part of
the credit it had, and a one-word bridge term many chunks print ("computer") no longer earns the
whole credit. A title holding the query's specific words keeps its credit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from copilot.common_terms import ChunkFrequencies

TITLE_COMMON_SHARE = 0.02  # chunks of the language holding a term beyond which a title's match on it counts less


@dataclass(frozen=True)
class TitleWordWeights:
    """The field credit's share with each matched term counted by how specific it is to the index's chunks."""

    frequencies: ChunkFrequencies
    common_share: float = TITLE_COMMON_SHARE

    def weight(self, lang: str, term: int) -> float:
        """1 for a term at most `common_share` of `lang`'s chunks hold, else its IDF over the IDF at that share."""
        return self.frequencies.factor(lang, term, self.common_share)

    def share(self, matched: Iterable[int], typed: Iterable[int], lang: str) -> float:
        """The matched terms' weights summed over the number of typed terms (each typed term counts one), at most 1."""
        size = len(set(typed))
        held = sum(self.weight(lang, term) for term in set(matched))
        return min(1.0, held / size) if size else 0.0
