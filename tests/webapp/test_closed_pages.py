"""A closed ticket is final on the server too: every form of its page posted anyway (a stale page, a second tab, a
script) is a 409 with the ticket page, the error naming it and the "Create follow-up" form, nothing written; the
inbox's bulk actions refuse a selection with a closed ticket in it, naming it, nothing changed; the follow-up still
goes out. A merge into a merged duplicate is refused naming where it lives. A customer opening a merged duplicate's
page is taken to the conversation where it now lives, told why (Arabic through the catalog). The real app; SQLite,
and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.desk import Desk
from desk.tickets import NewTicket
from tests.desk.test_closed_final import state_of
from tests.webapp.conftest import csrf


def omars(desk: Desk, body: str = "طلبي رقم 12345 لم يصل بعد") -> int:
    return desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي", body=body,
                                         lang="ar")).id


def closed(desk: Desk) -> int:
    """Omar's Arabic ticket, tagged, answered, solved and closed."""
    made = omars(desk)
    desk.tags.add([made], ["shipping"])
    desk.tickets.reply(made, desk.accounts.agents()[0].id, "وصل طلبك اليوم", status="solved")
    desk.tickets.update(made, status="closed")
    return made


def other_team(desk: Desk, ticket_id: int) -> str:
    found = desk.tickets.get(ticket_id)
    assert found is not None
    here = desk.hours.team_key(found.team)
    return next((t for t in desk.hours.teams if t != here), here)


