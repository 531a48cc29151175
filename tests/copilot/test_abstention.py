"""The abstention rule: floors per query register (how they are chosen: tests/copilot/test_learnt_floors.py)."""

from __future__ import annotations

import pytest

from copilot.retrieval import (
    CROSS_DENSITY_FLOORS,
    CROSS_DIRECTION_FLOORS,
    CROSS_FUSED_FLOOR,
    CROSS_ONLY_FLOORS,
    LEVERS,
    Retriever,
    fused_places,
    query_register,
    register_floors,
)
from copilot.tuning import CROSS_DECIDES


@pytest.mark.parametrize(
    ("query", "lang", "register"),
    [
        ("متى يوصل طلبي", "ar", "plain"),
        ("عايز ارجع الطلب", "ar", "dialect"),
        ("وين الطلب", "ar", "dialect"),
        ("وصلني item غلط", "ar", "mixed"),  # mixed wins over dialect: the lexical side loses the most
        ("عايز refund", "ar", "mixed"),
        ("رقم 5 G", "ar", "plain"),  # a single Latin letter is not a word in another language
        ("track my order", "en", "plain"),
        ("refund ما وصل", "en", "mixed"),
    ],
)
def test_query_register(query: str, lang: str, register: str) -> None:
    assert query_register(query, lang) == register


def test_register_floors_add_the_registers_offsets_only() -> None:
    floors = {"e5_top": 0.88, "use_top": 0.25, "field_top": 0.5}
    offsets = {"dialect": {"e5_top": -0.02, "use_top": -0.05}}
    assert register_floors(floors, offsets, "plain") == floors
    lowered = register_floors(floors, offsets, "dialect")
    assert lowered == pytest.approx({"e5_top": 0.86, "use_top": 0.20, "field_top": 0.5})


def test_a_dialect_query_needs_less_evidence_to_be_in_scope() -> None:
    retriever = Retriever.__new__(Retriever)  # _abstains reads the floors and offsets only
    retriever.abstain_floors = {"ar": {"e5_top": 0.88, "use_top": 0.25}}
    retriever.abstain_offsets = {"ar": {"dialect": {"e5_top": -0.02}}}
    retriever.cross_floors = {}
    signals = {"e5_top": 0.87, "use_top": 0.1}
    assert retriever._abstains("ar", signals, "plain")
    assert not retriever._abstains("ar", signals, "dialect")
    assert retriever._abstains("ar", signals, "mixed")  # no offsets for it: the plain floors


def test_a_language_without_articles_is_judged_on_the_cross_lingual_score_alone() -> None:
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = {"ar": {"e5_top": 0.9, "use_top": 0.3}}
    retriever.abstain_offsets = {}
    retriever.cross_floors = {}
    nothing_here = {"e5_top": 0.0, "use_top": 0.0}
    assert retriever._abstains("ar", nothing_here)  # the same-language floors alone would always abstain
    assert not retriever._abstains("ar", nothing_here | {"cross_top": 0.2}, only_elsewhere=True)
    assert retriever._abstains("ar", nothing_here | {"cross_top": 0.05}, only_elsewhere=True)


def test_the_cross_lingual_floors_follow_the_direction() -> None:
    """English over Arabic articles scores higher than Arabic over English: its own floors, and the
    Arabic-over-English ones for any direction without its own."""
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = {"en": {"e5_top": 0.9}, "ar": {"e5_top": 0.9}}
    retriever.abstain_offsets = {}
    retriever.cross_floors = {}
    en_ar = CROSS_DIRECTION_FLOORS[("en", "ar")]
    between = {name: (en_ar[name] + CROSS_ONLY_FLOORS[name]) / 2 for name in CROSS_ONLY_FLOORS}
    assert all(CROSS_ONLY_FLOORS[name] < between[name] < en_ar[name] for name in between)
    assert retriever._abstains("en", between, only_elsewhere=True, target="ar")
    assert not retriever._abstains("ar", between, only_elsewhere=True, target="en")
    assert not retriever._abstains("fr", between, only_elsewhere=True, target="en")  # no floors of its own
    above = {name: floor + 0.01 for name, floor in en_ar.items()}
    assert not retriever._abstains("en", above, only_elsewhere=True, target="ar")


def test_a_directions_cross_floors_from_the_tuning_file_replace_its_constants_only() -> None:
    """`cross_floors` (copilot.tuning, what `kb floors --write` writes) stand in for CROSS_DIRECTION_FLOORS in their
    direction; the other direction keeps its constants. The search is marked (CROSS_DECIDES) with whether the
    direction's floors decided it: what desk.floor_evidence learns them from."""
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = {"en": {"e5_top": 0.9}, "ar": {"e5_top": 0.9}}
    retriever.abstain_offsets = {}
    retriever.cross_floors = {}
    shipped = CROSS_DIRECTION_FLOORS[("ar", "en")]
    above = {name: floor + 0.1 for name, floor in shipped.items()}  # the constants let it through
    signals = dict(above)
    assert not retriever._abstains("ar", signals, only_elsewhere=True, target="en")
    assert signals[CROSS_DECIDES] == 1.0
    retriever.cross_floors = {"ar>en": {name: floor + 0.2 for name, floor in shipped.items()}}
    assert retriever._abstains("ar", dict(above), only_elsewhere=True, target="en")
    en_ar = {name: floor + 0.1 for name, floor in CROSS_DIRECTION_FLOORS[("en", "ar")].items()}
    assert not retriever._abstains("en", dict(en_ar), only_elsewhere=True, target="ar")  # its constants still
    low = {name: floor - 1 for name, floor in shipped.items()}
    assert retriever._abstains("ar", dict(low), only_elsewhere=True, target="en")
    raw = {"cross_top": 0.05}  # no scale built: the raw cosine decides, not the direction's floors
    assert retriever._abstains("ar", raw, only_elsewhere=True, target="en") and raw[CROSS_DECIDES] == 0.0
    same = {"e5_top": 0.5}
    assert retriever._abstains("ar", same) and CROSS_DECIDES not in same  # same-language: no mark


