"""The content gaps report a page at a time (desk.reports.content_gaps_page) shows the rows session 25 showed, in the
same order: each page is that page of the whole list as it was built (bench/reports_before26.py, the old code), on a
generated log with spellings of one question across languages, tickets, ties, answered searches, a query of spaces
only and searches outside the window (SQLite; PostgreSQL with --postgresql). Since session 27 the page is ranked in
SQL by each row's stored `normalised_query`, with the rows an older release wrote unfolded folded in Python."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from bench.reports_before26 import gaps_before
from desk import reports
from desk.desk import Desk
from desk.models import ContentGap, SearchEvent, utcnow
from desk.query_keys import fill_query_keys
from desk.query_text import normalise_query
from tests.desk.test_reports import desk  # noqa: F401 - the report's fixture

SPELLINGS = ["{} refund", "{} REFUND", "  {}   refund ", "{} Refund"]


def fill(desk: Desk, searches: int = 1500, seed: int = 26) -> None:  # noqa: F811
    """Over the last 40 days: 300 questions, each typed in up to four spellings, in English or Arabic; a third of
    the searches answered (not a gap); a ticket the copilot could not answer for one search in eight."""
    rng, now = random.Random(seed), utcnow()
    rows, gaps = [], []
    for i in range(searches):
        at = now - timedelta(days=40) + timedelta(seconds=i * 40 * 86400 / searches)
        # A few questions asked often, a long tail asked once or twice (many with the same count: ties).
        n = int(rng.paretovariate(1.2)) % 300 if rng.random() < 0.4 else rng.randrange(300)
        query = "   " if n == 7 else rng.choice(SPELLINGS).format(f"q{n}" if n % 5 else f"سؤال {n}")
        lang = "ar" if n % 5 == 0 or rng.random() < 0.1 else "en"
        answered = rng.random() < 0.33
        rows.append({"token": f"t{i}", "visit_id": f"v{i}", "query": query, "lang": lang,
                     "result_count": 4 if answered else rng.choice([0, 2]), "abstained": not answered and
                     rng.random() < 0.5, "fallback": False, "source": "page", "created_at": at})
        if rng.random() < 0.125:
            gaps.append({"query": rng.choice(SPELLINGS).format(f"q{n}"), "lang": lang, "created_at": at})
    with desk.db.session() as session:
        session.execute(insert(SearchEvent), rows)
        session.execute(insert(ContentGap), gaps)


@pytest.mark.parametrize("size", [7, 40])
def test_each_page_is_that_page_of_the_whole_list(desk: Desk, size: int) -> None:  # noqa: F811
    fill(desk)
    for since in (None, reports.since_days(30), reports.since_days(15)):
        for lang in (None, "en", "ar"):
            before = gaps_before(desk.db, since, lang=lang)
            assert len(before) > size  # more than one page, so paging is tested
            assert len({r.searches + r.tickets for r in before}) < len(before)  # ties: ranked by query
            pages = -(-len(before) // size)
            shown = []
            for page in range(pages + 1):  # and one past the end: empty
                found = reports.content_gaps_page(desk.db, since, lang=lang, offset=page * size, limit=size)
                assert found.total == len(before)
                assert found.rows == before[page * size:(page + 1) * size]
                shown += found.rows
            assert shown == before == reports.content_gaps(desk.db, since, lang=lang)
            every = reports.content_gaps_page(desk.db, since, lang=lang)  # no limit: the CSV's rows
            assert every.rows == before and every.total == len(before)


def test_a_page_of_too_many_spellings_is_the_whole_list_sliced(desk: Desk, monkeypatch: pytest.MonkeyPatch  # noqa: F811
                                                              ) -> None:
    fill(desk)
    unfold(desk)  # since session 27: the loose rows' queries are what a query names
    monkeypatch.setattr(reports, "MAX_SPELLINGS", 3)  # a query may name at most so many spellings
    before = gaps_before(desk.db)
    found = reports.content_gaps_page(desk.db, offset=40, limit=40)
    assert found.rows == before[40:80] and found.total == len(before)


def test_the_registry_pages_the_gaps_in_one_language(desk: Desk) -> None:  # noqa: F811
    fill(desk)
    with desk.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(SearchEvent))
    gaps = reports.REPORTS["gaps"]
    first = reports.report_page(gaps, desk, None, 30, "Asia/Riyadh", "ar", 0, 10)  # type: ignore[arg-type]
    whole = gaps_before(desk.db, reports.since_days(30, zone="Asia/Riyadh"), lang="ar")
    assert first.rows == whole[:10] and first.total == len(whole)
    assert all("ar" in r.languages for r in first.rows)
    assert reports.report_page(gaps, desk, None, 30, "Asia/Riyadh", "ar").rows == whole  # type: ignore[arg-type]
    with desk.db.session() as session:  # reading a page wrote nothing
        assert session.scalar(select(func.count()).select_from(SearchEvent)) == stored


def unfold(desk: Desk) -> tuple[int, int]:  # noqa: F811
    """Every third search and every other gap ticket as an older release wrote them during a rolling deploy: no
    `normalised_query`. Returns how many of each."""
    with desk.db.session() as session:
        searches = session.execute(update(SearchEvent).where(SearchEvent.id % 3 == 0).values(normalised_query=None))
        tickets = session.execute(update(ContentGap).where(ContentGap.id % 2 == 0).values(normalised_query=None))
        return int(searches.rowcount), int(tickets.rowcount)  # type: ignore[attr-defined]


def same_pages(desk: Desk, size: int, since: object = None, lang: str | None = None) -> None:  # noqa: F811
    """Every page of `size` (and one past the end), and every row, as the old code built the whole list."""
    before = gaps_before(desk.db, since, lang=lang)  # type: ignore[arg-type]
    assert len(before) > size
    for page in range(-(-len(before) // size) + 1):
        found = reports.content_gaps_page(desk.db, since, lang=lang, offset=page * size, limit=size)  # type: ignore[arg-type]
        assert (found.rows, found.total) == (before[page * size:(page + 1) * size], len(before))
    assert list(reports.gap_rows(desk.db, since, lang=lang)) == before  # type: ignore[arg-type]


def test_each_row_keeps_its_query_folded_and_the_page_folds_nothing(desk: Desk,  # noqa: F811
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 26 folded every spelling typed in Python to rank a page; the fold is now written with each row (the
    same function, on the ORM's and Core's inserts) and the page is ranked in SQL."""
    fill(desk, 600)
    desk.events.content_gap("  Strasse  ß ", "en")
    desk.events.search("ΐ  Refund", "en", 0, False)
    with desk.db.session() as session:
        for model in (SearchEvent, ContentGap):
            stored = session.execute(select(model.query, model.normalised_query)).all()
            assert stored and all(key == normalise_query(query) for query, key in stored)
    before = gaps_before(desk.db)

    def folded(query: str) -> str:
        raise AssertionError(f"folded {query!r} in Python")

    monkeypatch.setattr(reports, "normalise_query", folded)
    found = reports.content_gaps_page(desk.db, offset=20, limit=20)
    assert (found.rows, found.total) == (before[20:40], len(before))
    assert list(reports.gap_rows(desk.db)) == before
    assert [r for r in before if r.query in ("strasse ss", "ΐ refund")]


