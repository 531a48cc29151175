"""A lead that only the product's name gives: not credited to the page whose title names that product.

The chunk means' lead (copilot.retrieval.CHUNK_MEAN_LEAD, English over Arabic-only) credits the
candidate whose chunks, on average, sit clearly nearer the question than the other candidates'. A
question framed by a product ("change the delivery address on my Apple Pay order") names what the
product's own page is about in every chunk, so that page's mean leads on the name alone, whatever
the request is (bench/RESULTS.md, "Session 9, enar4": the demo's framing slice 0.739 -> 0.683 with
the lead). The task's page (changing an order) does not name the product and cannot lead on it.

So when the question names a product (its intent, copilot.product_names.intent_part, leaves words
out) and the leading article's title prints one of those names, the lead is the name's, not the
request's, and gets no credit. The page still ranks by everything else: a question about the
product itself ("is Apple Pay available in Egypt?") is answered by the same chunk rankings and title
evidence as before; only the bonus for standing out goes. The names are the index's own (what the
intent leaves out), read in the titles as written, so nothing depends on one help center's words.
"""

from __future__ import annotations

from collections.abc import Mapping

from copilot.product_names import LATIN_NAME
from copilot.title_lead import TitleLead


def framing_names(query: str, intent: str | None) -> frozenset[str]:
    """The Latin words of `query` its intent left out (lowercased): the product names that frame it;
    empty when the query names none (`intent` None)."""
    if intent is None:
        return frozenset()
    kept = {word.lower() for word in LATIN_NAME.findall(intent)}
    return frozenset(word.lower() for word in LATIN_NAME.findall(query) if word.lower() not in kept)


def names_a_frame(title: str, names: frozenset[str]) -> bool:
    """Whether `title` prints one of the framing `names` (as a whole word, any case)."""
    return bool(names) and any(word.lower() in names for word in LATIN_NAME.findall(title))


def request_lead(lead: TitleLead | None, titles: Mapping[str, str], names: frozenset[str]) -> TitleLead | None:
    """`lead`, unless the leading article's title (`titles`, by key) names a product that frames the
    question: then None, the lead being the name's rather than the request's."""
    if lead is None or not names_a_frame(titles.get(lead.key, ""), names):
        return lead
    return None
