"""Bidirectional control characters in text from outside (a customer's name or subject, a title).

An embedding, override or isolate (U+202A-202E, U+2066-2069) reorders everything after it up to the end of
its paragraph, and the marks (U+200E, U+200F, U+061C) shift where neutral characters land: in a customer's
name they turn "Hi Sam," into "Hi ,maS" in the draft, and "Re: <subject> [#mz-...]" into a reversed
thread tag in every mail client's list. Web pages isolate such text in <bdi> (webapp.formatting); places
with no markup (a mail subject, a plain-text draft or macro, a <datalist> option) cannot, so the controls
are dropped there. A customer never needs them: the text's own letters carry its direction.
"""

from __future__ import annotations

import re
import unicodedata

# Explicit embeddings, overrides and isolates: what `kb lint` refuses in a title (marks are fine there).
EMBEDDINGS_AND_ISOLATES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK, ARABIC LETTER MARK.
MARKS = frozenset("\u200e\u200f\u061c")
BIDI_CONTROLS = EMBEDDINGS_AND_ISOLATES | MARKS
_DROP = dict.fromkeys(map(ord, BIDI_CONTROLS))
# Every invisible format character a pasted text may carry (Unicode's Cf that text from outside meets): the bidi
# controls, the soft hyphen, the zero-width space, non-joiner, joiner and no-break space (the BOM), the word joiner
# and the invisible operators. None is a letter: a search, or an email address, means the text without them.
INVISIBLE = BIDI_CONTROLS | frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))


def without_bidi_controls(text: str) -> str:
    """`text` with every bidi control character (embeddings, overrides, isolates and marks) removed."""
    return text.translate(_DROP)


def without_invisible(text: str) -> str:
    """`text` with every INVISIBLE character removed (what a search reads: "Sa\u200bra" is "Sara")."""
    return text.translate(_DROP_INVISIBLE)


# ZERO WIDTH NON-JOINER and JOINER: invisible, but part of how a name is written. Persian writes "مهرداد" and
# "می‌خواهم" apart or joined by them, and an emoji sequence ("👩‍💻", a family) is one picture only with its ZWJs.
JOINERS = frozenset("\u200c\u200d")
_DROP_INVISIBLE_BUT_JOINERS = dict.fromkeys(map(ord, INVISIBLE - JOINERS))
_JOINER_RUN = re.compile("[\u200c\u200d]+")


def name_characters(text: str) -> str:
    """`text` with every INVISIBLE character removed but a joiner inside a word (ZWNJ or ZWJ between two visible
    characters: "می\u200cخواهم", "👩\u200d💻"), kept once; a joiner at a word's edge or alone joins nothing and goes.
    What a stored name keeps (desk.name_keys.tidy_name): the bidi controls, zero-width spaces and BOMs still go."""
    text = text.translate(_DROP_INVISIBLE_BUT_JOINERS)

    def kept(run: re.Match[str]) -> str:
        start, end = run.start(), run.end()
        inside = start > 0 and end < len(text) and not text[start - 1].isspace() and not text[end].isspace()
        return run.group()[0] if inside else ""

    return _JOINER_RUN.sub(kept, text)


def plain_name(name: str) -> str:
    """A person's or team's name on a line of plain text (a draft's greeting or signature, a mail's sign-off):
    bidi controls dropped, whitespace runs one space. An agent's own "\u202eOmar" under "Best regards," reversed
    the team's line after it in the customer's mail just as a customer's name did in the greeting."""
    return " ".join(without_bidi_controls(name).split())


_OPENS = {"\u202a": "embedding", "\u202b": "embedding", "\u202d": "embedding", "\u202e": "embedding",
          "\u2066": "isolate", "\u2067": "isolate", "\u2068": "isolate"}