@pytest.mark.parametrize("size", [7, 40])
def test_rows_an_older_release_wrote_unfolded_are_counted(desk: Desk, size: int,  # noqa: F811
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A rolling deploy: the old release's web workers go on logging searches without `normalised_query`. The report
    folds those in Python and merges them into SQL's ranking, same pages; `kb worker` then folds them for good."""
    fill(desk)
    searches, tickets = unfold(desk)
    assert searches == 500 and 50 < tickets < 150
    for since in (None, reports.since_days(15)):
        for lang in (None, "ar"):
            same_pages(desk, size, since, lang)
    monkeypatch.setattr(reports, "MAX_SPELLINGS", 3)  # more loose queries than a query may name: every row read
    same_pages(desk, size)
    monkeypatch.undo()
    assert fill_query_keys(desk.db.engine, limit=150) == 150 + tickets  # a bounded pass: 150 rows of each table
    assert fill_query_keys(desk.db.engine) == searches - 150
    assert fill_query_keys(desk.db.engine) == 0
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).where(SearchEvent.normalised_query.is_(None))) == 0
    same_pages(desk, size)


def test_ties_go_by_code_point_whatever_the_database_collation(desk: Desk) -> None:  # noqa: F811
    """Ties are ordered by query as Python orders strings (by code point, session 25's order). PostgreSQL orders text
    by the database's collation, which for most locales puts "éclair" before "fraise" and ignores case and accents
    at first: here the keys' column is given ICU's root collation, as an en_US database would order them."""
    if desk.db.engine.dialect.name == "postgresql":
        with desk.db.engine.begin() as connection:
            for name in ("search_events", "content_gaps"):
                connection.execute(text(f'ALTER TABLE {name} ALTER COLUMN normalised_query TYPE VARCHAR(600) '
                                        'COLLATE "und-x-icu"'))
    for query in ("fraise", "éclair", "Zebra", "q10 refund", "q1 refund", "ab", "a b", "سؤال", "q2"):
        desk.events.search(query, "en", 0, False)
    desk.events.search("Fraise", "fr", 0, True)  # a gap in three languages, and one in two
    desk.events.content_gap("fraise", "ar")
    desk.events.search("سؤال", "ar", 0, False)
    before = gaps_before(desk.db)
    assert [(r.query, r.languages) for r in before][:2] == [("fraise", ("ar", "en", "fr")), ("سؤال", ("ar", "en"))]
    assert [r.query for r in before][2:6] == ["a b", "ab", "q1 refund", "q10 refund"]
    assert reports.content_gaps_page(desk.db, offset=0, limit=3).rows == before[:3]
    assert [r.query for r in reports.content_gaps_page(desk.db, offset=6, limit=4).rows] == [
        r.query for r in before[6:10]] == ["q2", "zebra", "éclair"]
    assert list(reports.gap_rows(desk.db)) == before
