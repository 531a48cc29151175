import pytest

from copilot.engine import Engine
from copilot.typed_reading import best_candidate_title, better_reading
from tests.copilot.test_calibration import english_plus  # noqa: F401  (the engine fixture)


def test_the_best_title_is_among_the_candidates_only() -> None:
    scores = {"en/a": 0.2, "en/b": 0.5, "en/c": 0.4}
    assert best_candidate_title(scores, ["en/a", "en/c"]) == pytest.approx(0.4)  # en/b is no candidate
    assert best_candidate_title(scores, ["en/z", "en/b"]) == pytest.approx(0.5)  # a key with no title is skipped
    assert best_candidate_title(scores, ["en/z"]) is None
    assert best_candidate_title({}, ["en/a"]) is None


def test_the_better_reading_counts_and_a_question_read_as_typed_keeps_its_own() -> None:
    assert better_reading(0.2, 0.3) == pytest.approx(0.3)  # the typed text matches better
    assert better_reading(0.3, 0.2) == pytest.approx(0.3)  # the MSA reading matches better
    assert better_reading(0.2, None) == pytest.approx(0.2)  # no other reading


def test_a_dialect_question_answered_only_in_english_is_judged_on_its_better_reading(
    english_plus: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dialect words are read as MSA for the dense models ("ده بكام": هذا كم; "بدي": اريد); the typed text is
    scored on the same English titles too, and the title share reads the better of the two. For the price
    question the typed text matches better, so a title floor between its two readings lets it through with
    the lever on and abstains with it off; a question with no dialect word is read as typed and keeps its own.
    With the lever off the typed text is still scored when the floors are off (what the suite fits on), but
    the share reads the MSA reading alone."""
    from copilot import retrieval

    retriever = english_plus.retriever
    retriever.wait_for_views()
    monkeypatch.setitem(retrieval.LEVERS, "typed_reading", True)
    scales = retriever._cross_scales.peek() if retriever._cross_scales is not None else None
    assert scales is not None
    scale = scales[("ar", "en")]
    asked = ("الاشتراك ده بكام في الشهر", "بدي الغي الاشتراك الشهري", "مواقيت الصلاة في الرياض")
    price, cancel, fluent = (retriever.search(q, lang="ar", categories=["membership"]).signals for q in asked)
    assert price["cross_title_typed"] > price["cross_title_top"]  # as typed it matches a title better
    assert cancel["cross_title_typed"] < cancel["cross_title_top"]  # read as MSA it does
    for signals in (price, cancel):
        better = max(signals["cross_title_top"], signals["cross_title_typed"])
        assert signals["cross_title_share"] == pytest.approx(scale.title_share(better))
    assert "cross_title_typed" not in fluent
    assert fluent["cross_title_share"] == pytest.approx(scale.title_share(fluent["cross_title_top"]))

    between = (scale.title_share(price["cross_title_top"]) + price["cross_title_share"]) / 2
    monkeypatch.setitem(
        retrieval.CROSS_DIRECTION_FLOORS, ("ar", "en"), {"cross_share": 99.0, "cross_title_share": between}
    )
    monkeypatch.setitem(retrieval.LEVERS, "heading_floor", False)
    assert not retriever.search(asked[0], lang="ar", categories=["membership"]).abstained
    monkeypatch.setitem(retrieval.LEVERS, "typed_reading", False)
    off = retriever.search(asked[0], lang="ar", categories=["membership"])
    assert "cross_title_typed" not in off.signals and off.abstained
    assert off.signals["cross_title_share"] == pytest.approx(scale.title_share(price["cross_title_top"]))
    floors, retriever.abstain_floors = retriever.abstain_floors, None
    try:
        measured = retriever.search(asked[0], lang="ar", categories=["membership"]).signals
    finally:
        retriever.abstain_floors = floors
    assert measured["cross_title_typed"] == pytest.approx(price["cross_title_typed"])
    assert measured["cross_title_share"] == pytest.approx(off.signals["cross_title_share"])
