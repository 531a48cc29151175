"""The lexical floor in the index's own units: measured from its titles, followed by every search."""

from collections.abc import Iterator

import numpy as np
import pytest

from copilot.calibration import (
    DEFAULT_LEXICAL_SCALE,
    DensityScale,
    cross_scales,
    density_scales,
    lexical_scales,
    own_scales,
    title_density,
    title_sample,
)
from copilot.engine import Engine
from copilot.retrieval import reads_own_shares
from copilot.title_vectors import TitleMatrix


def test_titles_are_sampled_evenly_and_the_same_way_every_time() -> None:
    titles = [f"title {i:03d}" for i in range(900)] + ["title 000", " "]
    sample = title_sample(titles, size=300)
    assert len(sample) == 300 and sample == title_sample(list(reversed(titles)), size=300)
    assert sample[:2] == ["title 000", "title 003"]


def test_the_index_scale_comes_from_its_own_titles_and_divides_the_lexical_evidence(indexed: Engine) -> None:
    scales = lexical_scales(indexed.store, indexed.lexical, ("en", "ar", "fr"))
    assert scales["fr"] == DEFAULT_LEXICAL_SCALE  # no article in that language: nothing to measure
    assert scales["en"] > 0 and scales["ar"] > 0 and scales["en"] != scales["ar"]
    result = indexed.retriever.search("reset my password", lang="en")
    assert result.signals["lexical_share"] == pytest.approx(result.signals["lexical_top"] / scales["en"])


def test_the_cross_lingual_scale_comes_from_the_index_titles_and_places_each_search(indexed: Engine) -> None:
    """Titles asked against their own articles: the right one scores above the nearest wrong one,
    per article language; with pairs, the language pair's own (lower) scale; shares in every search."""
    retriever = indexed.retriever
    assert retriever._titles is not None
    titles = retriever._titles.get()
    own = cross_scales(indexed.store, titles, ("en", "ar"))
    assert set(own) == {("ar", "en"), ("en", "ar"), ("en", "en"), ("ar", "ar")}
    assert own[("ar", "en")] == own[("en", "en")]  # measured with the article language's own titles
    for scale in own.values():
        assert scale.measured_by == "titles" and scale.true_chunk > scale.wrong_chunk
        assert scale.true_title == pytest.approx(1.0) and scale.wrong_title < 1.0  # a title is its own best match
    by_pairs = cross_scales(indexed.store, titles, ("en", "ar"), pairs=True)
    assert by_pairs[("ar", "en")].measured_by == "pairs"
    assert by_pairs[("ar", "en")].true_chunk < own[("ar", "en")].true_chunk  # across languages scores run lower
    result = retriever.search("بطاقة هدايا", lang="ar")  # gift cards: English only in the slice
    scale = own[("ar", "en")]
    assert result.signals["cross_share"] == pytest.approx(scale.chunk_share(result.signals["cross_top"]))
    assert result.signals["cross_title_share"] == pytest.approx(scale.title_share(result.signals["cross_title_top"]))


def test_each_model_has_its_own_same_language_scale_and_every_search_reads_its_top_score_on_it(
    indexed: Engine,
) -> None:
    """e5's titles asked of their own articles: the right one above the nearest wrong one, per language.
    The shipped floors (raw cosines) read no share, so a search measures none; floors a help center writes
    on the shares make every search carry e5's and USE's top scores as shares of them, and abstain by them."""
    retriever = indexed.retriever
    assert retriever._e5_scales is not None and retriever._cross_scales is not None
    titles = retriever._more_titles["title_e5"].get()
    scales = own_scales(indexed.store, titles, ("en", "ar", "fr"), "e5")
    assert set(scales) == {"en", "ar"}  # no French article: nothing to measure
    assert all(scale.true_chunk > scale.wrong_chunk for scale in scales.values())
    assert retriever.abstain_floors is not None and not reads_own_shares(retriever.abstain_floors)
    assert "e5_share" not in retriever.search("how long does a refund take", lang="en").signals
    shipped = retriever.abstain_floors
    try:
        retriever.abstain_floors = {"en": {"e5_share": 0.0, "use_share": 0.0}}
        result = retriever.search("how long does a refund take", lang="en")
        assert result.signals["e5_share"] == pytest.approx(scales["en"].chunk_share(result.signals["e5_top"]))
        use = retriever._cross_scales.get()[("en", "en")]
        assert result.signals["use_share"] == pytest.approx(use.chunk_share(result.signals["use_top"]))
        assert result.abstained == (result.signals["e5_share"] < 0.0 and result.signals["use_share"] < 0.0)
        retriever.abstain_floors = {"en": {"e5_share": 99.0, "use_share": 99.0}}  # no search reaches these
        assert retriever.search("how long does a refund take", lang="en").abstained
    finally:
        retriever.abstain_floors = shipped


