"""Label-free probes of an index and the shipped floors carried to its scale (copilot.self_calibration)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from copilot import retrieval, self_calibration
from copilot.retrieval import LEVERS, Retriever
from copilot.self_calibration import (
    MIN_PROBES,
    REFERENCE_QUANTILES,
    carried_floors,
    customer_wording,
    lowered_floors,
    partial,
    position,
    probes,
    random_sentences,
    value_at,
)
from copilot.tuning import ABSTAIN_FLOORS

ROWS = [
    {"lang": "en", "title": f"Connect device {i} to the network", "heading_path": [f"Step {i} of the setup"]}
    for i in range(30)
]


def test_probes_are_the_titles_headings_partial_titles_and_random_sentences_the_same_each_time() -> None:
    got = probes(ROWS, "en", size=10)
    assert set(got) == {"title", "heading", "partial", "random"}
    assert len(got["title"]) == 10 and all(t.startswith("Connect device") for t in got["title"])
    assert all(h.startswith("Step") for h in got["heading"])
    assert all(len(p.split()) < 6 for p in got["partial"])  # words left out of a 6-word title
    assert got == probes(ROWS, "en", size=10)
    assert probes([], "ar", size=5) == {"random": random_sentences("ar", 5)}  # no article in the language


def test_a_partial_title_keeps_most_words_in_order_and_leaves_at_least_one_out() -> None:
    rng = random.Random(1)
    words = ["reset", "the", "password", "of", "a", "user"]
    for _ in range(20):
        kept = partial(" ".join(words), rng)
        assert kept is not None
        asked = kept.split()
        assert 1 <= len(asked) < len(words) and asked == [w for w in words if w in asked]
    assert partial("Overview", rng) is None


def test_random_sentences_are_the_languages_common_words() -> None:
    sentences = random_sentences("en", 20)
    assert len(sentences) == 20 and len(set(sentences)) == 20
    assert all(4 <= len(s.split()) <= 8 for s in sentences)
    assert random_sentences("en", 20) == sentences


def test_position_and_value_at_are_inverse_within_the_samples() -> None:
    samples = [0.1, 0.4, 0.2, 0.8, 0.6]
    assert value_at(position(0.5, samples), samples) == pytest.approx(0.5)
    assert position(0.0, samples) < position(0.3, samples) < position(0.9, samples)
    assert value_at(0.5, samples) == pytest.approx(0.4)  # the median


def test_carried_floors_move_each_floor_to_its_reference_position_among_the_index_probes() -> None:
    shipped = {"e5_top": 0.88, "use_top": 0.29, "lexical_share": 0.64, "field_top": 0.5}
    reference = {"e5_top": 0.5, "use_top": 0.25}
    higher = [{"e5_top": 0.90 + i / 1000, "use_top": 0.30 + i / 100} for i in range(41)]  # a higher-scoring index
    carried = carried_floors(shipped, higher, reference)
    assert carried["e5_top"] == pytest.approx(0.92)  # the median of the index's own probes
    assert carried["use_top"] == pytest.approx(0.3975)  # between the 10th and 11th of 41 (mid-ranks)
    assert carried["lexical_share"] == 0.64 and carried["field_top"] == 0.5  # no reference position: as shipped
    assert carried_floors(shipped, higher[: MIN_PROBES - 1], reference) == shipped  # too few probes


def _retriever(floors: dict[str, dict[str, float]]) -> Retriever:
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = floors
    retriever.abstain_offsets = {}
    retriever._self_floors = SimpleNamespace(wait=lambda: None)  # type: ignore[assignment]
    retriever._views = lambda: []  # type: ignore[method-assign]
    return retriever


def test_with_self_floors_the_shipped_floors_are_read_on_the_index_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    """LEVERS["self_floors"]: a question above the shipped floors but under the index's carried ones abstains;
    off, or while the index's own probes are searched, or with a help center's own floors, the floors as set."""
    retriever = _retriever({"en": dict(ABSTAIN_FLOORS["en"])})
    raised = {name: floor + 0.05 for name, floor in ABSTAIN_FLOORS["en"].items()}
    retriever._self_floors = SimpleNamespace(peek=lambda: {"en": raised})  # type: ignore[assignment]
    question = {name: floor + 0.01 for name, floor in ABSTAIN_FLOORS["en"].items()}
    monkeypatch.setitem(LEVERS, "self_floors", False)
    assert not retriever._abstains("en", dict(question))
    monkeypatch.setitem(LEVERS, "self_floors", True)
    assert retriever._abstains("en", dict(question))
    monkeypatch.setattr(retrieval._PROBING, "active", True)
    assert not retriever._abstains("en", dict(question))
    monkeypatch.setattr(retrieval._PROBING, "active", False)
    own = _retriever({"en": {name: floor - 0.1 for name, floor in ABSTAIN_FLOORS["en"].items()}})
    own._self_floors = retriever._self_floors
    assert not own._abstains("en", dict(question))  # a help center's _search.yml floors are its own


def test_the_carried_floors_come_from_the_index_own_probes_searched_with_the_shipped_floors() -> None:
    retriever = _retriever({"en": dict(ABSTAIN_FLOORS["en"])})
    retriever.settings = SimpleNamespace(languages=("en", "ar"))  # type: ignore[assignment]
    asked: list[tuple[str, bool]] = []

    def search(text: str, lang: str, limit: int) -> SimpleNamespace:
        asked.append((text, retrieval._PROBING.active))
        return SimpleNamespace(signals={"e5_top": 0.95, "use_top": 0.5, "lexical_share": 1.2, "field_top": 1.0})

    retriever.search = search  # type: ignore[method-assign]
    snapshot = SimpleNamespace(payloads=lambda fields: ROWS)
    carried = retriever._carried_floors(snapshot)  # type: ignore[arg-type]
    assert set(carried) == {"en"}  # no Arabic article: no probe, the shipped floors
    assert carried["en"] == pytest.approx({"e5_top": 0.95, "use_top": 0.5, "lexical_share": 1.2, "field_top": 0.5})
    assert asked and all(active for _, active in asked) and not retrieval._PROBING.active
    titles = {r["title"] for r in ROWS}
    assert any(text in titles for text, _ in asked)
    assert set(REFERENCE_QUANTILES) == set(ABSTAIN_FLOORS)


def test_customer_wording_reads_the_dialect_list_backwards_and_leaves_articles_off() -> None:
    """An MSA heading asked as a customer types it: "كيف" as "ازاي", "لماذا" as "ليه", "الآن" as "دلوقتي"
    (the first dialect word listed for each), some ال-words without the article, "من" (from) kept."""
    heading = "لماذا لا يعمل البريد الإلكتروني من الهاتف الآن"
    rng = random.Random(3)
    got = [customer_wording(heading, rng).split() for _ in range(20)]
    assert all(w[:4] == ["ليه", "مش", "يشتغل", "البريد"] or w[:4] == ["ليه", "مش", "يشتغل", "بريد"] for w in got)
    assert all(w[5] == "من" and w[-1] == "دلوقتي" for w in got)
    assert {w[3] for w in got} == {"البريد", "بريد"} and {w[6] for w in got} == {"الهاتف", "هاتف"}
    assert customer_wording("كيف أعيد تعيين كلمة المرور", rng).startswith("ازاي أعيد تعيين كلمة")


def test_customer_probes_reword_arabic_titles_and_headings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"lang": "ar", "title": f"كيف أغير الإعدادات {i}", "heading_path": [f"لماذا لا يعمل الجهاز {i}"]}
        for i in range(30)
    ]
    monkeypatch.setattr(self_calibration, "CUSTOMER_PROBES", True)
    reworded = probes(rows, "ar", size=10)
    assert all(t.startswith("ازاي") for t in reworded["title"])
    assert all(h.startswith("ليه مش يشتغل") for h in reworded["heading"])
    assert probes(ROWS, "en", size=10)["title"][0].startswith("Connect device")  # English as written
    monkeypatch.setattr(self_calibration, "CUSTOMER_PROBES", False)
    formal = probes(rows, "ar", size=10)
    assert all(t.startswith("كيف") for t in formal["title"]) and formal["random"] == reworded["random"]


def test_lowered_floors_take_the_index_carried_floor_only_where_it_is_lower() -> None:
    shipped = {"e5_top": 0.88, "use_top": 0.29, "lexical_share": 0.64, "field_top": 0.5}
    carried = {"e5_top": 0.90, "use_top": 0.25, "lexical_share": 0.60, "field_top": 0.5}
    lowered = {"e5_top": 0.88, "use_top": 0.25, "lexical_share": 0.60, "field_top": 0.5}
    assert lowered_floors(shipped, carried) == lowered
    assert lowered_floors(shipped, {}) == shipped  # nothing carried (too few probes): as shipped
    higher = {name: floor + 0.1 for name, floor in shipped.items()}
    assert lowered_floors(shipped, higher) == shipped  # an index scoring its own text higher keeps the shipped floors


def test_with_lowered_floors_a_floor_the_index_carries_down_abstains_less_and_one_carried_up_no_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LEVERS["lowered_floors"]: the carried floors where lower, the shipped ones where the index carries them up."""
    shipped = ABSTAIN_FLOORS["en"]
    retriever = _retriever({"en": dict(shipped)})
    carried = {**shipped, "lexical_share": shipped["lexical_share"] - 0.1, "use_top": shipped["use_top"] + 0.1}
    retriever._self_floors = SimpleNamespace(peek=lambda: {"en": carried})  # type: ignore[assignment]
    # under every shipped floor, but above the lowered lexical one: flagged as shipped, shown when lowered
    under = {name: floor - 0.01 for name, floor in shipped.items()}
    between = {**under, "lexical_share": shipped["lexical_share"] - 0.05}
    # above the shipped USE floor, under the raised one: shown either way (the raise is not taken)
    above_use = {
        **{name: floor - 0.01 for name, floor in shipped.items()},
        "use_top": shipped["use_top"] + 0.05,
        "lexical_share": shipped["lexical_share"] - 0.2,
    }
    monkeypatch.setitem(LEVERS, "self_floors", False)
    monkeypatch.setitem(LEVERS, "lowered_floors", False)
    assert retriever._abstains("en", dict(between)) and not retriever._abstains("en", dict(above_use))
    monkeypatch.setitem(LEVERS, "lowered_floors", True)
    assert not retriever._abstains("en", dict(between)) and not retriever._abstains("en", dict(above_use))
    monkeypatch.setitem(LEVERS, "self_floors", True)  # the full carry raises USE's floor too
    assert retriever._abstains("en", dict(above_use))


