"""The ticket page's custom fields panel (task fields33): one form saved all or nothing, each bad value named by its
label beside its input with what the agent typed kept, values shown in the agent's locale (Arabic labels and
digits), changes in the panel's history and the audit log, a removed field shown as such, required_to_solve on the
page's own status form. The real app; SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import AuditEvent, SavedView, Ticket, TicketFieldValue
from desk.tickets import NewTicket
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.webapp.conftest import csrf, login
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from tests.webapp.test_api_ticket_fields import FIELDS
from webapp import create_app

FIELDS_WITH_DATE = FIELDS + "- key: bought\n  type: date\n  label: {en: Bought on, ar: تاريخ الشراء}\n"


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS_WITH_DATE, encoding="utf-8")
    app = create_app(light_settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    return app


@pytest.fixture
def agent(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return client


def new(app: Flask) -> int:
    return app.extensions["desk"].tickets.create(NewTicket(email="omar@example.com", subject="Refund",
                                                           body="Where is my refund?", lang="en")).id


def stored(app: Flask, ticket_id: int) -> dict[str, str]:
    with app.extensions["desk"].db.session() as session:
        return {row.key: row.value for row in session.scalars(
            select(TicketFieldValue).where(TicketFieldValue.ticket_id == ticket_id))}


def save(agent: FlaskClient, ticket_id: int, **values: str):  # type: ignore[no-untyped-def]
    token = csrf(agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True))
    return agent.post(f"/agent/tickets/{ticket_id}/fields",
                      data={"csrf_token": token, **{f"field.{k}": v for k, v in values.items()}})


def test_the_panel_saves_every_value_and_lists_the_change(app: Flask, agent: FlaskClient) -> None:
    ticket = new(app)
    page = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    assert 'id="fields-form"' in page and "Order number" in page and "(required to solve)" in page
    answer = save(agent, ticket, order_number="A-1001", amount="1234.5", reason="delivery", vip="true",
                  bought="2026-12-05")
    assert answer.status_code == 302
    assert stored(app, ticket) == {"order_number": "A-1001", "amount": "1234.5", "reason": "delivery",
                                   "vip": "true", "bought": "2026-12-05"}
    page = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    assert "1,234.5" in page and 'datetime="2026-12-05"' in page and "December 5, 2026" in page
    assert "Field changes" in page and "Bought on: <span dir=\"auto\">—</span>" in page
    with app.extensions["desk"].db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket_fields_changed")).one()
        assert event.actor == "agent" and event.after["reason"] == "delivery"


def test_bad_values_save_nothing_each_named_with_what_was_typed_kept(app: Flask, agent: FlaskClient) -> None:
    ticket = new(app)
    answer = save(agent, ticket, order_number="A-7", amount="twelve", reason="refund", bought="5/12/2026")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "Refund amount: not a number" in page and "Bought on: not a date (YYYY-MM-DD)" in page
    assert 'value="twelve"' in page and 'value="A-7"' in page and 'aria-invalid="true"' in page
    assert stored(app, ticket) == {}


def test_arabic_labels_and_digits(app: Flask, agent: FlaskClient) -> None:
    ticket = new(app)
    assert save(agent, ticket, amount="12.5", reason="refund", bought="2026-12-05").status_code == 302
    desk: Desk = app.extensions["desk"]
    desk.accounts.set_locale(next(a.id for a in desk.accounts.agents()), "ar")
    page = agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    assert 'lang="ar"' in page
    assert "مبلغ الاسترداد" in page and "استرداد" in page and "تاريخ الشراء" in page
    assert "5 ديسمبر 2026" in page  # a date as a date, in the Arabic month's name
    bad = save(agent, ticket, amount="كثير")
    assert bad.status_code == 400 and "مبلغ الاسترداد" in bad.get_data(as_text=True)


def test_the_page_refuses_solving_without_the_required_field(app: Flask, agent: FlaskClient) -> None:
    desk: Desk = app.extensions["desk"]
    ticket = new(app)
    token = csrf(agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True))
    answer = agent.post(f"/agent/tickets/{ticket}/update", data={"csrf_token": token, "status": "solved",
                                                                "priority": "normal", "assignee": ""},
                        follow_redirects=True)
    assert "cannot be solved before Order number" in answer.get_data(as_text=True)
    assert desk.tickets.get(ticket).status == "open"
    assert save(agent, ticket, order_number="A-1").status_code == 302
    agent.post(f"/agent/tickets/{ticket}/update", data={"csrf_token": token, "status": "solved",
                                                       "priority": "normal", "assignee": ""})
    assert desk.tickets.get(ticket).status == "solved"


def test_a_removed_field_is_shown_as_such(app: Flask, agent: FlaskClient, light_settings: Settings  # noqa: F811
                                          ) -> None:
    ticket = new(app)
    assert save(agent, ticket, vip="true").status_code == 302
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS.split("- key: vip")[0], encoding="utf-8")
    reopened = create_app(light_settings)
    client = reopened.test_client()
    assert login(client, "agent@example.com").status_code == 302
    page = client.get(f"/agent/tickets/{ticket}").get_data(as_text=True)
    assert "vip (not in the fields file)" in page


def test_the_fields_route_needs_a_signed_in_agent(app: Flask) -> None:
    ticket = new(app)
    answer = app.test_client().post(f"/agent/tickets/{ticket}/fields", data={"field.amount": "1"})
    assert answer.status_code in (302, 400, 401, 403)
    assert stored(app, ticket) == {}


# --- the contact form -------------------------------------------------------------------------------------------

FORM_FIELDS = """\
- key: order_number
  type: text
  label: {en: Order number, ar: رقم الطلب}
  on_contact_form: true
  required_on_form: true
