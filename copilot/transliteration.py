"""Sound keys that let a product name typed in Arabic script find the Latin name articles print.

Customers write "تيمز", "ون درايف", "جودادي", "نوشن" for Teams, OneDrive, GoDaddy, Notion; Arabic
articles (and English ones) print the Latin name, so neither the Arabic BM25 terms nor the
models connect them. Both spellings reduce to the same consonant skeleton once vowels, h/w/y and
doubled letters are dropped and the letters Arabic spells alike are merged (g/j/q/k, s/z/sh,
p/b, v/f): تيمز and Teams are both "tms". The Latin side is the index's own vocabulary (see
copilot.expansion.Vocabulary), so the table grows with the help center and needs no list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

# Arabic letter -> its class; letters missing here (vowels, alef forms, waw, yeh, teh marbuta,
# heh, ain, hamza) are dropped, as Latin vowels are.
_ARABIC = {
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "s", "ج": "k", "ح": "", "خ": "k", "د": "d", "ض": "d",
    "ذ": "s", "ر": "r", "ز": "s", "س": "s", "ش": "s", "ص": "s", "ظ": "s", "غ": "k", "ف": "f", "ڤ": "f",
    "ق": "k", "ك": "k", "گ": "k", "ل": "l", "م": "m", "ن": "n",
}  # fmt: skip
_LATIN = {
    "b": "b", "p": "b", "t": "t", "d": "d", "s": "s", "z": "s", "k": "k", "q": "k", "g": "k", "j": "k",
    "c": "k", "f": "f", "v": "f", "l": "l", "m": "m", "n": "n", "r": "r", "x": "ks",
}  # fmt: skip
# Latin spellings of one sound, rewritten before the letters are mapped.
_LATIN_SOUNDS = ((re.compile(r"tion"), "sn"), (re.compile(r"ph"), "f"), (re.compile(r"[sc]h"), "s"),
                 (re.compile(r"c(?=[eiy])"), "s"), (re.compile(r"ck"), "k"))  # fmt: skip
MIN_KEY = 3  # shorter skeletons ("fs": office, fees, fuse) match too many words to mean anything...
# ...unless the vowels agree too (sounds_alike's strict reading): "ايفون" and iPhone are both "fn"
# with a vowel before and after the f. Shorter still is a single consonant: nothing to go on.
MIN_STRICT_KEY = 2
MIN_ARABIC_LETTERS = 4  # shorter Arabic-script words are particles and stems, not names
# Teh marbuta (and the heh it is folded to) ends Arabic nouns, not borrowed names: "شاغرة" (vacant)
# sounds like "Secure" (3D Secure, in the payment articles) but is Arabic.
ARABIC_ENDINGS = frozenset("ةه")


def _squeeze(letters: str) -> str:
    """Doubled letters once: "godaddy" and "جودادي" both keep one d per sound."""
    return re.sub(r"(.)\1+", r"\1", letters)


_ARABIC_VOWELS = set("اأإآويى")
_GLIDES = {"و": "wou", "ي": "yie"}  # what a word-initial waw or yeh can spell
_LATIN_VOWELS = set("aeiouy")


def arabic_key(word: str) -> str:
    return _squeeze("".join(_ARABIC.get(ch, "") for ch in word))


def latin_key(word: str) -> str:
    return _squeeze("".join(_LATIN.get(ch, "") for ch in _latin_sounds(word)))


def _latin_sounds(word: str) -> str:
    text = word.lower()
    for pattern, sound in _LATIN_SOUNDS:
        text = pattern.sub(sound, text)
    return text


def _vowel_gaps(letters: str, classes: dict[str, str], vowels: set[str]) -> list[bool]:
    """Per gap around the consonants (before the first, between each two, after the last): a vowel?"""
    gaps = [False]
    last = ""
    for ch in letters:
        sound = classes.get(ch, "")
        if ch in vowels:
            gaps[-1] = True
        elif sound and sound != last:
            gaps.extend(False for _ in sound)
        last = sound or last
    return gaps


def sounds_alike(arabic: str, latin: str, strict: bool = False) -> bool:
    """Same consonant key, and every long vowel the Arabic spelling writes is a vowel in the Latin one.

    Arabic leaves short vowels out, so the Latin word may have vowels the Arabic lacks ("ديفندر",
    defender), never the reverse: "تيمز" is Teams, not "tms" or "items" (a vowel before the t).
    The final gap is not compared: a Latin final "e" is silent, an Arabic final alef is often added.
    `strict`: the vowel places must agree both ways, for short keys that ordinary Arabic words
    share ("ايفون" is iPhone, key "fn"; "مال", money, has email's key "ml" but no vowel before m).
    """
    key = arabic_key(arabic)
    if key != latin_key(latin):
        return False
    written = _vowel_gaps(arabic, _ARABIC, _ARABIC_VOWELS)
    heard = _vowel_gaps(_latin_sounds(latin), _LATIN, _LATIN_VOWELS)
    if len(written) != len(heard):
        return False
    if strict:
        return written[:-1] == heard[:-1]
    return all(h or not w for w, h in zip(written[:-1], heard[:-1], strict=True))


def keyed(names: Iterable[str]) -> dict[str, list[str]]:
    """Latin names by sound key, in the order given (most frequent first, where that matters)."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        key = latin_key(name)
        if len(key) >= MIN_STRICT_KEY:
            by_key.setdefault(key, []).append(name)
    return by_key


# One-letter conjunctions and prepositions the lexical fold leaves on a bare word ("وتيمز", and
# Teams; "بشيربوينت", in SharePoint), and the dialects' ع for على before the article ("عالتيمز").
CLITICS = "وفبلك"
_ON_THE = "عال"


def name_readings(word: str) -> list[str]:
    """A folded word, then without a clitic the fold leaves on: the shapes a name typed in Arabic takes."""
    out = [word]
    if word[:1] in CLITICS and len(word) > MIN_ARABIC_LETTERS:
        out.append(word[1:])
    if word.startswith(_ON_THE) and len(word) - len(_ON_THE) >= MIN_ARABIC_LETTERS:
        out.append(word[len(_ON_THE) :])
    return out


def spelled_names(word: str, by_key: Mapping[str, Sequence[str]], glides: bool = False) -> list[str]:
    """The Latin names (from `keyed`) an Arabic-script word spells: "تيمز" -> ["teams"].

    `word` is normalized and without its article ("الاوتلوك" -> "اوتلوك"). Short words and words
    with an Arabic noun ending are never names; a short key must match vowel for vowel. `glides`:
    a word-initial waw or yeh is the w or y sound (or o, i, e), so the name must start so too
    ("يصير", becomes, is no "azure"). Off for the lexical transliterations (copilot.expansion), which
    search both spellings at a lower weight and let the articles decide; on where a match removes
    the word from the query (copilot.product_names).
    """
    if len(word) < MIN_ARABIC_LETTERS or word[-1] in ARABIC_ENDINGS:
        return []
    key = arabic_key(word)
    strict = len(key) < MIN_KEY
    found = [name for name in by_key.get(key, ()) if sounds_alike(word, name, strict)]
    return [name for name in found if name[:1].lower() in _GLIDES[word[0]]] if glides and word[:1] in _GLIDES else found
