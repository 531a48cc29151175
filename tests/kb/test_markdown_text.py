"""kb.message_text.markdown_text: an agent's Markdown as a mail's text part reads it (mailtext41). The mail round trip
is tests/desk/test_mail_text.py; these are the token stream's corners."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from kb.bidi_text import LRM, RLM
from kb.message_text import markdown_text

# As webapp.mail_templates parses a reply: every newline counts, raw HTML is text, tables on.
MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")


def text(source: str, lang: str = "en") -> str:
    return markdown_text(MD.parse(source), lang, lambda link: "https://h.example" + link if link[:1] == "/" else link)


@pytest.mark.parametrize(("source", "expected"), [
    ("Regards,\nSara", "Regards,\nSara"),
    ("<b>x</b> \\*y\\* &amp; `a *b*`", "<b>x</b> *y* & a *b*"),
    ("![logo](/x.png) <sara@example.com> <https://x.example>", "logo <https://h.example/x.png> sara@example.com "
                                                               "https://x.example"),
    ("- \n- b", "-\n- b"),
    ("1. a\n\n2. b", "1. a\n\n2. b"),
    ("3) c\n4) d", "3) c\n4) d"),
    ("> a\n>\n> b", "> a\n>\n> b"),
    ("> - a\n> - b", "> - a\n> - b"),
    ("- a\n\n  > q", "- a\n\n  > q"),
    ("a\n\n---\n\n```\nx  = 1\n```", "a\n\n---\n\nx  = 1"),
    ("| Card | Time |\n|---|---|\n| mada | [now](/ar/m) |\n\nThanks", "- mada: now <https://h.example/ar/m>.\n\nThanks"),
])
def test_markdown_reads_as_plain_text(source: str, expected: str) -> None:
    assert text(source) == expected


def test_an_arabic_line_keeps_its_marks_and_gets_them() -> None:
    marked = f"- {RLM}Visa أو Mastercard"
    assert text(marked, "ar") == marked  # a draft's marks kept, not doubled
    assert text("**Visa** أو Mastercard: خلال 15 SAR", "ar") == f"{RLM}Visa أو Mastercard: خلال {LRM}15 SAR"
    assert text("**Visa** or Mastercard") == "Visa or Mastercard"  # English unmarked