- key: amount
  type: number
  label: {en: Refund amount, ar: مبلغ الاسترداد}
  on_contact_form: true
- key: internal_note
  type: text
  label: {en: Internal, ar: داخلي}
"""


@pytest.fixture
def customer(light_settings: Settings) -> tuple[Flask, FlaskClient]:  # noqa: F811
    (light_settings.content_dir / FIELDS_FILE).write_text(FORM_FIELDS, encoding="utf-8")
    app = create_app(light_settings)
    return app, app.test_client()


def contact(client: FlaskClient, lang: str, **fields: str):  # type: ignore[no-untyped-def]
    page = client.get(f"/{lang}/contact").get_data(as_text=True)
    submission = page.split('name="submission" type="hidden" value="', 1)[1].split('"', 1)[0]
    return client.post(f"/{lang}/contact", data={
        "name": "Sam", "email": "sam@example.com", "subject": "Lost parcel", "message": "It never came.",
        "submission": submission, "csrf_token": csrf(page), **{f"field.{k}": v for k, v in fields.items()}})


def test_the_contact_form_shows_its_fields_and_stores_them(customer: tuple[Flask, FlaskClient]) -> None:
    app, client = customer
    page = client.get("/ar/contact").get_data(as_text=True)
    assert "رقم الطلب" in page and "مبلغ الاسترداد" in page and "داخلي" not in page
    assert page.index('name="message"') < page.index('name="field.order_number"')
    sent = contact(client, "en", order_number="A-1001", amount="٣٫٥")
    assert sent.status_code == 302
    with app.extensions["desk"].db.session() as session:
        [ticket_id] = session.scalars(select(TicketFieldValue.ticket_id).distinct())
    assert stored(app, ticket_id) == {"order_number": "A-1001", "amount": "3.5"}


def test_a_bad_or_missing_value_is_refused_with_what_was_typed_kept(customer: tuple[Flask, FlaskClient]) -> None:
    app, client = customer
    refused = contact(client, "ar", order_number="", amount="كثير")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "رقم الطلب: مطلوب" in page and "\u2068مبلغ الاسترداد\u2069: ليس رقمًا" in page and 'value="كثير"' in page
    assert "It never came." in page
    with app.extensions["desk"].db.session() as session:
        assert session.scalar(select(TicketFieldValue.id)) is None
    with app.extensions["desk"].db.session() as session:
        assert session.scalar(select(Ticket.id)) is None


def test_the_inbox_filters_by_a_dropdown_or_checkbox_field(app: Flask, agent: FlaskClient) -> None:
    refund, delivery = new(app), app.extensions["desk"].tickets.create(NewTicket(
        email="huda@example.com", subject="Parcel late", body="Where is my parcel?", lang="en")).id
    assert save(agent, refund, reason="refund", vip="true").status_code == 302
    assert save(agent, delivery, reason="delivery").status_code == 302
    page = agent.get("/agent/?view=all&field.reason=refund").get_data(as_text=True)
    assert f'/agent/tickets/{refund}"' in page and f'/agent/tickets/{delivery}"' not in page
    assert '<option value="refund" selected>' in page
    page = agent.get("/agent/?view=all&field.vip=false").get_data(as_text=True)
    assert f'/agent/tickets/{delivery}"' in page and f'/agent/tickets/{refund}"' not in page
    page = agent.get("/agent/?view=all&field.reason=nonsense").get_data(as_text=True)  # ignored, as other filters
    assert f'/agent/tickets/{delivery}"' in page and f'/agent/tickets/{refund}"' in page


def save_view(agent: FlaskClient, name: str, query: str):  # type: ignore[no-untyped-def]
    """Post the inbox's save form as the page draws it for `query`: its hidden fields are the filters."""
    page = agent.get(f"/agent/?{query}").get_data(as_text=True)
    form = page.split('class="save-view"')[1].split("</form>")[0]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    return data, agent.post("/agent/views", data={**{k: unescape(v) for k, v in data.items()}, "name": name})


