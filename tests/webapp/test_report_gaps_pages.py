"""The content gaps report on the lead's page at a busy help center's size: a page of rows at a time in the report's
order, ?lang= on the page, its links and its CSV, and the CSV every row (the page drew all of them: 12,598 on a busy
month's log, bench/RESULTS.md session 25). SQLite; PostgreSQL with --postgresql."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, insert, select, update

from desk import reports
from desk.models import SearchEvent, utcnow
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.conftest import login
from tests.webapp.test_reports_page import app, settings  # noqa: F401 - the reports page's fixtures
from webapp.cli import main

GAPS = 120


def seed(app: Flask) -> int:  # noqa: F811
    """GAPS questions nothing answered, "gap i" searched 1 to 4 times (ties among them), every third in Arabic;
    beside the fixture's one. Returns the searches stored."""
    now, rows = utcnow(), []
    for i in range(GAPS):
        for k in range(i % 4 + 1):
            rows.append({"token": f"t{i}-{k}", "visit_id": f"v{i}", "query": f"gap {i:03d}" if k else f"Gap  {i:03d}",
                         "lang": "ar" if i % 3 == 0 else "en", "result_count": 0, "abstained": True,
                         "fallback": False, "source": "page", "created_at": now - timedelta(hours=i)})
    desk = app.extensions["desk"]
    with desk.db.session() as session:
        session.execute(insert(SearchEvent), rows)
        return int(session.scalar(select(func.count()).select_from(SearchEvent)) or 0)


def shown(html: str) -> list[str]:
    """The queries in the report's table, top to bottom."""
    body = html.split('id="report-gaps"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr><td dir="auto">([^<]*)</td>', body)


