"""The lead's dashboard, its CSV files, notices and /api/v1/metrics over the hand-computed desk of
tests/desk/test_metrics.py (the real app, the real models for grouping gaps by meaning)."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from copilot.engine import Engine
from desk.desk import Desk
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.conftest import CONTENT, database_url_for_tests
from tests.desk.test_metrics import Fixture, build_world
from tests.webapp.conftest import PASSWORD, csrf, login
from webapp import create_app

WEEK = "from=2026-11-29&to=2026-12-05"


@pytest.fixture
def app(content_dir: Path, tmp_path: Path, embedders: list[Embedder]) -> Flask:
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)  # KSA Sun-Thu, UAE Mon-Fri and holidays
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests())
    app = create_app(settings, engine=Engine(settings, embedders))
    accounts = app.extensions["desk"].accounts
    for email, role in (("admin@example.com", "admin"), ("lead@example.com", "lead"), ("agent@example.com", "agent")):
        accounts.create_agent(email, PASSWORD, name=email.split("@")[0].title(), role=role)
    return app


@pytest.fixture
def world(app: Flask) -> Fixture:
    return build_world(app.extensions["desk"])


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def card(html: str, key: str) -> tuple[str, str]:
    """(this period, previous) of a headline card."""
    block = html.split(f'id="fig-{key}"', 1)[1].split("</div>", 1)[0]
    now = block.split('class="now">', 1)[1].split("<", 1)[0]
    before = block.split('class="before">', 1)[1].split("</span>", 1)[0]
    return now, re.sub("<[^>]+>", "", before)  # the value is in its own <bdi dir="ltr">


def test_leads_and_admins_only(app: Flask) -> None:
    assert app.test_client().get("/agent/dashboard/").status_code == 302  # to the login page
    assert client_for(app, "agent@example.com").get("/agent/dashboard/").status_code == 403
    assert client_for(app, "agent@example.com").get("/agent/reports/").status_code == 403
    lead = client_for(app, "lead@example.com")
    assert lead.get("/agent/dashboard/").status_code == 200
    assert lead.get("/agent/reports/").status_code == 200  # reports: yes
    assert lead.get("/agent/admin").status_code == 403  # agent management: no
    assert 'href="/agent/dashboard/"' in lead.get("/agent/").get_data(as_text=True)
    assert client_for(app, "admin@example.com").get("/agent/dashboard/").status_code == 200


def test_the_dashboard_follows_the_language_the_lead_picked(app: Flask) -> None:
    """The header's language picker was ignored here (the dashboard read only ?hl=): a lead who had picked Arabic
    read it in their browser's English. ?hl= still switches it for one page."""
    accounts = app.extensions["desk"].accounts
    lead = accounts.authenticate("lead@example.com", PASSWORD)
    assert lead is not None
    accounts.set_locale(lead.id, "ar")
    client = client_for(app, "lead@example.com")
    html = client.get("/agent/dashboard/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    english = client.get("/agent/dashboard/?hl=en", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english


def test_figures_filters_and_previous_period(app: Flask, world: Fixture) -> None:
    lead = client_for(app, "lead@example.com")
    html = lead.get(f"/agent/dashboard/?{WEEK}&hl=en").get_data(as_text=True)
    assert card(html, "created") == ("6", "previous: 1")
    assert card(html, "first_reply_median") == ("22.0", "previous: 1.0")
    assert card(html, "first_reply_business")[0] == "1.5"
    assert card(html, "reopen_rate")[0] == "33.3%"
    assert card(html, "one_touch_rate")[0] == "66.7%"
    assert card(html, "csat")[0] == "66.7%"
    assert "<svg" in html and "Took three days" in html and "wrong country" in html
    arabic_only = lead.get(f"/agent/dashboard/?{WEEK}&lang=ar&hl=en").get_data(as_text=True)
    assert card(arabic_only, "created") == ("2", "previous: 0")
    amal = lead.get(f"/agent/dashboard/?{WEEK}&agent={world.amal}&hl=en").get_data(as_text=True)
    assert card(amal, "created")[0] == "3"
    bad = lead.get("/agent/dashboard/?from=2026-12-05&to=2026-11-29")
    assert bad.status_code == 400 and "from: must not be after to" in bad.get_data(as_text=True)


def test_arabic_interface(app: Flask, world: Fixture) -> None:
    html = client_for(app, "lead@example.com").get(f"/agent/dashboard/?{WEEK}&hl=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "لوحة الدعم" in html and "التذاكر المنشأة" in html
    assert card(html, "created") == ("6", "السابق: 1")  # Babel's Arabic locale keeps Latin digits
    assert "سأل" not in html or "شخص" in html
    assert 'href="/agent/dashboard/agents.csv?' in html


def test_backlog_columns_name_the_statuses_in_the_interface_language(app: Flask, world: Fixture) -> None:
    """The backlog table's headings were the database's values ("new", "on_hold") in either language."""
    lead = client_for(app, "lead@example.com")
    for hl, expected in (("en", ["Age", "New", "Open", "Pending", "On hold", "Total"]),
                         ("ar", ["العمر", "جديدة", "مفتوح", "بانتظار العميل", "معلّقة", "المجموع"])):
        answer = lead.get(f"/agent/dashboard/backlog.csv?{WEEK}&hl={hl}")
        assert next(csv.reader(io.StringIO(answer.get_data(as_text=True)))) == expected, hl


def test_csv_downloads_match_the_page(app: Flask, world: Fixture) -> None:
    lead = client_for(app, "lead@example.com")
    answer = lead.get(f"/agent/dashboard/agents.csv?{WEEK}&hl=en")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="dashboard-agents-2026-11-29_2026-12-05.csv"'
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0][:3] == ["Agent", "Solved", "Public replies"]
    assert rows[1] == ["Amal", "2", "3", "2.0", "21.25", "2", "1.0"]
    assert rows[2] == ["Badr", "1", "2", "73.0", "77.0", "1", "0.0"]
    assert lead.get(f"/agent/dashboard/nothing.csv?{WEEK}").status_code == 404
    assert lead.get("/agent/dashboard/nothing.csv?from=bad").status_code == 404  # named before the filters are read
    from webapp.dashboard import TABLES

    for name in TABLES:  # every table the page shows downloads on its own
        answer = lead.get(f"/agent/dashboard/{name}.csv?{WEEK}")
        assert answer.status_code == 200 and answer.mimetype == "text/csv", name
        assert answer.get_data(as_text=True).count("\n") >= 1, name
    assert client_for(app, "agent@example.com").get(f"/agent/dashboard/agents.csv?{WEEK}").status_code == 403


def test_gaps_grouped_by_meaning_and_spike_alert(app: Flask) -> None:
    events = app.extensions["desk"].events
    for query, times in (("tabby instalments", 3), ("pay with tabby in installments", 2), ("تابي تقسيط", 1),
                         ("forgot my password", 2), ("card payment failed", 6)):
        for _ in range(times):
            events.search(query, "ar" if query.startswith("تابي") else "en", 0, True)
    lead = client_for(app, "lead@example.com")
    html = lead.get("/agent/dashboard/?hl=en").get_data(as_text=True)
    gaps = html.split('id="gaps"', 1)[1]
    assert "<strong dir=\"auto\">tabby instalments</strong>: 6 people asked" in gaps
    assert "pay with tabby in installments" in gaps and "تابي تقسيط" in gaps
    alerts = html.split('id="alerts"', 1)[1].split("</section>", 1)[0]
    assert "card payment failed" in alerts and "6 occurrences" in alerts
    table = list(csv.reader(io.StringIO(lead.get("/agent/dashboard/gaps.csv").get_data(as_text=True))))
    assert table[1][:3] == ["card payment failed", "6", "0"] or table[2][:3] == ["tabby instalments", "6", "0"]


def test_a_lead_publishes_a_notice_customers_see(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    token = csrf(lead.get("/agent/dashboard/").get_data(as_text=True))
    refused = lead.post("/agent/dashboard/notices", data={"text_en": "x", "hours": "0", "csrf_token": token})
    assert refused.status_code == 400
    desk: Desk = app.extensions["desk"]
    assert desk.notices.rows() == []
    lead.post("/agent/dashboard/notices", data={
        "text_en": "Known issue: card payments failing since 10:00; we are on it.",
        "text_ar": "مشكلة معروفة: الدفع بالبطاقة متعطل منذ العاشرة ونعمل على حلها.",
        "terms": "card payment, بطاقة", "hours": "4", "csrf_token": token})
    customer = app.test_client()
    assert "card payments failing since 10:00" in customer.get("/en/").get_data(as_text=True)
    assert "الدفع بالبطاقة متعطل" in customer.get("/ar/").get_data(as_text=True)
    notice = desk.notices.rows()[0]
    page = lead.get("/agent/dashboard/?hl=en").get_data(as_text=True)
    assert "card payments failing" in page.split('id="notices"', 1)[1]
    lead.post(f"/agent/dashboard/notices/{notice.id}/end", data={"csrf_token": token})
    assert "card payments failing" not in customer.get("/en/").get_data(as_text=True)
    assert "card payments failing" in lead.get("/agent/reports/notices").get_data(as_text=True)


def test_a_refused_notice_keeps_what_the_lead_typed(app: Flask) -> None:
    """A refused notice (here its duration) redirected to an empty form: both texts and the terms were lost."""
    lead = client_for(app, "lead@example.com")
    token = csrf(lead.get("/agent/dashboard/?hl=ar").get_data(as_text=True))
    refused = lead.post("/agent/dashboard/notices", data={
        "text_en": "Card payments <failing> since 10:00", "text_ar": "الدفع بالبطاقة متعطل منذ العاشرة",
        "terms": "card payment, بطاقة", "hours": "0", "hl": "ar", "csrf_token": token})
    assert refused.status_code == 400
    form = refused.get_data(as_text=True).split('id="notices"', 1)[1]
    assert "Card payments &lt;failing&gt; since 10:00</textarea>" in form
    assert "الدفع بالبطاقة متعطل منذ العاشرة</textarea>" in form
    assert 'value="card payment, بطاقة"' in form and 'name="hours" type="number" min="1" max="2160" value="0"' in form
    assert "اكتب مدة الإشعار بالساعات" in refused.get_data(as_text=True)
    assert app.extensions["desk"].notices.rows() == []


def test_metrics_api(app: Flask, world: Fixture) -> None:
    token = app.extensions["desk"].accounts.create_token("bi")
    api = app.test_client()
    assert api.get(f"/api/v1/metrics?{WEEK}").status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    body = api.get(f"/api/v1/metrics?{WEEK}", headers=headers).get_json()
    assert body["current"]["tickets"]["created"] == 6 and body["previous"]["tickets"]["created"] == 1
    assert body["current"]["tickets"]["full_resolution"]["p90_business_hours"] == 14.0
    assert body["current"]["csat"]["response_rate"] == 0.75
    assert body["current"]["adoption"]["total"]["drafts_inserted"] == 2
    assert body["current"]["self_service"]["click_through"] == 0.4
    sliced = api.get(f"/api/v1/metrics?{WEEK}&lang=en&channel=email&agent={world.amal}", headers=headers).get_json()
    assert sliced["current"]["tickets"]["created"] == 2  # T1 and T5
    missing = api.get("/api/v1/metrics?to=2026-12-05", headers=headers)
    assert missing.status_code == 400 and missing.get_json()["error"].startswith("from:")
    assert api.get(f"/api/v1/metrics?{WEEK}&lang=fr", headers=headers).get_json()["error"].startswith("lang:")
    assert api.get("/api/v1/metrics?from=2026-13-01&to=2026-12-05", headers=headers).status_code == 400


def test_the_channel_filter_names_channels_in_the_interface_language(app: Flask) -> None:
    """The channel list showed the stored values ("web", "email") on the Arabic dashboard."""
    lead = client_for(app, "lead@example.com")
    html = lead.get(f"/agent/dashboard/?{WEEK}&hl=ar&channel=chat").get_data(as_text=True)
    assert '<option value="chat" selected>الدردشة</option>' in html
    assert '<option value="email">البريد الإلكتروني</option>' in html


def test_a_spike_of_tickets_links_them_to_a_problem_in_one_go(app: Flask) -> None:
    """The alert's "Link these to a problem #" posts the inbox's bulk action (all or nothing) with its tickets."""
    from desk.tickets import NewTicket

    desk: Desk = app.extensions["desk"]
    problem = desk.tickets.create(NewTicket(email="ops@example.com", subject="Payments outage", body="x",
                                            notify=False)).id
    desk.problems.mark(problem, None)
    spiked = [desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject="card payment failed", body="help",
                                            notify=False)).id for n in range(6)]
    lead = client_for(app, "lead@example.com")
    html = lead.get("/agent/dashboard/?hl=en").get_data(as_text=True)
    alerts = html.split('id="alerts"', 1)[1].split("</section>", 1)[0]
    assert "Link these to a problem #" in alerts
    form = alerts.split('id="spike-link-1"', 1)[1].split("</form>", 1)[0]
    tickets = sorted(int(part.split('"', 1)[0]) for part in form.split('name="ticket" value="')[1:])
    assert len(tickets) >= 5 and set(tickets) <= set(spiked)  # the alert's own tickets
    answer = lead.post("/agent/bulk", data={"ticket": [str(t) for t in tickets], "action": "problem",
                                            "value": str(problem), "back": "/agent/dashboard/",
                                            "csrf_token": csrf(html)})
    assert answer.status_code == 302
    assert sorted(i.id for i in desk.problems.incidents(problem)) == tickets


