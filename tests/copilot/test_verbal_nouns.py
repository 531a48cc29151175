"""A query's verbs read as the verbal nouns the index uses (copilot.verbal_nouns): unit tests."""

from copilot.expansion import Vocabulary, fold
from copilot.retrieval import EXPANSION_WEIGHTS, Expansion
from copilot.verbal_nouns import patterns, stems, verbal_nouns

# The help center's folded words (as copilot.expansion.fold gives them): titles name tasks by nouns.
KNOWN = frozenset(
    fold(
        "إضافة مجال تحويل علبة بريد التسجيل إلغاء الاشتراك انتهاء صلاحية كلمة المرور استرجاع الأموال "
        "تجديد إدخال مفتاح منتج احتفاظ بالبيانات مشاركة الملفات تحقق تغطية ترقيم أرقام تمكين"
    )
)


def nouns(query: str, common: frozenset[str] = frozenset()) -> list[str]:
    return verbal_nouns(query, KNOWN, common, fold)


def test_each_derived_form_gives_its_pattern() -> None:
    assert "تحويل" in patterns("حول")  # II
    assert "ادخال" in patterns("دخل")  # IV
    assert patterns("لغي") == ["تلغيه", "الغاء"]  # weak ending: II, IV
    assert patterns("ضيف") == ["تضييف", "اضافه"]  # II, hollow IV
    assert "مشاركه" in patterns("شارك")  # III
    assert patterns("نتهي") == ["انتهاء"]  # VIII, weak ending
    assert patterns("سترجع") == ["استرجاع"]  # X
    assert patterns("تحقق") == ["تحقق"]  # V: the stem is the noun


def test_a_verb_is_read_through_its_person_prefix_and_endings() -> None:
    assert "حول" in stems("احول")
    assert "غير" in stems("يغيروا")  # subject ending
    assert "رجع" in stems("ارجعها")  # object pronoun
    assert "غير" in stems("بيغير")  # Egyptian b- before the person prefix
    assert "سجل" in stems("سجلت")  # a perfect with its subject ending
    assert stems("رقم") == []  # a bare word is a noun, not a verb


def test_the_query_verbs_bring_the_nouns_the_index_uses() -> None:
    assert nouns("كيف اضيف نطاقي الخاص") == ["اضافه"]
    assert nouns("احول ايميل موظف قديم لصندوق مشترك") == ["تحويل"]
    assert nouns("سجلت بايميلي الشخصي") == ["تسجيل"]
    assert nouns("ابغى الغي الاشتراك") == ["الغاء"]
    assert nouns("متى تنتهي كلمات المرور") == ["انتهاء"]
    assert nouns("لو ما جددنا") == ["تجديد"]
    assert nouns("كيف ادخله") == ["ادخال"]


def test_nouns_articles_and_frequent_or_dialect_words_bring_nothing() -> None:
    assert nouns("رقم الدعم الفني") == []  # no verb: "ترقيم" and "أرقام" stay out
    assert nouns("الاشتراك المنتهي") == []  # the article marks a noun
    assert nouns("هل يمكن الغاء الاشتراك", common=frozenset({"يمكن"})) == []  # "can" is no تمكين
    assert nouns("وين القى الفاتورة") == []  # dialect "find", not ألقى
    assert nouns("إضافة مجال") == []  # the noun typed already


def test_the_vocabulary_checks_the_live_index_and_only_arabic() -> None:
    articles = [{"lang": "ar", "title": "إضافة مجال", "section": "", "text": "خطوات إضافة مجال إلى حسابك"}]
    vocabulary = Vocabulary(lambda: articles, lambda: "v1")
    assert vocabulary.verbal_nouns("كيف اضيف نطاق", "ar") == ["اضافه"]
    assert vocabulary.verbal_nouns("كيف احول البريد", "ar") == []  # the index has no تحويل
    assert vocabulary.verbal_nouns("add a domain", "en") == []


def test_verbal_nouns_rank_but_are_no_evidence_for_abstaining() -> None:
    expansion = Expansion("كيف اضيف نطاق", verbal_nouns=("اضافه",))
    assert ("اضافه", EXPANSION_WEIGHTS["verbal_nouns"]) in expansion.lexical_parts("كيف اضيف نطاق")
    assert "اضافه" not in [text for text, _ in expansion.lexical_parts("كيف اضيف نطاق", ranking=False)]