class _ScoredStore:
    """A unit-test store whose dense queries are answered by the article the title belongs to at
    `right` and one other article at `wrong` (the `asking` row's index picks the article)."""

    def __init__(self, right: list[float], wrong: list[float]) -> None:
        self.right, self.wrong = right, wrong

    def query(self, queries: list) -> list[list]:
        from indexer.stores.base import Hit

        out = []
        for row, _ in enumerate(queries):
            hits = [(self.right[row], f"a{row}"), (self.wrong[row], f"a{(row + 1) % len(queries)}")]
            out.append([Hit(str(i), score, {"article_id": a}) for i, (score, a) in enumerate(sorted(hits)[::-1])])
        return out


def test_a_floor_written_as_a_share_of_the_own_scale_flags_the_same_questions_on_a_higher_scoring_index() -> None:
    """Two help centers whose cosines run on different scales (B's are A's stretched and raised, as USE's
    run 0.43 on the demo's Arabic articles and 0.53 on m365's): the raw floor fitted on A misses B's
    out-of-scope questions; the same floor as a share of each index's own scale flags on B what it flags on A."""
    vectors = _unit([[1.0, 0.1 * i, 0.0] for i in range(6)])
    titles = TitleMatrix({"ar": tuple(f"ar/a{i}" for i in range(6))}, {"ar": vectors})
    right_a, wrong_a = [0.40, 0.42, 0.44, 0.46, 0.48, 0.50], [0.30, 0.31, 0.33, 0.34, 0.35, 0.36]
    stretch = [0.10 + 1.2 * score for score in right_a], [0.10 + 1.2 * score for score in wrong_a]
    scale_a = own_scales(_ScoredStore(right_a, wrong_a), titles, ("ar", "en"), "use")  # type: ignore[arg-type]
    scale_b = own_scales(_ScoredStore(*stretch), titles, ("ar", "en"), "use")  # type: ignore[arg-type]
    assert set(scale_a) == {"ar"} and scale_a["ar"].true_chunk == pytest.approx(0.45)
    assert scale_b["ar"].true_chunk == pytest.approx(0.10 + 1.2 * 0.45)
    questions_a = np.array([0.20, 0.30, 0.36, 0.44])  # two out of scope, two answerable (the weak one at 0.36)
    questions_b = 0.10 + 1.2 * questions_a
    raw_floor = 0.33  # between A's out-of-scope and answerable questions
    share_floor = scale_a["ar"].chunk_share(raw_floor)
    assert list(questions_a < raw_floor) == [True, True, False, False]
    assert not (questions_b < raw_floor).any()  # on B's scale the raw floor flags nothing
    on_b = [scale_b["ar"].chunk_share(float(q)) < share_floor for q in questions_b]
    assert on_b == [True, True, False, False]


