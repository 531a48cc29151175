"""bench/model_vocab_typos.py: Arabic typos read through the dense models' own vocabularies (bench/RESULTS.md
"Session 17, mspell7")."""

from bench.model_vocab_typos import Reader, tally
from copilot.lexicon_spellings import LexiconSpellings, folded_frequencies
from copilot.model_spellings import ModelSpellings

KNOWN = {"تتبع": -13.2, "مجاني": -12.0, "الزمان": -11.2, "ضمان": -14.2}
# A toy vocabulary for the segmentation reader: "▁تتبع" is one likely piece, "تتبغ" only spells as letters.
SPELLINGS = ModelSpellings([{"▁تتبع": -10.0, "▁": -3.0, **{letter: -12.0 for letter in "تبعغ"}}])


def test_a_typo_is_read_as_the_word_the_models_know() -> None:
    assert Reader(KNOWN, "confusable").read("تتبغ") == "تتبع"
    assert Reader(KNOWN, "one-edit").read("تتبغ") == "تتبع"
    assert Reader(KNOWN, "segmentation", SPELLINGS).read("تتبغ") == "تتبع"


def test_a_known_word_a_dialect_word_and_an_index_word_are_left_as_typed() -> None:
    assert Reader(KNOWN, "one-edit").read("تتبع") is None
    assert Reader(KNOWN, "one-edit").read("الضمان") is None  # known without its article
    assert Reader(KNOWN, "one-edit").read("جاني") is None  # came to me (dialect), one letter off مجاني
    assert Reader(KNOWN, "one-edit", index_words=frozenset({"تتبغ"})).read("والتتبغ") is None
    assert Reader(KNOWN, "segmentation", SPELLINGS, frozenset({"تتبغ"})).read("تتبغ") is None


def test_the_best_candidate_must_clearly_beat_the_next() -> None:
    # الظمان: الزمان (time) scores above الضمان (warranty), and by more than the margin: the wrong word is read
    assert Reader(KNOWN, "confusable").read("الظمان") == "الزمان"
    assert Reader(KNOWN | {"الضمان": -11.5}, "confusable").read("الظمان") is None


def test_tally_counts_intended_wrong_and_false_fixes() -> None:
    rows = [
        {"query": "تتبغ الشحنه", "kind": "typo"},
        {"query": "الظمان", "kind": "typo"},
        {"query": "التقصيط", "kind": "typo"},
        {"query": "اشتراك مجانى", "kind": "keyword"},
        {"query": "مجانب", "kind": "keyword"},
    ]
    result = tally(Reader(KNOWN, "confusable"), rows)
    assert (result.questions, result.read, result.right) == (5, 2, 1)
    assert result.wrong == ["الظمان->الزمان"] and result.missed == ["التقصيط"]
    assert tally(Reader(KNOWN, "one-edit"), rows).false == ["مجانب->مجاني (keyword)"]


def test_the_lexicon_reader_leaves_a_loanword_as_typed() -> None:
    lexicon = LexiconSpellings(folded_frequencies({"تتبع": 5e-5, "بالسورد": 2e-5}))
    assert Reader({}, "lexicon", lexicon=lexicon).read("تتبغ") == "تتبع"
    # password typed in Arabic script, a letter from a common word: a loanword of the glossary, no typo
    assert lexicon.read("باسورد") == "بالسورد"
    assert Reader({}, "lexicon", lexicon=lexicon).read("باسورد") is None
