"""The abstention reports over a month of logged searches: how long `kb report abstention`, `false-abstentions`,
`floors` (what `kb floors` decides: labels, the guard's cross-validated fits) and, beside them, `gaps` take to build,
on SQLite; and the lead's reports page over the same log, served by the real app (Flask's test client, a lead
logged in): the list (/agent/reports/, builds none), each report's own page, and every report, which the page built
on each load before it showed one at a time (the ten pages' medians summed).

    PYTHONPATH=. .venv/bin/python bench/shadow_log_bench.py [--searches 20000 100000] [--runs 3]
        [--postgresql | --database-url postgresql://...]

`abstention` and `floors` are timed twice, side by side: as built now (counted in SQL, Events.search_tallies) and as
session 24 built them (a ShadowSearch per search, bench/reports_before25.py), and the two must give the same rows.
`gaps` likewise: its first page and every row as built now (desk.reports.content_gaps_page and gap_rows: ranked and
paged in SQL by the stored normalised query) beside session 26's (bench/reports_before27.py: every spelling counted and
folded in Python), which must give the same rows, as session 25's whole list (bench/reports_before26.py); and its pages
served now (50 rows, webapp.reports.PAGE_SIZE: the first, the second, one language's, the CSV of every row) beside the
same pages as session 26 served them.
`--postgresql` starts a throwaway PostgreSQL cluster as `pytest --postgresql` does (tests/postgres.py);
`--database-url` uses one you run (emptied before each size). SQLite otherwise, in a temporary folder.

Generated, bulk-inserted: `--searches` settled searches over the last 30 days (two per visit, 20% abstained, half
clicked, 25 signals each, as the shadow log stores them: the floors' four among them), a ticket after one visit in
ten, and on half of those an agent's inserted passage and sent reply. Prints the median of `--runs` builds of each
report. The queries are "question N", N drawn uniformly from 0 to a fifth of
`--searches`: most questions are searched about five times, and carry mixed behaviour (the signals are uniform noise).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

from flask.testing import FlaskClient
from sqlalchemy import insert, text

from bench.reports_before25 import abstention_before, floors_before
from bench.reports_before26 import gaps_before
from bench.reports_before27 import gaps_before27, page_before27
from copilot.learnt_floors import SIGNALS
from desk import reports
from desk.database import Database, database_url
from desk.desk import Desk
from desk.models import Base, Customer, SearchEvent, SuggestionEvent, Ticket, utcnow
from desk.search_labels import question_key
from kb.catalog import Catalog
from kb.settings import Settings
from tests.postgres import ThrowawayPostgres
from tests.webapp.conftest import PASSWORD, login
from webapp import create_app
from webapp import reports as report_pages

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
SIGNAL_NAMES = (*SIGNALS, *(f"s{k}" for k in range(25 - len(SIGNALS))))  # the floors read the first four


def fill(desk: Desk, searches: int, rng: random.Random) -> int:
    """The generated month; returns the number of tickets."""
    now = utcnow()
    rows, tickets, uses = [], [], []
    for i in range(searches):
        at = now - timedelta(days=30) + timedelta(seconds=i * 30 * 86400 / searches)
        rows.append({"token": f"t{i}", "visit_id": f"v{i // 2}", "query": f"question {rng.randint(0, searches // 5)}",
                     "lang": "en", "result_count": 5, "abstained": rng.random() < 0.2, "fallback": False,
                     "source": "page", "clicked_article": "en/refund-timing" if rng.random() < 0.5 else None,
                     "created_at": at, "signals": {name: round(rng.random(), 4) for name in SIGNAL_NAMES},
                     "first_article": "en/refund-timing"})
        if i % 20 == 1:
            tid = len(tickets) + 1
            tickets.append({"id": tid, "reference": f"r{tid}", "customer_id": 1, "subject": "s", "lang": "en",
                            "status": "open", "priority": "normal", "channel": "web", "context": {},
                            "visit_id": f"v{i // 2}", "created_at": at + timedelta(seconds=5), "updated_at": at})
            if tid % 2:
                uses += [{"ticket_id": tid, "kind": "inserted", "article_key": "en/refund-timing", "details": {},
                          "created_at": at + timedelta(seconds=60)},
                         {"ticket_id": tid, "kind": "sent", "details": {}, "created_at": at + timedelta(seconds=90)}]
    with desk.db.session() as session:
        session.execute(insert(Customer), [{"id": 1, "email": "a@example.com", "name": "A"}])
        session.execute(insert(SearchEvent), rows)
        session.execute(insert(Ticket), tickets)
        session.execute(insert(SuggestionEvent), uses)
    return len(tickets)


def timed(call: Callable[[], T], runs: int) -> tuple[float, float, T]:
    """The median seconds of `runs` calls, wall clock and this process's CPU time, and what the last one returned.
    The CPU time is what a call costs on a machine others share (the wall clock waits for them); on PostgreSQL it
    leaves out the server's share, so the wall clock is the figure there."""
    times, cpu, value = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        value = call()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert value is not None
    return statistics.median(times), statistics.median(cpu), value


