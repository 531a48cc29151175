"""A request whose write fails half-way answers a clear "try again" and keeps nothing of it: the contact form, a reply
on a closed ticket's page (its follow-up), the API's ticket with files and its customer's message with files, an
agent's reply with files and tags and a held mail's recovery, each failed at every statement, every COMMIT and every
file it writes (tests/faults.py), answer 503 with Retry-After (the page keeps what was typed, the API says nothing
was stored), leave the database and the data directory as they were, and the same post sent again is stored once. The
real app, SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from desk.mail.receive import UnparseableMail
from desk.models import IdempotencyKey, Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.faults import State, changed, every_fault, failing_file, failing_statement
from tests.webapp.light_app import csrf, light_settings, login  # noqa: F401
from webapp import create_app

PASSWORD = "a long enough password"
PDF = b"%PDF-1.4 " + bytes(range(200))
MESSAGE = "My parcel never arrived, order 4471."


class Refused(Exception):
    """The request answered 503: what every failed write must answer."""


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(replace(light_settings, rate_limits=False))  # a post sent 30 times is this test, not abuse
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


def answered(response: TestResponse, *ok: int) -> TestResponse:
    """The response when it is one of `ok`; `Refused` when it is a clear 503 (anything else fails the test)."""
    if response.status_code == 503:
        assert response.headers["Retry-After"]
        if response.is_json:
            assert "nothing was stored" in response.get_json()["error"]
        else:
            assert "Traceback" not in response.get_data(as_text=True)
        raise Refused(response)
    assert response.status_code in ok, response.get_data(as_text=True)[:500]
    return response


def faults(app: Flask, fresh, monkeypatch: pytest.MonkeyPatch, **kwargs):  # type: ignore[no-untyped-def]
    desk = app.extensions["desk"]
    return every_fault(desk.db, desk.settings.data_dir, fresh, Refused, monkeypatch, **kwargs)


def test_the_contact_form(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def fresh():  # type: ignore[no-untyped-def]
        client = app.test_client()
        page = client.get("/en/contact").get_data(as_text=True)
        data = {"name": "Sam", "email": "sam@example.com", "subject": "Lost parcel", "message": MESSAGE,
                "csrf_token": csrf(page), "submission": page.split('name="submission" type="hidden" value="')[1][:22]}

        def send() -> TestResponse:
            response = client.post("/en/contact", data=data)
            if response.status_code == 503:
                assert MESSAGE in response.get_data(as_text=True)  # still in the form
            return answered(response, 302)

        return send

    covered = faults(app, fresh, monkeypatch)
    assert covered.statements >= 5 and "/en/tickets/" in covered.result.headers["Location"]


def unstamped(before: State, after: State) -> list[str]:
    """`changed`, but for the token's "last used" stamp, written by the first request (and on purpose not undone)."""
    return changed(replace(before, rows={**before.rows, "api_tokens": []}),
                   replace(after, rows={**after.rows, "api_tokens": []}))


