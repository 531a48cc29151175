"""An agent attaches files to a reply (and a note) in the workspace: the real app under waitress, a real SMTP
sink on loopback (aiosmtpd). The mail carries the file with its Arabic name and bytes, the customer's own
ticket page lists and serves it (as a download), another ticket's reference gets nothing, a note's file is
never the customer's, and a refused file comes back with the typed reply kept and the file and limit named."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from urllib.parse import unquote

import pytest
import requests
from flask import Flask

from desk.desk import Desk
from desk.mail.attachments import Upload
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.background import serving
from webapp.mail_commands import deliver_pending_mail

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
NAME = "إيصال الشحن 12345.pdf"


@pytest.fixture
def app(light_settings: Settings, sink: SmtpSink) -> Flask:  # noqa: F811
    settings = replace(light_settings, smtp_url=sink.url, base_url="https://help.manzil.example",
                       mail_max_attachment_bytes=20_000, reply_max_attachments=3)
    app = create_app(settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    return app


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


def signed_in(base_url: str) -> requests.Session:
    agent = requests.Session()
    token = csrf(agent.get(f"{base_url}/agent/login", timeout=30).text)
    answer = agent.post(f"{base_url}/agent/login", timeout=30, allow_redirects=False,
                        data={"email": "agent@example.com", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return agent


def tickets(desk: Desk) -> tuple[int, str, str]:
    mine = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                         body="طلبي رقم 12345 لم يصل بعد، أرجو المساعدة"))
    other = desk.tickets.create(NewTicket(email="layla@example.com", subject="Refund", body="Where is my refund?"))
    return mine.id, mine.reference, other.reference


def post_reply(agent: requests.Session, base_url: str, ticket_id: int, body: str,
               files: list[tuple[str, bytes]], lang: str = "en") -> requests.Response:
    page = agent.get(f"{base_url}/agent/tickets/{ticket_id}", timeout=30).text
    seen = re.search(r'name="seen_message_id" value="(\d+)"', page)
    assert seen is not None
    return agent.post(
        f"{base_url}/agent/tickets/{ticket_id}/reply", timeout=30, headers={"Accept-Language": lang},
        data={"csrf_token": csrf(page), "body": body, "status": "pending", "seen_message_id": seen.group(1)},
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


def test_an_agents_arabic_named_file_reaches_the_mail_and_the_customers_page_only(
    app: Flask, base_url: str, sink: SmtpSink  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, reference, other_reference = tickets(desk)
    agent = signed_in(base_url)
    sent = post_reply(agent, base_url, ticket_id, "مرحبًا عمر، مرفق إيصال الشحن.", [(f"../../home/sara/{NAME}", PDF)])
    assert sent.status_code == 200 and "Reply sent." in sent.text  # followed the redirect to the ticket

    # The agent's thread lists the file under the reply, downloadable by a signed-in agent.
    page = unescape(sent.text)
    link = re.search(r'<a href="(/agent/attachments/(\d+))" download><bdi>([^<]+)</bdi></a>', page)
    assert link is not None and link.group(3) == NAME
    assert agent.get(f"{base_url}{link.group(1)}", timeout=30).content == PDF
    assert requests.get(f"{base_url}{link.group(1)}", timeout=30, allow_redirects=False).status_code == 302  # login

    # The mail: a real attachment, the same name (RFC 2231) and the same bytes.
    assert deliver_pending_mail(desk, app.extensions["settings"]) == 3  # two confirmations and the reply
    confirmation, reply = [m for m in sink.wait_for(3) if m["To"] == "omar@example.com"]
    assert list(confirmation.iter_attachments()) == []
    attached = list(reply.iter_attachments())
    assert [(a.get_filename(), a.get_content_type(), a.get_payload(decode=True)) for a in attached] == [
        (NAME, "application/pdf", PDF)]
    assert "مرفق إيصال الشحن" in reply.get_body(("plain",)).get_content()

    # The customer's own page lists it under the reply and serves the same bytes, as a download.
    customer = requests.get(f"{base_url}/ar/tickets/{reference}", timeout=30)
    found = re.search(rf'href="(/ar/tickets/{reference}/attachments/(\d+))" download><bdi>([^<]+)</bdi>',
                      unescape(customer.text))
    assert found is not None and found.group(3) == NAME
    download = requests.get(f"{base_url}{found.group(1)}", timeout=30)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and unquote(disposition.split("filename*=UTF-8''")[1]) == NAME

    # Another customer's reference, or a made-up one, never opens it.
    attachment_id = found.group(2)
    assert requests.get(f"{base_url}/ar/tickets/{other_reference}/attachments/{attachment_id}",
                        timeout=30).status_code == 404
    assert requests.get(f"{base_url}/ar/tickets/{other_reference}", timeout=30).text.count("/attachments/") == 0


def test_a_notes_file_is_listed_for_agents_and_never_served_to_the_customer(app: Flask, base_url: str) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, reference, _ = tickets(desk)
    agent = signed_in(base_url)
    page = agent.get(f"{base_url}/agent/tickets/{ticket_id}", timeout=30).text
    noted = agent.post(f"{base_url}/agent/tickets/{ticket_id}/note", timeout=30,
                       data={"csrf_token": csrf(page), "body": "scan from the courier"},
                       files=[("files", ("مسح.png", b"\x89PNG\r\n\x1a\nscan", "image/png"))])
    assert noted.status_code == 200 and "Note added." in noted.text
    note_file = desk.attachments.for_ticket(ticket_id)[0]
    assert note_file.filename == "مسح.png" and f"/agent/attachments/{note_file.id}" in noted.text
    assert desk.attachments.for_ticket(ticket_id, public=True) == []
    customer_page = requests.get(f"{base_url}/en/tickets/{reference}", timeout=30).text
    assert "مسح.png" not in customer_page and "/attachments/" not in customer_page
    assert requests.get(f"{base_url}/en/tickets/{reference}/attachments/{note_file.id}",
                        timeout=30).status_code == 404


@pytest.mark.parametrize(("files", "named"), [
    ([("فاتورة كبيرة.pdf", b"x" * 20_001)], "فاتورة كبيرة.pdf is 20,001 bytes; the limit is 20,000 bytes per file"),
    ([("page.html", b"<script>alert(1)</script>")], "page.html is not a file type we send"),
    ([(f"{n}.txt", b"x") for n in range(3)], "4 files; the limit is 3"),
])
def test_a_refused_file_keeps_the_typed_reply_and_sends_nothing(
    app: Flask, base_url: str, sink: SmtpSink, files: list[tuple[str, bytes]], named: str  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, _, _ = tickets(desk)
    agent = signed_in(base_url)
    typed = "مرحبًا عمر،\nهذا ردّ طويل كتبته بعناية <b>لا يضيع</b>."
    refused = post_reply(agent, base_url, ticket_id, typed, [("ok.pdf", PDF), *files])
    assert refused.status_code == 400
    page = unescape(refused.text)
    assert named in page
    textarea = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea is not None and textarea.group(1) == typed  # the markup typed is text, shown as typed
    assert "Choose the files again" in page
    found = desk.tickets.get(ticket_id)
    assert found is not None and [m.author for m in found.messages] == ["customer"]
    assert desk.attachments.for_ticket(ticket_id) == []
    assert deliver_pending_mail(desk, app.extensions["settings"]) == 2  # the two confirmations only


def test_a_colleagues_files_arrive_with_their_message_in_the_open_page(app: Flask, base_url: str) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, _, _ = tickets(desk)
    agent = signed_in(base_url)
    page = agent.get(f"{base_url}/agent/tickets/{ticket_id}", timeout=30).text
    seen = re.search(r'name="seen_message_id" value="(\d+)"', page)
    assert seen is not None
    colleague = desk.accounts.create_agent("layla@manzil.example", PASSWORD, name="ليلى")
    note = desk.notes.add(ticket_id, colleague.id, "صورة من المندوب", files=[Upload("مسح.png", b"\x89PNG scan")])
    polled = agent.post(f"{base_url}/agent/tickets/{ticket_id}/presence", timeout=30,
                        headers={"X-CSRFToken": csrf(page)}, json={"seen_message_id": int(seen.group(1))}).json()
    file_id = desk.attachments.by_message(ticket_id)[note.message_id][0].id
    assert [m["files"] for m in polled["messages"]] == [[{"name": "مسح.png", "url": f"/agent/attachments/{file_id}"}]]


def test_a_post_with_files_takes_the_same_csrf_token(app: Flask, base_url: str) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, _, _ = tickets(desk)
    agent = signed_in(base_url)
    forged = agent.post(f"{base_url}/agent/tickets/{ticket_id}/reply", timeout=30, data={"body": "hi"},
                        files=[("files", ("a.pdf", PDF, "application/pdf"))])  # no csrf_token
    assert forged.status_code == 400
    found = desk.tickets.get(ticket_id)
    assert found is not None and len(found.messages) == 1 and desk.attachments.for_ticket(ticket_id) == []


def test_an_arabic_agent_reads_the_refusal_in_arabic(app: Flask, base_url: str) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id, _, _ = tickets(desk)
    agent = signed_in(base_url)
    refused = post_reply(agent, base_url, ticket_id, "نص الرد", [("صفحة.html", b"<p>")], lang="ar")
    page = unescape(refused.text)
    assert refused.status_code == 400
    assert "الملفات: \u2068صفحة.html\u2069" in page and "is not a file type" not in page  # the name isolated
    assert "اختر الملفات مرة أخرى" in page and ">نص الرد</textarea>" in page