FORMS: dict[str, tuple[str, dict[str, str]]] = {
    "note": ("note", {"body": "Checked with the courier"}),
    "status": ("update", {"status": "open"}),
    "priority": ("update", {"priority": "urgent"}),
    "assignee": ("update", {"assignee": "1"}),
    "unassign": ("update", {"assignee": "none"}),
    "team": ("team", {}),
    "due": ("due", {"due": "2030-01-02T10:00", "due_zone": "Asia/Riyadh"}),
    "due cleared": ("due", {"action": "clear"}),
    "tag": ("tags", {"tags": "vip"}),
    "untag": ("tags", {"remove": "shipping"}),
    "snooze": ("snooze", {"until": "hour"}),
    "unsnooze": ("snooze", {"action": "unsnooze"}),
    "merge": ("merge", {}),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_posted_to_a_closed_ticket_is_a_409_offering_the_follow_up(
    app: Flask, agent: FlaskClient, form: str
) -> None:
    desk: Desk = app.extensions["desk"]
    made = closed(desk)
    path, data = FORMS[form]
    if form == "team":
        data = {"team": other_team(desk, made)}
    if form == "merge":
        data = {"target": str(omars(desk, "Another question"))}
    token = csrf(agent.get(f"/agent/tickets/{made}").get_data(as_text=True))
    before = state_of(desk, made)
    other_before = state_of(desk, int(data["target"])) if form == "merge" else None
    answer = agent.post(f"/agent/tickets/{made}/{path}", data={**data, "csrf_token": token})
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 409, (answer.status_code, answer.headers.get("Location"))
    assert f"#{made} is closed: a closed ticket is final and nothing on it changes; create a follow-up" in page
    assert 'id="create-follow-up"' in page and f'action="/agent/tickets/{made}/follow-up"' in page
    assert state_of(desk, made) == before
    if form == "merge":  # the other ticket is untouched too
        assert state_of(desk, int(data["target"])) == other_before


def test_the_refusal_is_in_arabic_for_an_arabic_reader(app: Flask, agent: FlaskClient) -> None:
    desk: Desk = app.extensions["desk"]
    made = closed(desk)
    token = csrf(agent.get(f"/agent/tickets/{made}").get_data(as_text=True))
    answer = agent.post(f"/agent/tickets/{made}/note", data={"body": "ملاحظة", "csrf_token": token},
                        headers={"Accept-Language": "ar"})
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 409 and f"التذكرة #{made} مغلقة: التذكرة المغلقة نهائية" in page


BULK: dict[str, str] = {"assign": "me", "solve": "", "tag": "vip", "due": "2030-01-02T10:00", "team": "",
                        "snooze": "hour"}


@pytest.mark.parametrize("action", sorted(BULK))
def test_a_bulk_action_with_a_closed_ticket_in_the_selection_changes_nothing(
    app: Flask, agent: FlaskClient, action: str
) -> None:
    desk: Desk = app.extensions["desk"]
    first, done, last = omars(desk, "First"), closed(desk), omars(desk, "Last")
    value = other_team(desk, first) if action == "team" else BULK[action]
    token = csrf(agent.get("/agent/").get_data(as_text=True))
    before = {t: state_of(desk, t) for t in (first, done, last)}
    answer = agent.post("/agent/bulk", data={"ticket": [str(first), str(done), str(last)], "action": action,
                                             "value": value, "csrf_token": token, "back": "/agent/"})
    assert answer.status_code == 302
    inbox = unescape(agent.get("/agent/").get_data(as_text=True))
    assert f"#{done} is closed" in inbox and "tickets updated" not in inbox
    assert {t: state_of(desk, t) for t in (first, done, last)} == before


def test_the_follow_up_still_goes_out_from_a_closed_ticket(app: Flask, agent: FlaskClient) -> None:
    desk: Desk = app.extensions["desk"]
    made = closed(desk)
    token = csrf(agent.get(f"/agent/tickets/{made}").get_data(as_text=True))
    before = state_of(desk, made)
    sent = agent.post(f"/agent/tickets/{made}/follow-up", data={"body": "هل وصل الطلب؟", "csrf_token": token})
    assert sent.status_code == 302
    new_id = int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert new_id != made and state_of(desk, made) == before
    # The follow-up is open: a note on it is written.
    page = agent.get(f"/agent/tickets/{new_id}").get_data(as_text=True)
    assert agent.post(f"/agent/tickets/{new_id}/note", data={"body": "Asked the courier", "csrf_token": csrf(page)}
                      ).status_code == 302


def test_a_merge_into_a_merged_duplicate_is_refused_naming_where_it_lives(app: Flask, agent: FlaskClient) -> None:
    desk: Desk = app.extensions["desk"]
    target, duplicate, third = omars(desk, "One"), omars(desk, "Two"), omars(desk, "Three")
    desk.tickets.merge(duplicate, target, desk.accounts.agents()[0].id, "Merged.")
    token = csrf(agent.get(f"/agent/tickets/{target}").get_data(as_text=True))
    for source in (target, third):  # back (a loop), and a third ticket into the duplicate
        before = {t: state_of(desk, t) for t in (source, duplicate)}
        agent.post(f"/agent/tickets/{source}/merge", data={"target": str(duplicate), "csrf_token": token})
        page = unescape(agent.get(f"/agent/tickets/{source}").get_data(as_text=True))
        assert f"#{duplicate} was merged into #{target}: merge into #{target} instead" in page
        assert {t: state_of(desk, t) for t in (source, duplicate)} == before
    # The duplicate's page says where it went.
    duplicate_page = agent.get(f"/agent/tickets/{duplicate}").get_data(as_text=True)
    assert f'Merged into <a href="/agent/tickets/{target}">#{target}</a>' in duplicate_page


def test_a_customer_opening_a_merged_duplicate_is_taken_to_where_it_lives(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    target, duplicate = omars(desk, "One"), omars(desk, "Two")
    desk.tickets.merge(duplicate, target, desk.accounts.agents()[0].id, "Merged.")
    found_target, found_duplicate = desk.tickets.get(target), desk.tickets.get(duplicate)
    assert found_target is not None and found_duplicate is not None
    customer = app.test_client()
    opened = customer.get(f"/ar/tickets/{found_duplicate.reference}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/ar/tickets/{found_target.reference}")
    page = unescape(customer.get(opened.headers["Location"]).get_data(as_text=True))
    # the reference isolated, on one line (webapp.help.naming_reference)
    assert f'دُمج طلبك السابق <bdi class="keep-whole" dir="ltr">{found_duplicate.reference}</bdi> في هذا الطلب' in page
    # The live ticket's own page is not redirected, nor is a ticket never merged.
    assert customer.get(f"/ar/tickets/{found_target.reference}").status_code == 200
