"""The part of a section a question names: table rows by their first cell, columns by their header, list items by
their lead, in English and Arabic (drafts42)."""

from __future__ import annotations

import pytest

from copilot.answer_rows import answering_part, cell_countries
from kb.table_text import reply_form

# Sections as the index holds them (kb.parsing: a table's rows are "a | b" lines, the header row first).
EN_FEES = (
    "Country | Standard delivery | Free standard delivery on orders over | "
    "Express (next day, main cities, order by 14:00)\n"
    "KSA | 19 SAR | 200 SAR | 35 SAR\n"
    "UAE | 15 AED | 150 AED | 25 AED\n"
    "Egypt | 45 EGP | 1,000 EGP | 80 EGP\n"
    "Fees include VAT. The fee is the same anywhere in the country, including remote areas."
)
AR_FEES = (
    "الدولة | التوصيل العادي | توصيل عادي مجاني للطلبات فوق | "
    "التوصيل السريع (اليوم التالي، المدن الرئيسية، قبل 14:00)\n"
    "السعودية | 19 SAR | 200 SAR | 35 SAR\n"
    "الإمارات | 15 AED | 150 AED | 25 AED\n"
    "مصر | 45 EGP | 1,000 EGP | 80 EGP\n"
    "الرسوم شاملة ضريبة القيمة المضافة."
)
EN_METHODS = (
    "What you can pay with depends on your country:\n"
    "Method | KSA | UAE | Egypt\n"
    "Visa and Mastercard | Yes | Yes | Yes\n"
    "mada | Yes | No | No\n"
    "Apple Pay | Yes | Yes | If your bank supports it\n"
    "Cash on delivery | Yes | Yes | Yes"
)
AR_REFUNDS = (
    "تُحسب المدد التالية من يوم إصدار الاسترداد.\n"
    "طريقة الدفع | مدة الاسترداد\n"
    "Visa أو Mastercard أو Meeza | 5-10 أيام عمل\n"
    "mada | 3-7 أيام عمل\n"
    "Apple Pay | 5-10 أيام عمل، إلى البطاقة المرتبطة به\n"
    "رصيد منزل | خلال ساعة"
)
EN_OTHER_FEES = (
    "- Cash on delivery fee: 15 SAR / 15 AED / 20 EGP, added when you pay on delivery.\n"
    "- Installation of large items: 99 SAR / 99 AED / 350 EGP, optional."
)
AR_PLANS = (
    "الخطة | السعودية | الإمارات | مصر\n"
    "شهرية | 19 SAR | 19 AED | 69 EGP\n"
    "سنوية | 179 SAR | 179 AED | 649 EGP\n"
    "الأسعار شاملة ضريبة القيمة المضافة، ويمكنك الإلغاء في أي وقت:"
)


def read(question: str, text: str, lang: str) -> list[str]:
    part = answering_part(question, text)
    assert part is not None, question
    return [line for line in reply_form(part, lang).split("\n") if line]


def test_a_fee_question_naming_a_country_gets_that_row_named_by_the_header_and_the_note_under_the_table() -> None:
    assert read("How much is delivery to the UAE?", EN_FEES, "en") == [
        "- UAE — Standard delivery: 15 AED; Free standard delivery on orders over: 150 AED; "
        "Express (next day, main cities, order by 14:00): 25 AED.",
        "Fees include VAT. The fee is the same anywhere in the country, including remote areas.",
    ]
    lines = read("كم رسوم التوصيل للإمارات؟", AR_FEES, "ar")  # "للإمارات": the row's "الإمارات" with its proclitic
    assert len(lines) == 2 and lines[0].startswith("- الإمارات — التوصيل العادي: \u200e15 AED؛")
    assert lines[1] == "الرسوم شاملة ضريبة القيمة المضافة."


def test_a_country_is_named_by_its_city_or_its_other_names_and_an_acronym_by_its_initials() -> None:
    assert read("كم التوصيل للرياض؟", AR_FEES, "ar")[0].startswith("- السعودية — ")  # CLDR: Riyadh is in SA
    assert read("delivery fee to Saudi Arabia?", AR_FEES, "ar")[0].startswith("- السعودية — ")
    assert read("how much to deliver to the United Arab Emirates?", EN_FEES, "en")[0].startswith("- UAE — ")
    assert cell_countries("UAE") == {"AE"} and cell_countries("الإمارات") == {"AE"} and cell_countries("مصر") == {"EG"}
    assert cell_countries("Standard delivery") == frozenset()


def test_a_column_the_question_names_narrows_the_rows_to_it() -> None:
    # No row named, one column: every plan's Egyptian price ("Egypt" in the question, "مصر" in the header).
    plans = read("how much is Plus a month in Egypt?", AR_PLANS, "ar")
    assert plans[:2] == ["- شهرية: \u200e69 EGP.", "- سنوية: \u200e649 EGP."]
    # A row and one column: the whole row, since its cell alone would read "الإمارات: 25 AED", the column's name lost.
    assert read("كم رسوم التوصيل السريع للإمارات؟", AR_FEES, "ar")[0].startswith("- الإمارات — التوصيل العادي: ")
    # The line leading into the table frames it and stays.
    assert read("can I pay with mada in the UAE?", EN_METHODS, "en") == [
        "What you can pay with depends on your country:",
        "- mada — KSA: Yes; UAE: No; Egypt: No.",
    ]


def test_a_latin_name_spelt_in_arabic_names_its_row_and_a_list_item_is_named_by_its_lead() -> None:
    assert read("متى يرجع المبلغ على ابل باي؟", AR_REFUNDS, "ar")[1:] == [
        "- \u200fApple Pay: 5-10 أيام عمل، إلى البطاقة المرتبطة به."
    ]
    assert read("how long is a refund to mada?", AR_REFUNDS, "ar")[1:] == ["- \u200fmada: 3-7 أيام عمل."]
    assert read("what is the cash on delivery fee?", EN_OTHER_FEES, "en") == [
        "- Cash on delivery fee: 15 SAR / 15 AED / 20 EGP, added when you pay on delivery."
    ]


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("how much is delivery?", EN_FEES),  # no row named: the whole table answers
        ("كم رسوم التوصيل في السعودية والإمارات ومصر؟", AR_FEES),  # every row named alike
        ("how do I return an item?", EN_OTHER_FEES),
        ("", EN_FEES),
    ],
)
def test_a_question_naming_no_row_or_every_row_keeps_the_section_whole(question: str, text: str) -> None:
    assert answering_part(question, text) is None
