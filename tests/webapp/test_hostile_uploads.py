"""Hostile uploads (session 27): every post that takes files, under whatever a client can put in a multipart body.

The customer's contact form and their ticket page's reply (en and ar), and the token API's new ticket and message
(multipart), get raw bodies hypothesis builds: hostile file names (path traversal, NUL, the RTL override U+202E,
300 characters of 1 to 4 UTF-8 bytes, dots only, Windows device names, mixed scripts and NFC/NFD twins, bytes that are
no UTF-8), a declared type that is not the content, empty files, a file part with no filename, text fields given
twice or with bytes that are no UTF-8, Arabic with a lone surrogate's bytes, a part with no name, a huge part header,
and the body cut short. Whatever comes: no 5xx and no traceback; a refusal (4xx) names what is wrong (the API's JSON
names the field; a page marks one) and leaves every table and the data directory as they were; what is taken keeps
its files under safe names, downloadable with a Content-Disposition that is plain ASCII with an RFC 5987
`filename*` for the name as kept, and the API's answer and its GET of the ticket are JSON that lists them.

Deterministic (derandomize) and modest (EXAMPLES per property), SQLite and `--postgresql`.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desk.mail.attachments import MAX_FILENAME_BYTES, safe_filename, served_type
from desk.models import Attachment, Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.faults import NOT_WRITTEN
from tests.webapp.light_app import csrf, light_settings  # noqa: F401
from tests.webapp.test_hostile_routes import TRACEBACK, _fingerprint
from webapp import create_app

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "60"))  # the campaign ran 600
HOSTILE = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
BOUNDARY = b"hostile27"
PDF = b"%PDF-1.4\n" + b"x" * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"y" * 40

# File names, as the bytes a client puts in filename="..." (werkzeug reads them as UTF-8).
NAMES = [
    "invoice.pdf", "فاتورة الطلب.pdf", "../../etc/passwd.pdf", "..\\..\\boot.ini.txt", "/etc/shadow.csv",
    "a\x00b.pdf", "\u202etxt.exe.pdf", "invoice\u202efdp.exe", "中" * 300 + ".pdf", "ف" * 300 + ".pdf",
    "𝐀" * 300 + ".txt", "a" * 300 + ".png", "...", "..pdf", ". .", "CON.pdf", "nul", "com1.tar.gz", "LPT9.txt",
    "caf\u00e9.pdf", "cafe\u0301.pdf", "صورةُ الشحنةِ.png", "صورة\u200dالشحنة.png", "Ωmega-фото-写真.jpg", "ﻻ.pdf",
    "x.PDF", "x.pdf.html", "x.svg", "x.html", "x", "", " ", "\t.pdf", 'a"b<c>.txt', "a;b=c.pdf", "x%41.pdf",
    "\r\nX-Injected: yes.pdf", "naïve\u0308.pdf", "\ufeffbom.pdf", "x" * 1000 + ".pdf",
]  # fmt: skip
RAW_NAMES = [b"caf\xe9.pdf", b"x\xed\xa0\x80.pdf", b"\xff\xfe.pdf", b"\xd9.pdf"]  # no UTF-8
FILENAME = (st.sampled_from(NAMES).map(lambda s: s.encode()) | st.sampled_from(RAW_NAMES)
            | st.builds(lambda stem, ext: (stem + ext).encode("utf-8", "surrogatepass"),
                        st.text(max_size=40), st.sampled_from([".pdf", ".png", ".txt", ".exe", ""])))
CONTENT = st.sampled_from([PDF, PNG, b"", b"<html><script>alert(1)</script>", b"\x00" * 10]) | st.binary(max_size=64)
DECLARED = st.sampled_from([None, "application/pdf", "text/html", "image/svg+xml", "x/y; charset=\"", ""])
TEXT = st.sampled_from([
    b"Where is my order?", "وين طلبي؟ الطلب 12345".encode(), b"caf\xe9", b"\xed\xa0\x80",
    "سلام".encode() + b"\xed\xb0\x80", b"\x00", b"a\x00b", b"", b" ", "\u202e".encode(), b"\x1b", b"x" * 6000,
]) | st.text(max_size=30).map(lambda s: s.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class FilePart:
    field: bytes  # "files" on a page, "attachments[]" on the API; another name now and then
    filename: bytes | None  # None: a file part without a filename
    content: bytes
    declared: str | None


@dataclass(frozen=True)
class Post:
    """One hostile multipart post: its text fields (a field may come twice), its files, and what breaks the body."""

    route: str  # a key of ROUTES
    fields: list[tuple[bytes, bytes]]
    files: list[FilePart]
    nameless: bool  # a part with no name
    huge_header: bool  # a part header of 600 kB
    cut: int | None  # the body cut short this many bytes from its end


ROUTES = {  # route -> (its text fields, the name its files go by)
    "contact": ([b"name", b"email", b"subject", b"message"], b"files"),
    "reply": ([b"message"], b"files"),
    "api_ticket": ([b"email", b"subject", b"body", b"name", b"lang", b"priority", b"external_id"], b"attachments[]"),
    "api_message": ([b"body"], b"attachments[]"),
}
GOOD = {b"name": "عمر".encode(), b"email": b"omar@example.com", b"subject": b"Broken parcel", b"message": b"It broke",
        b"body": b"It broke", b"lang": b"ar", b"priority": b"high"}


@st.composite
def posts(draw: st.DrawFn) -> Post:
    route = draw(st.sampled_from(sorted(ROUTES)))
    names, files_field = ROUTES[route]
    fields = [(name, GOOD.get(name, b"")) for name in names if name in GOOD]
    for _ in range(draw(st.integers(0, 3))):  # a field made hostile, perhaps given twice
        fields.append((draw(st.sampled_from([*names, b"other", b"files", b"attachments[]"])), draw(TEXT)))
    if draw(st.booleans()):  # the hostile value replaces the good one rather than following it
        fields = list({name: value for name, value in reversed(fields)}.items())
    files = draw(st.lists(st.builds(
        FilePart, st.sampled_from([files_field] * 6 + [b"file", b"files" if files_field != b"files" else b"upload"]),
        FILENAME | st.none(), CONTENT, DECLARED), max_size=4))
    return Post(route, fields, files, draw(st.booleans() | st.just(False)), draw(st.sampled_from([False] * 9 + [True])),
                draw(st.none() | st.none() | st.integers(1, 80)))


def multipart(post: Post, csrf_token: str, submission: str) -> bytes:
    parts = []
    if post.route in ("contact", "reply"):
        parts += [(b"csrf_token", csrf_token.encode()), (b"submission", submission.encode())]
    body = b""
    for name, value in parts + post.fields:
        body += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
    for part in post.files:
        disposition = b'Content-Disposition: form-data; name="' + part.field + b'"'
        if part.filename is not None:
            disposition += b'; filename="' + part.filename.replace(b'"', b"%22").replace(b"\r", b"").replace(
                b"\n", b"") + b'"'
        declared = b"" if part.declared is None else b"Content-Type: " + part.declared.encode() + b"\r\n"
        body += b"--" + BOUNDARY + b"\r\n" + disposition + b"\r\n" + declared + b"\r\n" + part.content + b"\r\n"
    if post.nameless:
        body += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; filename="a.pdf"\r\n\r\n' + PDF + b"\r\n"
    if post.huge_header:
        body += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="x"\r\nX-Big: ' + b"a" * 600_000
        body += b"\r\n\r\nx\r\n"
    body += b"--" + BOUNDARY + b"--\r\n"
    return body[: -post.cut] if post.cut else body


@dataclass
class Site:
    app: Flask
    customer: FlaskClient
    csrf_token: str
    reference: str
    ticket_id: int
    api_token: str
    examples: int = 0


@pytest.fixture
def site(light_settings: Settings) -> Iterator[Site]:  # noqa: F811
    """The light app without rate limits, small file limits (two files of 2 kB for customers, three for an API
    client), a customer's ticket, the customer's session and its CSRF token."""
    settings_ = replace(light_settings, rate_limits=False, mail_max_attachment_bytes=2000, customer_max_attachments=2,
                        customer_max_attachments_bytes=3000, reply_max_attachments=3,
                        reply_max_attachments_bytes=5000)
    app = create_app(settings_)
    desk = app.extensions["desk"]
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="Broken", body="It broke"))
    customer = app.test_client()
    token = csrf(customer.get(f"/en/tickets/{ticket.reference}").get_data(as_text=True))
    yield Site(app, customer, token, ticket.reference, ticket.id, desk.accounts.create_token("hostile"))


def data_files(app: Flask) -> dict[str, str]:
    """Every file of the data directory a write may leave (tests.faults.NOT_WRITTEN aside), by its content's hash."""
    root: Path = app.extensions["settings"].data_dir
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.startswith(NOT_WRITTEN)}


