"""An integration continues a ticket: `POST /api/v1/tickets/<id>/messages` adds the customer's message (JSON
`body`, or multipart/form-data with the customer's files as `attachments[]`), reopening the ticket as a reply on
the customer's own page does; `GET /api/v1/tickets/<id>` answers the ticket with its public thread and its files'
ids, never an internal note or a note's file. Token auth, JSON errors naming the field, 404 for an unknown ticket,
and a refused file stores nothing. On SQLite, and on PostgreSQL with `--postgresql`."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import pytest
import requests
from flask import Flask

from desk.desk import Desk
from desk.mail.attachments import Upload
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from tests.webapp.test_api_ticket_files import post, stored, token  # noqa: F401
from webapp import create_app
from webapp.background import serving
from webapp.openapi import request_fields

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot" * 50
PATH = "/api/v1/tickets/{ticket_id}/messages"


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    settings = replace(light_settings, mail_max_attachment_bytes=2_000_000, reply_max_attachments=3,
                       customer_max_attachments=1)  # the API's are an agent's limits, not a web customer's
    app = create_app(settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    return app


def answered_ticket(app: Flask) -> tuple[int, str]:
    """Omar's ticket, answered by an agent (pending) with an internal note carrying a file between."""
    desk: Desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                           body="طلبي رقم 12345 لم يصل بعد", channel="api"), [Upload("order.pdf", PDF)])
    agent = desk.accounts.agents()[0]
    desk.notes.add(ticket.id, agent.id, "SECRET courier note: refund him quietly", files=[Upload("courier.png", PNG)])
    desk.tickets.reply(ticket.id, agent.id, "أرسل صورة الإيصال من فضلك", status="pending")
    return ticket.id, ticket.reference


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_message_with_files_reopens_the_ticket_and_reads_back_without_notes(
    app: Flask, token: str  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, reference = answered_ticket(app)
    with serving(app) as base_url:
        sent = requests.post(
            f"{base_url}/api/v1/tickets/{ticket_id}/messages", timeout=30, headers=auth(token),
            data={"body": "هذا الإيصال وصورة الطرد"},
            files=[("attachments[]", ("إيصال.pdf", PDF, "application/pdf")),
                   ("attachments[]", ("box.PNG", PNG, "application/octet-stream"))],
        )
        assert sent.status_code == 201, sent.text
        message = sent.json()
        assert message["author"] == "customer" and message["body"] == "هذا الإيصال وصورة الطرد"
        assert message["ticket_status"] == "open"  # reopened, as a reply on the customer's page does
        assert [(f["filename"], f["size"], f["content_type"]) for f in message["attachments"]] == [
            ("إيصال.pdf", len(PDF), "application/pdf"), ("box.PNG", len(PNG), "image/png")]
        found = desk.tickets.get(ticket_id)
        assert found is not None and found.status == "open" and found.due_at is not None
        assert found.messages[-1].id == message["id"] and found.messages[-1].channel == "api"

        # A JSON message too.
        plain = requests.post(f"{base_url}/api/v1/tickets/{ticket_id}/messages", timeout=30, headers=auth(token),
                              json={"body": "Any news?"})
        assert plain.status_code == 201 and plain.json()["attachments"] == []

        read = requests.get(f"{base_url}/api/v1/tickets/{ticket_id}", timeout=30, headers=auth(token))
        assert read.status_code == 200
        ticket = read.json()
        assert (ticket["id"], ticket["reference"], ticket["status"], ticket["lang"]) == (
            ticket_id, reference, "open", "ar")
        assert [(m["author"], m["body"]) for m in ticket["messages"]] == [
            ("customer", "طلبي رقم 12345 لم يصل بعد"), ("agent", "أرسل صورة الإيصال من فضلك"),
            ("customer", "هذا الإيصال وصورة الطرد"), ("customer", "Any news?")]
        assert [[f["filename"] for f in m["attachments"]] for m in ticket["messages"]] == [
            ["order.pdf"], [], ["إيصال.pdf", "box.PNG"], []]
        assert ticket["messages"][2]["attachments"] == message["attachments"]
        # Never the internal note, nor its file.
        assert "SECRET" not in read.text and "courier" not in read.text
        note_file = next(a for a in desk.attachments.for_ticket(ticket_id) if a.filename == "courier.png")
        assert note_file.id not in [f["id"] for m in ticket["messages"] for f in m["attachments"]]

        # The ids are the files the customer downloads from their own page (by its reference only).
        file_id = message["attachments"][0]["id"]
        download = requests.get(f"{base_url}/ar/tickets/{reference}/attachments/{file_id}", timeout=30)
        assert download.status_code == 200 and download.content == PDF
        assert requests.get(f"{base_url}/ar/tickets/{reference}/attachments/{note_file.id}",
                            timeout=30).status_code == 404


def test_an_unknown_ticket_is_a_json_404(app: Flask, token: str) -> None:  # noqa: F811
    client = app.test_client()
    for response in (client.get("/api/v1/tickets/999", headers=auth(token)),
                     client.post("/api/v1/tickets/999/messages", headers=auth(token), json={"body": "hello"}),
                     client.get("/api/v1/tickets/2147483648", headers=auth(token))):
        assert response.status_code == 404 and response.is_json
        assert response.get_json()["error"].startswith(("ticket: no ticket", "not found"))
    assert stored(app) == (0, 0, [])


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer kb_not-a-token"}, {"Authorization": "Basic x"}])
def test_a_wrong_token_is_a_401_and_stores_nothing(app: Flask, headers: dict[str, str]) -> None:
    ticket_id, _ = answered_ticket(app)
    before = stored(app)
    client = app.test_client()
    for response in (client.get(f"/api/v1/tickets/{ticket_id}", headers=headers),
                     client.post(f"/api/v1/tickets/{ticket_id}/messages", headers=headers, json={"body": "hi"}),
                     client.post(f"/api/v1/tickets/{ticket_id}/messages", headers=headers,
                                 content_type="multipart/form-data",
                                 data={"body": "hi", "attachments[]": [(BytesIO(PDF), "a.pdf")]})):
        assert response.status_code == 401 and response.is_json
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.get_json()["error"].startswith("a valid API token is required")
    assert stored(app) == before


@pytest.mark.parametrize(("fields", "files", "error"), [
    ({"body": "the receipt"}, [("attachments[]", "ok.pdf", PDF), ("attachments[]", "setup.exe", b"MZ")],
     "attachments[]: setup.exe is not a file type we send"),
    ({"body": "the receipt"}, [("attachments[]", f"{n}.pdf", PDF) for n in range(4)],
     "attachments[]: 4 files; the limit is 3"),
    ({"body": "the receipt"}, [("attachments[]", "big.pdf", b"x" * 2_000_001)],
     "attachments[]: big.pdf is 2,000,001 bytes; the limit is 2,000,000 bytes per file"),
    ({"body": " "}, [], "body: is empty"),  # neither text nor files (files alone are a message)
    ({}, [], "body: is empty"),
    ({"body": "x", "subject": "y"}, [], "subject: unknown field; use attachments[], body"),
    ({"body": "x"}, [("attachment", "ok.pdf", PDF)], "attachment: unknown field"),
])
def test_a_refused_message_names_the_field_and_stores_nothing(
    app: Flask, token: str, fields: dict[str, str], files: list[tuple[str, str, bytes]], error: str  # noqa: F811
) -> None:
    ticket_id, _ = answered_ticket(app)
    before = stored(app)
    response = post(app.test_client(), token, fields, files, f"/api/v1/tickets/{ticket_id}/messages")
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"].startswith(error)
    assert stored(app) == before
    found = app.extensions["desk"].tickets.get(ticket_id)
    assert found is not None and found.status == "pending" and len(found.messages) == 3


@pytest.mark.parametrize(("body", "error"), [
    ({"body": ""}, "body: is empty"),
    ({"body": 5}, "body: must be text, not a number"),
    ({"text": "hi"}, "text: unknown field; use body"),
])
def test_a_refused_json_message_names_the_field(
    app: Flask, token: str, body: dict[str, object], error: str  # noqa: F811
) -> None:
    ticket_id, _ = answered_ticket(app)
    response = app.test_client().post(f"/api/v1/tickets/{ticket_id}/messages", headers=auth(token), json=body)
    assert response.status_code == 400 and response.get_json()["error"] == error


def test_the_document_describes_both_routes() -> None:
    assert request_fields(PATH) == {"body"}
    assert request_fields(PATH, "multipart/form-data") == {"body", "attachments[]"}
