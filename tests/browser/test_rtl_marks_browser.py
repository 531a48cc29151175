"""The marks kb.bidi_text.rtl_ordered puts in Arabic reply text, laid out by a real bidi engine (Chromium's).

drafts41: after Arabic, "15 SAR / 15 AED / 40 EGP" showed its first number at the far end ("SAR / 15 AED / 40 EGP 15"),
and a dir="auto" mail line opening on "Visa" was laid out left to right.
Measured, not assumed: where each word lands."""

from __future__ import annotations

import html

from playwright.sync_api import Page

from kb.bidi_text import rtl_ordered

AMOUNTS = "دون اشتراك: 15 SAR / 15 AED / 40 EGP؛ مجانًا"
LATIN_FIRST = "Visa أو Mastercard: 5-10 أيام عمل."


def lay_out(page: Page, text: str) -> dict[str, object]:
    """The line in a dir="auto" paragraph (as a reply mail's blocks, webapp.mail_templates): its direction, and the
    left edge of the first "15" and of "SAR"."""
    page.set_content(f'<p id="line" dir="auto" style="font-size:20px">{html.escape(text)}</p>')
    return page.evaluate("""() => {
        const line = document.getElementById("line"), node = line.firstChild, text = node.textContent;
        const left = (word) => {
            const range = document.createRange(), at = text.indexOf(word);
            if (at < 0) return null;
            range.setStart(node, at); range.setEnd(node, at + word.length);
            return range.getBoundingClientRect().left;
        };
        return {direction: getComputedStyle(line).direction, number: left("15"), code: left("SAR"),
                arabic: left("دون"), visa: left("Visa"), days: left("أيام")};
    }""")


def test_an_amount_after_arabic_reads_number_then_code_and_a_latin_first_line_stays_right_to_left(page: Page) -> None:
    before = lay_out(page, AMOUNTS)
    assert before["number"] > before["code"]  # the fault: "15" drawn right of "SAR", at the Latin run's far end
    after = lay_out(page, rtl_ordered(AMOUNTS))
    assert after["direction"] == "rtl" and after["number"] < after["code"] < after["arabic"]  # "15 SAR", left of دون
    unmarked = lay_out(page, LATIN_FIRST)
    assert unmarked["direction"] == "ltr"  # the fault: the paragraph took "Visa"'s direction
    marked = lay_out(page, rtl_ordered(LATIN_FIRST))
    assert marked["direction"] == "rtl" and marked["visa"] > marked["days"]  # "Visa" at the right, where Arabic starts