def test_a_question_few_titles_sit_near_is_flagged_in_the_directions_with_a_density_floor() -> None:
    """English over Arabic articles: under the title-density floor abstains even when the best
    article's shares pass; Arabic over English has no density floor; no density signal, no change."""
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = {"en": {"e5_top": 0.9}, "ar": {"e5_top": 0.9}}
    retriever.abstain_offsets = {}
    retriever.cross_floors = {}
    floor = CROSS_DENSITY_FLOORS[("en", "ar")]
    near_answer = {name: value + 0.5 for name, value in CROSS_DIRECTION_FLOORS[("en", "ar")].items()}

    def en_over_ar(signals: dict[str, float]) -> bool:
        return retriever._abstains("en", signals, only_elsewhere=True, target="ar")

    assert en_over_ar(near_answer | {"cross_density_share": floor - 0.1})
    assert not en_over_ar(near_answer | {"cross_density_share": floor + 0.1})
    assert not en_over_ar(near_answer)
    assert ("ar", "en") not in CROSS_DENSITY_FLOORS
    far = near_answer | {"cross_density_share": floor - 5}
    assert not retriever._abstains("ar", far, only_elsewhere=True, target="en")


def test_with_density_agreement_the_density_floor_needs_a_share_floor_to_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """LEVERS["density_agreement"]: under the density floor abstains only when the chunk or the title share is
    under its floor too; off, the density floor abstains alone."""
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = {"en": {"e5_top": 0.9}, "ar": {"e5_top": 0.9}}
    retriever.abstain_offsets = {}
    retriever.cross_floors = {}
    shares = CROSS_DIRECTION_FLOORS[("en", "ar")]
    sparse = {"cross_density_share": CROSS_DENSITY_FLOORS[("en", "ar")] - 0.1}
    above = sparse | {name: floor + 0.1 for name, floor in shares.items()}
    one_under = above | {"cross_share": shares["cross_share"] - 0.1}

    def en_over_ar(signals: dict[str, float]) -> bool:
        return retriever._abstains("en", signals, only_elsewhere=True, target="ar")

    assert en_over_ar(above) and en_over_ar(one_under)  # off: the density floor alone
    monkeypatch.setitem(LEVERS, "density_agreement", True)
    assert not en_over_ar(above)
    assert en_over_ar(one_under)
    assert not en_over_ar(one_under | {"cross_density_share": 0.0})  # one share floor alone: both are needed


def test_with_the_fused_floor_a_first_article_the_sources_do_not_agree_on_is_flagged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LEVERS["fused_floor"]: only another language answering, a first article whose fused score is under
    CROSS_FUSED_FLOOR first places abstains even when both shares pass, in every direction; off, or above the floor,
    or with no such signal, the shares decide as before."""
    retriever = Retriever.__new__(Retriever)
    retriever.abstain_floors = {"en": {"e5_top": 0.9}, "ar": {"e5_top": 0.9}}
    retriever.abstain_offsets = {}
    retriever.cross_floors = {}
    k = 10
    scattered = {"cross_fused_top": fused_places((CROSS_FUSED_FLOOR - 0.1) / (k + 1), k)}
    agreed = {"cross_fused_top": fused_places((CROSS_FUSED_FLOOR + 0.1) / (k + 1), k)}
    assert fused_places(2.0 / (k + 1), k) == pytest.approx(2.0)  # two weight-1 rankings putting it first

    def only_elsewhere(lang: str, target: str, signals: dict[str, float]) -> bool:
        passing = {name: floor + 0.5 for name, floor in CROSS_DIRECTION_FLOORS[(lang, target)].items()}
        return retriever._abstains(lang, passing | signals, only_elsewhere=True, target=target)

    monkeypatch.setitem(LEVERS, "fused_floor", False)
    assert not only_elsewhere("ar", "en", scattered)
    monkeypatch.setitem(LEVERS, "fused_floor", True)
    assert only_elsewhere("ar", "en", scattered) and only_elsewhere("en", "ar", scattered)
    assert not only_elsewhere("ar", "en", agreed) and not only_elsewhere("en", "ar", agreed)
    assert not only_elsewhere("ar", "en", {})
    assert not retriever._abstains("ar", {"e5_top": 0.95} | scattered)  # same-language questions: not this floor