def test_the_title_share_runs_from_any_two_titles_to_the_nearest_wrong_one_near_duplicates_or_not() -> None:
    """The title scale's zero is the background (the median cosine of two titles of different articles), its one
    the nearest wrong title. A help center whose titles come in near-duplicate pairs (one page per country) has its
    nearest wrong title far higher and the same background: the share of a question's title cosine is measured from
    the same zero on both, and a floor in it stays under the near-duplicates' cosine (bench/RESULTS.md "Session 17,
    xscale7"; from the nearest wrong title up, the sparse index's floor sat above the dense one's answerable ones)."""
    rng = np.random.default_rng(7)
    base = rng.normal(size=(8, 16))
    sparse = _unit(base.tolist())
    dense = _unit(np.vstack([base, base + 0.2 * rng.normal(size=base.shape)]).tolist())  # each title has a twin
    scales = {}
    for name, vectors in (("sparse", sparse), ("dense", dense)):
        n = len(vectors)
        titles = TitleMatrix({"ar": tuple(f"ar/a{i}" for i in range(n))}, {"ar": vectors})
        store = _ScoredStore([0.5] * n, [0.4] * n)
        scales[name] = own_scales(store, titles, ("ar",), "use")["ar"]  # type: ignore[arg-type]
        other = ~np.eye(n, dtype=bool)
        assert scales[name].background_title == pytest.approx(float(np.median((vectors @ vectors.T)[other])), abs=1e-6)
    sparse_scale, dense_scale = scales["sparse"], scales["dense"]
    assert dense_scale.wrong_title > 0.9 > sparse_scale.wrong_title + 0.3  # the twins
    assert dense_scale.background_title == pytest.approx(sparse_scale.background_title, abs=0.1)
    for scale in scales.values():
        assert scale.title_share(scale.background_title) == pytest.approx(0.0)
        assert scale.title_share(scale.wrong_title) == pytest.approx(1.0)
    floor = sparse_scale.title_share(sparse_scale.background_title + 0.15)  # a weak title match on the sparse index
    on_dense = dense_scale.background_title + floor * (dense_scale.wrong_title - dense_scale.background_title)
    assert dense_scale.title_share(on_dense) == pytest.approx(floor)
    assert on_dense < dense_scale.wrong_title - 0.3  # from the nearest wrong title up it would sit above the twins


def _unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_title_density_is_the_mean_of_the_nearest_titles() -> None:
    titles = _unit([[1, 0], [0, 1], [1, 1], [-1, 0]])
    query = np.array([1.0, 0.0])
    assert title_density(titles, query, k=1) == pytest.approx(1.0)
    assert title_density(titles, query, k=2) == pytest.approx((1.0 + 0.5**0.5) / 2)
    assert title_density(titles[:1], query, k=5) == pytest.approx(1.0)  # fewer titles than k: all of them


def test_the_density_scale_runs_from_any_two_titles_to_a_title_and_its_neighbours() -> None:
    """Two topics of three articles each: a title's nearest other titles are its topic's, any two
    titles are as often unrelated; a language with too few articles gets no scale."""
    rng = np.random.default_rng(7)
    topics = _unit([[1, 0, 0, 0], [0, 1, 0, 0]])
    rows = np.vstack([topic + 0.1 * rng.standard_normal((3, 4)) for topic in topics])
    matrix = TitleMatrix(
        {"ar": tuple(f"ar/{i}" for i in range(6)), "en": ("en/a", "en/b")},
        {"ar": rows / np.linalg.norm(rows, axis=1, keepdims=True), "en": topics},
    )
    scales = density_scales(matrix, ("ar", "en"), k=2)
    assert set(scales) == {"ar"}
    scale = scales["ar"]
    assert scale.own > 0.9 and scale.background < scale.own
    assert scale.share(scale.own) == pytest.approx(1.0) and scale.share(scale.background) == pytest.approx(0.0)
    assert DensityScale(0.5, 0.5).share(0.6) == pytest.approx(100.0)  # a flat scale cannot divide by zero


def test_the_title_density_of_a_search_answered_only_elsewhere_is_a_share_of_the_index_scale(indexed: Engine) -> None:
    retriever = indexed.retriever
    retriever.wait_for_views()
    assert retriever._density_scales is not None
    scale = retriever._density_scales.get()["en"]
    result = retriever.search("بطاقة هدايا", lang="ar")  # gift cards: English only in the slice
    assert result.signals["cross_density_share"] == pytest.approx(scale.share(result.signals["cross_density"]))