def builds(desk: Desk, catalog: Catalog, searches: int, tickets: int, runs: int) -> None:
    """The four abstention-side reports' builds; `abstention` and `floors` also as session 24 built them, and once
    "cold": the first build of a process, no query's question_key kept yet."""
    before = {"abstention": abstention_before, "floors": floors_before}
    catalog.snapshot()  # loaded once a process (the app's first page), not by a report
    for name in ("abstention", "false-abstentions", "floors", "gaps"):
        build = partial(reports.REPORTS[name].build, desk, catalog, None, "UTC")
        line = f"{searches} searches, {tickets} tickets: {name:18}"
        if name in before:
            question_key("warm")  # the fold's own first call loads its word lists: once a process, not a report's
            question_key.cache_clear()
            cold, cold_cpu, _rows = timed(build, 1)
            line += f" cold {cold:.2f} s (CPU {cold_cpu:.2f}),"
        took, cpu, rows = timed(build, runs)
        line += f" {len(rows):5} rows, median {took:.2f} s (CPU {cpu:.2f})"
        if name in before:
            took_before, cpu_before, rows_before = timed(partial(before[name], desk, catalog, None), runs)
            assert rows_before == rows, name
            line += f"; session 24's build: median {took_before:.2f} s (CPU {cpu_before:.2f}), the same rows"
        print(line)
    gaps_page = partial(reports.content_gaps_page, desk.db, limit=report_pages.PAGE_SIZE)
    took, cpu, page = timed(gaps_page, runs)
    took_before, cpu_before, page_before = timed(partial(page_before27, desk.db, limit=report_pages.PAGE_SIZE), runs)
    every = gaps_before(desk.db)  # session 25's whole list: the tests' reference
    assert page == page_before and page.rows == every[:report_pages.PAGE_SIZE] and page.total == len(every)
    print(f"{searches} searches, {tickets} tickets: gaps, first page  {len(page.rows):5} rows of {page.total}, median "
          f"{took:.2f} s (CPU {cpu:.2f}); session 26's page: median {took_before:.2f} s (CPU {cpu_before:.2f}), "
          "the same rows")
    took, cpu, rows = timed(lambda: list(reports.gap_rows(desk.db)), runs)
    took_before, cpu_before, rows_before = timed(partial(gaps_before27, desk.db), runs)
    assert rows == rows_before == every
    print(f"{searches} searches, {tickets} tickets: gaps, every row    {len(rows):5} rows, median {took:.2f} s "
          f"(CPU {cpu:.2f}); session 26's: median {took_before:.2f} s (CPU {cpu_before:.2f}), the same rows")


