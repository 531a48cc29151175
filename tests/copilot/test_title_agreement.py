import pytest

from copilot.engine import Engine
from copilot.retrieval import _disagrees
from copilot.title_agreement import agrees
from tests.copilot.test_calibration import english_plus  # noqa: F401  (the engine fixture)


def test_a_model_agrees_only_when_its_best_title_is_the_article() -> None:
    scores = {"en/a": 0.2, "en/b": 0.5, "en/c": 0.4}
    assert agrees(scores, "en/b") == 1.0
    assert agrees(scores, "en/c") == 0.0  # second best is not agreement
    assert agrees(scores, "en/z") == 0.0  # an article the model has no title for
    assert agrees({}, "en/b") is None


def test_the_gated_floor_needs_disagreement_and_a_low_chunk_share() -> None:
    assert _disagrees({"cross_e5_agrees": 0.0, "cross_share": -3.0}, -2.0)
    assert not _disagrees({"cross_e5_agrees": 1.0, "cross_share": -3.0}, -2.0)  # the models agree
    assert not _disagrees({"cross_e5_agrees": 0.0, "cross_share": -1.0}, -2.0)  # the chunk matches well enough
    assert not _disagrees({"cross_e5_agrees": 0.0, "cross_share": -3.0}, None)  # no floor for this direction
    assert not _disagrees({"cross_share": -3.0}, -2.0)  # e5's titles not built yet


def test_agreement_is_read_when_only_english_answers_and_abstains_only_with_the_lever(
    english_plus: Engine,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Share and heading floors that never flag, a gated floor that always would: with the lever on a
    question abstains exactly when e5's best title is not the first article's; off, none abstains."""
    from copilot import retrieval

    retriever = english_plus.retriever
    retriever.wait_for_views()
    never = {"cross_share": -99.0, "cross_title_share": -99.0}
    monkeypatch.setitem(retrieval.CROSS_DIRECTION_FLOORS, ("ar", "en"), never)
    monkeypatch.setitem(retrieval.LEVERS, "heading_floor", False)
    monkeypatch.setitem(retrieval.CROSS_DISAGREEMENT_FLOORS, ("ar", "en"), 99.0)
    questions = ("مواقيت الصلاة في الرياض", "كم سعر اشتراك منزل الشهري")
    off = [retriever.search(q, lang="ar", categories=["membership"]) for q in questions]
    assert all(r.signals["cross_e5_agrees"] in (0.0, 1.0) and not r.abstained for r in off)
    monkeypatch.setitem(retrieval.LEVERS, "e5_agreement", True)
    on = [retriever.search(q, lang="ar", categories=["membership"]) for q in questions]
    assert any(r.abstained for r in on)  # e5's best English title is another article's for at least one
    assert [r.abstained for r in on] == [r.signals["cross_e5_agrees"] == 0.0 for r in on]
