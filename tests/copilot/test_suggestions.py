"""What search sees of a ticket: the customer's own words, without mail clutter, within a budget."""

from __future__ import annotations

import pytest

from copilot.suggestions import TicketTextError, clean_message, ticket_query

HTML_EMAIL = """<html><head><style>p {color: red}</style></head><body>
<div dir="ltr"><p>Hi team,</p><p>My <b>refund</b> for order MZ-1 has not arrived &amp; it has been 12 days.</p>
<p>Can you check?</p><p>Thanks,<br>Daniel</p>
<blockquote class="gmail_quote">We have issued your refund of 250 AED. Manzil Support</blockquote></div>
</body></html>"""

QUOTED_REPLY = """The courier never came again today.

On Mon, 3 Nov 2026 at 10:12, Manzil Support <support@manzil.example>
wrote:
> Your delivery is scheduled for Monday.
> Regards, Manzil"""


def test_html_email_keeps_the_text_and_drops_tags_styles_and_quoted_history() -> None:
    query = ticket_query("Refund not received", [HTML_EMAIL])
    assert query.lang == "en"
    assert query.text == (
        "Refund not received. My refund for order MZ-1 has not arrived & it has been 12 days. Can you check?"
    )


def test_quoted_reply_header_and_quote_lines_are_dropped() -> None:
    assert clean_message(QUOTED_REPLY) == "The courier never came again today."
    inline_quotes = "> earlier text from support\nI still have no tracking link."
    assert clean_message(inline_quotes) == "I still have no tracking link."


@pytest.mark.parametrize(
    "message",
    [
        "Hello! Where is my order?\n\n-- \nDaniel Brooks\nSenior Buyer, Acme",
        "Where is my order?\n\nSent from my iPhone",
        "Where is my order?\n\nBest regards,\nDaniel Brooks\n+971 50 000 0000",
        "Hi,\n\nWhere is my order?\n\nDaniel",
    ],
)
def test_greetings_signatures_and_sign_offs_are_dropped(message: str) -> None:
    assert clean_message(message) == "Where is my order?"


def test_arabic_ticket_is_arabic_and_loses_greeting_and_signature() -> None:
    message = (
        "السلام عليكم ورحمة الله وبركاته،\n\nفلوسي ما رجعت بعد الإرجاع، رقم الطلب MZ-48150322"
        "\n\nمع الشكر\nخالد\n\nأرسلت من iPhone"
    )
    query = ticket_query("رد: فلوسي ما رجعت", [message])
    assert query.lang == "ar"
    assert query.text == "فلوسي ما رجعت. فلوسي ما رجعت بعد الإرجاع، رقم الطلب MZ-48150322"


def test_mixed_arabic_english_ticket_is_arabic() -> None:
    assert ticket_query("reset الباسورد", ["هلا، كيف اسوي reset للباسورد؟"]).lang == "ar"


def test_long_thread_is_summarised_within_the_limit_keeping_the_subject_and_the_questions() -> None:
    filler = "I have been a loyal customer for many years and I usually shop for the whole family. " * 6
    messages = [
        filler + "My refund for the returned air fryer has not reached my card.",
        "The weather was nice when the courier came. " * 4 + "When will the refund for the air fryer arrive?",
    ]
    query = ticket_query("Refund for air fryer not received", messages, max_chars=200)
    assert len(query.text) <= 200
    assert query.text.startswith("Refund for air fryer not received. ")
    assert "When will the refund for the air fryer arrive?" in query.text
    assert "weather" not in query.text
    assert query == ticket_query("Refund for air fryer not received", messages, max_chars=200)  # deterministic


def test_huge_input_is_cut_not_refused() -> None:
    query = ticket_query("Order late", ["Where is my order? " * 50_000 + "\x00\ufffd"])
    assert 0 < len(query.text) <= 400


@pytest.mark.parametrize(
    ("subject", "messages"),
    [("", []), ("   ", ["", " \n\t "]), ("Re:", ["> quoted only\n> more quoted"])],
)
def test_a_ticket_without_text_is_refused_with_a_reason(subject: str, messages: list[str]) -> None:
    with pytest.raises(TicketTextError, match=r"ticket is empty|nothing is left"):
        ticket_query(subject, messages)
    assert issubclass(TicketTextError, ValueError)