class _TitleStore:
    """A unit-test store: the given chunk payloads, and every lexical query it was asked answered by
    one hit scoring the number of terms asked (so the scale says which titles were asked)."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows

    def version(self) -> str:
        return "v1"

    def payloads(self, fields: object) -> list[dict]:
        return self.rows

    def query(self, queries: list) -> list[list]:
        from indexer.stores.base import Hit

        return [[Hit("a", float(len(q.sources[0].vector.indices)), {})] for q in queries]


def test_titles_that_are_only_opening_words_do_not_set_the_lexical_scale() -> None:
    """A cut-off title asks for its own first sentence: it would inflate the scale, and every
    answerable query's share would look small (xquad-dev flagged 15.6% of its Arabic questions)."""
    from indexer.lexical import LexicalEncoder

    written = [
        {"key": f"en/w{i}", "lang": "en", "title": f"reset password {i}", "text": "x", "ordinal": 0} for i in range(6)
    ]
    cut = [
        {"key": f"en/c{i}", "lang": "en", "title": f"the daily mail newspaper reported in {i} that …", "text": "y",
         "ordinal": 0}
        for i in range(30)
    ]
    lexical = LexicalEncoder()
    only_written = lexical_scales(_TitleStore(written), lexical, ("en",))["en"]  # type: ignore[arg-type]
    assert lexical_scales(_TitleStore(written + cut), lexical, ("en",))["en"] == only_written  # type: ignore[arg-type]
    assert lexical_scales(_TitleStore(cut), lexical, ("en",))["en"] == DEFAULT_LEXICAL_SCALE  # type: ignore[arg-type]


def _article(key: str, title: str, text: str) -> dict:
    return {"key": key, "title": title, "text": text}


_HOUSE_TEXT = "Shop at Manzil and the Manzil app; Manzil delivers."
_NAMES = [
    _article("en/plus", "Manzil Plus plans", "Join Manzil Plus. With Manzil Plus you save; Manzil Plus is yearly."),
    _article("en/care", "Manzil Care warranty", "Manzil Care covers repairs. Buy Manzil Care with Manzil Care."),
    _article("en/pay", "Pay with SplitPay", "Split with SplitPay. Use SplitPay at checkout, SplitPay pays."),
    _article("en/jobs", "Working at Manzil", _HOUSE_TEXT),
    _article("en/fees", "Delivery fees", _HOUSE_TEXT),
]


def test_title_names_are_runs_of_the_index_names_less_the_house_name_alone() -> None:
    """Runs of the words the index writes as names, per title; "Manzil", printed in most articles,
    names the help center itself: inside "Manzil Plus" it belongs to the name, alone it is none."""
    from copilot.title_names import title_names

    names = title_names(_NAMES)
    assert names.names == frozenset({"manzilplus", "manzilcare", "splitpay"})


def test_a_name_spelled_in_arabic_script_or_typed_in_latin_among_arabic_words_is_found() -> None:
    from copilot.title_names import title_names

    names = title_names(_NAMES)
    assert names.found("منزل بلس") == ["manzilplus"]  # two Arabic words spell one name
    assert names.found("انا عضو منزل بلص وطلبي ناقص") == ["manzilplus"]  # misspelt: ص sounds as s
    assert names.found("هل منزل كير يغطي الشاشة؟") == ["manzilcare"]
    assert names.found("الدفع على 4 دفعات SplitPay") == ["splitpay"]
    assert names.found("وظائف شاغرة في منزل") == []  # the house name alone: no article about it
    assert names.found("join manzil plus") == []  # an English question: its words are not read as names
    assert names.found("مواقيت الصلاة في الرياض") == []


@pytest.fixture(scope="module")
def english_plus(tmp_path_factory: pytest.TempPathFactory, embedders: list) -> Iterator[Engine]:
    """The slice plus an English-only Manzil Plus article (its category has no Arabic article)."""
    from kb.settings import Settings
    from tests.conftest import SLICE, copy_slice, indexed_engine

    root = tmp_path_factory.mktemp("title-names")
    content = copy_slice(root / "content", [*SLICE, "en/membership/manzil-plus-plans.md"])
    yield from indexed_engine(Settings(content_dir=content, data_dir=root / "data"), embedders)


