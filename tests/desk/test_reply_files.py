"""Files an agent attaches to a reply or note: names made safe (Arabic kept, paths stripped), the limits
(per file, count, total, type) refused by name before anything is written, the reply and its files
written together or not at all, and the reply's mail carrying them as real MIME attachments."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import desk.database as database_module
import desk.tickets as desk_tickets
from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.mail.attachments import (
    ALLOWED_TYPES,
    MAX_FILENAME,
    MAX_FILENAME_BYTES,
    UPLOAD_TYPES,
    FileLimits,
    Upload,
    human_size,
    safe_filename,
    served_type,
    upload_type,
)
from desk.mail.outbox import deliver_pending
from desk.models import Attachment, Message, OutboxMail
from desk.tickets import CleanFile, InputError, NewTicket, clean_files
from kb.settings import Settings
from tests.desk.test_mail_out import desk, settings  # noqa: F401  (a desk over tmp_path, mail to a sink)
from tests.smtp_sink import SmtpSink
from webapp.mail_templates import EmailTemplates

LIMITS = FileLimits(max_bytes=100, max_count=3, max_total=250)
PDF = b"%PDF-1.4 " + bytes(range(256))


@pytest.mark.parametrize(("sent", "kept"), [
    ("فاتورة الطلب.pdf", "فاتورة الطلب.pdf"),
    ("C:\\Users\\sam\\Desktop\\فاتورة.pdf", "فاتورة.pdf"),
    ("../../etc/passwd", "passwd"),
    ("/tmp/x/../report.csv", "report.csv"),
    ("صورةُ الشحنةِ.png", "صورةُ الشحنةِ.png"),  # Arabic vowel marks are kept, not "_"
    ("invoice\u202efdp.exe", "invoice_fdp.exe"),  # a bidi override that would show "exe.pdf"
    ('a"b<c>.txt', "a_b_c_.txt"),
    ("...", "attachment"),
    ("", "attachment"),
    ("CON.pdf", "_CON.pdf"),  # a Windows device name, whatever its extension: saved there, the file is lost
    ("nul", "_nul"),
    ("com1.tar.gz", "_com1.tar.gz"),
    ("console.pdf", "console.pdf"),
    ("cafe\u0301.pdf", "caf\u00e9.pdf"),  # macOS sends names decomposed: one name, one spelling (NFC)
])
def test_a_files_name_is_its_last_part_with_unsafe_characters_replaced(sent: str, kept: str) -> None:
    assert safe_filename(sent) == kept


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = safe_filename("تقرير " * 60 + ".xlsx")
    assert len(name) <= MAX_FILENAME and name.endswith(".xlsx") and name.startswith("تقرير")
    assert upload_type(name) == UPLOAD_TYPES[".xlsx"]


@pytest.mark.parametrize("letter", ["a", "ف", "中", "𝐀"])  # 1, 2, 3 and 4 bytes in UTF-8
def test_a_long_name_is_cut_to_what_a_file_system_holds(letter: str) -> None:
    """The file is "<message>-<n>-<name>.part" on disk, 255 bytes at most: 120 characters of 3 or 4 bytes were over
    (ENAMETOOLONG, a 500 on every post with files and a mail never taken)."""
    name = safe_filename(letter * 300 + ".pdf")
    assert name.endswith(".pdf") and name.startswith(letter * 10)
    assert len(name) <= MAX_FILENAME and len(name.encode()) <= MAX_FILENAME_BYTES
    assert len(f"{2**31 - 1}-99-{name}.part".encode()) <= 255


def test_upload_types_come_from_the_name_and_are_all_accepted_types() -> None:
    assert all(ALLOWED_TYPES.match(kind) for kind in UPLOAD_TYPES.values())
    assert upload_type("Scan.PDF") == "application/pdf" and upload_type("photo.jpeg") == "image/jpeg"
    assert upload_type("page.html") is None and upload_type("logo.svg") is None and upload_type("README") is None
    # A download is labelled with an accepted type only: HTML or SVG that came in by mail is bytes.
    assert served_type("text/html") == "application/octet-stream" and served_type("image/svg+xml") != "image/svg+xml"
    assert served_type("application/pdf") == "application/pdf"


@pytest.mark.parametrize(("files", "message"), [
    ([Upload("big.pdf", b"x" * 101)], "files: big.pdf is 101 bytes; the limit is 100 bytes per file"),
    ([Upload("page.html", b"<script>")], "files: page.html is not a file type we send"),
    ([Upload("empty.txt", b"")], "files: empty.txt is empty"),
    ([Upload(f"{n}.txt", b"x") for n in range(4)], "files: 4 files; the limit is 3"),
    ([Upload("a.txt", b"x" * 100), Upload("b.txt", b"x" * 100), Upload("ج.txt", b"x" * 51)],
     "files: with ج.txt the files come to 251 bytes; the limit is 250 bytes in all"),
])
def test_a_file_over_a_limit_is_refused_by_name(files: list[Upload], message: str) -> None:
    with pytest.raises(InputError) as refused:
        clean_files(files, LIMITS)
    assert str(refused.value).startswith(message)


def test_sizes_read_as_people_read_them_and_never_as_equal_to_their_limit() -> None:
    sizes = (80, 20_000, 15 * 1024 * 1024, 10 * 1024 * 1024, 1_500_000)
    assert [human_size(size) for size in sizes] == ["80 bytes", "19.5 KB", "15 MB", "10 MB", "1.4 MB"]  # no "10.0 MB"
    with pytest.raises(InputError, match=re.escape("c.pdf is 30 KB; the limit is 20 KB per file")):
        clean_files([Upload("c.pdf", b"x" * 30 * 1024)], FileLimits(20 * 1024, 3, 10**6))


def test_files_within_the_limits_pass_with_their_safe_name_and_type() -> None:
    clean = clean_files([Upload("C:\\docs\\إيصال.pdf", b"x" * 100), Upload("b.csv", b"a,b\n" * 20)], LIMITS)
    assert [(c.filename, c.content_type, len(c.data)) for c in clean] == [
        ("إيصال.pdf", "application/pdf", 100), ("b.csv", "text/csv", 80)]


def test_the_limits_are_the_settings() -> None:
    configured = Settings.from_env({"KB_MAIL_MAX_ATTACHMENT_BYTES": "5", "KB_REPLY_MAX_ATTACHMENTS": "2",
                                    "KB_REPLY_MAX_ATTACHMENTS_BYTES": "7"})
    assert FileLimits.from_settings(configured) == FileLimits(5, 2, 7)


def _ticket(desk: Desk) -> tuple[int, int]:  # noqa: F811
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                           body="طلبي رقم 12345 لم يصل بعد"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة")
    return ticket.id, agent.id


def test_a_refused_file_writes_nothing(desk: Desk, settings: Settings) -> None:  # noqa: F811
    ticket_id, agent_id = _ticket(desk)
    big = Upload("big.pdf", b"x" * (settings.mail_max_attachment_bytes + 1))
    refusal = "big.pdf is 10,485,761 bytes; the limit is 10,485,760 bytes per file"  # bytes: "10 MB" both
    with pytest.raises(InputError, match=re.escape(refusal)):
        desk.tickets.reply(ticket_id, agent_id, "Here it is", files=[Upload("ok.pdf", PDF), big])
    with desk.db.session() as session:
        assert session.scalars(select(Message).where(Message.author == "agent")).all() == []
        assert session.scalars(select(Attachment)).all() == []
    assert not (settings.data_dir / "mail" / "attachments").exists()


def test_a_failed_transaction_leaves_no_file_behind(desk: Desk, settings: Settings,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id, agent_id = _ticket(desk)

    def broken_queue(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the outbox insert failed")

    monkeypatch.setattr("desk.tickets.queue_mail", broken_queue)  # after the files are written
    with pytest.raises(RuntimeError):
        desk.tickets.reply(ticket_id, agent_id, "Here it is", files=[Upload("فاتورة.pdf", PDF)])
    with desk.db.session() as session:
        assert session.scalars(select(Attachment)).all() == []
    folder = settings.data_dir / "mail" / "attachments"
    assert [p for p in folder.rglob("*") if p.is_file()] == []


def test_the_reply_mail_carries_the_files_with_their_names_and_bytes(desk: Desk, settings: Settings,  # noqa: F811
                                                                      sink: SmtpSink) -> None:
    ticket_id, agent_id = _ticket(desk)
    csv = "رقم,حالة\n12345,في الطريق\n".encode()
    message = desk.tickets.reply(ticket_id, agent_id, "مرفق الإيصال.",
                                 files=[Upload("إيصال الشحن.pdf", PDF), Upload("C:\\tmp\\status.csv", csv)])
    files = desk.attachments.by_message(ticket_id)[message.id]
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("إيصال الشحن.pdf", "application/pdf", len(PDF)), ("status.csv", "text/csv", len(csv))]
    assert desk.attachments.file(files[0]).read_bytes() == PDF
    delivered = deliver_pending(desk.db, replace(settings, smtp_url=sink.url), EmailTemplates(settings))
    assert delivered == 2
    confirmation, reply = sink.messages
    assert list(confirmation.iter_attachments()) == []  # the customer's own message is not sent back
    assert reply.get_content_type() == "multipart/mixed"
    assert "مرفق الإيصال." in reply.get_body(("plain",)).get_content()
    attached = [(part.get_filename(), part.get_content_type(), part.get_content_disposition(),
                 part.get_payload(decode=True)) for part in reply.iter_attachments()]
    assert attached == [("إيصال الشحن.pdf", "application/pdf", "attachment", PDF),
                        ("status.csv", "text/csv", "attachment", csv)]  # the bytes as uploaded, whatever encoding
    with desk.db.session() as session:
        raw = session.scalars(select(OutboxMail.raw).where(OutboxMail.kind == "reply")).one()
    # RFC 2231: the Arabic name encoded, not 8-bit; one parameter or continuations, as the policy's line length folds it
    assert re.search(r"filename\*(0\*)?=utf-8''%D8%A5", raw) and raw.isascii()


def test_a_reply_whose_file_is_gone_waits_instead_of_going_without_it(desk: Desk, settings: Settings,  # noqa: F811
                                                                      sink: SmtpSink) -> None:
    ticket_id, agent_id = _ticket(desk)
    message = desk.tickets.reply(ticket_id, agent_id, "See the file", files=[Upload("a.pdf", PDF)])
    desk.attachments.file(desk.attachments.by_message(ticket_id)[message.id][0]).unlink()
    deliver_pending(desk.db, replace(settings, smtp_url=sink.url), EmailTemplates(settings))
    assert [m["Subject"] for m in sink.messages if list(m.iter_attachments())] == []
    with desk.db.session() as session:
        row = session.scalars(select(OutboxMail).where(OutboxMail.kind == "reply")).one()
    assert row.status == "queued" and "could not compose" in (row.last_error or "")


def test_a_notes_files_are_for_agents_only(desk: Desk) -> None:  # noqa: F811
    ticket_id, agent_id = _ticket(desk)
    note = desk.notes.add(ticket_id, agent_id, "the courier's scan", files=[Upload("scan.png", b"\x89PNG..")])
    reply = desk.tickets.reply(ticket_id, agent_id, "Your receipt", files=[Upload("receipt.pdf", PDF)])
    assert set(desk.attachments.by_message(ticket_id)) == {note.message_id, reply.id}
    assert set(desk.attachments.by_message(ticket_id, public=True)) == {reply.id}
    reference = desk.tickets.get(ticket_id).reference  # type: ignore[union-attr]
    note_file = desk.attachments.by_message(ticket_id)[note.message_id][0]
    reply_file = desk.attachments.by_message(ticket_id)[reply.id][0]
    assert desk.attachments.get(note_file.id) is not None  # an agent downloads it
    assert desk.attachments.get(note_file.id, reference=reference) is None  # the customer never does
    assert desk.attachments.get(reply_file.id, reference=reference) is not None
    with desk.db.session() as session:
        assert session.scalars(select(OutboxMail.kind)).all() == ["confirmation", "reply"]  # the note is not mailed


def _files_on_disk(settings: Settings) -> list[Path]:  # noqa: F811
    return sorted(p for p in (settings.data_dir / "mail" / "attachments").rglob("*") if p.is_file())


def test_a_new_tickets_files_go_with_its_first_message_and_not_into_its_confirmation(
    desk: Desk, settings: Settings, sink: SmtpSink  # noqa: F811
) -> None:
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="تالف", body="وصل مكسورًا", channel="api"),
                                 files=[Upload("صورة.png", b"\x89PNG.."), Upload("فاتورة.pdf", PDF)])
    files = desk.attachments.by_message(ticket.id, public=True)
    assert [(f.filename, f.content_type, f.size) for f in files[ticket.messages[0].id]] == [
        ("صورة.png", "image/png", 6), ("فاتورة.pdf", "application/pdf", len(PDF))]
    assert desk.attachments.file(files[ticket.messages[0].id][1]).read_bytes() == PDF
    deliver_pending(desk.db, replace(settings, smtp_url=sink.url), EmailTemplates(settings))
    assert [list(m.iter_attachments()) for m in sink.messages] == [[]]  # the customer's own files are not sent back


def test_a_new_ticket_with_a_refused_file_is_not_stored(desk: Desk, settings: Settings) -> None:  # noqa: F811
    too_many = [Upload(f"{n}.pdf", PDF) for n in range(settings.reply_max_attachments + 1)]
    with pytest.raises(InputError, match="files: 11 files; the limit is 10"):
        desk.tickets.create(NewTicket(email="omar@example.com", subject="x", body="y", channel="api"), files=too_many)
    with desk.db.session() as session:
        assert session.scalars(select(Message)).all() == [] and session.scalars(select(Attachment)).all() == []
    assert _files_on_disk(settings) == []


def test_a_busy_databases_retry_leaves_no_file_of_the_rolled_back_try(
    desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """`Database.write` tries again while the database is busy; the files the rolled-back try wrote (under the
    ids it had, which another writer may have taken meanwhile) are deleted, not left unlisted on disk."""
    real_attach, real_sleep, tries = desk_tickets.attach_files, database_module.time.sleep, []

    def busy_once(session: Session, data_dir: Path, message: Message, files: list[CleanFile],
                  written: list[Path]) -> None:
        real_attach(session, data_dir, message, files, written)
        if not files:  # the other writer's ticket
            return
        tries.append(len(_files_on_disk(settings)))
        if len(tries) == 1:
            raise StorageUnavailableError("busy", "database is locked")

    def another_writer(seconds: float) -> None:  # the writer that held the lock stores its ticket meanwhile
        monkeypatch.setattr(database_module.time, "sleep", real_sleep)
        desk.tickets.create(NewTicket(email="layla@example.com", subject="Refund", body="Where is my refund?"))

    monkeypatch.setattr(desk_tickets, "attach_files", busy_once)
    monkeypatch.setattr(database_module.time, "sleep", another_writer)
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="x", body="y"),
                                 files=[Upload("فاتورة.pdf", PDF)])
    assert tries == [1, 1]
    kept = desk.attachments.for_ticket(ticket.id)
    assert [desk.attachments.file(a) for a in kept] == _files_on_disk(settings)
