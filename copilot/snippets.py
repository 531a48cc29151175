"""Result snippets for people: plain text centred on the passage that matches, with the spans to highlight.

Chunk text keeps Markdown's table pipes, list dashes and numbers; a snippet shows none of that: a table's rows
read as sentences named by its header (kb.table_text).
The window is the stretch of the chunk with the most query words, and a word matches through
Arabic normalization, prefixes (و/ف/ال/بال...) and word endings ("ارجع" marks "إرجاع", "refund"
marks "refunds"), so what is highlighted is what search matched, not only exact spellings.
Retrieval's own `make_snippet` stays for the JSON API; this module is for pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.arabic import normalize_arabic, strip_prefixes
from kb.bidi_text import right_to_left, rtl_ordered
from kb.table_text import reply_form

SNIPPET_CHARS = 200
MIN_WORD = 3
# Words too common to be worth marking: they match almost every passage.
_STOP_EN = "the and for you your how can what why does did with are was this that from have has not but"
_STOP_AR = "كيف هل في من على عن ماذا ليش ليه لماذا متى اين وين ما لا او ان الى مع هذا هذه انا ابغى ابي"
STOP_WORDS = frozenset(f"{_STOP_EN} {_STOP_AR}".split())
_MARKUP = [
    (re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.M), ""),  # list markers
    (re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$", re.M), " "),  # table separator rows
    (re.compile(r"[ \t]*\|[ \t]*"), " · "),  # table cells
    (re.compile(r"^\s*#{1,6}\s*", re.M), ""),  # headings
    (re.compile(r"^\s*>\s?(?:\[![a-z]+\]\s*)?", re.M | re.I), ""),  # quotes and callouts
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images: their text
    (re.compile(r"\[\[([^\]|]*\|)?([^\]]*)\]\]"), r"\2"),  # wiki links
    (re.compile(r"(\*+|__|`)"), ""),  # emphasis and code marks
]
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Snippet:
    text: str
    marks: tuple[tuple[int, int], ...]  # (start, end) character spans of `text` to highlight

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, highlighted) for a template to escape and wrap."""
        out, last = [], 0
        for start, end in self.marks:
            if start > last:
                out.append((self.text[last:start], False))
            out.append((self.text[start:end], True))
            last = end
        if last < len(self.text):
            out.append((self.text[last:], False))
        return out


def plain_text(markdown: str) -> str:
    text = markdown
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    text = re.sub(r"(\s*·\s*)+", " · ", text)
    return " ".join(text.split()).strip(" ·")


def word_key(word: str) -> str:
    return strip_prefixes(normalize_arabic(word.lower()))


def query_keys(query: str) -> list[str]:
    keys = [word_key(w) for w in _WORD.findall(query)]
    return [k for k in dict.fromkeys(keys) if len(k) >= MIN_WORD and k not in STOP_WORDS]


MAX_ENDING = 2  # "return" marks "returns" and "returned", not "returnable"


def matches(word: str, key: str) -> bool:
    """Same word up to an ending: a shared start of all but one letter of the shorter (>= 3 letters),
    lengths at most MAX_ENDING apart ("ارجع" and "إرجاع", "item" and "items")."""
    candidate = word_key(word)
    if len(candidate) < MIN_WORD or abs(len(candidate) - len(key)) > MAX_ENDING:
        return False
    shorter = min(len(candidate), len(key))
    need = max(MIN_WORD, shorter - 1) if shorter > 3 else shorter
    return candidate[:need] == key[:need]


def highlight_spans(text: str, query: str) -> tuple[tuple[int, int], ...]:
    keys = query_keys(query)
    if not keys:
        return ()
    return tuple((m.start(), m.end()) for m in _WORD.finditer(text) if any(matches(m.group(), k) for k in keys))


def make_snippet(chunk_text: str, query: str, size: int = SNIPPET_CHARS, lang: str = "") -> Snippet:
    """Plain text of the chunk, the `size`-character window with the most matched words, marked. The chunk's
    tables read as sentences and a right-to-left `lang`'s text is marked to read right (kb.table_text.reply_form):
    a window may start at a Latin word, and the page reads the snippet's direction from its first letter."""
    flat = plain_text(reply_form(chunk_text, lang))
    spans = highlight_spans(flat, query)
    start = 0
    if len(flat) > size and spans:
        best = max(range(len(spans)), key=lambda i: sum(1 for s in spans[i:] if s[1] <= spans[i][0] + size))
        start = max(0, spans[best][0] - size // 5)
        start = flat.rfind(" ", 0, start) + 1 if start > 0 else 0
    end = min(len(flat), start + size)
    if end < len(flat):
        cut = flat.rfind(" ", start, end)
        end = cut if cut > start else end
    window = flat[start:end]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(flat) else ""
    text = prefix + window + suffix
    if right_to_left(lang):
        text = rtl_ordered(text)
        return Snippet(text, highlight_spans(text, query))
    shift = len(prefix) - start
    marks = tuple((a + shift, b + shift) for a, b in spans if a >= start and b <= end)
    return Snippet(text, marks)