@contextmanager
def gaps_as_before() -> Iterator[None]:
    """The gaps pages and CSV as session 26 served them: each page ranked by folding every spelling in Python
    (bench/reports_before27.py), the CSV built whole."""
    gaps = reports.REPORTS["gaps"]
    reports.REPORTS["gaps"] = replace(gaps, page=lambda desk, days, zone, lang, offset, limit: page_before27(
        desk.db, reports.since_days(days, zone=zone), lang=lang, offset=offset, limit=limit), rows=None)
    try:
        yield
    finally:
        reports.REPORTS["gaps"] = gaps


def pages(client: FlaskClient, runs: int) -> dict[str, tuple[float, float]]:
    """Median seconds of each page, wall clock and this process's CPU (the app's: the test client serves in it): the
    list ("list"), each report's own, "every report" (their sum), and the gaps' pages and CSV beside the gaps page as
    session 25 served it."""
    def get(url: str) -> int:
        answer = client.get(url)
        answer.get_data()  # a streamed CSV is written out as it is read: read it all, as the lead's browser does
        assert answer.status_code == 200, (url, answer.status_code)
        return answer.status_code

    def page(url: str) -> tuple[float, float]:
        took, cpu, _status = timed(partial(get, url), runs)  # wall clock: what the lead waits
        return took, cpu

    times = {"list": page("/agent/reports/")}
    for name in reports.REPORTS:
        times[name] = page(f"/agent/reports/{name}")
    times["every report"] = (sum(times[name][0] for name in reports.REPORTS),
                             sum(times[name][1] for name in reports.REPORTS))
    gap_pages = (("gaps, page 2", "/agent/reports/gaps?page=2"), ("gaps, one language", "/agent/reports/gaps?lang=en"),
                 ("gaps.csv (every row)", "/agent/reports/gaps.csv"))
    for label, url in gap_pages:
        times[label] = page(url)
    with gaps_as_before():
        for label, url in (("gaps", "/agent/reports/gaps"), *gap_pages):
            times[f"session 26: {label}"] = page(url)
    return times


def empty(url: str) -> None:
    """A PostgreSQL database as the tests empty theirs (tests.conftest.database_url_for_tests)."""
    db = Database(database_url(Settings(database_url=url)))
    with db.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, nargs="+", default=[20_000])
    parser.add_argument("--runs", type=int, default=3)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL cluster, as the tests'")
    where.add_argument("--database-url", help="a PostgreSQL you run (emptied before each size)")
    args = parser.parse_args()
    cluster = ThrowawayPostgres().start() if args.postgresql else None
    url = cluster.url if cluster is not None else args.database_url
    try:
        run(args.searches, args.runs, url)
    finally:
        if cluster is not None:
            cluster.stop()


def run(sizes: list[int], runs: int, url: str | None) -> None:
    """Each size's builds and pages, then the pages side by side."""
    page_times = {}
    for searches in sizes:
        with tempfile.TemporaryDirectory() as folder:
            if url:
                empty(url)
            settings = Settings(data_dir=Path(folder), content_dir=ROOT / "content", database_url=url)
            app = create_app(settings)
            desk = app.extensions["desk"]
            tickets = fill(desk, searches, random.Random(22))
            builds(desk, Catalog(settings), searches, tickets, runs)
            desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
            client = app.test_client()
            assert login(client, "lead@example.com").status_code == 302
            page_times[searches] = pages(client, runs)
            desk.close()
    print(f"\nThe reports page ({'PostgreSQL' if url else 'SQLite'}), median of {runs} loads, seconds wall clock (CPU),"
          " by logged searches:")
    print(f"{'page':32}" + "".join(f"{size:>16,}" for size in sizes))
    for page in page_times[sizes[0]]:
        figures = (f"{page_times[size][page][0]:.2f} ({page_times[size][page][1]:.2f})" for size in sizes)
        print(f"{page:32}" + "".join(f"{figure:>16}" for figure in figures))


if __name__ == "__main__":
    main()