def balanced_bidi(text: str) -> str:
    """`text` with its embeddings, overrides and isolates paired (UAX #9's matching): a closer with nothing of its kind
    open (a PDF, a PDI) is dropped, and whatever is still open at the end is closed there. Wrapped in an isolate
    (webapp.formatting's `isolate_filter`), a stray U+2069 in a name closed the wrapper early and a U+202E after it
    reversed the rest of the sentence; an unclosed U+2066 kept the wrapper open to the end of the line."""
    kept: list[str] = []
    opened: list[str] = []
    for c in text:
        if c in _OPENS:
            opened.append(_OPENS[c])
        elif c == "\u202c":  # closes the innermost embedding, never across an isolate
            if not opened or opened[-1] != "embedding":
                continue
            opened.pop()
        elif c == "\u2069":  # closes the innermost isolate and every embedding inside it
            if "isolate" not in opened:
                continue
            while opened.pop() != "isolate":
                pass
        kept.append(c)
    return "".join(kept) + "".join("\u202c" if kind == "embedding" else "\u2069" for kind in reversed(opened))


# Text quoted from a right-to-left article (a draft, a snippet, an answer card's lines) carries marks, not isolates:
# plain text (a mail's text part, a textarea, a chat widget) has no <bdi>, and a mark needs no partner to close.
RIGHT_TO_LEFT = frozenset({"ar"})
LRM, RLM = "\u200e", "\u200f"
_STRONG_RTL = ("R", "AL")
_NUMBERS = ("EN", "AN")
# What a Latin phrase holds besides letters and digits: spaces, separators within a number or a list of amounts
# ("1,000", "14:00", "15 SAR / 15 AED"), "+", "%", "&", "'". A bracket or a dash ends it: it belongs to the sentence.
_IN_PHRASE = ("L", "EN", "AN", "ES", "ET", "CS", "WS", "NSM", "BN")
_IN_PHRASE_OTHER = frozenset("&'’")


def right_to_left(lang: str) -> bool:
    return lang in RIGHT_TO_LEFT


def in_reading_order(text: str, lang: str) -> str:
    """`text` of language `lang` marked to read in order (`rtl_ordered`) when the language reads right to left; as
    it is otherwise: what every place that shows an article's or a draft's text outside its own page calls."""
    return rtl_ordered(text) if right_to_left(lang) else text


def rtl_ordered(text: str) -> str:
    """`text`, each line read right to left (an Arabic article's), with the marks that make it read right wherever
    the line's direction is not set for it:

    - a line whose first strong letter is Latin ("- Visa أو Mastercard: 5-10 أيام عمل") gets a RIGHT-TO-LEFT MARK
      before it: a mail client or a dir="auto" element reads the line's direction from that letter, and would lay
      the Arabic out left to right;
    - a Latin phrase that starts with a number ("15 SAR / 15 AED / 40 EGP", "1,000 SAR") gets a LEFT-TO-RIGHT MARK
      before the number: a number after Arabic goes with the Arabic, so the line showed "SAR / 15 AED / 40 EGP 15".

    Lines without those are unchanged, and so is text already marked (the function is idempotent)."""
    return "\n".join(_rtl_line(line) for line in text.split("\n"))


def _rtl_line(line: str) -> str:
    kinds = [unicodedata.bidirectional(c) for c in line]
    out: list[str] = []
    strong_seen = False
    last = index = 0
    while index < len(line):
        kind = kinds[index]
        if kind in _STRONG_RTL:
            strong_seen = True
        elif kind == "L" or kind in _NUMBERS:
            # the phrase: up to its last Latin letter or digit before a right-to-left letter, a bracket or a dash
            end = scan = index
            while scan < len(line) and (kinds[scan] in _IN_PHRASE or line[scan] in _IN_PHRASE_OTHER):
                if kinds[scan] == "L" or kinds[scan] in _NUMBERS:
                    end = scan + 1
                scan += 1
            latin = "L" in kinds[index:end]
            marks = (RLM if latin and not strong_seen else "") + (LRM if latin and kind in _NUMBERS else "")
            out.append(line[last:index] + marks)
            last, index = index, end
            strong_seen = strong_seen or latin
            continue
        index += 1
    out.append(line[last:])
    return "".join(out)
