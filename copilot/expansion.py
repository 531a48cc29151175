"""Lexical query expansion: the help center's own synonyms and its own vocabulary for typos.

Dense models miss what customers type in ways articles never do: dialect ("فلوس" for money,
"جوال" for phone), brand names in Arabic script ("ابل باي"), and typos ("pasword", "استرجاغ").
Those are lexical problems with lexical levers:

- `content/_synonyms.yml`, edited by content writers in git: a query containing one member of a
  group also searches the others;
- the vocabulary of the live index, per language: a query word that no article uses is matched
  to the closest word that articles do use (rapidfuzz edit distance, 1 for short words, 2 for
  long ones), and that word is searched too.

Expansions are added to the lexical query only; what the customer typed is never replaced.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from copilot.index_view import FromIndex
from kb.arabic import is_dialect_word, light_stem

_WORD = re.compile(r"\w+")


def fold(text: str) -> list[str]:
    """Words as the lexical side compares them: lowercase, Arabic normalized and prefix-stripped."""
    return _WORD.findall(light_stem(text.lower()))


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


class Vocabulary:
    """Words of the live index per language, rebuilt when the index version changes."""

    def __init__(self, texts: Callable[[], list[dict]], version: Callable[[], str | None]) -> None:
        self._texts = texts
        self._words = FromIndex(version, self._build)

    def _build(self) -> dict[str, tuple[list[str], frozenset[str]]]:
        """Per language: words by frequency (for matching) and the same words as a set (for lookups)."""
        counts: dict[str, Counter[str]] = {}
        for payload in self._texts():
            lang = str(payload.get("lang", ""))
            text = f"{payload.get('title', '')} {payload.get('section', '')} {payload.get('text', '')}"
            counts.setdefault(lang, Counter()).update(w for w in fold(text) if len(w) >= 3)
        return {lang: ([w for w, _ in c.most_common()], frozenset(c)) for lang, c in counts.items()}

    def words(self, lang: str) -> list[str]:
        """The index's folded words in `lang`, most frequent first (for completion)."""
        return self._words.get().get(lang, ([], frozenset()))[0]

    def known(self, lang: str) -> frozenset[str]:
        return self._words.get().get(lang, ([], frozenset()))[1]

    def corrections(self, query: str, lang: str) -> list[str]:
        """Closest index words for query words that no article in `lang` uses."""
        words, known = self._words.get().get(lang, ([], frozenset()))
        fixes: list[str] = []
        for word in fold(query):
            if len(word) < 4 or word in known or word.isdigit() or is_dialect_word(word):
                continue  # dialect words are spelt as meant: "جاني" (came to me) is no typo of "مجاني"
            limit = 1 if len(word) <= 6 else 2
            match = process.extractOne(word, words, scorer=Levenshtein.distance, score_cutoff=limit)
            if match is not None:
                fixes.append(match[0])
        return fixes