def test_the_backlogs_ages_are_named_in_the_pages_language(app: Flask) -> None:
    """The backlog's age buckets in words, in the table, the chart and the CSV ("<1d", "3-7d" were shown as is)."""
    lead = client_for(app, "lead@example.com")
    for lang, under, week in (("en", "Under a day", "3 to 7 days"), ("ar", "أقل من يوم", "من 3 إلى 7 أيام")):
        html = lead.get(f"/agent/dashboard/?{WEEK}&hl={lang}", headers={"Accept-Language": lang}).get_data(as_text=True)
        backlog = html.split('id="backlog"', 1)[1].split("</section>", 1)[0]
        assert under in backlog.split('id="table-backlog"', 1)[0]  # the chart
        assert under in backlog.split('id="table-backlog"', 1)[1] and week in backlog  # the table
        assert "&lt;1d" not in backlog and "3-7d" not in backlog
    rows = list(csv.reader(io.StringIO(lead.get(f"/agent/dashboard/backlog.csv?{WEEK}").get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == ["Under a day", "1 to 3 days", "3 to 7 days", "Over 7 days"]


def test_the_copilot_section_names_its_edit_buckets_and_an_event_without_an_agent(app: Flask, world: Fixture) -> None:
    """The edit chart's buckets were bare numbers ("1-20", ">500": of what?) and a suggestion event with no agent (the
    demo seeded before any agent existed wrote them) made a blank row in "Copilot adoption by agent": the buckets say
    what they count (characters changed between the draft and the reply sent), in the page's language, and the row
    is named."""
    from datetime import UTC, datetime

    from desk.models import SuggestionEvent

    ticket = world.desk.tickets.inbox(status=None, limit=1)[0][0].id
    with world.desk.db.session() as session:
        session.add(SuggestionEvent(ticket_id=ticket, kind="shown", agent_id=None,
                                    created_at=datetime(2026, 12, 4, 9, tzinfo=UTC)))
        session.commit()
    lead = client_for(app, "lead@example.com")
    for lang, unchanged, some, nobody in (("en", "Unchanged", "21 to 100 characters", "No agent"),
                                          ("ar", "بلا تعديل", "من 21 إلى 100 حرف", "بلا موظف")):
        html = lead.get(f"/agent/dashboard/?{WEEK}&hl={lang}").get_data(as_text=True)
        chart = html.split('id="copilot"', 1)[1].split("</figure>", 1)[0]
        labels = re.findall(r'class="label">([^<]*)<', chart)
        assert labels[0] == unchanged and some in labels and not any(re.fullmatch(r"[\d<>-]+", x) for x in labels)
        table = html.split('id="table-adoption_agents"', 1)[1].split("</table>", 1)[0]
        first_cells = re.findall(r"<tr><td[^>]*>([^<]*)</td>", table)
        assert nobody in first_cells and "" not in first_cells, first_cells


def test_arabic_indic_digits_follow_kb_digits_on_the_dashboard_and_reports(content_dir: Path, tmp_path: Path,
                                                                           embedders: list[Embedder]) -> None:
    """KB_DIGITS=arab on an Arabic page: the cards, the tables' figures, the charts' numbers and the sentences' counts
    in Arabic-Indic digits, as the other pages' numbers (only the percentages were); English pages and every CSV
    keep ASCII digits."""
    shutil.copy2(CONTENT / "_business_hours.yml", content_dir)
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests(),
                        digits="arab")
    app = create_app(settings, engine=Engine(settings, embedders))
    app.extensions["desk"].accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    build_world(app.extensions["desk"])
    lead = client_for(app, "lead@example.com")
    html = lead.get(f"/agent/dashboard/?{WEEK}&hl=ar").get_data(as_text=True)
    assert card(html, "created") == ("٦", "السابق: ١")
    assert card(html, "full_resolution_business")[0] == "١٫٠"
    amal = html.split('id="table-agents"', 1)[1].split("</tr>", 2)[1]  # the first row after the headings
    assert re.findall(r"<td[^>]*>([^<]*)</td>", amal) == ["Amal", "٢", "٣", "٢٫٠", "٢١٫٢٥", "٢", "١٠٠٫٠٪"]
    drawn = re.findall(r'class="value">([^<]*)<', html)
    assert drawn and all(re.fullmatch("[٠-٩٬٫]+", value) for value in drawn), drawn
    counts = html.split('id="backlog-counts">', 1)[1].split("</p>", 1)[0]
    assert re.search("[٠-٩]", counts) and not re.search("[0-9]", counts)
    english = lead.get(f"/agent/dashboard/?{WEEK}&hl=en").get_data(as_text=True)
    assert card(english, "created") == ("6", "previous: 1")
    rows = list(csv.reader(io.StringIO(lead.get(f"/agent/dashboard/agents.csv?{WEEK}&hl=ar").get_data(as_text=True))))
    assert rows[1] == ["Amal", "2", "3", "2.0", "21.25", "2", "1.0"]
    report = lead.get("/agent/reports/deflection?days=3650&tz=UTC", headers={"Accept-Language": "ar"}).get_data(
        as_text=True)
    figures = re.findall(r'<td dir="auto">([^<]*)</td>', report)
    assert figures and not any(re.search("[0-9]", value) for value in figures), figures