def test_an_api_ticket_with_files(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    token = app.extensions["desk"].accounts.create_token("partner")
    client = app.test_client()

    def post() -> TestResponse:
        data = {"email": "sam@example.com", "subject": "Lost parcel", "body": MESSAGE,
                "attachments[]": [(BytesIO(PDF), "receipt.pdf"), (BytesIO(PDF), "invoice.pdf")]}
        return answered(client.post("/api/v1/tickets", data=data, headers={"Authorization": f"Bearer {token}"},
                                    content_type="multipart/form-data"), 201)

    covered = faults(app, lambda: post, monkeypatch, with_files=True, spare=("UPDATE api_tokens",), kept=unstamped)
    assert covered.files == 2 and len(covered.result.get_json()["attachments"]) == 2


def test_an_api_ticket_with_an_idempotency_key(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's answer is stored in the ticket's own transaction: failed at each statement, each COMMIT and each
    file, the request leaves no ticket, no file and no key (its claim let go, so the retry with the same key runs);
    a third COMMIT storing the answer after the ticket would fail the series (a ticket kept with a 503). The stored
    answer is the one given back."""
    desk = app.extensions["desk"]
    token = desk.accounts.create_token("partner")
    client = app.test_client()
    series = iter(range(1, 10))

    def fresh():  # type: ignore[no-untyped-def]
        key = f"series-{next(series)}"  # a key per series: the last post of one would answer the next from its key

        def post() -> TestResponse:
            data = {"email": "sam@example.com", "subject": "Lost parcel", "body": MESSAGE,
                    "attachments[]": [(BytesIO(PDF), "receipt.pdf")]}
            return answered(client.post("/api/v1/tickets", data=data, content_type="multipart/form-data",
                                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key}), 201)

        return post

    covered = faults(app, fresh, monkeypatch, with_files=True, spare=("UPDATE api_tokens",), kept=unstamped)
    # The token's read, the key's claim, then the ticket, its file and the answer together.
    assert covered.commits == 3
    replayed = client.post("/api/v1/tickets", content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "series-1"},
                           data={"email": "sam@example.com", "subject": "Lost parcel", "body": MESSAGE,
                                 "attachments[]": [(BytesIO(PDF), "receipt.pdf")]})
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.status_code == 201
    with desk.db.session() as session:
        first = session.scalars(select(Ticket).order_by(Ticket.id)).first()
        assert first is not None and replayed.get_json()["id"] == first.id
        assert [a["filename"] for a in replayed.get_json()["attachments"]] == ["receipt.pdf"]


def test_an_api_customer_message_with_files(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read the answer needs is the write's own: a failure after the COMMIT cannot answer "nothing was stored"
    for a stored message (each statement failed in turn would find it)."""
    desk = app.extensions["desk"]
    token = desk.accounts.create_token("partner")
    client = app.test_client()

    def fresh():  # type: ignore[no-untyped-def]
        ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body=MESSAGE))
        desk.tickets.update(ticket.id, status="solved")

        def post() -> TestResponse:
            data = {"body": "Still nothing, the receipt:", "attachments[]": [(BytesIO(PDF), "receipt.pdf")]}
            return answered(client.post(f"/api/v1/tickets/{ticket.id}/messages", data=data,
                                        headers={"Authorization": f"Bearer {token}"},
                                        content_type="multipart/form-data"), 201)

        return post

    covered = faults(app, fresh, monkeypatch, with_files=True, spare=("UPDATE api_tokens",), kept=unstamped)
    body = covered.result.get_json()
    assert covered.files == 1 and body["ticket_status"] == "open"
    assert [f["filename"] for f in body["attachments"]] == ["receipt.pdf"]


def test_an_api_customer_message_with_an_idempotency_key(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the ticket's: the message, its file and the key's answer commit together or not at all."""
    desk = app.extensions["desk"]
    token = desk.accounts.create_token("partner")
    client = app.test_client()
    series = iter(range(1, 10))

    def fresh():  # type: ignore[no-untyped-def]
        ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body=MESSAGE))
        key = f"series-{next(series)}"

        def post() -> TestResponse:
            data = {"body": "Still nothing, the receipt:", "attachments[]": [(BytesIO(PDF), "receipt.pdf")]}
            return answered(client.post(f"/api/v1/tickets/{ticket.id}/messages", data=data,
                                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                                        content_type="multipart/form-data"), 201)

        return post

    covered = faults(app, fresh, monkeypatch, with_files=True, spare=("UPDATE api_tokens",), kept=unstamped)
    with desk.db.session() as session:
        stored = session.scalars(select(IdempotencyKey).order_by(IdempotencyKey.id)).all()
    assert [(k.key, k.answer_status) for k in stored] == [(f"series-{n}", 201) for n in (1, 2, 3)]
    assert stored[0].answer_body == covered.result.get_json()  # the statements series' last post


def test_a_reply_on_a_closed_tickets_page_and_its_follow_up(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticket page's reply to a closed ticket: its follow-up ticket, message and file whole or none, the page
    again with the typed text on a failure, the new ticket's page after the one that stores."""
    desk = app.extensions["desk"]

    def fresh():  # type: ignore[no-untyped-def]
        ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body=MESSAGE))
        desk.tickets.update(ticket.id, status="closed")
        client = app.test_client()
        page = client.get(f"/en/tickets/{ticket.reference}").get_data(as_text=True)
        data = {"message": "It broke again.", "csrf_token": csrf(page),
                "submission": page.split('name="submission" type="hidden" value="')[1][:22]}

        def send() -> TestResponse:
            response = client.post(f"/en/tickets/{ticket.reference}", content_type="multipart/form-data",
                                   data={**data, "files": [(BytesIO(PDF), "receipt.pdf")]})
            if response.status_code == 503:
                # The write failed: the page again with the reply in the form. Only the read of the ticket before
                # it (the first statement) answers the site's "nothing was changed" page: there is no page to keep.
                text = response.get_data(as_text=True)
                assert "It broke again." in text or "nothing was changed" in text
            answered(response, 302)
            assert ticket.reference not in response.headers["Location"]  # the follow-up's page
            return response

        return send

    covered = faults(app, fresh, monkeypatch, with_files=True)
    assert covered.statements >= 8 and covered.files == 1