def test_a_view_saved_with_field_filters_opens_with_them_and_counts_them(app: Flask, agent: FlaskClient) -> None:
    refund, vip_refund, delivery = new(app), new(app), new(app)
    assert save(agent, refund, reason="refund").status_code == 302  # an unticked box: vip false
    assert save(agent, vip_refund, reason="refund", vip="true").status_code == 302
    assert save(agent, delivery, reason="delivery", vip="true").status_code == 302
    form, answer = save_view(agent, "VIP refunds", "view=all&field.reason=refund&field.vip=1")
    assert form["field.reason"] == "refund" and form["field.vip"] == "true"
    assert answer.status_code == 302 and "saved=" in answer.headers["Location"]
    view_id = int(answer.headers["Location"].rsplit("saved=", 1)[1])
    page = agent.get(f"/agent/?saved={view_id}").get_data(as_text=True)
    assert f'/agent/tickets/{vip_refund}"' in page
    assert f'/agent/tickets/{refund}"' not in page and f'/agent/tickets/{delivery}"' not in page
    found = re.search(rf'id="saved-{view_id}">.*?<span class="count">(\d+)</span>', page, re.S)
    assert found and found.group(1) == "1"  # the sidebar's count is the page's rows
    assert '<option value="refund" selected>' in page and '<option value="true" selected>' in page


def test_a_bad_field_filter_is_flashed_naming_it_and_nothing_saved(app: Flask, agent: FlaskClient) -> None:
    token = csrf(agent.get("/agent/").get_data(as_text=True))
    answer = agent.post("/agent/views", data={"csrf_token": token, "name": "Bad", "view": "all",
                                              "field.reason": "warranty"}, follow_redirects=True)
    page = unescape(answer.get_data(as_text=True))
    assert "'warranty' is not one of refund, delivery" in page
    with app.extensions["desk"].db.session() as session:
        assert session.scalar(select(func.count(SavedView.id))) == 0


