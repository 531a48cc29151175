"""Problem and incident tickets on the pages and the API (desk.problems): the ticket page marks, links (a refused
number shown beside its field, what was typed kept), lists the incidents and unlinks; the inbox links the ticked
tickets all or nothing and filters; the problem's reply form asks for each language its incidents are written in and
solves them; the token API's `kind`/`problem_id`, PATCH with the same checks and GET .../incidents, and hostile
numbers. The real app; SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask
from sqlalchemy import update

from desk.desk import Desk
from desk.models import Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, csrf, light_settings, signed_in  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Sara")
    for email, subject, body in (("ops@example.com", "Card payments failing", "Payments fail since 09:00"),
                                 ("lina@example.com", "Payment failed", "My card payment failed twice today."),
                                 ("sam@example.com", "Cannot pay", "The checkout says my card was declined."),
                                 ("omar@example.com", "فشل الدفع", "فشلت عملية الدفع بالبطاقة مرتين اليوم")):
        desk.tickets.create(NewTicket(email=email, subject=subject, body=body, notify=False))
    return app


def plain(html: str) -> str:
    return unescape(html).replace("\u2068", "").replace("\u2069", "")


def test_the_ticket_page_marks_links_lists_and_unlinks(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    agent, token = signed_in(app, "agent@example.com")
    refused = agent.post("/agent/tickets/2/problem", data={"action": "link", "problem_id": "1", "csrf_token": token})
    page = plain(refused.get_data(as_text=True))
    assert refused.status_code == 400 and 'id="problem-error"' in page and "#1 is not a problem ticket" in page
    assert 'value="1"' in page  # what was typed comes back
    for typed, words in (("abc", "is not a ticket's number"), ("-3", "is not a ticket's number"),
                         ("9" * 30, "is not a ticket's number"), ("2", "cannot be an incident of itself"),
                         ("99999999", "no ticket 99999999")):
        refused = agent.post("/agent/tickets/2/problem", data={"action": "link", "problem_id": typed,
                                                               "csrf_token": token})
        assert refused.status_code == 400 and words in plain(refused.get_data(as_text=True)), typed
    assert agent.post("/agent/tickets/1/problem", data={"action": "mark", "csrf_token": token}).status_code == 302
    assert agent.post("/agent/tickets/2/problem", data={"action": "link", "problem_id": "#1",
                                                        "csrf_token": token}).status_code == 302
    incident = plain(agent.get("/agent/tickets/2").get_data(as_text=True))
    assert 'id="incident-of"' in incident and 'href="/agent/tickets/1"' in incident
    assert "linked as an incident of #1" in incident
    problem = plain(agent.get("/agent/tickets/1").get_data(as_text=True))
    assert "Problem ticket with 1 incident" in problem and "incident #2 linked" in problem
    assert "Payment failed" in problem and "lina@example.com" in problem
    assert 'id="unmark-problem"' not in problem  # not while it has incidents
    arabic = plain(agent.get("/agent/tickets/1", headers={"Accept-Language": "ar"}).get_data(as_text=True))
    assert "تذكرة مشكلة لها حادثة واحدة" in arabic and "رُبطت الحادثة #2" in arabic
    assert agent.post("/agent/tickets/2/problem", data={"action": "unlink", "csrf_token": token}).status_code == 302
    assert desk.problems.incidents(1) == []


def test_the_inbox_links_the_ticked_tickets_all_or_nothing_and_filters(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    agent, token = signed_in(app, "agent@example.com")
    desk.problems.mark(1, None)
    desk.tickets.update(4, status="closed")
    for value in ("", "abc", "-1", "1e3", "9" * 40, "#2"):
        answer = agent.post("/agent/bulk", data={"ticket": ["2", "3"], "action": "problem", "value": value,
                                                 "back": "/agent/", "csrf_token": token}, follow_redirects=True)
        assert "problem" in plain(answer.get_data(as_text=True)).lower()
    assert desk.problems.incidents(1) == []
    answer = agent.post("/agent/bulk", data={"ticket": ["2", "3", "4"], "action": "problem", "value": "1",
                                             "back": "/agent/", "csrf_token": token}, follow_redirects=True)
    assert "#4 is closed" in plain(answer.get_data(as_text=True))
    assert desk.problems.incidents(1) == []  # none linked: the closed one refused them all
    answer = agent.post("/agent/bulk", data={"ticket": ["2", "3"], "action": "problem", "value": "#1",
                                             "back": "/agent/", "csrf_token": token}, follow_redirects=True)
    assert "2 tickets updated." in plain(answer.get_data(as_text=True))
    assert [i.id for i in desk.problems.incidents(1)] == [2, 3]
    listed = plain(agent.get("/agent/?view=all&incidents_of=%231").get_data(as_text=True))
    assert "Payment failed" in listed and "Cannot pay" in listed and "Card payments failing" not in listed
    problems = plain(agent.get("/agent/?view=all&problems=1").get_data(as_text=True))
    assert "Card payments failing" in problems and "Cannot pay" not in problems
    saved = agent.post("/agent/views", data={"name": "Outage", "view": "all", "incidents_of": "1",
                                             "back": "/agent/", "csrf_token": token})
    assert saved.status_code == 302
    kept = plain(agent.get(saved.headers["Location"]).get_data(as_text=True))
    assert "Payment failed" in kept and "Card payments failing" not in kept


def test_every_ticket_number_field_reads_arabic_indic_persian_and_full_width_digits(app: Flask) -> None:
    """One rule for a typed ticket number (desk.tickets.ticket_number): the ticket page's problem field, the inbox's
    bulk link, a saved view's and the inbox's "Incidents of #" and the merge target all read "١", "۱" and "１" (the
    problem fields refused them while the inbox's filter read them); another script's digits are refused."""
    desk: Desk = app.extensions["desk"]
    agent, token = signed_in(app, "agent@example.com")
    desk.problems.mark(1, None)
    refused = agent.post("/agent/tickets/2/problem", data={"action": "link", "problem_id": "১", "csrf_token": token})
    assert refused.status_code == 400 and "is not a ticket's number" in plain(refused.get_data(as_text=True))
    linked = agent.post("/agent/tickets/2/problem", data={"action": "link", "problem_id": "#١", "csrf_token": token})
    assert linked.status_code == 302, plain(linked.get_data(as_text=True))
    answer = agent.post("/agent/bulk", data={"ticket": ["3"], "action": "problem", "value": "۱", "back": "/agent/",
                                             "csrf_token": token}, follow_redirects=True)
    assert "1 ticket updated." in plain(answer.get_data(as_text=True))
    assert [i.id for i in desk.problems.incidents(1)] == [2, 3]
    listed = plain(agent.get("/agent/?view=all&incidents_of=%23١").get_data(as_text=True))
    assert "Payment failed" in listed and "Cannot pay" in listed and "Card payments failing" not in listed
    saved = agent.post("/agent/views", data={"name": "Outage", "view": "all", "incidents_of": "１",
                                             "back": "/agent/", "csrf_token": token})
    assert saved.status_code == 302
    kept = plain(agent.get(saved.headers["Location"]).get_data(as_text=True))
    assert "Payment failed" in kept and "Card payments failing" not in kept
    again = desk.tickets.create(NewTicket(email="omar@example.com", subject="فشل", body="مرة أخرى", notify=False))
    merged = agent.post(f"/agent/tickets/{again.id}/merge", data={"target": "#٤", "csrf_token": token})
    assert merged.status_code == 302 and merged.headers["Location"].endswith("/agent/tickets/4")


def test_the_problem_reply_asks_for_each_language_and_solves_the_incidents(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    agent, token = signed_in(app, "agent@example.com")
    desk.problems.mark(1, None)
    desk.problems.link([2, 3], 1, None)
    page = agent.get("/agent/tickets/1").get_data(as_text=True)
    assert "Also send this reply to its 2 incidents and solve them" in page
    assert 'name="body_en"' in page and 'name="body_ar"' not in page  # one language: only its field
    desk.problems.link([4], 1, None)
    page = agent.get("/agent/tickets/1").get_data(as_text=True)
    assert 'name="body_en"' in page and 'name="body_ar"' in page
    seen = page.split('name="seen_message_id" value="')[1].split('"')[0]
    form = {"body": "Fixed: please try again.", "status": "solved", "to_incidents": "yes", "body_en": "",
            "body_ar": "", "seen_message_id": seen, "csrf_token": token}
    refused = agent.post("/agent/tickets/1/reply", data=form)
    text = plain(refused.get_data(as_text=True))
    assert refused.status_code == 400 and "reply in Arabic: is empty" in text
    assert "Fixed: please try again." in text  # kept
    assert all(t is not None and t.status != "solved" for t in map(desk.tickets.get, (1, 2, 3, 4)))
    sent = agent.post("/agent/tickets/1/reply", data={**form, "body_ar": "تم الإصلاح، حاول مرة أخرى."},
                      follow_redirects=True)
    assert "3 incidents answered and solved." in plain(sent.get_data(as_text=True))
    tickets = [desk.tickets.get(n) for n in (1, 2, 3, 4)]
    assert all(t is not None and t.status == "solved" for t in tickets)
    assert [t.messages[-1].body for t in tickets if t is not None] == [
        "Fixed: please try again.", "Fixed: please try again.", "Fixed: please try again.",
        "تم الإصلاح، حاول مرة أخرى."]


def test_an_incident_in_a_language_the_site_no_longer_has_gets_its_box_and_is_solved(app: Flask) -> None:
    """The reply form offers a box for each language the reachable incidents use, named by its code when the site
    has no name for it; it is checked like the others (an empty one refused naming it, nothing sent) and sent (the
    post read only the site's languages' boxes: such an incident could never be solved in batch)."""
    desk: Desk = app.extensions["desk"]
    agent, token = signed_in(app, "agent@example.com")
    desk.problems.mark(1, None)
    desk.problems.link([2], 1, None)
    with desk.db.session() as session:  # written in French while the site had it
        session.execute(update(Ticket).where(Ticket.id == 2).values(lang="fr"))
    page = agent.get("/agent/tickets/1").get_data(as_text=True)
    assert 'name="body_fr"' in page and "Reply to the incidents in fr" in page
    seen = page.split('name="seen_message_id" value="')[1].split('"')[0]
    form = {"body": "Fixed: please try again.", "status": "solved", "to_incidents": "yes", "body_fr": "",
            "seen_message_id": seen, "csrf_token": token}
    refused = agent.post("/agent/tickets/1/reply", data=form)
    assert refused.status_code == 400 and "reply in fr: is empty" in plain(refused.get_data(as_text=True))
    arabic = agent.post("/agent/tickets/1/reply", data=form, headers={"Accept-Language": "ar"})
    assert "الرد بلغة fr" in plain(arabic.get_data(as_text=True))
    assert all(t is not None and t.status != "solved" for t in map(desk.tickets.get, (1, 2)))
    sent = agent.post("/agent/tickets/1/reply", data={**form, "body_fr": "Réparé : réessayez."},
                      follow_redirects=True)
    assert "1 incident answered and solved." in plain(sent.get_data(as_text=True))
    incident = desk.tickets.get(2)
    assert incident is not None and incident.status == "solved" and incident.messages[-1].body == "Réparé : réessayez."


def test_the_api_reads_patches_and_lists_incidents_with_the_same_checks(app: Flask) -> None:
    desk: Desk = app.extensions["desk"]
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    client = app.test_client()
    assert client.patch("/api/v1/tickets/1", json={"kind": "problem"}, headers=auth).get_json()["kind"] == "problem"
    for body, words in (({"problem_id": "1"}, "problem_id: a problem ticket's id"),
                        ({"problem_id": True}, "problem_id: a problem ticket's id"),
                        ({"problem_id": -1}, "problem_id: a problem ticket's id"),
                        ({"problem_id": 10 ** 30}, "problem_id: a problem ticket's id"),
                        ({"problem_id": 1.0}, "problem_id: a problem ticket's id"),
                        ({"kind": "incident"}, "kind: \"problem\", or null"),
                        ({"problem_id": 3}, "problem_id: #3 is not a problem ticket"),
                        ({"problem_id": 2}, "problem_id: a ticket cannot be an incident of itself")):
        answer = client.patch("/api/v1/tickets/2", json=body, headers=auth)
        assert answer.status_code == 400 and words in answer.get_json()["error"], (body, answer.get_json())
    linked = client.patch("/api/v1/tickets/2", json={"problem_id": 1}, headers=auth).get_json()
    assert (linked["kind"], linked["problem_id"]) == ("incident", 1)
    unmark = client.patch("/api/v1/tickets/1", json={"kind": None}, headers=auth)
    assert unmark.status_code == 400 and "kind: #1 has 1 incidents" in unmark.get_json()["error"]
    listed = client.get("/api/v1/tickets/1/incidents", headers=auth).get_json()
    assert listed == {"problem": 1, "kind": "problem", "incidents": [
        {"id": 2, "subject": "Payment failed", "lang": "en", "status": "open", "customer": "lina@example.com",
         "merged": False}]}
    assert client.get("/api/v1/tickets/2", headers=auth).get_json()["problem_id"] == 1
    assert client.get("/api/v1/tickets/99/incidents", headers=auth).status_code == 404
    unlinked = client.patch("/api/v1/tickets/2", json={"problem_id": None}, headers=auth).get_json()
    assert (unlinked["kind"], unlinked["problem_id"]) == (None, None)
