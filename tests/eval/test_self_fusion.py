"""bench/self_fusion.py: pseudo-queries from an index's own chunks and the per-index weights they would give."""

from bench.self_fusion import CLAMP, first_sentence, fitted_weights, mrr, pseudo_queries


def test_first_sentence_leaves_the_title_words_out():
    assert first_sentence("Reset your password now please. Then sign in.", "Reset password") == "your now please"


def test_first_sentence_skips_sentences_made_of_the_title():
    text = "Reset password. Open Settings and choose Security first."
    assert first_sentence(text, "Reset password") == "Open Settings and choose Security first"


def test_first_sentence_none_when_nothing_is_left():
    assert first_sentence("Reset password. Reset.", "Reset password") is None


def test_first_sentence_reads_arabic_question_marks():
    text = "كيف تغير كلمة المرور؟ افتح الإعدادات ثم اختر الأمان"
    assert first_sentence(text, "كلمة المرور") == "افتح الإعدادات ثم اختر الأمان"


def test_pseudo_queries_pair_each_probe_with_its_article_and_skip_the_title_heading():
    rows = [
        {
            "article_id": "a",
            "title": "Billing",
            "heading_path": ["Billing"],
            "text": "Pay by card or by bank transfer.",
        },
        {"article_id": "a", "title": "Billing", "heading_path": ["Billing", "Change the card"], "text": "x"},
        {"article_id": "b", "title": "Returns", "heading_path": [], "text": "Send the parcel back within 30 days."},
    ]
    probes = pseudo_queries(rows, size=10)
    assert probes["heading"] == [("Change the card", "a")]
    assert sorted(probes["sentence"]) == [
        ("Pay by card or by bank transfer", "a"),
        ("Send the parcel back within 30 days", "b"),
    ]


def test_pseudo_queries_are_capped_and_seeded():
    rows = [{"article_id": str(i), "title": "t", "heading_path": [f"step number {i}"], "text": ""} for i in range(50)]
    first, again = pseudo_queries(rows, size=5), pseudo_queries(rows, size=5)
    assert len(first["heading"]) == 5 and first == again
    assert "sentence" not in first


def test_mrr():
    assert mrr([1, 2, 0, 4]) == (1 + 0.5 + 0.25) / 4
    assert mrr([]) == 0.0


def test_fitted_weights_follow_each_model_against_e5_relative_to_the_reference():
    shipped = {"e5": 1.0, "use": 0.6, "lexical": 1.0}
    reference = {"e5": 0.8, "use": 0.6, "lexical": 0.8}
    own = {"e5": 0.8, "use": 0.6, "lexical": 0.4}  # BM25 half as good against e5 as on the reference
    assert fitted_weights(own, reference, shipped) == {"e5": 1.0, "use": 0.6, "lexical": 0.5}


def test_fitted_weights_are_clamped():
    shipped = {"e5": 1.0, "use": 0.6, "lexical": 1.0}
    reference = {"e5": 0.8, "use": 0.1, "lexical": 0.8}
    own = {"e5": 0.8, "use": 0.8, "lexical": 0.01}
    out = fitted_weights(own, reference, shipped)
    assert out["use"] == round(0.6 * CLAMP, 3) and out["lexical"] == round(1.0 / CLAMP, 3)


def test_fitted_weights_keep_the_shipped_ones_without_evidence():
    shipped = {"e5": 1.0, "use": 0.6, "lexical": 1.0}
    assert (
        fitted_weights({"e5": 0.0, "use": 0.5, "lexical": 0.5}, {"e5": 0.8, "use": 0.6, "lexical": 0.8}, shipped)
        == shipped
    )
