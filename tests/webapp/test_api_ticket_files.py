"""An integration posts a ticket with the customer's files: `POST /api/v1/tickets` as multipart/form-data, the
JSON body's fields as form fields and the files as `attachments[]` (Freshdesk's shape). The files go through the
desk's own checks and storage (an agent's limits, types and refusal wording), show on the ticket for the agent
and on the customer's page, and are listed in the answer; any refusal is a 400 naming the field and the file,
and then nothing is stored: no ticket, no attachment row, no file on disk. JSON clients are answered as before.
On SQLite, and on PostgreSQL with `--postgresql`."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import Attachment, OutboxMail, Ticket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from tests.webapp.test_reply_files import signed_in
from webapp import create_app
from webapp.background import serving
from webapp.openapi import request_fields

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot" * 50
INVOICE = "فاتورة الطلب 12345.pdf"
FIELDS = {"email": "omar@example.com", "name": "عمر", "subject": "طلبي وصل تالفًا",
          "body": "وصل الطلب رقم 12345 مكسورًا، أرفقت صورة والفاتورة", "external_id": "form-77"}
MAX_BYTES = 2_000_000  # per file: above the app's 1 MiB body limit, which a multipart ticket must get past


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    settings = replace(light_settings, mail_max_attachment_bytes=MAX_BYTES, reply_max_attachments=3,
                       reply_max_attachments_bytes=3_000_000)
    app = create_app(settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    return app


@pytest.fixture
def token(app: Flask) -> str:
    return str(app.extensions["desk"].accounts.create_token("contact form"))


def stored(app: Flask) -> tuple[int, int, list[Path]]:
    """Tickets, attachment rows and files on disk: what a refused post must leave at zero."""
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
        rows = session.scalar(select(func.count()).select_from(Attachment)) or 0
    folder = app.extensions["settings"].data_dir / "mail" / "attachments"
    return tickets, rows, sorted(p for p in folder.rglob("*") if p.is_file())


def test_an_integrations_files_reach_the_ticket_for_the_agent_and_the_customer(app: Flask, token: str) -> None:
    desk: Desk = app.extensions["desk"]
    with serving(app) as base_url:
        made = requests.post(
            f"{base_url}/api/v1/tickets", timeout=30, headers={"Authorization": f"Bearer {token}"},
            data=FIELDS | {"priority": "high", "lang": ""},  # "" is "not given", as null is in JSON: detected
            files=[("attachments[]", (f"../Downloads/{INVOICE}", PDF, "application/pdf")),
                   ("attachments[]", ("screenshot.PNG", PNG, "application/octet-stream"))],
        )
        assert made.status_code == 201, made.text
        answer = made.json()
        assert answer["lang"] == "ar" and answer["status"] == "open"
        files = answer["attachments"]
        # Named and typed as an agent's upload is (last path part, type by extension, not by what was declared).
        assert [(f["filename"], f["size"], f["content_type"]) for f in files] == [
            (INVOICE, len(PDF), "application/pdf"), ("screenshot.PNG", len(PNG), "image/png")]
        ticket = desk.tickets.get(answer["id"])
        assert ticket is not None and ticket.channel == "api" and ticket.priority == "high"
        assert ticket.external_id == "form-77" and ticket.customer.name == "عمر"
        first = ticket.messages[0]
        assert [a.message_id for a in desk.attachments.for_ticket(ticket.id, public=True)] == [first.id, first.id]

        # The customer's own page lists them under their message and serves the same bytes, as downloads.
        page = unescape(requests.get(f"{base_url}/ar/tickets/{answer['reference']}", timeout=30).text)
        link = rf'href="(/ar/tickets/{answer["reference"]}/attachments/(\d+))" download><bdi>([^<]+)<'
        links = re.findall(link, page)
        assert [(int(i), name) for _, i, name in links] == [(f["id"], f["filename"]) for f in files]
        download = requests.get(f"{base_url}{links[0][0]}", timeout=30)
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["Content-Type"] == "application/pdf"

        # The agent's ticket page lists them too, downloadable by a signed-in agent.
        agent = signed_in(base_url)
        agent_page = unescape(agent.get(f"{base_url}/agent/tickets/{ticket.id}", timeout=30).text)
        assert f'<a href="/agent/attachments/{files[1]["id"]}" download><bdi>screenshot.PNG</bdi></a>' in agent_page
        assert agent.get(f"{base_url}/agent/attachments/{files[1]['id']}", timeout=30).content == PNG

        # A JSON client is answered as before, with no files.
        plain = requests.post(f"{base_url}/api/v1/tickets", timeout=30, headers={"Authorization": f"Bearer {token}"},
                              json={"email": "sam@example.com", "subject": "Refund", "body": "Where is my refund?"})
        assert plain.status_code == 201 and plain.json()["attachments"] == []
        assert set(plain.json()) == {"id", "reference", "lang", "status", "team", "category", "snoozed_until",
                                     "attachments"}


def post(client: FlaskClient, token: str, fields: dict[str, str], files: list[tuple[str, str, bytes]],
         path: str = "/api/v1/tickets"):  # type: ignore[no-untyped-def]
    """A multipart post (a ticket, or `path`'s) through the test client: `files` as (form field, filename, bytes)."""
    data: dict[str, object] = dict(fields)
    for field, filename, content in files:
        parts = data.setdefault(field, [])
        assert isinstance(parts, list)
        parts.append((BytesIO(content), filename))
    return client.post(path, data=data, headers={"Authorization": f"Bearer {token}"},
                       content_type="multipart/form-data")


@pytest.mark.parametrize(("fields", "files", "error"), [
    (FIELDS, [("attachments[]", "big.pdf", b"x" * (MAX_BYTES + 1))],
     "attachments[]: big.pdf is 2,000,001 bytes; the limit is 2,000,000 bytes per file"),
    (FIELDS, [("attachments[]", f"{n}.pdf", PDF) for n in range(4)], "attachments[]: 4 files; the limit is 3"),
    (FIELDS, [("attachments[]", "a.pdf", b"x" * 1_600_000), ("attachments[]", "b.pdf", b"x" * 1_600_000)],
     "attachments[]: with b.pdf the files come to 3.1 MB; the limit is 2.9 MB in all"),
    (FIELDS, [("attachments[]", "ok.pdf", PDF), ("attachments[]", "setup.exe", b"MZ")],
     "attachments[]: setup.exe is not a file type we send (images, PDF, text, CSV, Word, Excel, PowerPoint or zip)"),
    (FIELDS, [("attachments[]", "page.html", b"<script>alert(1)</script>")], "attachments[]: page.html is not a file"),
    (FIELDS, [("attachments[]", "ok.pdf", PDF), ("attachments[]", "صورة.png", b"")],
     "attachments[]: صورة.png is empty"),
    (FIELDS, [("attachments[]", "ok.pdf", PDF), ("attachments[]", "", PNG)],
     "attachments[]: file 2 has no filename"),
    (FIELDS, [("attachment", "ok.pdf", PDF)], "attachment: unknown field; use attachments[], body, category, email"),
    ({k: v for k, v in FIELDS.items() if k != "body"}, [("body", "body.txt", b"text")],
     "body: a file; send files as attachments[] and this field as text"),
    (FIELDS | {"attachments[]": "ok.pdf"}, [], "attachments[]: send each file as a file part"),
    (FIELDS | {"prioity": "high"}, [("attachments[]", "ok.pdf", PDF)], "prioity: unknown field"),
    (FIELDS | {"subject": "\x00"}, [("attachments[]", "ok.pdf", PDF)], "subject: contains a NUL character"),
    (FIELDS | {"body": " "}, [], "body: is empty"),  # neither text nor files (files alone are a message)
    (FIELDS | {"lang": "fr"}, [("attachments[]", "ok.pdf", PDF)], "lang: must be one of en, ar"),
    ({k: v for k, v in FIELDS.items() if k != "email"}, [("attachments[]", "ok.pdf", PDF)], "email: "),
])
def test_a_refused_post_names_the_field_and_file_and_stores_nothing(
    app: Flask, token: str, fields: dict[str, str], files: list[tuple[str, str, bytes]], error: str
) -> None:
    response = post(app.test_client(), token, fields, files)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"].startswith(error)
    assert stored(app) == (0, 0, [])
    with app.extensions["desk"].db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 0  # no confirmation either


def test_a_field_given_twice_is_named(app: Flask, token: str) -> None:
    response = app.test_client().post(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
        data={**FIELDS, "subject": ["first", "second"], "attachments[]": [(BytesIO(PDF), "ok.pdf")]})
    assert response.status_code == 400
    assert response.get_json()["error"] == "subject: given twice; send each field once"
    assert stored(app) == (0, 0, [])


BOUNDARY = "----partner"
PART = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\nomar@example.com\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments[]"; filename="a.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.4 data\r\n").encode()


@pytest.mark.parametrize(("body", "content_type"), [
    (PART + f"--{BOUNDARY}--\r\n".encode(), "multipart/form-data"),  # no boundary in the header
    (PART, f"multipart/form-data; boundary={BOUNDARY}"),  # cut short: no closing boundary
    (b"email=omar@example.com", f"multipart/form-data; boundary={BOUNDARY}"),  # not multipart at all
])
def test_a_body_that_is_not_the_multipart_it_says_is_a_400(app: Flask, token: str, body: bytes,
                                                           content_type: str) -> None:
    response = app.test_client().post("/api/v1/tickets", data=body, content_type=content_type,
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("the multipart/form-data body cannot be read: ")
    assert stored(app) == (0, 0, [])


def test_a_text_field_that_is_not_utf8_is_named_not_stored_as_replacement_characters(app: Flask, token: str) -> None:
    windows_1256 = "طلبي وصل تالفًا".encode("cp1256")  # a legacy Arabic form's bytes
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="subject"\r\n\r\n').encode() + windows_1256 + (
        f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\nomar@example.com\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="body"\r\n\r\nmy order\r\n--{BOUNDARY}--\r\n'
    ).encode()
    response = app.test_client().post("/api/v1/tickets", data=body, headers={"Authorization": f"Bearer {token}"},
                                      content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "subject: not UTF-8 text; send the text fields in UTF-8"
    assert stored(app) == (0, 0, [])


def test_a_repeated_external_id_with_files_leaves_no_file_behind(app: Flask, token: str) -> None:
    client = app.test_client()
    first = post(client, token, FIELDS, [("attachments[]", "a.pdf", PDF)])
    assert first.status_code == 201
    again = post(client, token, FIELDS, [("attachments[]", "b.pdf", PDF)])
    assert again.status_code == 409 and again.get_json()["error"].startswith("external_id: ")
    tickets, rows, files = stored(app)
    assert (tickets, rows) == (1, 1) and [f.name.endswith("-a.pdf") for f in files] == [True]


def test_the_body_limit_grows_only_for_multipart(app: Flask, token: str) -> None:
    client = app.test_client()
    big = post(client, token, FIELDS, [("attachments[]", "scan.pdf", b"x" * 1_500_000)])  # over 1 MiB
    assert big.status_code == 201 and big.get_json()["attachments"][0]["size"] == 1_500_000
    json_body = client.post("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                            json={**FIELDS, "external_id": "x", "body": "x" * 1_500_000})
    assert json_body.status_code == 413 and json_body.is_json
    huge = client.post("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                       content_type=f"multipart/form-data; boundary={BOUNDARY}", data=b"x" * 8_000_000)
    assert huge.status_code == 413
    assert huge.get_json()["error"].startswith("the request body is too large: 8,000,000 bytes;")
    assert stored(app)[:2] == (1, 1)


def test_no_token_no_ticket_and_no_file(app: Flask) -> None:
    response = app.test_client().post("/api/v1/tickets", content_type="multipart/form-data",
                                      data={**FIELDS, "attachments[]": [(BytesIO(PDF), "a.pdf")]})
    assert response.status_code == 401 and stored(app) == (0, 0, [])


def test_the_document_describes_the_multipart_form() -> None:
    assert request_fields("/api/v1/tickets", "multipart/form-data") == (
        request_fields("/api/v1/tickets") | {"attachments[]"})
