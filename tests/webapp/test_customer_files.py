"""A customer attaches files on the web: the contact form and the reply form on their own ticket's page take files
as a plain multipart post (no script needed), held to the customer's limits (`KB_CUSTOMER_MAX_ATTACHMENTS*`, the
desk's `clean_files`). The files show under the message on the customer's page, download only through the
ticket's reference, and reach the agent as mailed-in files do. A refused file is named with the reason, the
typed text stays in the form, and nothing is stored; the same page posted twice stores its files once. The real
app under waitress; SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from desk.desk import Desk
from desk.mail.attachments import UPLOAD_TYPES
from desk.models import Attachment, Message, Ticket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, csrf, light_settings  # noqa: F401
from tests.webapp.test_reply_files import base_url, signed_in  # noqa: F401  (the app under waitress)
from webapp import create_app

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot" * 50
INVOICE = "فاتورة الطلب 12345.pdf"
CONTACT = {"name": "عمر", "email": "omar@example.com", "subject": "طلبي وصل تالفًا",
           "message": "وصل الطلب رقم 12345 مكسورًا <b>وأرفقت صورة</b>"}
MAX_BYTES = 1_500_000  # per file: above the app's 1 MiB body limit, which a customer's form must get past


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """Customers may attach 2 files (3 MB in all); agents and API clients more, which the web forms must not get."""
    settings = replace(light_settings, mail_max_attachment_bytes=MAX_BYTES, customer_max_attachments=2,
                       customer_max_attachments_bytes=3_000_000, reply_max_attachments=10)
    app = create_app(settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    return app


def stored(app: Flask) -> tuple[int, int, int, list[Path]]:
    """Tickets, messages, attachment rows and files on disk."""
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        counts = [session.scalar(select(func.count()).select_from(model)) or 0
                  for model in (Ticket, Message, Attachment)]
    folder = app.extensions["settings"].data_dir / "mail" / "attachments"
    return counts[0], counts[1], counts[2], sorted(p for p in folder.rglob("*") if p.is_file())


def contact_form(customer: requests.Session, url: str, lang: str = "en") -> dict[str, str]:
    """The contact page's hidden fields (CSRF token, the page's submission key) with the customer's text."""
    page = customer.get(f"{url}/{lang}/contact", timeout=30).text
    key = re.search(r'name="submission" type="hidden" value="([^"]+)"', page)
    assert key is not None
    return {**CONTACT, "csrf_token": csrf(page), "submission": key.group(1)}


def files(*named: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, data, "application/octet-stream")) for name, data in named]


def customer_links(page: str, reference: str, lang: str = "en") -> list[tuple[str, str]]:
    """(download path, file name) of each file the customer's page lists."""
    return re.findall(rf'href="(/{lang}/tickets/{reference}/attachments/\d+)" download><bdi>([^<]+)<', unescape(page))


def test_the_forms_take_files_without_a_script(base_url: str) -> None:  # noqa: F811
    customer = requests.Session()
    page = customer.get(f"{base_url}/en/contact", timeout=30).text
    form = re.search(r'<form class="contact"[^>]*>', page)
    assert form is not None and 'enctype="multipart/form-data"' in form.group(0)
    picker = re.search(r'<input type="file" id="contact-files" name="files" multiple accept="([^"]+)"', page)
    assert picker is not None and picker.group(1).split(",") == list(UPLOAD_TYPES)
    shown = unescape(page).replace("\u2068", "").replace("\u2069", "")  # the sizes are bidi-isolated
    assert "Up to 2 files, 1.4 MB each, 2.9 MB in all" in shown  # the customer's limits, not an agent's


def test_a_contact_forms_files_reach_the_customers_page_and_the_agent(app: Flask, base_url: str) -> None:  # noqa: F811
    customer = requests.Session()
    sent = customer.post(f"{base_url}/en/contact", timeout=30, data=contact_form(customer, base_url),
                         files=files((f"../Downloads/{INVOICE}", PDF), ("screenshot.PNG", PNG)))
    assert sent.status_code == 200 and "We received your request" in sent.text  # followed to the ticket
    reference = sent.url.rsplit("/", 1)[1]
    desk: Desk = app.extensions["desk"]
    ticket = desk.tickets.by_reference(reference)
    assert ticket is not None and ticket.channel == "web"
    kept = desk.attachments.for_ticket(ticket.id)
    assert [(a.message_id, a.filename, a.content_type, a.size) for a in kept] == [
        (ticket.messages[0].id, INVOICE, "application/pdf", len(PDF)),
        (ticket.messages[0].id, "screenshot.PNG", "image/png", len(PNG))]

    # The customer's page lists them under the message; the download works through the reference only.
    links = customer_links(sent.text, reference)
    assert [name for _, name in links] == [INVOICE, "screenshot.PNG"]
    download = requests.get(f"{base_url}{links[0][0]}", timeout=30)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # Another customer's reference opens none of these files, nor a made-up one.
    stranger = requests.Session()
    theirs = stranger.post(f"{base_url}/en/contact", timeout=30,
                           data={**contact_form(stranger, base_url), "email": "layla@example.com"})
    their_reference = theirs.url.rsplit("/", 1)[1]
    attachment_id = links[0][0].rsplit("/", 1)[1]
    assert requests.get(f"{base_url}/en/tickets/{their_reference}/attachments/{attachment_id}",
                        timeout=30).status_code == 404
    assert requests.get(f"{base_url}/en/tickets/{reference}x/attachments/{attachment_id}",
                        timeout=30).status_code == 404

    # The agent's ticket page lists them under the customer's message, downloadable, as mailed-in files are.
    agent = signed_in(base_url)
    agent_page = unescape(agent.get(f"{base_url}/agent/tickets/{ticket.id}", timeout=30).text)
    assert f'<a href="/agent/attachments/{kept[1].id}" download><bdi>screenshot.PNG</bdi></a>' in agent_page
    assert agent.get(f"{base_url}/agent/attachments/{kept[1].id}", timeout=30).content == PNG