def attachments(app: Flask) -> list[Attachment]:
    with app.extensions["desk"].db.session() as session:
        return list(session.scalars(select(Attachment).order_by(Attachment.id)))


def send(site: Site, post: Post):  # type: ignore[no-untyped-def]
    site.examples += 1
    body = multipart(post, site.csrf_token, f"hostile-submission-{site.examples:06d}")
    path = {"contact": "/ar/contact", "reply": f"/en/tickets/{site.reference}", "api_ticket": "/api/v1/tickets",
            "api_message": f"/api/v1/tickets/{site.ticket_id}/messages"}[post.route]
    headers = {"Content-Type": "multipart/form-data; boundary=" + BOUNDARY.decode()}
    if post.route.startswith("api"):
        headers["Authorization"] = f"Bearer {site.api_token}"
    return site.customer.post(path, data=body, headers=headers)


# RFC 6266: a quoted ASCII `filename`, and the name as kept in RFC 5987's `filename*` (attr-chars and %XX only).
DISPOSITION = re.compile(r"attachment; filename=\"([ -~]*)\"(?:; filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]+))?")


def check_download(site: Site, row: Attachment) -> None:
    """A kept file's name is safe as kept, and its download says it safely: ASCII only, no line break, quote or
    path in the plain `filename` (with a stem: never a hidden ".pdf"), the name as kept in `filename*` (RFC 5987)."""
    name = row.filename
    assert safe_filename(name) == name and "/" not in name and "\\" not in name, name
    assert len(name.encode()) <= MAX_FILENAME_BYTES and unicodedata.is_normalized("NFC", name), name
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name), name
    with site.app.extensions["desk"].db.session() as session:
        reference = session.scalar(select(Ticket.reference).where(Ticket.id == row.ticket_id))
    response = site.app.test_client().get(f"/en/tickets/{reference}/attachments/{row.id}")
    assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == served_type(row.content_type)
    disposition = response.headers["Content-Disposition"]
    assert disposition.isascii() and not re.search(r"[\x00-\x1f\x7f]", disposition), disposition
    found = DISPOSITION.fullmatch(disposition)
    assert found is not None, disposition
    plain, encoded = found.groups()
    assert not re.search(r'["\\/%]', plain) and plain.rsplit(".", 1)[0].strip(" ."), disposition
    assert (unquote(encoded, errors="strict") if encoded else plain) == name, disposition


