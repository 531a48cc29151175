from copilot.completion import complete
from copilot.expansion import Vocabulary

PAYLOADS = [
    {"lang": "en", "title": "When will I get my refund?", "section": "Refunds", "text": "refund refund refunds card"},
    {"lang": "en", "title": "Return policy", "section": "", "text": "return an item within 30 days"},
    {"lang": "ar", "title": "نسيت كلمة المرور", "section": "", "text": "إذا نسيت كلمة المرور اطلب رابطًا"},
]


def vocabulary() -> Vocabulary:
    return Vocabulary(lambda: PAYLOADS, lambda: "v1")


def test_the_last_half_typed_word_completes_to_the_most_frequent_index_word() -> None:
    assert complete("how do I get a refu", "en", vocabulary()).query == "how do I get a refund"
    assert complete("نسي", "ar", vocabulary()).query == "نسيت"


def test_finished_short_or_unknown_words_are_left_alone() -> None:
    words = vocabulary()
    assert complete("refund ", "en", words).word is None  # a space: the word is finished
    assert complete("card", "en", words).word is None  # already an index word
    assert complete("re", "en", words).word is None  # too short to guess
    assert complete("xylo", "en", words).query == "xylo"
    assert complete("نسي", "en", words).word is None  # other language's words are not offered