@pytest.mark.parametrize(("lang", "sent", "named"), [
    ("en", [("ok.pdf", PDF), ("setup.exe", b"MZ")],
     "files: setup.exe is not a file type we send (images, PDF, text, CSV, Word, Excel, PowerPoint or zip)"),
    ("en", [("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)], "files: 3 files; the limit is 2"),
    ("en", [("كبير.pdf", b"x" * (MAX_BYTES + 1))],
     "files: كبير.pdf is 1,500,001 bytes; the limit is 1,500,000 bytes per file"),
    ("ar", [("page.html", b"<script>alert(1)</script>")], "page.html"),
])
def test_a_refused_file_is_named_keeps_the_typed_text_and_stores_nothing(
    app: Flask, base_url: str, lang: str, sent: list[tuple[str, bytes]], named: str  # noqa: F811
) -> None:
    customer = requests.Session()
    refused = customer.post(f"{base_url}/{lang}/contact", timeout=30, data=contact_form(customer, base_url, lang),
                            files=files(*sent))
    assert refused.status_code == 400
    page = unescape(refused.text)
    error = re.search(r'<p class="field-error" id="contact-files-error" role="alert">([^<]+)</p>', page)
    assert error is not None and named in error.group(1)
    if lang == "ar":  # in the reader's language: the field and the reason translated, the file named as sent
        assert error.group(1).startswith("الملفات") and "ليس" in error.group(1)
    for name in ("name", "email", "subject"):
        assert f'value="{CONTACT[name]}"' in page
    assert f">{CONTACT['message']}</textarea>" in page
    assert 'aria-invalid="true"' in page.split('id="contact-files"', 1)[1].split(">", 1)[0]
    assert stored(app) == (0, 0, 0, [])


def test_a_refused_form_asks_for_the_files_again(base_url: str) -> None:  # noqa: F811
    """A field the form itself refuses (no email) comes back without the files: the page says to pick them again."""
    customer = requests.Session()
    refused = customer.post(f"{base_url}/en/contact", timeout=30,
                            data={**contact_form(customer, base_url), "email": ""}, files=files(("a.pdf", PDF)))
    assert refused.status_code == 400
    assert "Choose the files again: a page cannot keep them." in refused.text


def test_the_same_contact_page_sent_twice_stores_its_files_once(app: Flask, base_url: str) -> None:  # noqa: F811
    customer = requests.Session()
    form = contact_form(customer, base_url)
    first = customer.post(f"{base_url}/en/contact", timeout=30, data=form, files=files(("a.pdf", PDF)))
    again = customer.post(f"{base_url}/en/contact", timeout=30, data=form, files=files(("a.pdf", PDF)))
    assert first.url == again.url and first.status_code == again.status_code == 200
    tickets, messages, rows, on_disk = stored(app)
    assert (tickets, messages, rows, len(on_disk)) == (1, 1, 1, 1)


def test_a_reply_on_the_ticket_page_takes_files(app: Flask, base_url: str) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    customer = requests.Session()
    ticket_url = customer.post(f"{base_url}/en/contact", timeout=30, data=contact_form(customer, base_url)).url
    reference = ticket_url.rsplit("/", 1)[1]
    page = customer.get(ticket_url, timeout=30).text
    form = re.search(r'<form method="post" class="reply"[^>]*>', page)
    assert form is not None and 'enctype="multipart/form-data"' in form.group(0)
    key = re.search(r'name="submission" type="hidden" value="([^"]+)"', page)
    assert key is not None
    data = {"message": "The photo of the box", "csrf_token": csrf(page), "submission": key.group(1)}

    # Refused: named, the typed reply kept, nothing stored.
    before = stored(app)
    refused = customer.post(ticket_url, timeout=30, data=data, files=files(("ok.png", PNG), ("virus.exe", b"MZ")))
    assert refused.status_code == 400
    text = unescape(refused.text)
    assert re.search(r'id="reply-files-error" role="alert">files: virus.exe is not a file type we send', text)
    assert ">The photo of the box</textarea>" in text and "Choose the files again" in text
    assert stored(app) == before

    # Sent twice (a double click): one message, its file stored once, listed under it.
    for _ in range(2):
        sent = customer.post(ticket_url, timeout=30, data=data, files=files(("صورة العلبة.png", PNG)))
        assert sent.status_code == 200 and sent.url == ticket_url
    found = desk.tickets.by_reference(reference)
    assert found is not None and [m.body for m in found.messages] == [CONTACT["message"], "The photo of the box"]
    assert [(a.message_id, a.filename) for a in desk.attachments.for_ticket(found.id)] == [
        (found.messages[1].id, "صورة العلبة.png")]
    links = customer_links(sent.text, reference)
    assert [name for _, name in links] == ["صورة العلبة.png"]
    assert requests.get(f"{base_url}{links[0][0]}", timeout=30).content == PNG


def test_a_customer_post_over_one_mib_is_read(app: Flask, base_url: str) -> None:  # noqa: F811
    """The app reads 1 MiB of an ordinary post; a customer's form with files is read up to its limits (twice the
    total plus 1 MiB), so a file within them is stored and one over them refused by name, not a bare 413."""
    customer = requests.Session()
    sent = customer.post(f"{base_url}/en/contact", timeout=30, data=contact_form(customer, base_url),
                         files=files(("scan.pdf", b"%PDF" + b"x" * 1_400_000)))
    assert sent.status_code == 200 and "We received your request" in sent.text
    assert stored(app)[2] == 1
