"""The search shadow log end to end (issue #18): real models, real qdrant-edge, the real Flask app and database.

A settled search keeps the floors' signals and its first result as ranked before abstention, also when it abstained
and showed nothing; an abstained search whose visit wrote a ticket that an agent answered with an article is a false
abstention on the lead's reports page and in `kb report`; reading the page writes nothing.
"""

from __future__ import annotations

import csv
import io
import re

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from copilot.tuning import TUNING_FILE, SearchTuning
from desk.desk import Desk
from desk.models import Base, SearchEvent
from tests.webapp.conftest import csrf, login
from webapp.cli import main

UNANSWERABLE = "what is the airspeed of an unladen swallow"  # the slice's index abstains on it


def searches(app: Flask) -> list[SearchEvent]:
    """The search rows, oldest first, after the background analytics writer wrote what was queued."""
    desk: Desk = app.extensions["desk"]
    assert desk.events.writer is None or desk.events.writer.flush()
    with desk.db.session() as session:
        return list(session.scalars(select(SearchEvent).order_by(SearchEvent.id)))


def snapshot(app: Flask) -> dict[str, object]:
    """Rows per table and every search row's logged fields: what a GET must leave as it was."""
    return database_rows(app.extensions["desk"])


def database_rows(desk: Desk) -> dict[str, object]:
    """`snapshot` of a desk: also what a command that only reads must leave as it was (`kb floors`)."""
    with desk.db.session() as session:
        found: dict[str, object] = {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
                                    for t in Base.metadata.sorted_tables}
        found["searches"] = [(s.clicked_article, s.signals, s.first_article, s.floors)
                             for s in session.scalars(select(SearchEvent).order_by(SearchEvent.id))]
    return found


def test_settled_searches_log_the_signals_and_the_first_result_also_when_search_abstained(
    app: Flask, client: FlaskClient
) -> None:
    answered = client.get("/ar/search", query_string={"q": "نسيت كلمة المرور"}).get_data(as_text=True)
    assert "/ar/articles/reset-password" in answered
    hidden = client.get("/en/search", query_string={"q": UNANSWERABLE}).get_data(as_text=True)
    assert "No article matches your search." in hidden and 'class="result"' not in hidden
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/en/").get_data(as_text=True)).group(1)
    settled = client.post("/en/search/settled", json={"q": UNANSWERABLE}, headers={"X-CSRFToken": token})
    assert settled.status_code == 200

    page, abstained, instant = searches(app)
    assert (page.abstained, page.first_article) == (False, "ar/reset-password")
    assert (abstained.abstained, abstained.result_count, abstained.source) == (True, 0, "page")
    assert (instant.abstained, instant.result_count, instant.source) == (True, 0, "instant")
    articles = app.extensions["catalog"].snapshot().articles
    # Nothing was shown, yet the log keeps what an unfloored search would have shown first: a public article.
    assert abstained.first_article in articles and not articles[abstained.first_article].internal
    assert instant.first_article == abstained.first_article
    for row in (page, abstained, instant):
        assert {"lexical_top", "e5_top"} <= set(row.signals), row.signals  # the floats the floors compare
        assert all(isinstance(v, float) and round(v, 4) == v for v in row.signals.values())
    assert abstained.signals == instant.signals

    # The JSON API's `src=instant` (a site's own search box) is a settled search too; `src=contact` is not.
    for source in ("instant", "contact"):
        answer = client.get("/api/v1/search", query_string={"q": UNANSWERABLE, "lang": "en", "src": source})
        assert answer.status_code == 200
    api_instant, contact = searches(app)[3:]
    assert (api_instant.source, api_instant.first_article) == ("instant", abstained.first_article)
    assert api_instant.signals == abstained.signals
    assert (contact.source, contact.signals, contact.first_article) == ("contact", None, None)
    # Which floors decided each: those of the content's _search.yml the engine started with (none for the contact
    # form's search, which is no shadow log).
    in_use = SearchTuning.load(app.extensions["engine"].settings.content_dir / TUNING_FILE).floors_fingerprint()
    assert [s.floors for s in (page, abstained, instant, api_instant, contact)] == [in_use] * 4 + [None]


