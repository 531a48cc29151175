"""copilot.query_kind: a typed query's kind from its form (content words, scripts), in both languages."""

from __future__ import annotations

import pytest

from copilot.query_kind import query_kind
from indexer.lexical import LexicalEncoder

ENCODER = LexicalEncoder()


def kind(query: str, lang: str) -> str:
    return query_kind(query, lang, lambda word: bool(ENCODER.encode_query(word, lang)))


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("refund", "en", "keyword"),
        ("reset my password", "en", "keyword"),  # "my" is a stopword: two content words
        ("how do I change the email on my account", "en", "question"),
        ("my new laptop arrived yesterday with a cracked screen and the box was wet, what now", "en", "story"),
        ("استرجاع المبلغ", "ar", "keyword"),
        ("كيف اغير كلمة المرور في حسابي", "ar", "question"),
        ("طلبت غسالة الاسبوع الماضي ووصلت اليوم والباب مكسور وابي ارجعها واسترد فلوسي كاملة", "ar", "story"),
        ("كيف اغير الـ password", "ar", "mixed"),  # a Latin word in an Arabic query, however short
        ("Teams", "en", "keyword"),  # Latin in English is not mixed
    ],
)
def test_kind(query: str, lang: str, expected: str) -> None:
    assert kind(query, lang) == expected