def test_a_saved_view_on_a_field_the_file_lost_still_opens_and_says_so(
        app: Flask, agent: FlaskClient, light_settings: Settings) -> None:  # noqa: F811
    vip, plain = new(app), new(app)
    assert save(agent, vip, vip="true").status_code == 302
    assert save(agent, plain, reason="delivery").status_code == 302  # vip false
    _, answer = save_view(agent, "VIP", "view=all&field.vip=true")
    view_id = int(answer.headers["Location"].rsplit("saved=", 1)[1])
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS.split("- key: vip")[0], encoding="utf-8")
    client = create_app(light_settings).test_client()
    assert login(client, "agent@example.com").status_code == 302
    answer = client.get(f"/agent/?saved={view_id}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "vip (not in the fields file): <bdi>true</bdi>" in page
    assert f'/agent/tickets/{vip}"' in page and f'/agent/tickets/{plain}"' not in page


MACRO = """---
title: Refund started
actions:
  set_fields: {reason: refund, vip: true}
---
Your refund is on its way.
"""


def test_a_macros_set_fields_are_set_with_its_reply_audited_as_the_agent(app: Flask, agent: FlaskClient,
                                                                         light_settings: Settings  # noqa: F811
                                                                         ) -> None:
    folder = light_settings.content_dir / "_macros" / "en"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refund-started.md").write_text(MACRO, encoding="utf-8")
    ticket = new(app)
    token = csrf(agent.get(f"/agent/tickets/{ticket}").get_data(as_text=True))
    answer = agent.post(f"/agent/tickets/{ticket}/reply", data={
        "csrf_token": token, "body": "Your refund is on its way.", "status": "pending", "macro": "en/refund-started"})
    assert answer.status_code == 302
    assert stored(app, ticket) == {"reason": "refund", "vip": "true"}
    with app.extensions["desk"].db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket_fields_changed")).one()
        assert (event.actor, event.after) == ("agent", {"reason": "refund", "vip": "true"})
    # A value the file no longer takes: the reply is not sent, the field named.
    (folder / "refund-started.md").write_text(MACRO.replace("reason: refund", "reason: warranty"), encoding="utf-8")
    other = new(app)
    token = csrf(agent.get(f"/agent/tickets/{other}").get_data(as_text=True))
    answer = agent.post(f"/agent/tickets/{other}/reply", data={
        "csrf_token": token, "body": "Second reply.", "status": "pending", "macro": "en/refund-started"})
    assert answer.status_code == 400 and "Reason: not one of Refund, Delivery" in answer.get_data(as_text=True)
    assert stored(app, other) == {}
    with app.extensions["desk"].db.session() as session:
        assert session.scalars(select(Ticket).where(Ticket.id == other)).one().messages[-1].author == "customer"


def test_the_customers_page_shows_only_the_fields_visible_to_customers(light_settings: Settings  # noqa: F811
                                                                        ) -> None:
    visible = FIELDS.replace("  label: {en: Reason, ar: السبب}\n",
                             "  label: {en: Reason, ar: السبب}\n  visible_to_customer: true\n")
    visible = visible.replace("  label: {en: Refund amount, ar: مبلغ الاسترداد}\n",
                              "  label: {en: Refund amount, ar: مبلغ الاسترداد}\n  visible_to_customer: true\n")
    (light_settings.content_dir / FIELDS_FILE).write_text(visible, encoding="utf-8")
    app = create_app(light_settings)
    ticket = app.extensions["desk"].tickets.create(NewTicket(
        email="omar@example.com", subject="Refund", body="Where is my refund?", lang="en",
        fields={"reason": "refund", "order_number": "A-1182", "vip": "true", "amount": "1234.5"}))
    client = app.test_client()
    page = client.get(f"/en/tickets/{ticket.reference}").get_data(as_text=True)
    shown = page.split('id="ticket-fields"')[1].split("</dl>")[0]
    assert "<dt>Reason</dt>" in shown and "Refund</dd>" in shown and "1,234.5" in shown
    assert "A-1182" not in page and "VIP" not in page and "Order number" not in page  # the agents' alone
    arabic = client.get(f"/ar/tickets/{ticket.reference}").get_data(as_text=True)
    assert "<dt>السبب</dt>" in arabic and "استرداد" in arabic
    assert "<form" not in shown  # read only
    # Without visible fields the page has no such list.
    (light_settings.content_dir / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    plain = create_app(light_settings).test_client().get(f"/en/tickets/{ticket.reference}").get_data(as_text=True)
    assert 'id="ticket-fields"' not in plain


def test_the_inbox_shows_chosen_fields_as_columns_sorted_by_one_and_a_view_keeps_them(app: Flask,
                                                                                       agent: FlaskClient) -> None:
    small, large, none = new(app), new(app), new(app)
    assert save(agent, small, reason="refund", amount="9.5").status_code == 302
    assert save(agent, large, reason="delivery", amount="1234.5").status_code == 302
    query = "view=all&column=reason&column=amount&sort=field.amount"
    page = agent.get(f"/agent/?{query}").get_data(as_text=True)
    header = page.split('<table class="inbox">')[1].split("</thead>")[0]
    assert header.index("Refund amount") < header.index(">Reason<")  # the file's order, not the URL's
    rows = re.findall(r'data-id="(\d+)"', page)
    assert rows == [str(small), str(large), str(none)]  # as numbers (9.5 before 1,234.5), no value last
    body = page.split("<tbody>")[1]
    assert ">1,234.5</td>" in body and ">Delivery</td>" in body
    assert 'value="field.amount" selected' in page and 'name="column" value="reason" checked' in page
    assert 'name="column" value="vip" checked' not in page
    form, answer = save_view(agent, "By amount", query)
    assert form["columns"] == "amount,reason" and form["sort"] == "field.amount"
    view_id = int(answer.headers["Location"].rsplit("saved=", 1)[1])
    saved = agent.get(f"/agent/?saved={view_id}").get_data(as_text=True)
    assert re.findall(r'data-id="(\d+)"', saved) == rows and ">1,234.5</td>" in saved