def test_an_arabic_question_naming_an_english_only_title_is_exempt_from_the_cross_lingual_floors(
    english_plus: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Floors that flag every question answered only in English: the one typing the title's name
    ("منزل بلس", Manzil Plus) is still answered, the one that names nothing abstains; without the
    exemption both abstain."""
    from copilot import retrieval

    retriever = english_plus.retriever
    strict = {"cross_share": 99.0, "cross_title_share": 99.0}
    monkeypatch.setitem(retrieval.CROSS_DIRECTION_FLOORS, ("ar", "en"), strict)
    named = retriever.search("منزل بلس", lang="ar", categories=["membership"])
    unnamed = retriever.search("وظائف شاغرة في منزل", lang="ar", categories=["membership"])
    assert named.results and named.results[0].id == "manzil-plus-plans" and named.results[0].lang == "en"
    assert named.signals["title_names"] == 1.0 and not named.abstained
    assert "title_names" not in unnamed.signals and unnamed.abstained
    monkeypatch.setitem(retrieval.LEVERS, "title_names", False)
    assert retriever.search("منزل بلس", lang="ar", categories=["membership"]).abstained


def test_short_names_count_only_typed_in_latin_not_spelled_in_arabic_script() -> None:
    """Short sound keys are shared by ordinary Arabic words ("الكرتون", the carton, sounds like
    Cortana): an English-only index cannot tell them apart, so only long names count when spelled."""
    from copilot.title_names import title_names

    rows = [
        _article("en/cortana", "Cortana reminders", "Ask Cortana. Open Cortana and tell Cortana what."),
        _article("en/sp", "SharePoint storage", "Your SharePoint site. Buy SharePoint space for SharePoint."),
    ]
    names = title_names(rows)
    assert names.found("الكرتون وصل ناقص قطعة") == []
    assert names.found("تذكير Cortana ما اشتغل") == ["cortana"]
    assert names.found("مساحة تخزين شيربوينت خلصت") == ["sharepoint"]


def test_the_best_heading_is_the_articles_own_best_text_across_the_matrices() -> None:
    from copilot.heading_floor import best_heading

    titles = TitleMatrix({"en": ("en/a", "en/b")}, {"en": np.array([[1.0, 0.0], [0.0, 1.0]])})
    headings = TitleMatrix({"en": ("en/a", "en/a", "en/b")}, {"en": np.array([[0.6, 0.8], [0.0, -1.0], [0.8, 0.6]])})
    query = np.array([0.0, 1.0])
    assert best_heading([titles, headings], "en/a", "en", query) == pytest.approx(0.8)  # a heading beats its title
    assert best_heading([titles], "en/a", "en", query) == pytest.approx(0.0)
    assert best_heading([titles, headings], "en/b", "en", query) == pytest.approx(1.0)
    assert best_heading([titles, headings], "en/c", "en", query) is None  # not an article of these matrices
    assert best_heading([titles], "en/a", "ar", query) is None


def test_a_question_no_heading_of_the_first_article_speaks_to_abstains_when_only_english_answers(
    english_plus: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Share floors that never flag: prayer times, shown the Manzil Plus article (the only one of its
    category), match none of its headings and abstain on the heading floor alone; a question about
    the plans' price matches a heading and is answered; with the lever off neither abstains."""
    from copilot import retrieval
    from copilot.heading_floor import HEADING_FLOOR

    retriever = english_plus.retriever
    retriever.wait_for_views()
    monkeypatch.setitem(
        retrieval.CROSS_DIRECTION_FLOORS, ("ar", "en"), {"cross_share": -99.0, "cross_title_share": -99.0}
    )
    off_topic = retriever.search("مواقيت الصلاة في الرياض", lang="ar", categories=["membership"])
    asked = retriever.search("كم سعر اشتراك منزل الشهري", lang="ar", categories=["membership"])
    assert off_topic.results and off_topic.results[0].id == "manzil-plus-plans"
    assert off_topic.signals["cross_heading_top"] < HEADING_FLOOR and off_topic.abstained
    assert asked.signals["cross_heading_top"] >= HEADING_FLOOR and not asked.abstained
    monkeypatch.setitem(retrieval.LEVERS, "heading_floor", False)
    assert not retriever.search("مواقيت الصلاة في الرياض", lang="ar", categories=["membership"]).abstained
