"""Session 42's hostile input against session 41's text functions (hostile42): kb.message_text.markdown_text and
cut_at_word, kb.table_text.reply_form, kb.bidi_text.in_reading_order. The examples failed before their fix; the
properties run derandomized (KB_FUZZ_EXAMPLES examples each, 200 by default: a few seconds)."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from kb.bidi_text import in_reading_order
from kb.message_text import cut_at_word, inline_forward, markdown_text, without_quoted_lines
from kb.table_text import reply_form

# As webapp.mail_templates parses a reply.
MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
WORDS = ("alpha", "beta", "gamma", "عربي", "دليل")
# Markdown's and the bidi algorithm's pieces, the words a loss would show by.
PIECES = st.one_of(st.sampled_from(WORDS), st.sampled_from([
    " ", "\n", "\n\n", "> ", "- ", "1. ", "  ", "| ", " | ", "|---|", "**", "_", "#", "\\|", "\\", "[", "](", ")",
    "---", "\t", "<", ">", "`", "15 SAR", "\u200f", "\u200e", "\u202e", "\u202c", "\u2066", "\u2069", "\u200d", "|",
    ":", "؛", ".", "…"]))
SOURCES = st.lists(PIECES, max_size=40).map("".join)


@pytest.mark.parametrize(("source", "lang", "expected"), [
    ("| Plan | Price |\n|---|---|\n| Gold \\| VIP | 19 SAR |", "en", "- Gold | VIP: 19 SAR."),
    ("| Plan | Price | Time |\n|---|---|---|\n| Gold | 19 \\| 25 SAR | 2 days |", "en",
     "- Gold — Price: 19 | 25 SAR; Time: 2 days."),
    ("| a \\| b | c |\n|---|---|", "en", "a | b; c."),
])
def test_a_cells_own_pipe_stays_in_its_cell(source: str, lang: str, expected: str) -> None:
    """A table cell holding a "|" (typed "\\|" in Markdown, a plan "Gold | VIP") was joined into a row with " | " and
    read back as two cells: "- Gold — Price: VIP; 19 SAR." named the customer's price by the wrong column and left
    the last cell unnamed. markdown_text hands kb.table_text the cells themselves now. Before the fix each line
    split the cell."""
    assert markdown_text(MD.parse(source), lang) == expected


@FUZZ
@given(SOURCES, st.sampled_from(["en", "ar"]))
def test_markdown_text_keeps_every_word_within_the_parsers_depth(source: str, lang: str) -> None:
    """Every word of a reply is in its text part (emphasis, links and markers go; words never), for Markdown the
    parser nests fully (deeper: webapp.mail_templates sends the text as it is, tests/desk/test_hostile_mail42.py)."""
    tokens = MD.parse(source)
    assume(all(token.level < MD.options.maxNesting - 1 for token in tokens))
    assume("`" not in source)  # a fence's info string ("```alpha") is its language, not a word
    out = markdown_text(tokens, lang)
    for word in WORDS:
        assert out.count(word) >= len(re.findall(word, source)), (source, out)


@FUZZ
@given(SOURCES, st.sampled_from(["en", "ar"]))
def test_reply_form_and_reading_order_keep_the_text_and_are_idempotent(source: str, lang: str) -> None:
    """reply_form's table lines keep each cell's words; in_reading_order adds marks only (the text without them is
    the text), and marking twice is marking once."""
    quoted = reply_form(source, lang)
    for word in WORDS:
        assert quoted.count(word) >= source.count(word), (source, quoted)
    ordered = in_reading_order(source, lang)
    assert ordered.replace("\u200f", "").replace("\u200e", "") == source.replace("\u200f", "").replace("\u200e", "")
    assert in_reading_order(ordered, lang) == ordered


@FUZZ
@given(SOURCES, st.integers(0, 60))
def test_cut_at_word_is_a_prefix_within_its_limit(source: str, limit: int) -> None:
    cut = cut_at_word(source, limit)
    assert cut == source or (cut.endswith(" …") and source.startswith(cut[:-2]) and len(cut) <= limit + 2)


@pytest.mark.parametrize("line", [
    "في " + "كتب :x " * 14_500,  # Apple Mail's and Outlook's Arabic form: a verb and a colon at every turn
    "في " + " تمت كتابة ما يلي بواسطة :x" * 3_750,  # Gmail's Arabic form
    "\u202b" * 50_000 + "في " + "ب" * 50_000,  # bidi controls then a line that never ends in one
    "on " + "wrote:x " * 12_500,
    "-" * 100_000,  # an inline forward's separator that never names one
])
def test_the_quote_and_forward_patterns_read_a_100_kb_adversarial_line_to_its_end(line: str) -> None:
    """Pinned (no fault found): the attribution pattern (mailwalk41's Gmail Arabic form beside Apple Mail's and
    Outlook's) bounds each of its runs (at most 200 characters, a line at most twice), so a 100 KB line built to
    make it backtrack is read once through (no cut, nothing lost), and the same 100 KB as 500 lines of 200 is read
    to its end too (where a line there reads as an attribution, the cut is the pattern's, not the input's size)."""
    assert len(line) >= 100_000
    assert "\n".join(without_quoted_lines(line + "\nHello")).endswith("Hello") and inline_forward(line) == ""
    lines = "\n".join(line[n:n + 200] for n in range(0, len(line), 200))
    assert isinstance(without_quoted_lines(lines), list) and inline_forward(lines) == ""
