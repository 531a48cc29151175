"""bench/xabst_probe.py's candidate (e): the typed words that alone reach the first article, read as features."""

from __future__ import annotations

from bench.xabst_probe import reach_features

# (word, cosine to the first article's title or headings, Zipf, ordinary)
KABSA = [("طريقة", 0.48, 5.35, True), ("عمل", 0.16, 5.74, True), ("الكبسة", 0.20, 2.55, False)]
REPAIR = [("أرسل", 0.30, 4.76, True), ("الجهاز", 0.19, 4.95, True), ("للصيانة", 0.42, 3.02, False)]


def test_the_best_reaching_word_decides_the_carrier_features() -> None:
    kabsa, repair = reach_features(KABSA, 0.39), reach_features(REPAIR, 0.30)
    assert kabsa["carrier_rare"] == -5.35 and kabsa["carrier_named"] == 0.0  # "طريقة" reaches Payment methods
    assert repair["carrier_rare"] == -3.02 and repair["carrier_named"] == 1.0  # "للصيانة" reaches the repair page
    assert kabsa["ordinary_share"] < -1.0  # the one ordinary word reaches the title better than the whole question
    assert repair["ordinary_share"] == 0.0


def test_near_ties_count_the_rarest_reaching_word() -> None:
    tied = [("طلب", 0.41, 5.24, True), ("خصم", 0.38, 4.18, False), ("كوبون", 0.11, 3.37, False)]
    features = reach_features(tied, 0.43)
    assert features["carrier_named"] == 0.0
    assert features["reach_rare"] == -4.18 and features["reach_named"] == 1.0  # "خصم" is within 0.05 of "طلب"


def test_no_reaching_word_no_feature() -> None:
    assert reach_features([], 0.4) == {}
    assert "ordinary_share" not in reach_features(KABSA, None)
