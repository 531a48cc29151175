"""Outbound webhooks end to end: the real app, a real receiver on 127.0.0.1 started here, the worker's pass.

Each event verified as a receiver verifies Standard Webhooks (its own few lines, not the sender's code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from desk.desk import Desk
from desk.models import AuditEvent, CsatSurvey, Ticket, WebhookDelivery, utcnow
from desk.tickets import InputError, NewTicket
from desk.webhooks import public_addresses
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.webapp.light_app import PASSWORD, client_for, csrf
from webapp import create_app
from webapp.cli import main
from webapp.webhook_delivery import deliver_webhooks

ALL = ["ticket.created", "ticket.updated", "message.created", "note.created", "csat.rated"]


@dataclass
class Receiver:
    """An HTTP receiver: answers each POST with the next of `answers` (then 200), records what came."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    on_post: Callable[[], object] | None = None  # run in each POST after it is recorded, before it is answered

    def start(self, port: int = 0) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.on_post is not None:
                    receiver.on_post()
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def events(self, secret: str) -> list[dict[str, Any]]:
        """Each body received, its signature checked as a receiver would."""
        return [verified(secret, headers, body) for path, headers, body in self.got]


def verified(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert any(hmac.compare_digest(part.split(",", 1)[1], expected) for part in headers["webhook-signature"].split())
    event = json.loads(body)
    assert event["id"] == headers["webhook-id"] and headers["content-type"] == "application/json"
    return event


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    if found.server is not None:
        found.stop()


@pytest.fixture
def hook_settings(tmp_path: Any, content_dir: Any) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    return Settings(content_dir=content_dir, data_dir=data, database_url=database_url_for_tests(),
                    webhook_allow_private=True, webhook_disable_after=2, webhook_max_attempts=3)


@pytest.fixture
def app(hook_settings: Settings) -> Flask:
    app = create_app(hook_settings)
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


def deliver(app: Flask, later: timedelta = timedelta(0)) -> int:
    desk = desk_of(app)
    return deliver_webhooks(desk, desk.settings, now=utcnow() + later)


def new_ticket(desk: Desk) -> int:
    return desk.tickets.create(NewTicket(email="c@example.com", subject="Refund", body="Where is my refund?",
                                         notify=False)).id


def deliveries(desk: Desk) -> list[WebhookDelivery]:
    with desk.db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_each_event_arrives_once_signed_with_the_api_ticket(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    _, secret = desk.webhooks.create("crm", url, ALL)
    agent = desk.accounts.find("agent@example.com")
    assert agent is not None
    ticket_id = new_ticket(desk)
    desk.tickets.reply(ticket_id, agent.id, "It is on its way.", status="open")
    desk.notes.add(ticket_id, agent.id, "customer is a VIP")
    desk.tags.add([ticket_id], ["refund"])
    desk.tickets.update(ticket_id, status="solved", priority="high", agent_id=agent.id)
    with desk.db.session() as session:
        token = session.scalars(select(CsatSurvey.token).where(CsatSurvey.ticket_id == ticket_id)).one()
    desk.surveys.answer(token, 5, "quick")
    assert deliver(app) == 8 and deliver(app) == 0  # each once; nothing left due
    events = receiver.events(secret)
    kinds = [e["type"] for e in events]
    assert kinds == ["ticket.created", "message.created", "message.created", "ticket.updated", "note.created",
                     "ticket.updated", "ticket.updated", "csat.rated"], kinds  # the reply assigned it: an update
    assert len({e["id"] for e in events}) == 8
    # Each event's ticket as its change left it, though every one is sent after the last change (webhookclaim34: it
    # was the ticket at send time, "solved" and tagged in all eight).
    shown = [(e["data"]["ticket"]["status"], e["data"]["ticket"]["tags"], e["data"]["ticket"]["priority"])
             for e in events]
    assert shown == [("open", [], "normal")] * 5 + [("open", ["refund"], "normal")] + [("solved", ["refund"],
                                                                                         "high")] * 2
    created = events[0]["data"]["ticket"]
    assert (created["id"], created["subject"]) == (ticket_id, "Refund")
    assert "context" not in created and "messages" not in created  # the API's item, no help-center trail
    assert events[1]["data"]["message"]["author"] == "customer"
    assert events[2]["data"]["message"]["body"] == "It is on its way."
    assert events[3]["data"]["changes"]["assignee"] == {"old": None, "new": agent.id}
    assert events[4]["data"]["message"]["internal"] is True
    assert events[5]["data"]["changes"] == {"tags": {"old": [], "new": ["refund"]}}
    changes = events[6]["data"]["changes"]
    assert changes["status"] == {"old": "open", "new": "solved"} and changes["priority"] == {"old": "normal",
                                                                                             "new": "high"}
    assert events[7]["data"]["csat"]["rating"] == 5
    assert {d.state for d in deliveries(desk)} == {"delivered"}


def test_notes_are_not_sent_without_note_created_and_off_endpoints_get_nothing(app: Flask,
                                                                               receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    desk.webhooks.create("crm", url, ["message.created"])
    off, _ = desk.webhooks.create("off", url, ALL)
    desk.webhooks.set_active(off.id, False)
    agent = desk.accounts.find("agent@example.com")
    assert agent is not None
    ticket_id = new_ticket(desk)
    desk.notes.add(ticket_id, agent.id, "internal only")
    deliver(app)
    assert [json.loads(body)["type"] for _, _, body in receiver.got] == ["message.created"]
    assert b"internal only" not in b"".join(body for _, _, body in receiver.got)


def test_a_down_receiver_gets_the_event_after_a_retry_with_the_same_id(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    port = int(url.split(":")[2].split("/")[0])
    _, secret = desk.webhooks.create("crm", url, ["ticket.created"])
    receiver.stop()
    receiver.server = None
    ticket_id = new_ticket(desk)
    assert deliver(app) == 1
    [waiting] = deliveries(desk)
    assert (waiting.state, waiting.attempts, waiting.last_status) == ("pending", 1, None) and waiting.last_error
    assert deliver(app) == 0  # not due before its backoff
    receiver.start(port)
    assert deliver(app, timedelta(minutes=2)) == 1
    [event] = receiver.events(secret)
    assert event["id"] == waiting.event_id and event["data"]["ticket"]["id"] == ticket_id
    [done] = deliveries(desk)
    assert (done.state, done.attempts, done.last_status) == ("delivered", 2, 200)


def test_retry_after_is_honoured_and_410_400_are_final(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    desk.webhooks.create("crm", url, ["ticket.created"])
    receiver.answers = [(429, {"Retry-After": "7200"}), (410, {}), (400, {})]
    new_ticket(desk)
    deliver(app)
    [first] = deliveries(desk)
    assert first.state == "pending" and first.next_attempt_at is not None
    assert deliver(app, timedelta(hours=1)) == 0  # backoff would be 1 minute; the receiver asked for 2 hours
    assert deliver(app, timedelta(hours=2, minutes=1)) == 1
    new_ticket(desk)
    deliver(app, timedelta(hours=3))
    states = [(d.state, d.last_status, d.attempts) for d in deliveries(desk)]
    assert states == [("failed", 410, 2), ("failed", 400, 1)]
    assert deliver(app, timedelta(days=2)) == 0  # final: never tried again


def test_an_endpoint_failing_m_events_in_a_row_is_turned_off_and_says_why(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    hook, _ = desk.webhooks.create("crm", url, ["ticket.created"])
    receiver.answers = [(404, {}), (404, {})]
    for _ in range(3):
        new_ticket(desk)
    deliver(app)
    [endpoint] = desk.webhooks.endpoints()
    assert not endpoint.active and endpoint.disabled_reason is not None and "HTTP 404" in endpoint.disabled_reason
    assert len(receiver.got) == 2  # the third waits: the endpoint is off
    with desk.db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "webhook")
                                            .order_by(AuditEvent.id)))
    assert actions == ["webhook_created", "webhook_disabled"]
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin/webhooks").get_data(as_text=True)
    assert f'id="webhook-{hook.id}" data-active="off"' in page and "HTTP 404" in page


def test_a_redirect_is_not_followed(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    desk.webhooks.create("crm", url, ["ticket.created"])
    receiver.answers = [(302, {"Location": url.replace("/hook", "/elsewhere")})]
    new_ticket(desk)
    deliver(app)
    assert [path for path, _, _ in receiver.got] == ["/hook"]
    [done] = deliveries(desk)
    assert done.state == "failed" and done.last_error is not None and "not followed" in done.last_error


def test_a_rolled_back_change_writes_no_event(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    desk.webhooks.create("crm", receiver.start(), ALL)
    ticket_id = new_ticket(desk)
    before = len(deliveries(desk))
    with pytest.raises(InputError), desk.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.status = "pending"
        session.flush()  # the change reached the database, then the desk refuses the rest
        raise InputError("status", "refused")
    # The API's refused PATCH (one bad field) writes nothing either.
    token = desk.accounts.create_token("crm")
    response = app.test_client().patch(f"/api/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {token}"},
                                       json={"status": "pending", "priority": "extreme"})
    assert response.status_code == 400
    assert len(deliveries(desk)) == before == 2


def test_private_and_plain_http_urls_are_refused_at_save_naming_the_field(hook_settings: Settings) -> None:
    app = create_app(replace(hook_settings, webhook_allow_private=False))
    app.extensions["desk"].accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    admin = client_for(app, "admin@example.com")
    for url in ("https://127.0.0.1/hook", "https://10.1.2.3/x", "https://169.254.169.254/latest",
                "https://[::1]/x", "http://93.184.215.14/x"):
        page = admin.get("/agent/admin/webhooks").get_data(as_text=True)
        answer = admin.post("/agent/admin/webhooks", data={
            "csrf_token": csrf(page), "action": "create", "name": "crm", "url": url, "events": ["ticket.created"]})
        assert answer.status_code == 200 and "URL: " in answer.get_data(as_text=True), url
    assert app.extensions["desk"].webhooks.endpoints() == []
    with pytest.raises(InputError) as refused:
        public_addresses("https://10.0.0.1/", allow_private=False)
    assert refused.value.field == "url"
    assert public_addresses("https://93.184.215.14/", allow_private=False)[2] == ["93.184.215.14"]


def test_the_admin_page_adds_shows_the_secret_once_tests_rotates_and_deletes(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    admin = client_for(app, "admin@example.com")

    def post(**data: Any) -> str:
        page = admin.get("/agent/admin/webhooks").get_data(as_text=True)
        answer = admin.post("/agent/admin/webhooks", data={"csrf_token": csrf(page), **data})
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    page = post(action="create", name="Slack bridge", url=url, events=["ticket.created", "note.created"])
    secret = page.split('id="new-secret" dir="ltr">')[1].split("<")[0]
    assert secret.startswith("whsec_") and secret not in admin.get("/agent/admin/webhooks").get_data(as_text=True)
    [hook] = desk.webhooks.endpoints()
    assert hook.events == ["ticket.created", "note.created"]
    post(action="test", webhook_id=hook.id)
    deliver(app)
    assert [e["type"] for e in receiver.events(secret)] == ["webhook.test"]
    page = post(action="rotate", webhook_id=hook.id)
    rotated = page.split('id="new-secret" dir="ltr">')[1].split("<")[0]
    assert rotated != secret
    post(action="test", webhook_id=hook.id)
    deliver(app)
    verified(rotated, receiver.got[-1][1], receiver.got[-1][2])
    assert 'data-event="webhook.test" data-state="delivered"' in admin.get("/agent/admin/webhooks").get_data(
        as_text=True)
    page = post(action="create", name="", url=url, events=["ticket.created"])
    assert "name: " in page and len(desk.webhooks.endpoints()) == 1
    post(action="delete", webhook_id=hook.id)
    assert desk.webhooks.endpoints() == [] and deliveries(desk) == []
    with desk.db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "webhook")
                                            .order_by(AuditEvent.id)))
    assert actions == ["webhook_created", "webhook_rotated", "webhook_deleted"]


def test_only_admins_reach_the_page(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    assert agent.get("/agent/admin/webhooks").status_code == 403
    token = csrf(agent.get("/agent/").get_data(as_text=True))
    assert agent.post("/agent/admin/webhooks", data={"csrf_token": token, "action": "create", "name": "x",
                                                     "url": "http://127.0.0.1:9/x",
                                                     "events": ["ticket.created"]}).status_code == 403
    assert desk_of(app).webhooks.endpoints() == []
    assert app.test_client().get("/agent/admin/webhooks").status_code == 302


def test_kb_webhooks_add_list_remove(hook_settings: Settings, receiver: Receiver,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(hook_settings.data_dir))
    monkeypatch.setenv("KB_CONTENT_DIR", str(hook_settings.content_dir))
    monkeypatch.setenv("KB_WEBHOOK_ALLOW_PRIVATE", "on")
    if hook_settings.database_url:
        monkeypatch.setenv("DATABASE_URL", hook_settings.database_url)
    runner = CliRunner()
    url = receiver.start()
    added = runner.invoke(main, ["webhooks", "add", "--name", "crm", "--url", url, "--event", "ticket.created"])
    assert added.exit_code == 0, added.output
    assert "whsec_" in added.output
    listed = runner.invoke(main, ["webhooks", "list"])
    assert listed.exit_code == 0 and f"\ton\tcrm\t{url}\tticket.created" in listed.output
    refused = runner.invoke(main, ["webhooks", "remove", "99"])
    assert refused.exit_code != 0 and "webhook: no webhook 99" in refused.output
    removed = runner.invoke(main, ["webhooks", "remove", listed.output.split("\t")[0]])
    assert removed.exit_code == 0 and "no webhooks" in runner.invoke(main, ["webhooks", "list"]).output


def test_two_worker_passes_at_once_share_the_outbox_and_each_event_arrives_once(app: Flask,
                                                                                 receiver: Receiver) -> None:
    desk = desk_of(app)
    # Each of the first two POSTs waits for the other at the receiver: both workers are mid-send at once (without
    # claims both were sending the first event).
    both = threading.Barrier(2, timeout=20)
    receiver.on_post = lambda: both.wait() if len(receiver.got) <= 2 else None
    url = receiver.start()
    _, secret = desk.webhooks.create("crm", url, ["ticket.created"])
    for _ in range(6):
        new_ticket(desk)
    second = Desk(desk.settings)  # another worker: its own engine and connections on the same database
    counts: list[int] = []
    try:
        workers = [threading.Thread(target=lambda d=d: counts.append(deliver_webhooks(d, d.settings)))
                   for d in (desk, second)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        second.close()
    ids = [e["id"] for e in receiver.events(secret)]
    assert len(ids) == len(set(ids)) == 6 and sorted(counts) != [0, 6] and sum(counts) == 6, (ids, counts)
    assert {(d.state, d.attempts, d.claimed_until) for d in deliveries(desk)} == {("delivered", 1, None)}


def test_an_edit_and_a_replay_while_an_event_is_being_sent(app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    elsewhere = Receiver()
    new_url = elsewhere.start()
    url = receiver.start()
    hook, secret = desk.webhooks.create("crm", url, ["ticket.created", "ticket.updated"])

    def meanwhile() -> None:  # the admin edits the endpoint and replays the event while its POST is on the wire
        if len(receiver.got) == 1:
            desk.webhooks.update(hook.id, url=new_url, events=["ticket.updated"])
            desk.webhooks.replay(deliveries(desk)[0].id)

    receiver.on_post = meanwhile
    try:
        ticket_id = new_ticket(desk)
        assert deliver(app) == 1
        [sent] = deliveries(desk)
        assert (sent.state, sent.attempts, sent.claimed_until) == ("delivered", 1, None)  # one try, written once
        assert [e["type"] for e in receiver.events(secret)] == ["ticket.created"]
        desk.tickets.update(ticket_id, priority="high")
        new_ticket(desk)  # ticket.created no longer chosen: nothing
        assert deliver(app) == 1
        assert [e["type"] for e in elsewhere.events(secret)] == ["ticket.updated"]  # the new URL, the same secret
    finally:
        elsewhere.stop()


def test_the_page_edits_filters_and_replays_and_a_deleted_endpoints_delivery_is_refused(
        app: Flask, receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    admin = client_for(app, "admin@example.com")
    hook, secret = desk.webhooks.create("crm", url, ["ticket.created"])

    def post(**data: Any) -> str:
        page = admin.get("/agent/admin/webhooks").get_data(as_text=True)
        answer = admin.post("/agent/admin/webhooks", data={"csrf_token": csrf(page), **data})
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    page = post(action="edit", webhook_id=hook.id, url=url, events=[], description="")
    assert "events: " in page and desk.webhooks.endpoints()[0].events == ["ticket.created"]
    page = post(action="edit", webhook_id=hook.id, url=url, events=["ticket.created", "note.created"],
                description="Billing's CRM")
    assert "Billing&#39;s CRM" in page and desk.webhooks.endpoints()[0].events == ["ticket.created", "note.created"]
    receiver.answers = [(410, {})]
    new_ticket(desk)
    new_ticket(desk)
    deliver(app)
    failed, delivered = deliveries(desk)
    assert (failed.state, delivered.state) == ("failed", "delivered")
    shown = admin.get("/agent/admin/webhooks?state=failed").get_data(as_text=True)
    assert f'id="delivery-{failed.id}"' in shown and f'id="delivery-{delivered.id}"' not in shown
    bogus = admin.get("/agent/admin/webhooks?state=lost").get_data(as_text=True)
    assert "state: " in bogus and f'id="delivery-{delivered.id}"' in bogus  # named, and the whole list shown
    post(action="replay", delivery_id=failed.id)
    assert deliver(app) == 1
    again = receiver.events(secret)
    assert [e["id"] for e in again].count(failed.event_id) == 2  # the same event, the same id
    assert receiver.got[0][2] == receiver.got[-1][2]  # the same bytes
    assert deliveries(desk)[0].state == "delivered"
    with desk.db.session() as session:
        actions = [(a.action, a.actor, a.before) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "webhook").order_by(AuditEvent.id))]
    assert [(a, who) for a, who, _ in actions] == [("webhook_created", "system"), ("webhook_updated", "agent"),
                                                   ("webhook_replayed", "agent")]
    assert actions[2][2] == {"delivery": failed.id, "event": failed.event_id, "state": "failed"}
    post(action="delete", webhook_id=hook.id)
    page = post(action="replay", delivery_id=failed.id)
    assert f"webhook delivery: no webhook delivery {failed.id}" in page
    assert "no webhook delivery" in post(action="replay", delivery_id="99999999999")


def test_kb_webhooks_edit_deliveries_replay(hook_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(hook_settings.data_dir))
    monkeypatch.setenv("KB_CONTENT_DIR", str(hook_settings.content_dir))
    monkeypatch.setenv("KB_WEBHOOK_ALLOW_PRIVATE", "on")
    if hook_settings.database_url:
        monkeypatch.setenv("DATABASE_URL", hook_settings.database_url)
    runner = CliRunner()
    with Desk(hook_settings) as desk:
        hook, _ = desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.created"])
        desk.webhooks.send_test(hook.id)
    edited = runner.invoke(main, ["webhooks", "edit", str(hook.id), "--url", "http://127.0.0.1:9/y",
                                  "--event", "ticket.created", "--event", "note.created", "--description", "CRM"])
    assert edited.exit_code == 0 and "http://127.0.0.1:9/y\tticket.created,note.created" in edited.output
    assert "  CRM" in runner.invoke(main, ["webhooks", "list"]).output
    refused = runner.invoke(main, ["webhooks", "edit", str(hook.id), "--url", "ftp://x/"])
    assert refused.exit_code != 0 and "url: " in refused.output
    assert runner.invoke(main, ["webhooks", "edit", str(hook.id)]).exit_code == 2
    listed = runner.invoke(main, ["webhooks", "deliveries", str(hook.id), "--state", "pending"])
    delivery_id = listed.output.split("\t")[0]
    assert listed.exit_code == 0 and "\twebhook.test\t-\tpending\t0\t" in listed.output
    assert runner.invoke(main, ["webhooks", "replay", delivery_id]).exit_code == 0
    missing = runner.invoke(main, ["webhooks", "replay", "0"])
    assert missing.exit_code != 0 and "delivery: no webhook delivery 0" in missing.output


def test_side_conversation_events_carry_the_side_conversation_and_its_message(app: Flask,
                                                                               receiver: Receiver) -> None:
    desk = desk_of(app)
    url = receiver.start()
    _, secret = desk.webhooks.create("crm", url, ["side_conversation.created", "side_conversation.replied"])
    agent = desk.accounts.find("agent@example.com")
    assert agent is not None
    ticket_id = new_ticket(desk)
    from desk.audit import Actor
    from desk.models import SideConversation

    side = desk.side_conversations.start(ticket_id, "desk@courier.example", "", "Trace it, please.",
                                         Actor.agent(agent.id))
    with desk.db.session() as session:
        token = session.scalars(select(SideConversation.token)).one()
    raw = (f"From: desk@courier.example\r\nTo: support+{token}@manzil.example\r\nSubject: Re: Refund\r\n"
           "Message-ID: <c2@courier.example>\r\n\r\nFound it.\r\n").encode()
    assert desk.mail_in.receive(raw).outcome == "side_reply"
    assert deliver(app) == 2
    events = receiver.events(secret)
    assert [e["type"] for e in events] == ["side_conversation.created", "side_conversation.replied"]
    first, second = (e["data"]["side_conversation"] for e in events)
    assert first["id"] == second["id"] == side.id and first["participants"] == ["desk@courier.example"]
    assert first["message"]["body"] == "Trace it, please." and first["message"]["agent"] == agent.id
    assert (second["message"]["author"], second["message"]["body"]) == ("third_party", "Found it.")
    assert events[0]["data"]["ticket"]["id"] == ticket_id


def test_time_entry_events_carry_the_entry_as_the_change_left_it(app: Flask, receiver: Receiver) -> None:
    """time_entry.created (by hand, and with a reply), .updated (what changed, old and new) and .deleted (the entry
    as it was): each with the entry as the API's time entries give it, sent only to endpoints that chose them."""
    from desk.audit import Actor

    desk = desk_of(app)
    url = receiver.start()
    _, secret = desk.webhooks.create("crm", url, ["time_entry.created", "time_entry.updated", "time_entry.deleted"])
    other, _ = desk.webhooks.create("other", "http://127.0.0.1:9/", ["ticket.created"])  # chose none of them
    agent = desk.accounts.find("agent@example.com")
    assert agent is not None
    ticket_id = new_ticket(desk)
    by = Actor.agent(agent.id)
    added = desk.time_entries.add(ticket_id, agent.id, 600, "Called the courier", by)
    desk.tickets.send_reply(ticket_id, agent.id, "It left the depot today.", seconds=90)
    desk.time_entries.edit(ticket_id, added.id, by, seconds=900)
    desk.time_entries.delete(ticket_id, added.id, by)
    deliver(app)
    events = [e for e in receiver.events(secret) if e["type"].startswith("time_entry.")]
    assert [e["type"] for e in events] == ["time_entry.created", "time_entry.created", "time_entry.updated",
                                           "time_entry.deleted"]
    first, with_reply, edited, deleted = (e["data"] for e in events)
    assert {k: first["time_entry"][k] for k in ("id", "ticket_id", "agent", "agent_name", "seconds", "note",
                                                "kind")} == {"id": added.id, "ticket_id": ticket_id,
                                                             "agent": agent.id, "agent_name": "Agent",
                                                             "seconds": 600, "note": "Called the courier",
                                                             "kind": "manual"}
    assert (with_reply["time_entry"]["seconds"], with_reply["time_entry"]["kind"]) == (90, "reply")
    assert edited["changes"] == {"seconds": {"old": 600, "new": 900}} and edited["time_entry"]["seconds"] == 900
    assert edited["time_entry"]["updated_at"] is not None
    assert deleted["time_entry"]["id"] == added.id and deleted["time_entry"]["seconds"] == 900
    assert all(e["data"]["ticket"]["id"] == ticket_id for e in events)
    assert [d.event_type for d in deliveries(desk) if d.endpoint_id == other.id] == ["ticket.created"]
