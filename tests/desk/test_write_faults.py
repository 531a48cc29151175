"""A failed write leaves nothing half-written: every desk path that writes more than one row, a row and a file, or a row
and an outbox mail (a customer's reply to a closed ticket: its follow-up ticket, files and confirmation), failed at
its COMMIT, at each of its statements and at each file it writes (tests/faults.py), keeps no row, no file and no
queued mail of the failed call, and the same call sent again succeeds once. The mail receiver keeps the original of a
mail it failed to store and asks for a retry (`StorageError`): nothing is dropped. The real desk on SQLite and
(`--postgresql`) PostgreSQL; the faults are the drivers' own errors."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.mail.attachments import Upload
from desk.mail.receive import RAW_FOLDER, StorageError, UnparseableMail, store_raw
from desk.models import Agent, Attachment, InboundMail, Message, OutboxMail, Ticket, TicketTag, utcnow
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_mail_out import desk, settings  # noqa: F401  (a desk over tmp_path)
from tests.faults import State, changed, every_fault, failing_statement

PDF = b"%PDF-1.4 " + bytes(range(200))
FILES = (Upload("invoice.pdf", PDF), Upload("photo.png", b"\x89PNG" + bytes(300)))


def agents(desk: Desk) -> tuple[int, int]:  # noqa: F811
    first = desk.accounts.create_agent("sara@example.com", "a long enough password", name="Sara").id
    second = desk.accounts.create_agent("omar@example.com", "a long enough password", name="Omar").id
    return first, second


def ticket(desk: Desk, email: str = "lina@example.com", body: str = "My parcel never came.") -> Ticket:  # noqa: F811
    return desk.tickets.create(NewTicket(email=email, subject="Lost parcel", body=body, name="Lina"))


def count(desk: Desk, model: type) -> int:  # noqa: F811
    with desk.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def faults(desk: Desk, settings: Settings, fresh, monkeypatch, **kwargs):  # type: ignore[no-untyped-def]  # noqa: F811
    return every_fault(desk.db, settings.data_dir, fresh, StorageUnavailableError, monkeypatch, **kwargs)


def test_a_new_ticket_with_files_and_its_confirmation(desk: Desk, settings: Settings,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    new = NewTicket(email="lina@example.com", subject="Lost parcel", body="Order 4471 never came.", channel="api")
    covered = faults(desk, settings, lambda: lambda: desk.tickets.create(new, files=FILES), monkeypatch,
                     with_files=True)
    assert covered.statements >= 6 and covered.files == 2
    # One ticket from each series' last run (statements, commits, files), each whole: files and confirmation.
    assert (count(desk, Ticket), count(desk, Attachment), count(desk, OutboxMail)) == (3, 6, 3)


def test_a_customers_reply(desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    def fresh():  # type: ignore[no-untyped-def]
        reference = ticket(desk).reference
        return lambda: desk.tickets.customer_reply(reference, "Any news?", f"page-{reference}")

    covered = faults(desk, settings, fresh, monkeypatch)
    assert covered.statements >= 3 and covered.result.body == "Any news?"
    assert count(desk, Message) == 4


def test_a_customers_reply_to_a_closed_ticket_and_its_follow_up(desk: Desk, settings: Settings,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The follow-up a reply to a closed ticket starts (the ticket, its tags, its first message, the files and the
    confirmation) is written whole or not at all."""

    def fresh():  # type: ignore[no-untyped-def]
        found = ticket(desk)
        desk.tags.add([found.id], ["refund"])
        desk.tickets.update(found.id, status="closed")
        return lambda: desk.tickets.customer_reply_with_files(found.reference, "It broke again.",
                                                              f"page-{found.reference}", FILES)

    covered = faults(desk, settings, fresh, monkeypatch, with_files=True)
    assert covered.statements >= 8 and covered.files == 2 and covered.result.follow_up_of is not None
    # Each series' last run: a closed ticket and its follow-up, whole (two files, its confirmation, its tag).
    assert (count(desk, Ticket), count(desk, Attachment), count(desk, OutboxMail), count(desk, TicketTag)) == (
        6, 6, 6, 6)