def test_the_gaps_page_shows_a_page_of_the_ranked_list(app: Flask) -> None:  # noqa: F811
    stored = seed(app)
    desk = app.extensions["desk"]
    every = [r.query for r in reports.content_gaps(desk.db)]
    assert len(every) == GAPS + 1
    client = app.test_client()
    login(client, "admin@example.com")
    first = client.get("/agent/reports/gaps").get_data(as_text=True)
    assert shown(first) == every[:50]  # the first page, in the report's order: most searched, then by query
    assert "(121)</h2>" in first and "Rows 1 to 50 of 121 here; the CSV has every row." in first
    assert "Page 1 of 3" in first and 'rel="next" href="/agent/reports/gaps?page=2"' in first
    assert 'rel="prev"' not in first
    last = client.get("/agent/reports/gaps?page=3").get_data(as_text=True)
    assert shown(last) == every[100:] and 'rel="prev" href="/agent/reports/gaps?page=2"' in last
    assert "Rows 101 to 121 of 121" in last and 'rel="next"' not in last
    past = client.get("/agent/reports/gaps?page=9").get_data(as_text=True)  # the last page, said so (bits28)
    assert shown(past) == every[100:] and "There is no page <bdi dir=\"ltr\">9</bdi>: this is the last page, 3." in past
    assert "Rows 101 to 121 of 121" in past
    arabic = client.get("/agent/reports/gaps?page=3", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "الصفوف من 101 إلى 121 من أصل 121 هنا" in arabic and "الصفحة 3 من 3" in arabic
    download = client.get("/agent/reports/gaps.csv")
    assert download.is_streamed  # written as the database hands the rows over
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert [row[0] for row in table[1:]] == every  # the CSV: every row, not the page's
    assert table[1:] == reports.cells(reports.content_gaps(desk.db), reports.GapRow, "UTC")
    with desk.db.session() as session:  # the pages and the CSV wrote nothing
        assert session.scalar(select(func.count()).select_from(SearchEvent)) == stored


def test_the_gaps_filter_by_language_on_the_page_its_links_and_its_csv(app: Flask) -> None:  # noqa: F811
    seed(app)
    arabic = [r.query for r in reports.content_gaps(app.extensions["desk"].db, lang="ar")]
    assert len(arabic) == GAPS // 3
    client = app.test_client()
    login(client, "admin@example.com")
    page = client.get("/agent/reports/gaps?lang=ar&days=7").get_data(as_text=True)
    assert shown(page) == arabic and "(40)</h2>" in page and 'rel="next"' not in page  # one page of 40
    assert '<option value="ar" selected>ar</option>' in page
    assert 'href="/agent/reports/gaps.csv?days=7&amp;lang=ar"' in page  # the CSV keeps the filter
    table = list(csv.reader(io.StringIO(client.get("/agent/reports/gaps.csv?lang=ar").get_data(as_text=True))))
    assert [row[0] for row in table[1:]] == arabic and all(row[3] == "ar" for row in table[1:])
    english = client.get("/agent/reports/gaps?lang=en&page=2").get_data(as_text=True)
    assert 'rel="prev" href="/agent/reports/gaps?lang=en&amp;page=1"' in english  # the pager keeps it too
    assert shown(english) == [r.query for r in reports.content_gaps(app.extensions["desk"].db, lang="en")][50:]
    assert '<select id="lang"' not in client.get("/agent/reports/rejected").get_data(as_text=True)
    bad = client.get("/agent/reports/gaps?lang=xx")
    assert bad.status_code == 400 and 'role="alert">lang: use one of en, ar' in bad.get_data(as_text=True)
    assert 'id="report-' not in bad.get_data(as_text=True)  # nothing built
    bad_csv = client.get("/agent/reports/gaps.csv?lang=xx")
    assert bad_csv.status_code == 400 and "lang: use one of en, ar" in bad_csv.get_data(as_text=True)


def test_the_inbox_pages_with_the_same_pager(app: Flask) -> None:  # noqa: F811
    """One pager (agent/_pager.html) for the inbox, held mail and the reports: the inbox's keeps its filters."""
    desk = app.extensions["desk"]
    for i in range(26):  # the fixture's ticket and these: two pages of 25
        desk.tickets.create(NewTicket(email=f"c{i}@example.com", subject=f"Question {i}", body="Help?", lang="en"))
    client = app.test_client()
    login(client, "admin@example.com")
    first = client.get("/agent/?sort=created").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="prev"' not in first
    link = re.search(r'rel="next" href="([^"]+)"', first)
    assert link is not None and "sort=created" in link.group(1) and link.group(1).endswith("page=2")
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second


def test_kb_report_gaps_takes_a_language_as_the_page_does(app: Flask, settings: Settings) -> None:  # noqa: F811
    """`kb report gaps --lang ar` is the page's ?lang=ar: the same rows, in the same order, also where an older
    release logged some searches unfolded (rolling deploy); a language the help center lacks, or --lang on a report
    that has no language, is a usage error naming --lang."""
    seed(app)
    db = app.extensions["desk"].db
    with db.session() as session:
        session.execute(update(SearchEvent).where(SearchEvent.id % 2 == 0).values(normalised_query=None))
    arabic = reports.content_gaps(db, lang="ar")
    assert [r.query for r in arabic] == [f"gap {i:03d}" for i in sorted(range(0, GAPS, 3), key=lambda i: -(i % 4))]
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir), "--tz", "UTC"]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    as_csv = runner.invoke(main, ["report", "gaps", "--lang", "ar", "--csv", *where])
    assert as_csv.exit_code == 0, as_csv.output
    assert list(csv.reader(io.StringIO(as_csv.output)))[1:] == reports.cells(arabic, reports.GapRow, "UTC")
    client = app.test_client()
    login(client, "admin@example.com")
    page = client.get("/agent/reports/gaps.csv?lang=ar&tz=UTC").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(page))) == list(csv.reader(io.StringIO(as_csv.output)))
    table = runner.invoke(main, ["report", "gaps", "--lang", "ar", *where])
    assert table.exit_code == 0 and table.output.startswith(f"Content gaps: searches and tickets nothing answered "
                                                            f"({GAPS // 3}; times in UTC)")
    everything = runner.invoke(main, ["report", "gaps", "--csv", *where])
    assert len(everything.output.splitlines()) == 1 + GAPS + 1  # the header, every gap and the fixture's
    bad = runner.invoke(main, ["report", "gaps", "--lang", "fr", *where])
    assert bad.exit_code == 2 and "Invalid value for '--lang': 'fr': use one of en, ar" in bad.output
    other = runner.invoke(main, ["report", "rejected", "--lang", "ar", *where])
    assert other.exit_code == 2 and "'--lang': the rejected report is not filtered by language" in other.output
