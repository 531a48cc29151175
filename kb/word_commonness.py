"""Whether a word is ordinary in its language: read from the language (wordfreq), not from one help center.

A ranking credit that rests on one shared word is only as good as that word is telling. "office", "phone",
"business" in an English question say little about which page it wants; "mailbox", "withholding", "servicenow"
say a lot. Counting words in the index itself (copilot.title_rarity, copilot.common_terms) measures them against
one store, and what is rare in one store's ids or titles is common in another's. The language's own frequencies
(wordfreq's Zipf scale: log10 of a word's occurrences per billion words of web, subtitle, news and book text) are
the same for every help center, so a rule that reads them transfers to one we have never seen.

On that scale function words sit at 6 and up ("the" 7.73, "كيف" 5.89) and everyday nouns and verbs between 5 and 6
("office" 5.40, "phone" 5.30, "business" 5.56, "طريقة" 5.35, "رقم" 5.40): at least once per 10,000 words, the
core of the language. The vocabulary a help center names its pages with sits under it: product and admin terms
("mailbox" 3.31, "billing" 3.59, "password" 4.06, "subscription" 4.06), most country names ("taiwan" 4.04,
"france" 4.94). English's line is that band's floor, 5.0. An Arabic written word carries its clitics (ال, و, ب,
ل, pronoun suffixes), so one lemma's frequency is spread over several written forms ("طريقة" 5.35, "الطريقة"
5.16, "بطريقة" 5.18, about a third each: half a point under the lemma), and the same band starts half a point
lower: 4.5. Neither line is fitted to a dev set. A language with no line here has no ordinary word (the rules
that read this module then change nothing). wordfreq tokenises and normalises (case, Arabic marks and tatweel)
itself; a phrase reads as the combined frequency of its words.
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency

# The Zipf frequency at and above which a word is ordinary in its language (see the module's docstring).
ORDINARY_ZIPF = {"en": 5.0, "ar": 4.5}


@lru_cache(maxsize=65536)
def zipf(word: str, lang: str) -> float:
    """The word's Zipf frequency in `lang` (0.0 for a word wordfreq does not know, or an unknown language)."""
    try:
        return float(zipf_frequency(word, lang))
    except LookupError:  # a language wordfreq has no list for
        return 0.0


def is_ordinary(word: str, lang: str) -> bool:
    """True when `word` is an everyday word of `lang` (at or above ORDINARY_ZIPF[lang]); False for a rare word,
    an empty one, or a language without a line."""
    line = ORDINARY_ZIPF.get(lang)
    return line is not None and bool(word.strip()) and zipf(word, lang) >= line