def test_an_agents_reply_that_solves_with_files_survey_and_mail(desk: Desk, settings: Settings,  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sara, _ = agents(desk)

    def fresh():  # type: ignore[no-untyped-def]
        found = ticket(desk)
        return lambda: desk.tickets.send_reply(found.id, sara, "Refunded.", "solved", files=FILES)

    covered = faults(desk, settings, fresh, monkeypatch, with_files=True)
    assert covered.statements >= 8 and covered.files == 2
    assert count(desk, OutboxMail) == 6  # three confirmations, three replies (each carrying its survey)


def test_a_note_with_files_and_a_mention(desk: Desk, settings: Settings,  # noqa: F811
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    sara, _ = agents(desk)

    def fresh():  # type: ignore[no-untyped-def]
        found = ticket(desk)
        return lambda: desk.notes.add(found.id, sara, "@omar look at this", files=FILES)

    covered = faults(desk, settings, fresh, monkeypatch, with_files=True)
    assert covered.statements >= 4 and covered.result.mentioned == ["Omar"]


def test_a_merge(desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    sara, _ = agents(desk)

    def fresh():  # type: ignore[no-untyped-def]
        source, target = ticket(desk), ticket(desk, body="Still waiting for order 4471.")
        desk.tags.add([source.id], ["refund", "vip"])
        return lambda: desk.tickets.merge(source.id, target.id, sara, "Merged.")

    covered = faults(desk, settings, fresh, monkeypatch)
    assert covered.statements >= 8 and covered.result.merged_into_id is None


def test_bulk_solve_assign_due_and_tags(desk: Desk, settings: Settings,  # noqa: F811
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sara, omar = agents(desk)

    def two() -> list[int]:
        return [ticket(desk).id, ticket(desk, "sam@example.com").id]

    def solve():  # type: ignore[no-untyped-def]
        ids = two()
        return lambda: desk.tickets.bulk_update(ids, status="solved", assignee_id=omar, agent_id=sara)

    assert faults(desk, settings, solve, monkeypatch).statements >= 6
    # four confirmations, four solved mails with their surveys, four mails telling Omar (desk.agent_notices)
    assert count(desk, OutboxMail) == 12
    due = utcnow() + timedelta(days=1)

    def set_due():  # type: ignore[no-untyped-def]
        ids = two()
        return lambda: desk.tickets.bulk_set_due(ids, due, sara)

    assert faults(desk, settings, set_due, monkeypatch).statements >= 4

    def tag():  # type: ignore[no-untyped-def]
        ids = two()
        return lambda: desk.tags.add(ids, ["refund", "vip"])

    assert faults(desk, settings, tag, monkeypatch).result == 4


def mail_with_file(body: str = "My order 4471 never came.", message_id: str = "<lost-4471@example.com>",
                   in_reply_to: str = "") -> bytes:
    mail = EmailMessage()
    mail["From"] = "lina@example.com"
    mail["To"] = "support@manzil.example"
    mail["Subject"] = "Lost parcel"
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    mail.set_content(body)
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="receipt.pdf")
    return mail.as_bytes()


def original_kept(before: State, after: State) -> list[str]:
    """Nothing of the mail in the database and nothing but its whole original on disk (none when writing the
    original was what failed: the sender, told to retry, still has it)."""
    originals = {f for f in after.files - before.files if f.startswith(RAW_FOLDER + "/") and f.endswith(".eml")}
    return changed(before, State(after.rows, after.files - originals))


def test_a_mail_that_fails_to_store_is_kept_and_retried_never_dropped(
    desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    # Each failed run keeps the original on disk (the same file: it is named by its hash) and raises StorageError,
    # which the SMTP listener answers 451, `kb mail receive` exit 75 and `kb mail fetch` leaves unseen.
    mails = iter(range(100))

    def new():  # type: ignore[no-untyped-def]
        raw = mail_with_file(message_id=f"<lost-{next(mails)}@example.com>")
        return lambda: desk.mail_in.receive(raw, "smtp")

    raw = mail_with_file(message_id="<kept@example.com>")
    # The receiver, as `kb mail serve` and the worker build it at start: building it reads the triggers' agents and
    # webhooks (desk.triggers), a failure there is the process's start failing (every caller answers "try later").
    assert desk.mail_in is not None
    with failing_statement(desk.db, 1), pytest.raises(StorageError):
        desk.mail_in.receive(raw, "smtp")
    assert (settings.data_dir / store_raw(settings.data_dir, raw)).read_bytes() == raw  # kept as it came
    covered = every_fault(desk.db, settings.data_dir, new, StorageError, monkeypatch, kept=original_kept,
                          with_files=True)
    assert covered.statements >= 8 and covered.files == 2 and covered.result.outcome == "created"
    assert (count(desk, Ticket), count(desk, Attachment), count(desk, InboundMail)) == (3, 3, 3)

    def reply():  # type: ignore[no-untyped-def]
        number = next(mails)
        raw = mail_with_file("Any news?", f"<again-{number}@example.com>", in_reply_to="<lost-0@example.com>")
        return lambda: desk.mail_in.receive(raw, "smtp")

    # A reply continues the thread, with its file: the same, failed at every point.
    covered = every_fault(desk.db, settings.data_dir, reply, StorageError, monkeypatch, kept=original_kept,
                          with_files=True)
    assert covered.result.outcome == "continued" and covered.files == 2
    assert (count(desk, Ticket), count(desk, Message), count(desk, InboundMail)) == (3, 6, 6)


def test_held_mail_recovered_or_deleted(desk: Desk, settings: Settings,  # noqa: F811
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sara, _ = agents(desk)
    numbers = iter(range(5500, 5600))

    def held() -> int:
        raw = f"To: support@manzil.example\nSubject: Refund {next(numbers)}\n\nMy refund never came.\n".encode()
        with pytest.raises(UnparseableMail):
            desk.mail_in.receive(raw)
        return desk.held_mail.page().rows[0].id

    def recover():  # type: ignore[no-untyped-def]
        inbound_id = held()
        return lambda: desk.held_mail.recover(inbound_id, sara, sender="lina@example.com")

    covered = faults(desk, settings, recover, monkeypatch)
    assert covered.statements >= 8 and covered.result.outcome == "created"

    def delete():  # type: ignore[no-untyped-def]
        inbound_id = held()
        return lambda: desk.held_mail.delete(inbound_id, sara)

    # After the claim commits, removing the original is best effort by design (desk.mail.held: a failure is logged
    # and left to the next purge): its question, its update and their COMMITs are not the claim's, so not failed here.
    faults(desk, settings, delete, monkeypatch, commits=1,
           spare=("SELECT DISTINCT mail_inbound.raw_path", "UPDATE mail_inbound SET raw_path="))
    assert desk.held_mail.count() == 0 and count(desk, Agent) == 2


def test_outbox_delivery_never_drops_a_mail(desk: Desk, settings: Settings) -> None:  # noqa: F811
    """Sending cannot be one transaction with the mail server: a fault after the send and before "sent" is recorded
    sends the mail again on a later pass (at least once), and a fault anywhere else leaves it queued. Never lost,
    never "failed" for the database's sake."""
    from desk.mail.outbox import EML_FOLDER, MAX_ATTEMPTS, deliver_pending
    from webapp.mail_templates import EmailTemplates

    renderer = EmailTemplates(settings)
    for at in range(1, 100):
        found = ticket(desk, f"customer{at}@example.com")  # its confirmation is queued
        with failing_statement(desk.db, at) as armed:
            try:
                deliver_pending(desk.db, settings, renderer)
            except StorageUnavailableError:
                assert armed.fired
        later = utcnow() + timedelta(hours=7)  # past the lease and the first retry's delay
        deliver_pending(desk.db, settings, renderer, now=later)
        with desk.db.session() as session:
            row = session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == found.id)).one()
            assert row.status == "sent" and row.attempts < MAX_ATTEMPTS, (at, armed.statements, row.last_error)
        sent = list((settings.data_dir / EML_FOLDER).glob(f"{row.id:07d}-*"))
        assert 1 <= len(sent) <= 2, (at, sent)
        if not armed.fired:
            break
    assert at > 10  # claim, compose, mark sent: 15 statements for one mail
