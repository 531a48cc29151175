"""A customer's own files with a message on their ticket (the ticket page's reply form, an API client's message):
checked by the one helper (`clean_files`) against the limits of the way they came (a customer's web form has its
own, `KB_CUSTOMER_MAX_ATTACHMENTS*`; an API client an agent's), stored with the new message in its transaction
(a refused one, and nothing is stored), reopening the ticket as any customer reply does, and stored once when the
same page is posted twice. On SQLite, and on PostgreSQL with `--postgresql`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.desk import Desk
from desk.mail.attachments import FileLimits, Upload
from desk.models import Attachment, Message
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.desk.test_mail_out import settings  # noqa: F401  (a desk's settings over tmp_path)

PDF = b"%PDF-1.4 " + bytes(range(256))
PNG = b"\x89PNG\r\n\x1a\nscreenshot"


@pytest.fixture
def desk(settings: Settings):  # type: ignore[no-untyped-def]  # noqa: F811
    """Customers may post 2 files of 300 bytes in all on the web; agents and API clients 4 of 1,000."""
    opened = Desk(replace(settings, mail_max_attachment_bytes=400, customer_max_attachments=2,
                          customer_max_attachments_bytes=300, reply_max_attachments=4,
                          reply_max_attachments_bytes=1_000))
    yield opened
    opened.close()


def counts(desk: Desk) -> tuple[int, int, list[Path]]:
    """Messages, attachment rows and files on disk."""
    with desk.db.session() as session:
        messages = session.scalar(select(func.count()).select_from(Message)) or 0
        rows = session.scalar(select(func.count()).select_from(Attachment)) or 0
    folder = desk.settings.data_dir / "mail" / "attachments"
    return messages, rows, sorted(p for p in folder.rglob("*") if p.is_file())


def pending_ticket(desk: Desk) -> tuple[int, str]:
    """A ticket an agent answered (pending, nothing due): a customer's message reopens it."""
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="الطرد", body="وصل الطرد مكسورًا"))
    agent = desk.accounts.create_agent("agent@example.com", "a long enough password", name="سارة")
    desk.tickets.reply(ticket.id, agent.id, "أرسل صورة من فضلك", status="pending")
    return ticket.id, ticket.reference


def test_the_customers_limits_are_their_own_settings() -> None:
    configured = Settings(mail_max_attachment_bytes=5, customer_max_attachments=2, customer_max_attachments_bytes=7,
                          reply_max_attachments=9, reply_max_attachments_bytes=11)
    assert FileLimits.for_customers(configured) == FileLimits(5, 2, 7)
    assert FileLimits.from_settings(configured) == FileLimits(5, 9, 11)


def test_a_web_post_is_held_to_the_customers_limits_and_an_api_one_to_an_agents(desk: Desk) -> None:
    three = [Upload(f"{n}.pdf", b"x" * 50) for n in range(3)]
    with pytest.raises(InputError, match=r"^files: 3 files; the limit is 2$"):
        desk.tickets.create(NewTicket(email="omar@example.com", subject="x", body="y", channel="web"), three)
    assert counts(desk) == (0, 0, [])
    made = desk.tickets.create(NewTicket(email="omar@example.com", subject="x", body="y", channel="api"), three)
    assert len(desk.attachments.for_ticket(made.id)) == 3
    ticket_id, reference = pending_ticket(desk)
    with pytest.raises(InputError, match=r"^files: with b.pdf the files come to 350 bytes; the limit is 300 bytes"):
        desk.tickets.customer_reply(reference, "two", files=[Upload("a.pdf", b"x" * 200), Upload("b.pdf", b"x" * 150)])
    sent = desk.tickets.customer_reply(reference, "two", files=[Upload("a.pdf", b"x" * 200),
                                                                Upload("b.pdf", b"x" * 150)], channel="api")
    assert sent.channel == "api" and len(desk.attachments.by_message(ticket_id)[sent.id]) == 2


def test_a_customers_files_go_with_their_message_and_reopen_the_ticket(desk: Desk) -> None:
    ticket_id, reference = pending_ticket(desk)
    assert desk.tickets.get(ticket_id).status == "pending"  # type: ignore[union-attr]
    message = desk.tickets.customer_reply(reference, "هذه صورة الطرد والفاتورة",
                                          files=[Upload("C:\\صور\\الطرد.png", PNG), Upload("فاتورة.pdf", PDF[:200])])
    found = desk.tickets.get(ticket_id)
    assert found is not None and found.status == "open" and found.due_at is not None
    assert found.messages[-1].id == message.id and message.channel == "web"
    files = desk.attachments.by_message(ticket_id, public=True)[message.id]
    assert [(f.filename, f.content_type, f.size) for f in files] == [("الطرد.png", "image/png", len(PNG)),
                                                                      ("فاتورة.pdf", "application/pdf", 200)]
    assert desk.attachments.file(files[0]).read_bytes() == PNG


@pytest.mark.parametrize(("files", "error"), [
    ([Upload("setup.exe", b"MZ")], "files: setup.exe is not a file type we send"),
    ([Upload("big.pdf", b"x" * 401)], "files: big.pdf is 401 bytes; the limit is 400 bytes per file"),
    ([Upload("ok.pdf", PDF[:10]), Upload("empty.png", b"")], "files: empty.png is empty"),
])
def test_a_refused_file_stores_neither_the_message_nor_any_file(desk: Desk, files: list[Upload], error: str) -> None:
    ticket_id, reference = pending_ticket(desk)
    before = counts(desk)
    with pytest.raises(InputError, match=f"^{error}"):
        desk.tickets.customer_reply(reference, "the photo", files=files)
    assert counts(desk) == before
    assert desk.tickets.get(ticket_id).status == "pending"  # type: ignore[union-attr]


def test_the_same_page_posted_twice_stores_its_files_once(desk: Desk) -> None:
    ticket_id, reference = pending_ticket(desk)
    first = desk.tickets.customer_reply(reference, "الصورة", "web:visit:page-1", [Upload("a.png", PNG)])
    again = desk.tickets.customer_reply(reference, "الصورة", "web:visit:page-1", [Upload("a.png", PNG)])
    assert again.id == first.id
    assert [a.filename for a in desk.attachments.for_ticket(ticket_id)] == ["a.png"]
    # The same words and files again without a key (an API client's resend, within two minutes): the same message.
    resent = desk.tickets.customer_reply(reference, "الصورة", files=[Upload("a.png", PNG)], channel="api")
    assert resent.id == first.id and len(counts(desk)[2]) == 1
    # The same words with another file are a second message, not a resend: its file is not dropped.
    other = desk.tickets.customer_reply(reference, "الصورة", files=[Upload("b.pdf", PDF[:100])], channel="api")
    assert other.id != first.id
    assert [a.filename for a in desk.attachments.for_ticket(ticket_id)] == ["a.png", "b.pdf"]
