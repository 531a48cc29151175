"""The content gaps report a page at a time (desk.reports.content_gaps_page) shows the rows session 25 showed, in the
same order: each page is that page of the whole list as it was built (bench/reports_before26.py, the old code), on a
generated log with spellings of one question across languages, tickets, ties, answered searches, a query of spaces
only and searches outside the window (SQLite; PostgreSQL with --postgresql)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bench.reports_before26 import gaps_before
from desk import reports
from desk.desk import Desk
from desk.models import ContentGap, SearchEvent, utcnow
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
