"""The yes/no check of a model-written answer card (copilot.answer_polarity): which queries ask yes or
no, which sentences are negated, and when an answer contradicts its section. Pure functions, no model."""

from __future__ import annotations

import pytest

from copilot.answer_polarity import contradicts, negated, polarity, yes_no_question

CANCEL_AR = (
    "بعد الشحن لا يمكن إلغاء الطلب، لكن أمامك خياران:\n"
    "- رفض الاستلام: أبلغ المندوب أنك لا تريد الشحنة، فتعود إلينا ونرد لك المبلغ بعد خصم رسوم التوصيل.\n"
    "- الإرجاع بعد الاستلام: قدّم طلب إرجاع خلال مدة الإرجاع المسموح بها."
)
CANCEL_EN = "Once an order has shipped, it can't be cancelled. You can refuse the delivery or return it instead."
GIFT_EN = "Not refundable. Gift cards can't be returned, cancelled or exchanged for cash once bought."
PAY_EN = "Apple Pay is available at checkout on iPhone, iPad and Safari on Mac in Saudi Arabia and the UAE."


@pytest.mark.parametrize(
    "query",
    ["can I cancel my order after it ships?", "is there a pickup fee?", "do you deliver to Abha",
     "so can I pay later?", "هل يمكنني إلغاء الطلب بعد شحنه؟", "ينفع ادفع كاش للمندوب؟", "ممكن ارجع الطلب",
     "طيب هل الشحن مجاني؟"],
)
def test_yes_no_questions(query: str) -> None:
    assert yes_no_question(query)


@pytest.mark.parametrize(
    "query",
    ["how can I cancel my order?", "what is the pickup fee?", "can you tell me how to return it?",
     "كيف الغي الطلب؟", "متى يصل المبلغ؟", "هل تعرف كيف أغير رقمي؟", "cancel order", "the app crashes"],
)
def test_other_queries_are_not_yes_no(query: str) -> None:
    assert not yes_no_question(query)


@pytest.mark.parametrize(
    ("sentence", "is_negated"),
    [("it can't be cancelled", True), ("It is not free", True), ("we never charge twice", True),
     ("You cannot change it", True), ("بعد الشحن لا يمكن إلغاء الطلب", True), ("لن تجده على أجهزة Android", True),
     ("المنتج غير قابل للإرجاع", True), ("ولا تُرد عند الإرجاع", True), ("لم يُشحن الطلب بعد", True),
     ("ما يمكنك تغييره بعد الشحن", True), ("مش ممكن ترجعه", True),
     ("You can cancel it any time", False), ("يمكنك الإلغاء قبل الشحن", False), ("حسب ما يظهر في صفحة الطلب", False),
     ("تغيير العنوان مجاني", False), ("Notifications arrive by email", False),
     # A negation inside a condition is not the claim's; one before the condition is.
     ("يمكنك تعديل موعد التوصيل ما دام الطلب لم يصل إلى حالة تم الشحن", False),
     ("you can change it as long as it has not shipped", False),
     ("If the code has not arrived, ask for a new one", False),
     ("You can't delete your account while a return is open", True), ("إذا لم يصلك الرمز، اطلب رمزًا جديدًا", False)],
)
def test_negation_words_of_each_language(sentence: str, is_negated: bool) -> None:
    assert negated(sentence) is is_negated


def test_an_answer_says_yes_or_no_first_and_a_section_by_its_closest_sentence() -> None:
    question = "هل يمكنني إلغاء الطلب بعد شحنه؟"
    assert polarity(CANCEL_AR, question) is False  # "بعد الشحن لا يمكن إلغاء الطلب" shares most words
    assert polarity("نعم، يمكنك إلغاء الطلب بعد شحنه [1].", question, answer=True) is True
    assert polarity("لا، بعد الشحن لا يمكن الإلغاء [1].", question, answer=True) is False
    # A section's own opening "No." answers its heading, not this question: only its sentences count.
    assert polarity("No. Gift cards can be used in any country.", "can I use a gift card abroad?") is True
    assert polarity("Delivery takes 2 days.", "can I cancel my order?") is None  # no shared term: unclear


def test_a_flipped_yes_or_no_contradicts_the_section_and_a_faithful_one_does_not() -> None:
    assert contradicts("نعم، يمكنك إلغاء الطلب بعد شحنه [1].", CANCEL_AR, "هل يمكنني إلغاء الطلب بعد شحنه؟")
    assert not contradicts("لا يمكن إلغاء الطلب بعد الشحن، لكن يمكنك رفض الاستلام [1].", CANCEL_AR,
                           "هل يمكنني إلغاء الطلب بعد شحنه؟")
    assert contradicts("Yes, you can cancel your order after it ships [1].", CANCEL_EN,
                       "can I cancel my order after it ships?")
    assert contradicts("Yes, gift cards are refundable within 30 days [1].", GIFT_EN, "are gift cards refundable?")
    assert not contradicts("No, gift cards can't be returned or exchanged for cash [1].", GIFT_EN,
                           "are gift cards refundable?")
    assert not contradicts("Yes, Apple Pay works on iPhone, iPad and Safari on Mac [1].", PAY_EN,
                           "can I pay with Apple Pay on my iPhone?")


def test_only_yes_no_questions_and_clear_sides_are_checked() -> None:
    # Not a yes/no question: the steps answer it, whatever words they hold.
    assert not contradicts("Yes, you can cancel it [1].", CANCEL_EN, "how do I cancel my order after it ships?")
    # The answer's polarity is unclear (a tie between a plain and a negated sentence): no verdict.
    assert not contradicts("You can refuse the delivery [1]. It can't be cancelled [1].", "Nothing about it.",
                           "can I cancel my order after it ships?")