@HOSTILE
@given(post=posts())
def test_no_multipart_post_is_a_5xx_and_a_refused_one_writes_nothing(site: Site, post: Post) -> None:
    before, files_before, rows_before = _fingerprint(site.app), data_files(site.app), len(attachments(site.app))
    response = send(site, post)
    text = response.get_data(as_text=True)
    what = (post, response.status_code, text[:300])
    assert response.status_code < 500 and not TRACEBACK.search(text), what
    api = post.route.startswith("api")
    if api:
        assert response.is_json, what
    if 400 <= response.status_code < 500:
        assert _fingerprint(site.app) == before and data_files(site.app) == files_before, what
        if api and response.status_code == 400:  # the field, or the part of the body, it names
            assert re.match(r"(email|subject|body|name|lang|priority|external_id|attachments\[\]|[^:]+: unknown field"
                            r"|[^:]+: a file|[^:]+: not UTF-8|[^:]+: given twice|[^:]+: contains a NUL|the multipart"
                            r"|a part has no name)", response.get_json()["error"]), what
        elif not api and response.status_code == 400:
            assert 'class="field-error"' in text or "csrf" in text.lower() or 'class="error' in text, what
        elif not api and response.status_code == 413:  # the site's page in the form's language, naming the files
            assert "الملفات أكبر من أن تُرسَل" in text or "The files are too large to send" in text, what
        return
    assert response.status_code in ((201,) if api else (302, 200)), what
    for row in attachments(site.app)[rows_before:]:
        check_download(site, row)
    if api:
        answer = response.get_json()
        kept = {a.id: a.filename for a in attachments(site.app)}  # new, or the first post's (a resend)
        assert all(kept.get(a["id"]) == a["filename"] for a in answer["attachments"]), what
        ticket_id = answer["id"] if post.route == "api_ticket" else site.ticket_id
        ticket = site.customer.get(f"/api/v1/tickets/{ticket_id}",
                                   headers={"Authorization": f"Bearer {site.api_token}"})
        assert ticket.status_code == 200 and ticket.is_json


