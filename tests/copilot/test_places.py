"""copilot.places: a city the customer names is read as its country where the help center has that country's page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot import places, retrieval
from copilot.engine import Engine
from copilot.places import PlacePages, city_names, named_places, territory_names
from copilot.retrieval import Expansion
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.conftest import indexed_engine

# (id, the Arabic name as the page's title writes it): pages as m365's "support information for <country>"
COUNTRIES = [
    ("greece", "اليونان"),
    ("netherlands", "هولندا"),
    ("belgium", "بلجيكا"),
    ("cyprus", "قبرص"),
    ("belarus", "بيلاروس"),
    ("lithuania", "ليتوانيا"),
    ("bosnia-and-herzegovina", "البوسنة والهرسك"),
]


def payloads(pages: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": f"ar/{i}", "article_id": i, "title": f"معلومات الدعم في {name}"} for i, name in pages]


def test_a_city_is_read_as_its_country_in_either_language() -> None:
    assert named_places("أنا في أثينا، بمن أتصل إذا تعطلت خدمات أوفيس عندنا؟", "ar") == (["GR"], [])
    assert named_places("we run a small company in Minsk, who do we call?", "en") == (["BY"], [])
    assert named_places("عندي شركة صغيرة في أمستردام", "ar") == (["NL"], [])  # the clitic-free form is CLDR's


def test_a_country_the_query_names_is_not_a_city_reading() -> None:
    assert named_places("zambia microsoft 365 phone", "en") == ([], ["ZM"])
    assert named_places("رقم دعم مايكروسوفت في هولندا وأمستردام", "ar") == ([], ["NL"])


def test_ordinary_words_and_county_seats_name_no_place() -> None:
    # Mahé (Seychelles) is "ماهي", "what is"; Center, North Dakota is "سنتر", the loanword of "admin center"
    assert named_places("ماهي الرخصة المناسبة", "ar") == ([], [])
    assert named_places("تقرير استخدام الميل بوكس في الأدمن سنتر", "ar") == ([], [])
    assert named_places("where is the admin center", "en") == ([], [])
    assert ("ماهي",) not in city_names("ar")


def test_only_countries_the_index_has_a_page_for_count() -> None:
    pages = PlacePages(payloads(COUNTRIES), ["ar", "en"])
    assert pages.names("أنا في أثينا، بمن أتصل؟", "ar", ["ar", "en"]) == (["اليونان"], [("en", "Greece")])
    assert pages.names("I'm in Sarajevo, who do I ring?", "en", ["ar", "en"]) == (
        ["Bosnia & Herzegovina"],
        [("ar", "البوسنة والهرسك")],
    )
    assert pages.names("zambia microsoft 365 phone", "en", ["ar", "en"]) == ([], [])  # no Zambia page
    assert pages.names("أنا في القاهرة", "ar", ["ar", "en"]) == ([], [])  # no Egypt page: read as typed


def test_a_page_names_its_country_by_id_or_by_title() -> None:
    pages = PlacePages([], ["ar"])
    assert pages.codes_of("bosnia-and-herzegovina", "") == {"BA"}
    assert pages.codes_of("curacao", "") == {"CW"}  # CLDR's "Curaçao" without its accent
    assert pages.codes_of("page-7", "معلومات الدعم في هولندا") == {"NL"}
    assert pages.codes_of("reset-password", "إعادة تعيين كلمة المرور") == set()


def test_the_country_ranks_but_is_no_evidence() -> None:
    expansion = Expansion("أنا في أثينا اليونان", places=("اليونان",))
    assert ("اليونان", retrieval.EXPANSION_WEIGHTS["places"]) in expansion.lexical_parts("أنا في أثينا")
    assert all("اليونان" not in text for text, _ in expansion.lexical_parts("أنا في أثينا", ranking=False))


def all_countries() -> list[tuple[str, str]]:
    """Every CLDR territory's page (its English name as id, its Arabic name in the title): near-duplicate pages
    that differ by one word, as m365's 246, where a dense model cannot tell Athens' page from its neighbours'."""
    english = territory_names("en")
    return [(re.sub(r"[^a-z]+", "-", english[c].lower()).strip("-"), name) for c, name in territory_names("ar").items()]


def write_pages(root: Path) -> None:
    folder = root / "ar" / "support"
    folder.mkdir(parents=True)
    for article_id, name in all_countries():
        (folder / f"{article_id}.md").write_text(
            f"---\nid: {article_id}\ntitle: معلومات الدعم في {name}\nlang: ar\ncategory: support\n"
            f"visibility: public\nupdated: 2026-01-01\nsummary: تعرف على كيفية الاتصال بالدعم لبلدك أو إقليمك.\n---\n"
            f"# الاتصال بالدعم في {name}\n\n## الهاتف رقم\n\nاتصل برقم الدعم المحلي للحصول على المساعدة.\n\n"
            "## الساعات\n\nمن الاثنين إلى الجمعة، من 9 صباحا إلى 5 مساء.\n",
            "utf-8",
        )


@pytest.fixture(scope="module")
def countries(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    content = tmp_path_factory.mktemp("places")
    write_pages(content)
    settings = Settings(content_dir=content, data_dir=tmp_path_factory.mktemp("places-data"))
    yield from indexed_engine(settings, embedders, keep=False)


@pytest.mark.parametrize(
    ("query", "lang", "page"),
    [
        ("أنا في أثينا، بمن أتصل إذا تعطل أوفيس عندنا؟", "ar", "greece"),
        ("عندي شركة صغيرة في أمستردام وأبي أكلم الدعم بالتلفون", "ar", "netherlands"),
        ("we run a small company in Minsk, who do we call?", "en", "belarus"),
        ("I'm setting up Office for a client in Vilnius and need the local support number", "en", "lithuania"),
    ],
)
def test_the_named_citys_country_page_comes_first(
    countries: Engine, monkeypatch: pytest.MonkeyPatch, query: str, lang: str, page: str
) -> None:
    monkeypatch.setitem(retrieval.LEVERS, "places", True)
    result = countries.retriever.search(query, lang=lang, limit=5)
    assert [hit.key for hit in result.results][:1] == [f"ar/{page}"]


def test_an_index_without_country_pages_reads_no_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most help centers have no country page: their searches do not read CLDR's cities at all (the first search
    of a language would otherwise pay for loading them), and a city they name is read as typed."""
    pages = PlacePages(payloads([("reset-password", "Reset your password")]), ["ar", "en"])
    assert pages.codes == frozenset()

    def unread(*_: object) -> None:
        raise AssertionError("named_places read for an index without country pages")

    monkeypatch.setattr(places, "named_places", unread)
    assert pages.names("I'm in Athens, who do I call?", "en", ["ar", "en"]) == ([], [])
