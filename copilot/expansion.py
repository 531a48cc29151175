"""Lexical query expansion: the help center's own synonyms and its own vocabulary for typos.

Dense models miss what customers type in ways articles never do: dialect ("فلوس" for money,
"جوال" for phone), brand names in Arabic script ("ابل باي"), and typos ("pasword", "استرجاغ").
Those are lexical problems with lexical levers:

- `content/_synonyms.yml`, edited by content writers in git: a query containing one member of a
  group also searches the others;
- the vocabulary of the live index, per language: a query word that no article uses is matched
  to the closest word that articles do use (rapidfuzz edit distance, 1 for short words, 2 for
  long ones), and that word is searched too;
- the Latin words of the index for an Arabic-script word that no article uses and that is no
  typo of one: "تيمز" finds "teams" through its sound key (copilot.transliteration);
- the words a query shares with another language's articles ("godaddy", "dns" in an English query
  over Arabic articles that print them in Latin) bridge into that language.

Expansions are added to the lexical query only; what the customer typed is never replaced.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import yaml

from copilot.index_view import FromIndex
from copilot.loanwords import find_loanword, loanwords
from copilot.spelling_families import MIN_WORD, SpellingFamilies, closest_spelling, read_spellings, respelt
from copilot.transliteration import CLITICS, MIN_STRICT_KEY, keyed, latin_key, name_readings, spelled_names
from copilot.verbal_nouns import verbal_nouns
from copilot.vocabulary_variants import WordFamilies, common_words
from copilot.word_folding import fold
from kb.arabic import has_arabic, is_dialect_word
from kb.word_commonness import zipf

_Group = tuple[list[tuple[str, ...]], list[str]]  # folded members, members as written


class Synonyms:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._groups: list[_Group] = []
        # Groups by the first folded word of each member: a query can only mention a group through
        # one of its words, so `expand` looks at a handful of groups instead of every member of all
        # of them at every position (it runs twice per search, for the same- and other-language side).
        self._by_word: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def _load(self) -> tuple[list[_Group], dict[str, list[int]]]:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return [], {}
        with self._lock:
            if stamp != self._stamp:
                raw = yaml.safe_load(self.path.read_text("utf-8")) or []
                groups: list[_Group] = []
                by_word: dict[str, list[int]] = {}
                for group in raw:
                    if isinstance(group, list):
                        members = [str(m) for m in group if str(m).strip()]
                        folded = [tuple(fold(m)) for m in members]
                        for first in {f[0] for f in folded if f}:
                            by_word.setdefault(first, []).append(len(groups))
                        groups.append((folded, members))
                self._groups, self._by_word, self._stamp = groups, by_word, stamp
            return self._groups, self._by_word

    def expand(self, query: str) -> list[str]:
        """Members of every group the query mentions, except what the query already says."""
        words = fold(query)
        groups, by_word = self._load()
        extra: list[str] = []
        for index in sorted({i for w in set(words) for i in by_word.get(w, ())}):  # in the file's order
            folded_members, members = groups[index]
            if any(_contains(words, member) for member in folded_members if member):
                extra.extend(m for m, f in zip(members, folded_members, strict=True) if not _contains(words, f))
        return extra


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


class _Lexicon(NamedTuple):
    by_lang: dict[str, tuple[list[str], frozenset[str]]]  # words by frequency, and as a set
    latin_by_key: dict[str, list[str]]  # the index's Latin words by sound key, most frequent first
    families: WordFamilies | None = None  # its Arabic words by root, when it has Arabic articles
    common_ar: frozenset[str] = frozenset()  # its most frequent Arabic words (vocabulary_variants.common_words)
    spellings: SpellingFamilies | None = None  # its Arabic words by spelling (copilot.spelling_families)
    # The title and heading words of its other-script articles by sound key (Vocabulary.english_terms)
    heading_by_key: Mapping[str, list[str]] = MappingProxyType({})


# The Latin names an Arabic help center prints in its Arabic articles ("Microsoft Teams", "GoDaddy")
# are what customers transliterate; English articles' words are not names ("itself", "Secure" in a
# title) and share sound keys with ordinary Arabic words ("شاغرة": secure). A Latin word counts when
# it is written capitalized mid-sentence at least NAME_SHARE of the time (not in a link).
ARABIC_SCRIPT_LANGS = frozenset({"ar", "fa", "ur"})
NAME_SHARE = 0.5
MIN_NAME_LETTERS = 5  # shorter Latin words are mostly acronyms (SQL, PDF), which customers type in Latin
TRANSLITERATIONS = 2  # Latin names an Arabic-script word may bring, most frequent first
_ARABIC_TOKEN = re.compile(r"[\u0600-\u06FF]+")
_IN_A_LINK = set("/.-_=:@#?&")
_LATIN_NAME = re.compile(r"\b[A-Za-z]{3,}\b")


HEADING_LETTERS = 4  # shorter title words are particles and acronyms ("on", "to", "PDF"); "dash", "wifi" are four
# wordfreq's Arabic Zipf frequency at and above which an Arabic-script word is Arabic, not an English term typed in
# Arabic letters (Vocabulary.english_terms). Read from the language, not from a dev set: once per million words
# (Zipf 3) is where the web's Arabic has its own words, even dialect and inflected ones ("جوال" 3.99, "اكيد" 4.01,
# "طابعة" 3.16, "كفيف" 3.28), and where the names and jargon a help center's pages carry are not: "نوشن" and
# "ايفرنوت" (Notion, Evernote) 0, "بارتيشن" 1.26, "جنوم" 1.94, "تيرمنال" 1.38, "الهارد" 2.82. The loanwords the
# language has taken in ("كمبيوتر" 4.27, "ويندوز" 4.3, "جوجل" 4.62) are over it; copilot.loanwords' glossary reads
# them by name. A word is read with and without its article and clitics, and counts at its most frequent form.
ARABIC_ZIPF = 3.0


_PRONOUNS = ("ها", "نا", "هم", "كم", "ي", "ك", "ه")  # attached pronouns: "جوالي", my mobile, is جوال's


def _written_forms(word: str) -> set[str]:
    """The shapes wordfreq may list a folded word under: the fold writes teh marbuta as heh, alef maqsura as yeh and
    hamza's alefs bare ("طابعه" is طابعة, "العاب" ألعاب), and leaves a one-letter clitic (copilot.transliteration's
    name_readings strips it only from longer words) and an attached pronoun on; each bare and behind the article."""
    forms = {word, *([word[1:]] if word[:1] in CLITICS and len(word) >= 4 else [])}  # "بلحق": can I catch, لحق
    if word.endswith("ه"):
        forms.add(word[:-1] + "ة")
    if word.endswith("ي"):
        forms.add(word[:-1] + "ى")
    forms |= {word[: -len(p)] for p in _PRONOUNS if word.endswith(p) and len(word) - len(p) >= 3}
    forms |= {hamza + form[1:] for form in forms if form.startswith("ا") for hamza in "أإ"}  # "العاب": ألعاب
    return forms | {"ال" + form for form in forms}


def arabic_by_frequency(readings: Iterable[str]) -> bool:
    """True when a reading of the typed word (bare, behind the article, without a pronoun) is an Arabic word by
    wordfreq (ARABIC_ZIPF)."""
    return any(zipf(form, "ar") >= ARABIC_ZIPF for r in readings for form in _written_forms(r))


def _is_name_cased(word: str) -> bool:
    """Written as a name: capitalized ("Teams") or with the brands' capital second letter ("iPhone",
    "eBay"); code identifiers ("monikerRange") have their capitals further in."""
    return word[0].isupper() or (len(word) > 1 and word[1].isupper())


class Vocabulary:
    """Words of the live index per language, rebuilt when the index version changes."""

    def __init__(self, texts: Callable[[], list[dict]], version: Callable[[], str | None]) -> None:
        self._texts = texts
        # Rebuilt in the background after a sync: until it is done, searches expand with the previous
        # index version's words (a correction or a name a new article brings waits a second), and the
        # first customer after a sync does not wait the rebuild (about 1.4 s on 575 articles).
        self._words = FromIndex(version, self._build, background=True)

    def views(self) -> list[FromIndex[_Lexicon]]:
        """What is derived from the index here, for Retriever.refresh_views / wait_for_views."""
        return [self._words]

    def _build(self) -> _Lexicon:
        """Per language: words by frequency (for matching) and the same words as a set (for lookups);
        and the Latin names of the Arabic articles by sound key (for names typed in Arabic script)."""
        counts: dict[str, Counter[str]] = {}
        latin: Counter[str] = Counter()
        capitalized: Counter[str] = Counter()
        headings: Counter[str] = Counter()
        for payload in self._texts():
            lang = str(payload.get("lang", ""))
            text = f"{payload.get('title', '')} {payload.get('section', '')} {payload.get('text', '')}"
            counts.setdefault(lang, Counter()).update(w for w in fold(text) if len(w) >= 3)
            if lang not in ARABIC_SCRIPT_LANGS:
                named = f"{payload.get('title', '')} {payload.get('section', '')}"
                headings.update(w.lower() for w in _LATIN_NAME.findall(named) if len(w) >= HEADING_LETTERS)
                continue  # English text is full of title-cased common words ("Secure checkout")
            for match in _LATIN_NAME.finditer(text):
                before = text[max(0, match.start() - 2) : match.start()]
                if before[-1:] in _IN_A_LINK:
                    continue  # "cloudflare.com", "/microsoftteams/": how links spell, not how text names
                word = match.group()
                mid_sentence = len(before) == 2 and before[1] == " " and (before[0].isalnum() or before[0] in ",;")
                latin[word.lower()] += 1
                capitalized[word.lower()] += _is_name_cased(word) and mid_sentence
        by_key: dict[str, list[str]] = {}
        for word, seen in latin.most_common():
            key = latin_key(word)
            if len(key) >= MIN_STRICT_KEY and len(word) >= MIN_NAME_LETTERS and capitalized[word] >= NAME_SHARE * seen:
                by_key.setdefault(key, []).append(word)
        by_lang = {lang: ([w for w, _ in c.most_common()], frozenset(c)) for lang, c in counts.items()}
        # Arabic word families by root (copilot.vocabulary_variants), from the same words in the same
        # build, so the families always belong to the words they are looked up beside.
        families = WordFamilies(by_lang["ar"][0]) if "ar" in by_lang else None
        common_ar = frozenset(common_words(by_lang["ar"][0])) if "ar" in by_lang else frozenset()
        spellings = SpellingFamilies(by_lang["ar"][0], families.root) if families is not None else None
        heading_by_key = keyed(word for word, _ in headings.most_common())
        return _Lexicon(by_lang, by_key, families, common_ar, spellings, heading_by_key)

    def words(self, lang: str) -> list[str]:
        """The index's folded words in `lang`, most frequent first (for completion)."""
        return self._words.get().by_lang.get(lang, ([], frozenset()))[0]

    def known(self, lang: str) -> frozenset[str]:
        return self._words.get().by_lang.get(lang, ([], frozenset()))[1]

    def corrections(self, query: str, lang: str) -> list[str]:
        """Closest index words for query words that no article in `lang` uses."""
        return [fix for _, fix in self._corrections(query, lang) if fix is not None]

    def read_corrections(self, query: str, lang: str) -> list[str]:
        """The corrections of the query's Arabic words that are no typo, though no article prints
        them: words the lexical side reads as an index word's, by its stem or as a verb of one
        ("عندنا", at us, is عند's; its correction عندما, when, is another word;
        copilot.spelling_families.SpellingFamilies.read). The lexical side searched the word itself.
        Loanwords and names keep theirs: leaving out "دومين"'s (يومين) and "ادمن"'s cost m365."""
        spellings = self._words.get().spellings if lang == "ar" else None
        if spellings is None or not has_arabic(query):
            return []
        return [fix for word, fix in self._corrections(query, lang) if fix is not None and spellings.read(word)]

    def _corrections(self, query: str, lang: str) -> list[tuple[str, str | None]]:
        """(word, its closest index word or None) for each query word no article in `lang` uses. Two neighbouring
        letters swapped are one edit (optimal string alignment, as copilot.spelling_families reads them): by
        Levenshtein they were two, past a short word's limit, so "refnud" (refund) and "tiem" had no correction,
        and a query of such typos only found nothing lexical and abstained (bench/RESULTS.md "Session 40, typo40")."""
        words, known = self._words.get().by_lang.get(lang, ([], frozenset()))
        out: list[tuple[str, str | None]] = []
        for word in fold(query):
            if len(word) < 4 or word in known or word.isdigit() or is_dialect_word(word):
                continue  # dialect words are spelt as meant: "جاني" (came to me) is no typo of "مجاني"
            out.append((word, closest_spelling(word, words)))
        return out

    def transliterations(self, query: str, lang: str, clitics: bool = False) -> list[str]:
        """The index's Latin words that sound like Arabic-script words of the query no article uses.

        Adjacent pairs too: "ون درايف" is one name, OneDrive. `clitics`: a word that spells no name
        is tried without a conjunction or preposition the fold leaves on ("وتيمز", "عالتيمز": teams,
        copilot.transliteration.name_readings). A word can have both a correction and
        a transliteration ("كورتانا": كورونا by edit distance, Cortana by sound); both are searched,
        each at a lower weight than the typed words, and the articles decide.
        """
        if not has_arabic(query):
            return []
        lexicon = self._words.get()
        words = fold(query)
        known = lexicon.by_lang.get(lang, ([], frozenset()))[1]
        strange = [w for w in words if w not in known and has_arabic(w) and not is_dialect_word(w)]
        pairs = [a + b for a, b in itertools.pairwise(words) if a in strange and b in strange]
        found: list[str] = []
        for word in [*strange, *(p for p in pairs if p not in known)]:
            # A reading the articles print is an Arabic word ("بسيشل": سيشل, Seychelles, no "shell"),
            # and a loanword is no clitic and a name ("باسورد" is password, no ب + azuread).
            readings = name_readings(word) if clitics and find_loanword(word) is None else [word]
            readings = [word, *(r for r in readings[1:] if r not in known)]
            names = next((n for n in (spelled_names(r, lexicon.latin_by_key) for r in readings) if n), [])
            found += [m for m in names[:TRANSLITERATIONS] if m not in found]
        return found

    def english_terms(self, query: str, lang: str, clitics: bool = False) -> list[str]:
        """The title and heading words of the index's other-script articles that Arabic-script words of the query
        sound like: "جنوم" is GNOME, "البارتيشن" partition, in a help center that prints them only in English.

        `transliterations` reads only the Latin names the Arabic articles print, so a help center without
        Arabic articles gets nothing from it. Its sound rule read against every English word finds ordinary
        Arabic words too ("جوال", mobile: google; "اكيد", sure: icade), so an Arabic word by the language's
        own frequencies (`arabic_by_frequency`) is read as nothing, and the English side is the titles and
        headings only: the terms a help center names its pages with, not every word of its text.
        """
        if lang not in ARABIC_SCRIPT_LANGS or not has_arabic(query):
            return []
        lexicon = self._words.get()
        words = fold(query)
        known = lexicon.by_lang.get(lang, ([], frozenset()))[1]
        strange = [w for w in words if w not in known and has_arabic(w) and not is_dialect_word(w)]
        # The typed words too: the fold writes hamza and alef forms alike ("وظائف", jobs, is folded to a "وظايف"
        # wordfreq does not list) and strips clitics a word keeps in wordfreq ("للالعاب": ألعاب).
        typed = {f for t in _ARABIC_TOKEN.findall(query) if arabic_by_frequency([t]) for f in fold(t)}
        foreign = [w for w in strange if w not in typed and not arabic_by_frequency(name_readings(w))]
        pairs = [a + b for a, b in itertools.pairwise(words) if a in foreign and b in foreign]
        found: list[str] = []
        for word in [*foreign, *(p for p in pairs if p not in known)]:
            readings = name_readings(word) if clitics and find_loanword(word) is None else [word]
            if arabic_by_frequency(readings):
                continue
            terms = next((n for n in (spelled_names(r, lexicon.heading_by_key) for r in readings) if n), [])
            found += [t for t in terms[:TRANSLITERATIONS] if t not in found]
        return found

    def variants(self, query: str, lang: str) -> list[str]:
        """Index words of the same Arabic root as the query's words ("اغير": تغيير), see WordFamilies."""
        if lang != "ar" or not has_arabic(query):
            return []
        families = self._words.get().families
        return families.variants([w for w in fold(query) if not is_dialect_word(w)]) if families else []

    def spellings(self, query: str, lang: str) -> list[str]:
        """The index's spellings of the query's misspelt Arabic words (copilot.spelling_families)."""
        if lang != "ar" or not has_arabic(query):
            return []
        lexicon = self._words.get()
        if lexicon.spellings is None:
            return []
        return lexicon.spellings.families(fold(query), self.foreign_words(query, lang))

    def foreign_words(self, query: str, lang: str) -> frozenset[str]:
        """The query's folded words that spell a loanword (copilot.loanwords) or one of the index's
        Latin names (copilot.transliteration): no misspelling of an Arabic word."""
        lexicon = self._words.get()
        loans = {loan.typed for loan in loanwords(query, self.known(lang))}
        names = {w for w in fold(query) if any(spelled_names(r, lexicon.latin_by_key) for r in name_readings(w))}
        return frozenset(loans | names)

    def spelled_text(self, text: str, lang: str, keep: frozenset[str] = frozenset()) -> str:
        """`text` with its misspelt Arabic words spelt as the index does (for the dense models)."""
        spellings = self._words.get().spellings if lang == "ar" else None
        return read_spellings(text, spellings, keep) if spellings else text

    def corrected_text(
        self, text: str, lang: str, keep: frozenset[str] = frozenset(), meant: Callable[[str], bool] | None = None
    ) -> str:
        """`text` with each short Arabic word the lexical side corrects (fewer letters than the spelling families read,
        copilot.spelling_families.MIN_WORD: "المبلع") replaced by its correction, its conjunction and article kept
        ("المبلغ"), for the dense models; `keep`: folded words left as typed (loanwords); `meant`: whether a folded
        word is spelt as meant though the index does not print it (a general lexicon knows it: "اغير", I change, is
        no typo of "تغير"). The lexical side searched the correction already; the dense models read the typo as
        noise (bench/RESULTS.md "Session 40, typo40")."""
        if lang != "ar" or not has_arabic(text):
            return text
        fixes = {word: fix for word, fix in self._corrections(text, lang)
                 if fix is not None and len(word) < MIN_WORD and word not in keep and not (meant and meant(word))}
        return respelt(text, fixes.get) if fixes else text

    def verbal_nouns(self, query: str, lang: str) -> list[str]:
        """Index words that are the verbal nouns of the query's verbs ("اضيف": إضافة), copilot.verbal_nouns."""
        if lang != "ar" or not has_arabic(query):
            return []
        lexicon = self._words.get()
        known = lexicon.by_lang.get(lang, ([], frozenset()))[1]
        return verbal_nouns(query, known, lexicon.common_ar, fold)

    def shared_words(self, query: str, lang: str, target: str) -> list[str]:
        """Typed words, in another script than `target`'s usual one, that `target`'s articles use.

        Arabic articles print product names and terms in Latin ("GoDaddy", "DNS"): an English query
        that says them has lexical evidence in those articles, though it shares no Arabic word.
        """
        if target == lang:
            return []
        known = self.known(target)
        arabic_target = target == "ar"
        return [w for w in fold(query) if w in known and has_arabic(w) != arabic_target and not w.isdigit()]
