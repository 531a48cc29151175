"""Names the help center's titles print, found in a question typed in another script.

An Arabic customer over an English-only help center writes the product's name as it sounds:
"منزل بلس" for Manzil Plus, "منزل كير" for Manzil Care, misspelt too ("منزل بلص"). USE cannot
see the name across the language gap, so such a question scores as low as one the help center has
no article for, and the cross-lingual abstention floors (copilot.retrieval CROSS_*_FLOORS) cannot
flag the out-of-scope questions without it. A name the index prints in a title is evidence of
another kind: the help center has an article about the thing the customer names. So a question
that names one is exempt from those floors (bench/RESULTS.md, "Session 7, abstain3").

Which words are names comes from the index itself (copilot.product_names.index_names: Latin words
its text writes capitalised), and a title's name is a run of such words ("Manzil Plus", "Apple
Pay", "SplitPay"). The help center's own name ("Manzil"), printed in most of its articles, names
the house and not a subject: alone it is no evidence ("وظائف شاغرة في منزل", job vacancies at
Manzil, has no article), inside a longer name it is part of it. Arabic-script words match a name
through copilot.transliteration's sound keys, spelled together over up to MAX_SPAN words, since
customers split or join names as they hear them ("سبليت باي", "منزلبلس"); only long names count
when spelled so (MIN_SPELLED_KEY): over both dev sets' 347 Arabic questions that rule reads no
ordinary word as a name, where four consonant sounds already took "الكرتون" (the carton) for
Cortana. Names typed in Latin letters count whatever their length.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from copilot.expansion import fold
from copilot.product_names import LATIN_NAME, NAME_PUNCTUATION, index_names
from copilot.transliteration import keyed, latin_key, spelled_names
from kb.arabic import has_arabic, is_dialect_word

# A name printed in more than this share of the articles is the help center's own name.
HOUSE_SHARE = 0.5
MAX_SPAN = 3  # words of a query spelling one name: "منزل بلس", "ابل باي", "مايكروسوفت ون درايف"
# A name spelled in Arabic script must have at least this many consonant sounds (its sound key):
# shorter keys are shared by ordinary Arabic words ("جوال", phone: Google; "تلقائي", automatic:
# Outlook; "الكرتون", the carton: Cortana; "اختفى", disappeared: Active). An English-only help
# center has no Arabic vocabulary to tell them apart (copilot.product_names can ask its Arabic
# articles), so only long names ("منزل بلس": mnslbls, SharePoint: srbnt) count when spelled so.
MIN_SPELLED_KEY = 5
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class TitleNames:
    """The index's title names, lower case with their words joined ("manzilplus"), and by sound key."""

    names: frozenset[str]
    by_key: Mapping[str, Sequence[str]]

    def found(self, query: str) -> list[str]:
        """The title names an Arabic-script query types, spelled in Arabic script or in Latin letters
        among its Arabic words. A query all in Latin letters finds none: over an Arabic help center,
        which prints every Latin word as written ("Security", "Apps", "Business" are labels there),
        an English question's ordinary words would pass for names, and it needs no exemption on
        either dev domain (bench/RESULTS.md, "Session 7, abstain3")."""
        if not has_arabic(query):
            return []
        tokens = [t.strip(NAME_PUNCTUATION) for t in _TOKEN.findall(query)]
        tokens = [t for t in tokens if t]
        hits: list[str] = []
        for start in range(len(tokens)):
            for end in range(start + 1, min(start + MAX_SPAN, len(tokens)) + 1):
                span = tokens[start:end]
                name = self._latin(span) if all(LATIN_NAME.fullmatch(t) for t in span) else self._arabic(span)
                if name is not None and name not in hits:
                    hits.append(name)
        return hits

    def _latin(self, span: Sequence[str]) -> str | None:
        name = "".join(t.lower() for t in span)
        return name if name in self.names else None

    def _arabic(self, span: Sequence[str]) -> str | None:
        if not all(has_arabic(t) for t in span):
            return None
        folded = [fold(t) for t in span]
        if any(len(words) != 1 or is_dialect_word(words[0]) for words in folded):
            return None  # a dialect word is the customer's own word, not a name
        found = spelled_names("".join(words[0] for words in folded), self.by_key, glides=True)
        return found[0] if found else None


def title_names(payloads: Iterable[Mapping[str, object]]) -> TitleNames:
    """The runs of name words in the index's titles (store.payloads(("key", "title", "text"))),
    less the house name standing alone."""
    rows = list(payloads)
    names = index_names(rows)
    printed: dict[str, set[str]] = defaultdict(set)  # name word -> the articles printing it
    titles: dict[str, str] = {}
    for row in rows:
        key = str(row.get("key", ""))
        titles.setdefault(key, str(row.get("title", "") or ""))
        for field in ("title", "text"):
            for word in LATIN_NAME.findall(str(row.get(field, "") or "")):
                if word.lower() in names:
                    printed[word.lower()].add(key)
    house = {name for name, keys in printed.items() if len(keys) > HOUSE_SHARE * max(len(titles), 1)}
    runs: set[str] = set()
    for title in titles.values():
        run: list[str] = []
        for token in [*_TOKEN.findall(title), ""]:
            word = token.strip(NAME_PUNCTUATION).lower()
            named = bool(word) and LATIN_NAME.fullmatch(word) is not None and word in names
            if named:
                run.append(word)
                if token.rstrip(NAME_PUNCTUATION) == token:
                    continue  # no comma or stop after it: the name may go on ("Manzil Plus")
            if run and not (len(run) == 1 and run[0] in house):
                runs.add("".join(run))
            run = []
    return TitleNames(frozenset(runs), keyed(sorted(r for r in runs if len(latin_key(r)) >= MIN_SPELLED_KEY)))
