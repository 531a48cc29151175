"""Per-help-center search tuning from content/_search.yml: defaults, overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.engine import Engine
from copilot.tuning import (
    ABSTAIN_FLOORS,
    CROSS_DIRECTION_FLOORS,
    CROSS_ONLY_FLOORS,
    FUSION_WEIGHTS,
    RRF_K,
    TUNING_FILE,
    SearchTuning,
    TuningError,
)
from kb.settings import Settings
from tests.conftest import CONTENT


def test_no_file_and_the_shipped_file_mean_the_fitted_defaults(tmp_path: Path) -> None:
    assert SearchTuning.load(tmp_path / TUNING_FILE) == SearchTuning()
    shipped = SearchTuning.load(CONTENT / TUNING_FILE)
    assert (shipped.fusion, shipped.rrf_k, shipped.abstain_floors) == (FUSION_WEIGHTS, RRF_K, ABSTAIN_FLOORS)


def test_a_language_in_the_file_replaces_its_defaults_only(tmp_path: Path) -> None:
    path = tmp_path / TUNING_FILE
    text = "fusion:\n  ar: {e5: 1.0, lexical: 0.5}\nrrf_k: 20\nabstain_floors:\n  fr: {e5_top: 0.9}\n"
    path.write_text(text, "utf-8")
    tuning = SearchTuning.load(path)
    assert tuning.fusion["ar"] == {"e5": 1.0, "lexical": 0.5} and tuning.fusion["en"] == FUSION_WEIGHTS["en"]
    assert tuning.rrf_k == 20 and tuning.abstain_floors is not None
    assert ABSTAIN_FLOORS is not None and tuning.abstain_floors["en"] == ABSTAIN_FLOORS["en"]
    assert tuning.abstain_floors["fr"] == {"e5_top": 0.9}
    path.write_text("abstain_floors: null\n", "utf-8")
    assert SearchTuning.load(path).abstain_floors is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("fusion:\n  ar: {e5: heavy}\n", "fusion.ar.e5"),
        ("rrf_k: 0\n", "rrf_k"),
        ("fusoin: {}\n", "'fusoin'"),
        ("abstain_offsets:\n  ar: {dialect: 3}\n", "abstain_offsets.ar.dialect"),
        ("fusion: [1, 2\n", "not valid YAML"),
        ("cross_floors:\n  ar>en: {cross_share: low, cross_title_share: 0.3}\n", "cross_floors.ar>en.cross_share"),
        ("cross_floors:\n  ar>en: {cross_share: -2.0}\n", "cross_floors.ar>en must give exactly cross_share and "
                                                           "cross_title_share"),
        ("cross_floors:\n  ar>en: {cross_share: -2.0, cross_title_share: 0.3, e5_top: 0.9}\n", "cross_floors.ar>en"),
        ("cross_floors:\n  arabic: {cross_share: -2.0, cross_title_share: 0.3}\n", "cross_floors.arabic must name a "
                                                                                     "direction"),
        ("cross_floors:\n  en>en: {cross_share: -2.0, cross_title_share: 0.3}\n", "cross_floors.en>en"),
        ("cross_floors: [ar, en]\n", "cross_floors must be a mapping"),
    ],
)
def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / TUNING_FILE
    path.write_text(text, "utf-8")
    with pytest.raises(TuningError) as raised:
        SearchTuning.load(path)
    assert str(path) in str(raised.value) and named in str(raised.value)


def test_cross_floors_are_per_direction_and_none_by_default(tmp_path: Path) -> None:
    """A direction the file gives is what the retriever reads in place of its constants (CROSS_DIRECTION_FLOORS);
    without the key no direction has any (tests/copilot/test_abstention.py: the retriever reads them)."""
    path = tmp_path / TUNING_FILE
    assert SearchTuning.load(path).cross_floors == {} and SearchTuning.load(CONTENT / TUNING_FILE).cross_floors == {}
    path.write_text("cross_floors:\n  ar>en: {cross_share: -1.5, cross_title_share: 999.0}\n", "utf-8")
    tuning = SearchTuning.load(path)
    assert tuning.cross_floors == {"ar>en": {"cross_share": -1.5, "cross_title_share": 999.0}}
    assert tuning.abstain_floors == ABSTAIN_FLOORS  # the other keys keep their defaults


def test_the_engine_searches_with_the_content_repos_tuning(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / TUNING_FILE).write_text("fusion:\n  en: {e5: 1.0, use: 0.2, lexical: 2.0}\nrrf_k: 30\n"
                                       "cross_floors:\n  ar>en: {cross_share: -1.5, cross_title_share: 0.3}\n", "utf-8")
    engine = Engine(Settings(content_dir=content, data_dir=tmp_path / "data"), embedders=[])
    try:
        assert engine.retriever.fusion["en"] == {"e5": 1.0, "use": 0.2, "lexical": 2.0}
        assert engine.retriever.rrf_k == 30
        assert engine.retriever.cross_floors == {"ar>en": {"cross_share": -1.5, "cross_title_share": 0.3}}
        # What the web app logs with each search: the floors this engine started with.
        assert engine.retriever.floors_fingerprint == SearchTuning.load(content / TUNING_FILE).floors_fingerprint()
        assert engine.retriever.floors_fingerprint != SearchTuning().floors_fingerprint()
    finally:
        engine.close()
    assert SearchTuning().fusion["en"] == FUSION_WEIGHTS["en"] == {"e5": 1.0, "use": 1.0, "lexical": 0.6}


def test_the_floors_fingerprint_changes_with_what_decides_abstention_only(tmp_path: Path) -> None:
    """What each logged search carries (desk's SearchEvent.floors): the same for the same floors however the file is
    written, other for any change to a floor, an offset or a cross-lingual floor, and not for fusion or rrf_k (they
    do not say which floors decided)."""
    path = tmp_path / TUNING_FILE
    shipped = SearchTuning().floors_fingerprint()
    assert len(shipped) == 12 and SearchTuning.load(CONTENT / TUNING_FILE).floors_fingerprint() == shipped
    path.write_text("rrf_k: 30\nfusion:\n  en: {e5: 2.0}\n# a comment\nabstain_floors:\n  en: {e5_top: 0.881, "
                    "use_top: 0.287, lexical_share: 0.643, field_top: 0.5}\n", "utf-8")
    assert SearchTuning.load(path).floors_fingerprint() == shipped  # the shipped English floors, given again
    seen = {shipped}
    for text in ("abstain_floors:\n  en: {e5_top: 0.882}\n", "abstain_floors: null\n",
                 "abstain_offsets:\n  ar: {dialect: {e5_top: -0.02}}\n",
                 "cross_floors:\n  ar>en: {cross_share: -1.5, cross_title_share: 0.3}\n"):
        path.write_text(text, "utf-8")
        seen.add(SearchTuning.load(path).floors_fingerprint())
    assert len(seen) == 5


def test_the_floors_fingerprint_covers_the_shipped_cross_lingual_floors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A direction the file does not give is decided by the shipped floors (CROSS_DIRECTION_FLOORS, else
    CROSS_ONLY_FLOORS), so the fingerprint reads them: writing the shipped ar>en floors into the file keeps it, and a
    release that changes a shipped floor (the file unchanged) gives searches a new one, so `kb floors` does not judge
    the new floors on searches the old ones decided."""
    path = tmp_path / TUNING_FILE
    shipped = SearchTuning().floors_fingerprint()
    ar_en = CROSS_DIRECTION_FLOORS[("ar", "en")]
    path.write_text(f"cross_floors:\n  ar>en: {{cross_share: {ar_en['cross_share']}, "
                    f"cross_title_share: {ar_en['cross_title_share']}}}\n", "utf-8")
    assert SearchTuning.load(path).floors_fingerprint() == shipped
    monkeypatch.setitem(CROSS_DIRECTION_FLOORS, ("en", "ar"), {"cross_share": -1.0, "cross_title_share": 0.4})
    changed = SearchTuning().floors_fingerprint()
    monkeypatch.setitem(CROSS_ONLY_FLOORS, "cross_share", -2.0)
    assert len({shipped, changed, SearchTuning().floors_fingerprint()}) == 3