# --- what the campaign found, each a 500 before its fix ------------------------------------------------------------


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_name_of_300_wide_letters_is_kept_cut_not_a_500(site: Site, route: str) -> None:
    """A name's 120 characters were checked, its bytes not: 300 CJK letters kept 120 of them, 360 bytes, and the
    file "<message>-<n>-<name>.part" overran the file system's 255 (ENAMETOOLONG), a 500 on every post with files
    (and a mail received with such a file was a storage error, retried and never taken)."""
    for name in ("中" * 300 + ".pdf", "𝐀" * 300 + ".pdf"):
        files = [FilePart(ROUTES[route][1], name.encode(), PDF, "application/pdf")]
        response = send(site, Post(route, [(n, GOOD[n]) for n in ROUTES[route][0] if n in GOOD], files, False, False,
                                   None))
        assert response.status_code in (201, 302), (route, response.status_code)
        kept = attachments(site.app)[-1]
        assert kept.filename.endswith(".pdf") and len(kept.filename.encode()) <= MAX_FILENAME_BYTES
        assert kept.filename.startswith(name[:10])
        check_download(site, kept)


def test_a_post_past_the_upload_limit_is_the_sites_page_naming_the_files(site: Site) -> None:
    """Past a form's upload limit (twice the customer's limits and 1 MiB: a video picked without the page's script,
    or a 600 kB part header) werkzeug answered its own bare English 413; now the site's page in the form's
    language says the files are too large and that nothing was sent."""
    before, files_before = _fingerprint(site.app), data_files(site.app)
    huge = [FilePart(b"files", "فيديو.mp4".encode(), b"v" * 1_200_000, "video/mp4")]
    for route, lang, heading in (("contact", "ar", "الملفات أكبر من أن تُرسَل"),
                                 ("reply", "en", "The files are too large to send")):
        response = send(site, Post(route, [(n, GOOD[n]) for n in ROUTES[route][0] if n in GOOD], huge, False, False,
                                   None))
        page = response.get_data(as_text=True)
        assert response.status_code == 413 and heading in page and f'lang="{lang}"' in page, (route, page[:300])
    assert _fingerprint(site.app) == before and data_files(site.app) == files_before
