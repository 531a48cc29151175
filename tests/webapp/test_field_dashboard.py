"""The dashboard's breakdown by a dropdown or checkbox field through the real app (task fieldviews33; SQLite, and
PostgreSQL with `--postgresql`): the table for the chosen field with each option's label and the hand-worked figures
of tests.desk.test_field_report, its CSV, a field the breakdown does not offer refused (400 on the page, 404 for a
CSV), leads and admins only."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from flask import Flask
from flask_babel import format_percent

from desk.desk import Desk
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.desk.test_field_report import crafted
from tests.webapp.light_app import PASSWORD, client_for, light_settings  # noqa: F401
from tests.webapp.test_api_ticket_fields import FIELDS
from webapp import create_app

WEEK = {"from": "2026-11-29", "to": "2026-12-05", "tz": "UTC"}


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    crafted(desk)
    return app


def test_the_dashboard_breaks_the_period_down_by_the_chosen_field(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    page = lead.get("/agent/dashboard/", query_string={**WEEK, "field": "reason"}).get_data(as_text=True)
    section = page.split('id="table-field"')[1].split("</table>")[0]
    assert "Tickets by Reason" in section
    cells = [row.split("</td>")[:-1] for row in section.split("<tbody>")[1].split("</tr>")[:-1]]
    shown = [[cell.rsplit(">", 1)[1] for cell in row] for row in cells]
    assert shown[0][:6] == ["Refund", "3", "3", "4.0", "15.0", "2"]
    assert shown[1][:6] == ["Delivery", "1", "1", "1.0", "2.0", "1"]
    assert shown[2][0] == "warranty (not in the fields file)" and shown[3][0] == "No value"
    # The CSV: the same rows, for the same period and slices.
    answer = lead.get("/agent/dashboard/fields/reason.csv", query_string={**WEEK, "lang": "en"})
    assert answer.status_code == 200 and "dashboard-field-reason-2026-11-29_2026-12-05.csv" in answer.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["Reason", "Created", "Solved", "Median first reply (h)", "Median resolution (h)",
                       "CSAT answers", "CSAT"]
    assert rows[1] == ["Refund", "2", "2", "5.5", "10.0", "1", "1.0"]  # R2 is Arabic


def shown_cells(page: str) -> list[list[str]]:
    section = page.split('id="table-field"')[1].split("</table>")[0]
    cells = [row.split("</td>")[:-1] for row in section.split("<tbody>")[1].split("</tr>")[:-1]]
    return [[cell.rsplit(">", 1)[1] for cell in row] for row in cells]


def test_the_csat_column_is_a_percentage_on_the_page_and_a_fraction_in_the_csv(app: Flask) -> None:
    """The page showed the CSV's fraction ("0.4118") where every other rate on it is a percentage: the page says
    "41.2%" in the page's language and digits (Babel's percent, Arabic-Indic digits under KB_DIGITS=arab); the CSV
    keeps its fraction."""
    lead = client_for(app, "lead@example.com")
    rows = list(csv.reader(io.StringIO(lead.get("/agent/dashboard/fields/reason.csv", query_string=WEEK)
                                       .get_data(as_text=True))))
    fractions = [row[6] for row in rows[1:]]
    assert fractions[0] == "0.5" and all(value == "" or 0 <= float(value) <= 1 for value in fractions)
    page = lead.get("/agent/dashboard/", query_string={**WEEK, "field": "reason"}).get_data(as_text=True)
    with app.test_request_context("/?hl=en"):
        expected = [format_percent(float(value), format="#,##0.0%") if value else "–" for value in fractions]
    assert [row[6] for row in shown_cells(page)] == expected and expected[0] == "50.0%"
    arabic = create_app(replace(app.extensions["settings"], digits="arab"))
    lead = client_for(arabic, "lead@example.com")
    page = lead.get("/agent/dashboard/", query_string={**WEEK, "field": "reason", "hl": "ar"}).get_data(as_text=True)
    first = shown_cells(page)[0][6]
    assert "٥٠" in first and "٪" in first and "50" not in first and "0.5" not in first


def test_a_checkbox_field_and_the_arabic_labels(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    page = lead.get("/agent/dashboard/", query_string={**WEEK, "field": "vip", "hl": "ar"}).get_data(as_text=True)
    section = page.split('id="table-field"')[1].split("</table>")[0]
    assert "التذاكر حسب مميز" in section and "بلا قيمة" in section
    answer = lead.get("/agent/dashboard/fields/vip.csv", query_string=WEEK)
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert [row[:2] for row in rows[1:]] == [["Yes", "5"], ["No", "0"], ["No value", "1"]]


def test_a_field_the_breakdown_does_not_offer_is_refused(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    answer = lead.get("/agent/dashboard/", query_string={**WEEK, "field": "amount"})  # a number: no options
    assert answer.status_code == 400 and "field: &#39;amount&#39; is not one of reason, vip" in answer.get_data(
        as_text=True)
    assert lead.get("/agent/dashboard/fields/amount.csv", query_string=WEEK).status_code == 404
    assert lead.get("/agent/dashboard/fields/nothing.csv", query_string=WEEK).status_code == 404
    agent = client_for(app, "sara@example.com")
    assert agent.get("/agent/dashboard/fields/reason.csv", query_string=WEEK).status_code == 403