def agent_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return client


def test_an_agents_reply_with_files_and_tags(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = app.extensions["desk"]
    client = agent_client(app)

    def fresh():  # type: ignore[no-untyped-def]
        ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body=MESSAGE))
        token = csrf(client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True))

        def send() -> TestResponse:
            data = {"body": "Refunded today.", "status": "solved", "add_tag": ["refund", "vip"], "csrf_token": token,
                    "files": [(BytesIO(PDF), "receipt.pdf")]}
            return answered(client.post(f"/agent/tickets/{ticket.id}/reply", data=data,
                                        content_type="multipart/form-data"), 302)

        return send

    covered = faults(app, fresh, monkeypatch, with_files=True)
    assert covered.statements >= 10 and covered.files == 1
    with desk.db.session() as session:
        tagged = [sorted(t.tag for t in ticket.tags) for ticket in session.query(Ticket).order_by(Ticket.id)]
    assert tagged == [["refund", "vip"]] * 3  # each series' last post: reply, files and tags together


def test_a_held_mails_recovery(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = app.extensions["desk"]
    client = agent_client(app)
    numbers = iter(range(5500, 5600))

    def fresh():  # type: ignore[no-untyped-def]
        raw = f"To: support@manzil.example\nSubject: Refund {next(numbers)}\n\nMy refund never came.\n".encode()
        with pytest.raises(UnparseableMail):
            desk.mail_in.receive(raw)
        inbound_id = desk.held_mail.page().rows[0].id
        token = csrf(client.get(f"/agent/held/{inbound_id}").get_data(as_text=True))
        return lambda: answered(client.post(f"/agent/held/{inbound_id}/recover",
                                            data={"sender": "lina@example.com", "csrf_token": token}), 302)

    covered = faults(app, fresh, monkeypatch)
    assert covered.statements >= 8 and "/agent/tickets/" in covered.result.headers["Location"]
    assert desk.held_mail.count() == 0



def test_a_full_disk_met_writing_a_file_names_the_attachment_storage_not_the_database(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 503 for a full disk met while writing an attachment said "the database is out of space": the API names the
    attachment storage, the pages say (in the reader's language) that the files could not be saved and that the
    post may go without them; a full database keeps its own words."""
    desk = app.extensions["desk"]
    data_dir = desk.settings.data_dir
    client = app.test_client()
    page = client.get("/ar/contact").get_data(as_text=True)
    data = {"name": "سام", "email": "sam@example.com", "subject": "طرد مفقود", "message": "لم يصل طردي، الإيصال مرفق.",
            "csrf_token": csrf(page), "submission": page.split('name="submission" type="hidden" value="')[1][:22],
            "files": [(BytesIO(PDF), "receipt.pdf")]}
    with failing_file(data_dir, 1, monkeypatch) as armed:
        refused = client.post("/ar/contact", data=data, content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    assert armed.fired and refused.status_code == 503 and "لم يصل طردي، الإيصال مرفق." in html
    assert "مساحة تخزين المرفقات ممتلئة" in html and "من دون الملفات" in html
    assert "تعذّر علينا حفظ رسالتك الآن" not in html  # the database's words are for the database

    token = desk.accounts.create_token("partner")

    def api_ticket() -> TestResponse:
        return app.test_client().post(
            "/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
            data={"email": "sam@example.com", "subject": "Lost parcel", "body": MESSAGE,
                  "attachments[]": [(BytesIO(PDF), "receipt.pdf")]})

    with failing_file(data_dir, 1, monkeypatch):
        files_full = api_ticket()
    assert files_full.status_code == 503 and files_full.get_json()["error"].startswith(
        "the attachment storage is out of space: a file could not be written (No space left on device); nothing was "
        "stored")
    with failing_statement(desk.db, 2, spare=("UPDATE api_tokens",)):
        database_full = api_ticket()
    assert database_full.status_code == 503 and database_full.get_json()["error"].startswith(
        "the database is out of space: ")

    agent = agent_client(app)
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body=MESSAGE))
    form = {"body": "Refunded today.", "csrf_token": csrf(agent.get(f"/agent/tickets/{ticket.id}").get_data(
        as_text=True)), "files": [(BytesIO(PDF), "receipt.pdf")]}
    with failing_file(data_dir, 1, monkeypatch):
        reply = agent.post(f"/agent/tickets/{ticket.id}/reply", data=form, content_type="multipart/form-data")
    assert reply.status_code == 503
    assert "the storage for attachments is full" in reply.get_data(as_text=True)
    assert desk.tickets.inbox()[1] == 1  # nothing of the three posts was stored: the one ticket is the agent's