def test_a_false_abstention_reaches_the_reports_page_and_kb_report_and_reading_writes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    # A customer's search abstains; from the same visit they write to the team.
    assert "No article matches" in client.get("/en/search", query_string={"q": UNANSWERABLE}).get_data(as_text=True)
    form = client.get("/en/contact").get_data(as_text=True)
    assert f'value="{UNANSWERABLE}"' in form
    # The form's script searches the text being written for suggestions (recorded as "contact": not a search).
    typing = client.get("/api/v1/search", query_string={"q": "Swallows: how fast does it fly?", "lang": "en",
                                                        "limit": 5, "src": "contact"})
    assert typing.status_code == 200
    created = client.post("/en/contact", data={"name": "Sam", "email": "sam@example.com", "subject": "Swallows",
                                                "message": "How fast does it fly?", "csrf_token": csrf(form)})
    assert created.status_code == 302
    desk: Desk = app.extensions["desk"]
    ticket = desk.tickets.by_reference(created.headers["Location"].rsplit("/", 1)[1])
    # An agent inserts a copilot passage of the help center and sends the reply carrying it.
    agent = app.test_client()
    assert login(agent, "agent@example.com").status_code == 302
    token = csrf(agent.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True))
    inserted = agent.post(f"/agent/tickets/{ticket.id}/events", headers={"X-CSRFToken": token},
                          json={"kind": "inserted", "what": "passage", "article": "en/refund-timing", "rank": 1})
    assert inserted.status_code == 200
    passage = "Refunds reach your card within 5 to 10 business days."
    sent = agent.post(f"/agent/tickets/{ticket.id}/reply", data={
        "body": passage, "inserted_draft": passage, "inserted_what": "passage", "status": "pending",
        "csrf_token": token})
    assert sent.status_code == 302
    search, _typing = searches(app)
    assert (search.source, _typing.source) == ("page", "contact")

    lead = app.test_client()
    assert login(lead, "admin@example.com").status_code == 302
    before = snapshot(app)
    html = lead.get("/agent/reports/false-abstentions").get_data(as_text=True)
    section = html.split('id="report-false-abstentions"', 1)[1].split("</section>", 1)[0]
    assert UNANSWERABLE in section and f'href="/agent/tickets/{ticket.id}"' in section
    assert '<a href="/en/articles/refund-timing">When will I get my refund?</a>' in section
    assert ("<td dir=\"auto\">Yes</td>" in section) == (search.first_article == "en/refund-timing")
    assert 'href="/agent/reports/gaps"' in section  # the gaps report is a page of its own
    abstention = lead.get("/agent/reports/abstention").get_data(as_text=True)
    summary = abstention.split('id="report-abstention"', 1)[1].split("</section>", 1)[0]
    assert "<td dir=\"auto\">en</td><td dir=\"auto\">1</td><td dir=\"auto\">1</td><td dir=\"auto\">1.0</td>" in summary
    arabic = lead.get("/agent/reports/false-abstentions", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "عمليات بحث لم تجد شيئًا مع أن وكيلًا أجاب من مركز المساعدة" in arabic
    download = lead.get("/agent/reports/false-abstentions.csv").get_data(as_text=True)
    [header, row] = list(csv.reader(io.StringIO(download)))
    assert dict(zip(header, row, strict=True)) | {"searched_at": ""} == {
        "query": UNANSWERABLE, "lang": "en", "searched_at": "", "article_key": "en/refund-timing",
        "title": "When will I get my refund?", "ticket_id": str(ticket.id), "first_result": search.first_article,
        "first_result_matches": str(search.first_article == "en/refund-timing")}
    assert snapshot(app) == before  # the page, in both languages, and the CSV wrote nothing

    settings = app.extensions["settings"]
    where = ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    shown = runner.invoke(main, ["report", "abstention", "--days", "1", *where])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[1].split() == ["lang", "searches", "abstained", "abstained_share", "queries",
                                                    "answerable", "not_answered", "false_abstentions", "logged"]
    assert shown.output.splitlines()[2].split() == ["en", "1", "1", "1.0", "1", "1", "0", "1", "1"]
    listed = runner.invoke(main, ["report", "false-abstentions", "--csv", *where])
    assert listed.output.splitlines()[1].startswith(f"{UNANSWERABLE},en,")
    assert snapshot(app) == before
