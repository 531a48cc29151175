"""A city the customer names is read as its country, where the help center has a page for that country.

Held-out m365 questions ask for a country's support page by where the customer is: "أنا في أثينا، بمن أتصل",
"we run a small company in Minsk", "عندي شركة صغيرة في أمستردام" (bench/RESULTS.md "Session 25, mmiss25": the
largest class of held-out m365 misses in rounds 2-4, and of round 5's by session 18's count). No article says
Athens, so no source finds Greece's page, and the dev questions, which name the country, never showed it. The
link from a city to its country is not the help center's knowledge but the locale data's: CLDR (through Babel,
as the UI's translations) names every territory and an exemplar city of each time zone in each language, and
maps each zone to its territory. A query naming such a city gets its territory's name added (`names`): in the
query's language to the lexical query (ranking only, no evidence that an answer exists) and, where that
language has articles, to what the models embed; in each other language to the bridge terms, so an English
question reaches an Arabic-only page. A territory the query names itself is only carried across languages
("zambia": زامبيا).

Only territories the index has a page for count (`PlacePages`: an article whose id words or title say the
territory's name in some language), so a help center with no country pages (the demo's "دبي" delivery
questions) reads its questions as before. No word list: the names are CLDR's, the pages the index's.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from copilot.slug_words import id_words
from copilot.word_folding import fold
from kb.word_commonness import is_ordinary

_MAX_WORDS = 4  # the longest name looked for in a query, in words ("bosnia and herzegovina")
_NOT = frozenset({"EU", "EZ", "UN", "ZZ", "QO"})  # CLDR's groupings and unknown region, no country
_MIN_CHARS = 3  # a folded name shorter than this ("ال" left of a clitic) is no evidence


def _key(text: str) -> tuple[str, ...]:
    return tuple(fold(text))


@functools.lru_cache(maxsize=8)
def territory_names(lang: str) -> dict[str, str]:
    """Each country-like territory's name in `lang` (CLDR), by two-letter code; regions ("001") left out."""
    try:
        names = Locale.parse(lang).territories
    except (UnknownLocaleError, ValueError):
        return {}
    return {code: name for code, name in names.items() if len(code) == 2 and code.isalpha() and code not in _NOT}


@functools.lru_cache(maxsize=8)
def city_names(lang: str) -> dict[tuple[str, ...], str]:
    """Folded exemplar city of each time zone in `lang` -> its territory's code (CLDR's zone_territories).

    A locale without its own city names (English) names a zone by its id's last part ("Europe/Amsterdam")."""
    try:
        zones = Locale.parse(lang).time_zones
    except (UnknownLocaleError, ValueError):
        return {}
    territories = get_global("zone_territories")
    countries = territory_names(lang)
    out: dict[tuple[str, ...], str] = {}
    for zone, code in territories.items():
        # "Etc/GMT+3" is no place; "America/North_Dakota/Center", "America/Indiana/Knox" name a county seat
        if code not in countries or zone.startswith("Etc/") or zone.count("/") != 1:
            continue
        city = (zones.get(zone) or {}).get("city") or (
            zone.rsplit("/", 1)[-1].replace("_", " ") if lang == "en" else ""
        )
        key = _key(city)
        # a one-word city that is an ordinary word of the language ("ماهي", Mahé; "central") says no place
        if key and len("".join(key)) >= _MIN_CHARS and not (len(key) == 1 and is_ordinary(key[0], lang)):
            out.setdefault(key, code)
    return out


def _forms(name: str) -> set[str]:
    """A CLDR name and the forms pages write it in: Latin letters without accents ("Curacao"), "&" as "and"
    ("Bosnia & Herzegovina"), "St." as "Saint", the part before
    " - " ("Congo - Brazzaville") and each side of a bracket ("Myanmar (Burma)")."""
    latin = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    full = latin.replace("&", " and ").replace("St. ", "Saint ") if latin.isascii() else name
    forms = {full, full.split(" - ")[0]}
    if "(" in full:
        outside, _, inside = full.partition("(")
        forms |= {outside, inside.rstrip(")")}
    return {f.strip() for f in forms if f.strip()}


@functools.lru_cache(maxsize=8)
def _country_keys(lang: str) -> dict[tuple[str, ...], str]:
    """Folded name form -> territory code; a form two territories share ("Congo") names neither."""
    found: dict[tuple[str, ...], set[str]] = {}
    for code, name in territory_names(lang).items():
        for form in _forms(name):
            key = _key(form)
            if key and len("".join(key)) >= _MIN_CHARS:
                found.setdefault(key, set()).add(code)
    return {key: next(iter(codes)) for key, codes in found.items() if len(codes) == 1}


def _spans(words: list[str]) -> Iterable[tuple[str, ...]]:
    for size in range(min(_MAX_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            yield tuple(words[start : start + size])


def named_places(query: str, lang: str) -> tuple[list[str], list[str]]:
    """(territories the query names by a city, territories it names itself), CLDR codes in query order."""
    words = fold(query)
    cities, countries = city_names(lang), _country_keys(lang)
    by_city: list[str] = []
    by_name: list[str] = []
    for span in _spans(words):
        if span in countries and countries[span] not in by_name:
            by_name.append(countries[span])
        elif span in cities and cities[span] not in by_city:
            by_city.append(cities[span])
    return [c for c in by_city if c not in by_name], by_name


class PlacePages:
    """The territories the index has a page for: an article whose id words or title say its CLDR name."""

    def __init__(self, payloads: Iterable[Mapping[str, object]], languages: Iterable[str]) -> None:
        self._langs = tuple(dict.fromkeys(["en", *languages]))
        found: set[str] = set()
        seen: set[str] = set()
        for p in payloads:
            key = str(p.get("key", ""))
            if key and key not in seen:
                seen.add(key)
                found |= self.codes_of(str(p.get("article_id", "") or ""), str(p.get("title", "") or ""))
        self.codes = frozenset(found)
        if self.codes:  # read CLDR's cities now (this view is built in the background), not on the first search
            for lang in self._langs:
                city_names(lang)

    def codes_of(self, article_id: str, title: str) -> set[str]:
        """The territories an article's id words (English names) or title (any language's names) say."""
        found: set[str] = set()
        for text, langs in ((id_words(article_id), ("en",)), (title, self._langs)):
            for span in _spans(fold(text)):
                found.update(code for lang in langs if (code := _country_keys(lang).get(span)))
        return found

    def names(self, query: str, lang: str, languages: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """(the query's language's names of the countries its cities are in, (language, name) of every
        country it names, by a city or itself, in each other language), for countries the index has a page for."""
        if not self.codes:  # no country page (most help centers): nothing to read
            return [], []
        by_city, by_name = named_places(query, lang)
        own = [territory_names(lang)[c] for c in by_city if c in self.codes and c in territory_names(lang)]
        other = [
            (target, territory_names(target)[c])
            for target in languages
            if target != lang
            for c in [*by_city, *by_name]
            if c in self.codes and c in territory_names(target)
        ]
        return own, other
