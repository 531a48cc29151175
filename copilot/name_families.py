"""Which product names frame a request and which are its subject: how many articles' titles print them.

A customer names a product in two ways. As the frame of a cross-cutting request ("استرجاع فلوس
اشتراك Teams", "VAT on our Microsoft 365 Business Standard bill"): the answer is the billing or
subscription policy, and the product's own pages, whose titles print its name, are what buries it.
Or as the subject itself ("ربط نطاقي المسجل في wix مع البريد", "فاتورة fapiao في الصين"): the answer is
the one page about that name. The index tells them apart without a list: a name that several
articles' titles print is a product family of the help center (m365: Microsoft 149 titles, Office
17, Business 15, Outlook 7, Teams, SharePoint and OneDrive 5, Exchange 3, Intune 2); a name at most
one title prints has its own page, if any (Wix, Gmail, GoDaddy, Namecheap, fapiao, APNs: one each;
demo: Apple and SplitPay one article each, Manzil 6 and Plus 3).

Such a family name in a framed query (copilot.product_names.intent_part left it out of the intent)
weighs less in the BM25 query (retrieval lever family_names): its rare terms otherwise pull the
family's pages up however little they say about the request. And the intent's dense rankings weigh
more (lever family_intent). A query whose names are all one-title names is ranked as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from copilot.product_names import LATIN_NAME, index_names
from copilot.title_evidence import opening_keys
from indexer.lexical import SparseVector

FAMILY_TITLES = 2  # a name printed in at least this many articles' titles is a product family


def family_names(payloads: Sequence[Mapping[str, object]], names: frozenset[str] | None = None) -> frozenset[str]:
    """The index's names (lower-cased, copilot.product_names.index_names, read from the same payloads
    unless given) that the titles of at least FAMILY_TITLES articles print, from the chunks' payloads
    (key, article_id, title, text, ordinal); an article's translations count once, and a title that is
    only its article's opening words (copilot.title_evidence) is no title. The names are read here rather
    than taken from the retriever's own view so both always describe the same index version."""
    names = index_names(payloads) if names is None else names
    opening = opening_keys(payloads)  # titles that are only their article's first words say nothing
    articles: dict[str, set[str]] = defaultdict(set)
    for payload in payloads:
        if str(payload.get("key", "")) in opening:
            continue
        article = str(payload.get("article_id", "") or payload.get("key", ""))
        for word in LATIN_NAME.findall(str(payload.get("title", "") or "")):
            if word.lower() in names:
                articles[word.lower()].add(article)
    return frozenset(name for name, seen in articles.items() if len(seen) >= FAMILY_TITLES)


def framing_families(query: str, intent: str, families: frozenset[str]) -> list[str]:
    """The family names the query typed that its intent left out (as typed, for the lexical encoder)."""
    kept = {word.lower() for word in LATIN_NAME.findall(intent)}
    return [word for word in LATIN_NAME.findall(query) if word.lower() in families and word.lower() not in kept]


# The family name terms' share of their weight in a framed query's BM25 query. bench/lever_ablation-style
# A/B (one process, hybrid MRR@10, m365 Arabic framing slice / its rest; the demo and m365 English over
# Arabic-only unchanged at every setting): off 0.660 / 0.835; 0.25: 0.710 / 0.835; 0.5: 0.710 / 0.835;
# 0.75: 0.671 / 0.835. FAMILY_TITLES 1 (every name a title prints) or 3 gave the same slice (0.710),
# 1 moving two rest queries on names with one page ("gmail" unranked -> 2, "Gmail" 2 -> 3).
FAMILY_NAME_WEIGHT = 0.5


def weighed(vector: SparseVector, terms: frozenset[int], weight: float) -> SparseVector:
    """`vector` with the values of `terms` times `weight`."""
    values = tuple(v * weight if i in terms else v for i, v in zip(vector.indices, vector.values, strict=True))
    return SparseVector(vector.indices, values)


# A query framed by a family name ranks its intent (copilot.product_names.intent_sources, INTENT_WEIGHT
# of each model's weight) this many times as much, in the query's language and in the missing-translation
# fallback. A/B as above, with the BM25 weight on: m365 Arabic framing slice 0.710 -> 1.5: 0.716, 2.0:
# 0.722, 3.0: 0.722; English over Arabic-only 0.605 -> 0.644, 0.644, 0.647 (measured beside a lever
# since dropped, which asked the fallback's titles the intent: alone it took 0.567 to 0.605, beside
# this one it added nothing; from main's 0.567 this lever gives 0.644); the rest of both and the demo
# unchanged at each. Raising INTENT_WEIGHT itself to 2.0 for every named product cost the rest of both
# domains (bench/RESULTS.md, session 5): a name with one page is the subject, not the frame.
FAMILY_INTENT_SCALE = 2.0