def test_the_probes_are_searched_once_every_other_view_a_search_reads_is_built() -> None:
    """The carried floors are built in the background with the other views; a probe searched before the lexical
    scale or the vocabulary is built would be scored on the defaults, so the build waits for them first."""
    retriever = _retriever({"en": dict(ABSTAIN_FLOORS["en"])})
    retriever.settings = SimpleNamespace(languages=("en",))  # type: ignore[assignment]
    events: list[str] = []
    retriever._self_floors = SimpleNamespace(wait=lambda: events.append("self"))  # type: ignore[assignment]
    others = [SimpleNamespace(wait=lambda name=name: events.append(name)) for name in ("scales", "vocabulary")]
    retriever._views = lambda: [others[0], retriever._self_floors, others[1]]  # type: ignore[method-assign]

    def search(text: str, lang: str, limit: int) -> SimpleNamespace:
        events.append("search")
        return SimpleNamespace(signals={"e5_top": 0.95, "use_top": 0.5, "lexical_share": 1.2, "field_top": 1.0})

    retriever.search = search  # type: ignore[method-assign]
    retriever._carried_floors(SimpleNamespace(payloads=lambda fields: ROWS))  # type: ignore[arg-type]
    assert events[:2] == ["scales", "vocabulary"] and "self" not in events and set(events[2:]) == {"search"}
