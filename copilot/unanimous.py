"""The first result when every model disagrees with it: issue #18's re-ranking class.

After fusion, the ranking's credits (field and title credit, hubs, series steps, siblings) can lift an article
above one that e5, USE and BM25 each rank higher on their own: on m365's Arabic misses "تحليلات الاستخدام في power
bi" (the answer first by e5 and USE, second by BM25; the winner third or fourth by each, lifted by its title) and
"حجز قاعة الاجتماعات والبروجكتر بالتقويم". With LEVERS["unanimous_first"], a candidate among the first
UNANIMOUS_TOP that every source of the fused ranking places above the first result (each source's articles read in
the order of their best chunk) goes first. Only a unanimous verdict moves anything, so the credits keep deciding
wherever the models split.
"""

from __future__ import annotations

from collections.abc import Sequence

from copilot.article_votes import article_places
from indexer.stores.base import Hit

UNANIMOUS_TOP = 3


def _key(hit: Hit) -> str:
    return str(hit.payload.get("key", hit.id))


def unanimous_first(ranked: Sequence[Hit], rankings: Sequence[Sequence[Hit]], top: int = UNANIMOUS_TOP) -> list[Hit]:
    """`ranked` with the best-placed of its first `top` candidates that every one of `rankings` (each source's
    chunks, best first) places above the first result moved to the front; unchanged when there is none, or
    fewer than two rankings."""
    out = list(ranked)
    if len(out) < 2 or len(rankings) < 2:
        return out
    places = [article_places(hits)[1] for hits in rankings]
    first = _key(out[0])
    for position in range(1, min(top, len(out))):
        key = _key(out[position])
        if all(key in place and place[key] < place.get(first, len(place) + 1) for place in places):
            return [out[position], *out[:position], *out[position + 1 :]]
    return out
