"""A table quoted in a reply reads as list lines, and an Arabic line reads right in plain text (drafts41).

Before: a draft quoting the fees table sent "السعودية | 19 SAR | 200 SAR | 35 SAR" to the customer, and in an
Arabic line a number before Latin went with the Arabic ("15 SAR / 15 AED / 40 EGP" showed as
"SAR / 15 AED / 40 EGP 15"); a line starting with "Visa" was laid out left to right by a dir="auto" mail."""

from __future__ import annotations

from kb.bidi_text import LRM, RLM, rtl_ordered
from kb.parsing import parse_source
from kb.table_text import readable_tables, reply_form, row_cells
from tests.conftest import CONTENT


def section(path: str, heading: str) -> str:
    """A section's text as the index holds it (kb.parsing's blocks, one a line)."""
    blocks = parse_source((CONTENT / path).read_text(encoding="utf-8")).blocks
    start = next(i for i, block in enumerate(blocks) if block.kind == "heading" and block.text == heading)
    end = next((i for i in range(start + 1, len(blocks)) if blocks[i].kind == "heading"), len(blocks))
    return "\n".join(block.text for block in blocks[start + 1 : end])


def test_each_row_is_a_line_naming_its_cells_by_the_header_and_the_text_around_stays() -> None:
    text = section("en/delivery/delivery-fees.md", "Fees by country")
    assert "KSA | 19 SAR | 200 SAR | 35 SAR" in text  # what the index holds (and the card draws as a table)
    assert readable_tables(text, "en").split("\n") == [
        "- KSA — Standard delivery: 19 SAR; Free standard delivery on orders over: 200 SAR; "
        "Express (next day, main cities, order by 14:00): 35 SAR.",
        "- UAE — Standard delivery: 15 AED; Free standard delivery on orders over: 150 AED; "
        "Express (next day, main cities, order by 14:00): 25 AED.",
        "- Egypt — Standard delivery: 45 EGP; Free standard delivery on orders over: 1,000 EGP; "
        "Express (next day, main cities, order by 14:00): 80 EGP.",
        "",  # the paragraph after is not the last row's: Markdown (a reply mail's HTML) would continue the item
        "Fees include VAT. The fee is the same anywhere in the country, including remote areas. "
        "You always see the exact fee at checkout before you pay.",
    ]


def test_two_columns_read_as_label_and_value_and_a_blank_corner_or_a_question_header_reads_naturally() -> None:
    timing = readable_tables(section("en/returns/refund-timing.md", "Refund times by payment method"), "en")
    assert "- mada: 3-7 business days." in timing.split("\n")
    policy = readable_tables(section("en/returns/return-policy.md", "Return window"), "en")
    assert "- Pickup fee for change-of-mind returns — Standard: 15 SAR / 15 AED / 40 EGP; Manzil Plus: Free." in (
        policy.split("\n"))
    assert row_cells(" | Standard | Manzil Plus") == ["", "Standard", "Manzil Plus"]
    statuses = readable_tables("Status | What it means | Can I cancel?\nPlaced | We have your order. | Yes", "en")
    assert statuses == "- Placed — What it means: We have your order. Can I cancel? Yes."


def test_arabic_rows_use_the_arabic_separator_and_a_lone_row_keeps_no_pipe() -> None:
    text = section("ar/delivery/delivery-fees.md", "الرسوم حسب الدولة")
    first = readable_tables(text, "ar").split("\n")[0]
    assert first.startswith("- السعودية — التوصيل العادي: 19 SAR؛ توصيل عادي مجاني للطلبات فوق: 200 SAR؛ ")
    assert readable_tables("Country | Fee", "en") == "Country; Fee."


def test_an_arabic_line_is_marked_to_read_right_where_its_direction_is_not_set() -> None:
    # a number that opens a Latin phrase goes with it, not with the Arabic before it
    assert rtl_ordered("دون اشتراك: 15 SAR / 15 AED / 40 EGP؛ مجانًا") == (
        f"دون اشتراك: {LRM}15 SAR / 15 AED / 40 EGP؛ مجانًا")
    # a line whose first letter is Latin is declared right to left, after its list marker (Markdown keeps the list)
    assert rtl_ordered("- Visa أو Mastercard: 5-10 أيام عمل.") == f"- {RLM}Visa أو Mastercard: 5-10 أيام عمل."
    example = rtl_ordered("- 1,000 SAR — سنة إضافية (8%): 80 SAR")
    assert example == f"- {RLM}{LRM}1,000 SAR — سنة إضافية (8%): {LRM}80 SAR"
    # a bracket ends a phrase: "14:00" stays with the Arabic sentence it closes
    assert rtl_ordered("قبل 14:00): 35 SAR") == f"قبل 14:00): {LRM}35 SAR"
    plain = "تُرد رسوم التوصيل خلال 5-7 أيام عمل."
    assert rtl_ordered(plain) == plain
    marked = reply_form(section("ar/returns/refund-timing.md", "مدة الاسترداد لكل طريقة دفع"), "ar")
    assert rtl_ordered(marked) == marked  # idempotent
    assert f"- {RLM}mada: 3-7 أيام عمل." in marked.split("\n")
    english = "See Manzil (منزل) for 15 SAR."
    assert reply_form(english, "en") == english  # marks only where the language reads right to left


def test_in_a_reply_mails_html_the_rows_are_items_and_the_paragraph_after_them_is_not_the_last_ones() -> None:
    from kb.settings import Settings
    from webapp.mail_templates import EmailTemplates

    body = reply_form(section("ar/returns/refund-timing.md", "مدة الاسترداد لكل طريقة دفع") + "\nوبعد ذلك.", "ar")
    html = str(EmailTemplates(Settings()).markdown(body))
    assert f'<li dir="auto">{RLM}mada: 3-7 أيام عمل.</li>' in html and "|" not in html
    assert '<p dir="auto">وبعد ذلك.</p>' in html
