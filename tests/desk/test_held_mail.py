"""Held mail (desk.mail.held): what `receive` refused, looped or took for a machine's is listed to agents, previewed,
recovered from the kept original or deleted, each in one transaction. Real MIME from the email package, the real
receiver, SQLite and (`--postgresql`) PostgreSQL, the real `kb mail held` command."""

from __future__ import annotations

import errno
import smtplib
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from desk.desk import Desk
from desk.mail.held import PURGE_BATCH
from desk.mail.listener import start_listener
from desk.mail.receive import UnparseableMail
from desk.models import Customer, InboundMail, Ticket, utcnow
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_mail_in import confirmed, plain_mail, token_of
from tests.smtp_sink import free_port
from webapp.cli import main

NO_SENDER = b"To: support@manzil.example\nSubject: Refund for order 5512\n\nMy refund for order 5512 never came.\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests())


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def agent_id(desk: Desk) -> int:
    return desk.accounts.create_agent("agent@example.com", "a long enough password", name="Agent").id


def refuse(desk: Desk, raw: bytes) -> int:
    with pytest.raises(UnparseableMail):
        desk.mail_in.receive(raw)
    with desk.db.session() as session:
        return session.scalar(select(func.max(InboundMail.id))) or 0


def inbound(desk: Desk, inbound_id: int) -> InboundMail:
    with desk.db.session() as session:
        row = session.get(InboundMail, inbound_id)
        assert row is not None
        return row


def test_refused_looped_and_ticketless_machine_mail_is_listed_newest_first_with_its_reason(desk: Desk) -> None:
    first = desk.mail_in.receive(plain_mail("Where is my order?"))
    token = confirmed(desk, first.ticket_id or 0) and token_of(desk, first.ticket_id or 0)
    noted = desk.mail_in.receive(plain_mail("Away", f"Auto: [#mz-{token}]", Auto_Submitted="auto-replied"))
    assert noted.ticket_id == first.ticket_id  # a note on its ticket: seen there, not held
    refused = refuse(desk, NO_SENDER)
    looped = desk.mail_in.receive(plain_mail("copy", sender="support@manzil.example"))
    bulk = desk.mail_in.receive(plain_mail("Offers", "Newsletter", Precedence="bulk"))
    invalid = desk.mail_in.receive(plain_mail("Hello", sender="lina@localhost"))
    assert invalid.outcome == "rejected"
    with desk.db.session() as session:  # the refused mail arrived first: it is listed last
        session.execute(update(InboundMail).where(InboundMail.id == refused)
                        .values(received_at=utcnow() - timedelta(hours=1)))
    page = desk.held_mail.page()
    assert [m.id for m in page.rows] == [invalid.inbound_id, bulk.inbound_id, looped.inbound_id, refused]
    assert page.total == desk.held_mail.count() == 4
    reasons = [(m.reason, m.on_purpose) for m in page.rows]
    assert reasons == [("email: 'lina@localhost' is not an email address", False), ("Precedence: bulk", True),
                       ("our own mail came back", True), ("no sender address (From)", False)]
    second = desk.held_mail.page(limit=2, offset=2)
    assert [m.id for m in second.rows] == [looped.inbound_id, refused] and second.total == 4


def test_recover_makes_the_ticket_receive_would_have_and_says_who_and_when(desk: Desk, settings: Settings) -> None:
    agent = agent_id(desk)
    held = refuse(desk, NO_SENDER)
    assert "My refund for order 5512 never came." in desk.held_mail.preview(held)
    with pytest.raises(InputError, match="email"):
        desk.held_mail.recover(held, agent, sender="not an address")
    received = desk.held_mail.recover(held, agent, sender="Lina@Example.com")
    assert received.outcome == "created" and received.inbound_id == held
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.subject == "Refund for order 5512"
    assert ticket.customer.email == "lina@example.com"
    assert ticket.messages[0].body == "My refund for order 5512 never came."
    row = inbound(desk, held)
    assert (row.settled, row.settled_by_id, row.outcome, row.ticket_id) == ("recovered", agent, "created", ticket.id)
    assert row.settled_at is not None and desk.held_mail.count() == 0
    assert (settings.data_dir / row.raw_path).exists()
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.recover(held, agent, sender="lina@example.com")
    assert desk.tickets.inbox()[1] == 1


def test_a_recovered_reply_continues_the_thread_it_answers(desk: Desk) -> None:
    first = desk.mail_in.receive(plain_mail("Where is my order?"))
    token = confirmed(desk, first.ticket_id or 0) and token_of(desk, first.ticket_id or 0)
    held = refuse(desk, f"Subject: Re: Where [#mz-{token}]\n\nIt came today, thanks.\n".encode())
    received = desk.held_mail.recover(held, None, sender="lina@example.com")
    assert received.outcome == "continued" and received.ticket_id == first.ticket_id
    ticket = desk.tickets.get(first.ticket_id or 0)
    assert ticket is not None and ticket.messages[-1].body == "It came today, thanks."
    assert desk.tickets.inbox()[1] == 1


def test_loops_and_auto_replies_are_recovered_only_when_confirmed(desk: Desk) -> None:
    bulk = desk.mail_in.receive(plain_mail("Please call me back about my order", "Call me", Precedence="bulk"))
    with pytest.raises(InputError, match=r"confirm: this mail was refused on purpose \(Precedence: bulk\)"):
        desk.held_mail.recover(bulk.inbound_id or 0, None)
    assert desk.held_mail.count() == 1 and desk.tickets.inbox()[1] == 0
    received = desk.held_mail.recover(bulk.inbound_id or 0, None, confirm=True)
    assert received.outcome == "created" and inbound(desk, bulk.inbound_id or 0).settled == "recovered"
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.messages[0].body == "Please call me back about my order"


def test_a_recover_that_fails_again_writes_nothing_and_keeps_the_mail_held_with_the_new_reason(
    desk: Desk, settings: Settings
) -> None:
    invalid = desk.mail_in.receive(plain_mail("Hello", sender="lina@localhost")).inbound_id or 0
    with desk.db.session() as session:  # as an older version of the desk worded it
        session.execute(update(InboundMail).where(InboundMail.id == invalid).values(reason="an old reason"))
    again = desk.held_mail.recover(invalid, agent_id(desk))
    assert again.outcome == "rejected" and again.reason == "email: 'lina@localhost' is not an email address"
    row = inbound(desk, invalid)
    assert (row.settled, row.settled_by_id, row.reason, row.ticket_id) == (None, None, again.reason, None)
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
    gone = refuse(desk, NO_SENDER.replace(b"5512", b"5513"))
    (settings.data_dir / inbound(desk, gone).raw_path).unlink()
    lost = desk.held_mail.recover(gone, None, sender="lina@example.com")
    assert lost.outcome == "rejected" and (lost.reason or "").startswith("the original is not readable")
    assert inbound(desk, gone).reason == lost.reason and desk.held_mail.count() == 2


def test_delete_keeps_the_row_says_who_and_removes_the_original_no_other_row_keeps(
    desk: Desk, settings: Settings
) -> None:
    agent = agent_id(desk)
    held = refuse(desk, NO_SENDER)
    again = refuse(desk, NO_SENDER)  # the same bytes delivered twice: one file (named by its hash), two rows
    original = settings.data_dir / inbound(desk, held).raw_path
    assert inbound(desk, again).raw_path == inbound(desk, held).raw_path
    desk.held_mail.delete(held, agent)
    row = inbound(desk, held)
    assert (row.settled, row.settled_by_id, row.outcome, row.raw_path) == ("deleted", agent, "rejected", "")
    assert original.exists() and desk.held_mail.count() == 1  # the other row still keeps it: preview, recover
    assert "My refund for order 5512 never came." in desk.held_mail.preview(again)
    desk.held_mail.delete(again, agent)
    assert not original.exists() and inbound(desk, again).raw_path == "" and desk.held_mail.count() == 0
    assert list(original.parent.iterdir()) == []  # nothing set aside left behind
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.recover(held, agent, sender="lina@example.com")
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.delete(held, agent)
    assert desk.held_mail.get(held) is None and desk.tickets.inbox()[1] == 0


def test_a_removal_the_file_system_refuses_is_logged_after_the_commit_and_left_to_the_purge(
    desk: Desk, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    held = refuse(desk, NO_SENDER)
    original = settings.data_dir / inbound(desk, held).raw_path
    original.unlink()
    original.mkdir()  # an entry unlink() refuses (the tests run as root: permissions refuse nothing)
    (original / "x").write_bytes(b"x")
    desk.held_mail.delete(held, None)
    row = inbound(desk, held)
    assert row.settled == "deleted" and row.raw_path != ""  # committed; the path is kept for the next try
    assert original.is_dir() and "was not removed" in caplog.text
    assert desk.held_mail.purge(timedelta(days=14)) == 0  # still refused: nothing done, logged again
    (original / "x").unlink()
    original.rmdir()
    original.write_bytes(NO_SENDER)
    assert desk.held_mail.purge(timedelta(days=14)) == 1
    assert not original.exists() and inbound(desk, held).raw_path == ""


def test_originals_that_keep_failing_to_be_removed_do_not_starve_the_purge(
    desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More deleted rows than a pass takes (PURGE_BATCH) whose files the file system keeps refusing: each pass took the
    same oldest ones, so a newer deleted row's leftover file was never tried again. Each pass now tries the leftovers
    tried longest ago first (never-tried ones before any), still at most a batch of them: the newer file goes by the
    second pass, and the stuck ones are each tried again in turn."""
    stuck_count = PURGE_BATCH + 20
    raw = settings.data_dir / "mail" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    with desk.db.session() as session:  # deleted as an agent deletes: settled, its original still to be removed
        for n in range(stuck_count):
            (raw / f"stuck-{n}.eml").write_bytes(NO_SENDER)
            session.add(InboundMail(outcome="rejected", raw_path=f"mail/raw/stuck-{n}.eml", settled="deleted",
                                    settled_at=utcnow()))
    newer = refuse(desk, NO_SENDER.replace(b"5512", b"5599"))
    newer_file = settings.data_dir / inbound(desk, newer).raw_path
    tried: list[str] = []
    rename = Path.rename

    def refusing(path: Path, target: Path, everything: bool = False) -> Path:
        if everything or path.name.startswith("stuck-"):
            tried.append(path.name)
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return rename(path, target)

    with monkeypatch.context() as patch:  # the newer one's removal fails when it is deleted: it is a leftover too
        patch.setattr(Path, "rename", lambda path, target: refusing(path, target, everything=True))
        desk.held_mail.delete(newer, None)
    tried.clear()
    monkeypatch.setattr(Path, "rename", refusing)
    assert newer_file.exists() and inbound(desk, newer).raw_path != ""
    assert desk.held_mail.purge(timedelta(days=14)) == 0  # a batch of stuck ones, all refused
    assert len(tried) == PURGE_BATCH and newer_file.exists()
    assert desk.held_mail.purge(timedelta(days=14)) == 1  # the untried first: the last stuck ones and the newer one
    assert not newer_file.exists() and inbound(desk, newer).raw_path == ""
    assert len(tried) == 2 * PURGE_BATCH - 1  # still one batch a pass (the newer one was the batch's last)
    assert set(tried) == {f"stuck-{n}.eml" for n in range(stuck_count)}  # every stuck one tried again in turn
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMail).where(
            InboundMail.removal_failed_at.is_not(None))) == stuck_count + 1  # the newer one failed at its delete


def age(desk: Desk, inbound_id: int, days: int) -> None:
    with desk.db.session() as session:
        session.execute(update(InboundMail).where(InboundMail.id == inbound_id)
                        .values(received_at=utcnow() - timedelta(days=days)))


def test_purge_settles_held_mail_past_retention_and_removes_originals_no_other_row_keeps(
    desk: Desk, settings: Settings
) -> None:
    old = refuse(desk, NO_SENDER)
    fresh = refuse(desk, NO_SENDER.replace(b"5512", b"5514"))
    recovered = refuse(desk, NO_SENDER.replace(b"5512", b"5515"))
    desk.held_mail.recover(recovered, None, sender="lina@example.com")
    deleted_before = refuse(desk, NO_SENDER.replace(b"5512", b"5516"))
    with desk.db.session() as session:  # deleted as session 25 deleted: the original kept
        session.execute(update(InboundMail).where(InboundMail.id == deleted_before)
                        .values(settled="deleted", settled_at=utcnow()))
    ticket_mail = desk.mail_in.receive(plain_mail("Where is my order?")).inbound_id or 0
    for inbound_id in (old, recovered, deleted_before, ticket_mail):
        age(desk, inbound_id, 15)
    files = {i: settings.data_dir / inbound(desk, i).raw_path for i in (old, fresh, recovered, deleted_before,
                                                                         ticket_mail)}
    assert desk.held_mail.purge(timedelta(days=14)) == 3  # old purged (1) + its file and the deleted one's (2)
    row = inbound(desk, old)
    assert (row.settled, row.settled_by_id, row.raw_path) == ("purged", None, "") and row.settled_at is not None
    assert not files[old].exists() and not files[deleted_before].exists()
    assert inbound(desk, deleted_before).raw_path == ""
    assert files[fresh].exists() and files[recovered].exists() and files[ticket_mail].exists()
    assert [m.id for m in desk.held_mail.page().rows] == [fresh]
    assert inbound(desk, recovered).settled == "recovered" and inbound(desk, ticket_mail).settled is None
    assert desk.held_mail.purge(timedelta(days=14)) == 0  # idempotent
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.recover(old, None, sender="lina@example.com")


def test_a_recovery_claimed_before_the_purge_is_never_purged(desk: Desk, settings: Settings) -> None:
    """The recovery's claim is open (not committed) when the purge runs: the purge waits for it (PostgreSQL's row
    lock, SQLite's write lock) and then finds the mail settled; the kept original stays with the new ticket."""
    held = refuse(desk, NO_SENDER)
    age(desk, held, 30)
    purged: list[int] = []
    with desk.db.session() as session:
        desk.held_mail._claim(session, held, "recovered", None)
        purge = threading.Thread(target=lambda: purged.append(desk.held_mail.purge(timedelta(days=14))))
        purge.start()
        purge.join(0.5)  # the purge is waiting on the claim's lock
    purge.join(30)
    assert purged == [0]
    row = inbound(desk, held)
    assert row.settled == "recovered" and (settings.data_dir / row.raw_path).is_file()


def test_a_purge_committed_first_leaves_nothing_to_recover(desk: Desk) -> None:
    held = refuse(desk, NO_SENDER)
    assert desk.held_mail.get(held) is not None
    age(desk, held, 30)
    assert desk.held_mail.purge(timedelta(days=14)) == 2
    with pytest.raises(InputError, match="mail: is not held"):
        desk.held_mail.recover(held, None, sender="lina@example.com")
    assert desk.tickets.inbox()[1] == 0


def test_two_purges_at_once_settle_each_mail_once_and_remove_every_original(desk: Desk, settings: Settings) -> None:
    held = [refuse(desk, NO_SENDER.replace(b"5512", str(5600 + n).encode())) for n in range(12)]
    for inbound_id in held:
        age(desk, inbound_id, 20)
    files = [settings.data_dir / inbound(desk, i).raw_path for i in held]
    done: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            done.append(desk.held_mail.purge(timedelta(days=14), limit=5))
        except BaseException as error:
            errors.append(error)

    while not all(inbound(desk, i).raw_path == "" for i in held):
        passes = [threading.Thread(target=run) for _ in range(2)]
        for thread in passes:
            thread.start()
        for thread in passes:
            thread.join(60)
    assert errors == [] and desk.held_mail.count() == 0
    assert {inbound(desk, i).settled for i in held} == {"purged"} and not any(f.exists() for f in files)
    assert list(files[0].parent.iterdir()) == []
    assert desk.held_mail.purge(timedelta(days=14)) == 0


def test_a_mail_received_while_its_twin_is_deleted_keeps_its_original(
    desk: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bytes arrive again while a held copy is being deleted, and the deletion removes the file between the
    receiver's write and its row's commit: the receiver writes it again once its row is committed (keep_raw)."""
    held = refuse(desk, NO_SENDER)
    kept = inbound(desk, held).raw_path
    original = settings.data_dir / kept
    record = desk.mail_in._record

    def deleted_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        desk.held_mail.delete(held, None)  # no other row keeps the file yet: removed
        assert not original.exists()
        return record(*args, **kwargs)

    monkeypatch.setattr(desk.mail_in, "_record", deleted_meanwhile)
    again = refuse(desk, NO_SENDER)
    assert original.read_bytes() == NO_SENDER and inbound(desk, again).raw_path == kept
    assert "My refund for order 5512 never came." in desk.held_mail.preview(again)


def test_kb_mail_held_lists_what_the_page_lists(tmp_path: Path) -> None:
    where = ["--data", str(tmp_path / "data")]
    runner = CliRunner()
    assert runner.invoke(main, ["mail", "receive", *where], input=NO_SENDER).exit_code == 65
    listed = runner.invoke(main, ["mail", "held", *where])
    assert listed.exit_code == 0, listed.output
    line, total = listed.output.splitlines()
    assert line.split("\t")[2:] == ["rejected", "-", "Refund for order 5512", "no sender address (From)"]
    assert total == "1 held"


def test_kb_mail_held_purge_applies_the_retention_days_for_cron(tmp_path: Path) -> None:
    where = ["--data", str(tmp_path / "data")]
    runner = CliRunner()
    for order in range(3):
        raw = NO_SENDER.replace(b"5512", str(7000 + order).encode())
        assert runner.invoke(main, ["mail", "receive", *where], input=raw).exit_code == 65
    desk = Desk(Settings(data_dir=tmp_path / "data"))  # the database the command used (`--data`)
    try:
        with desk.db.session() as session:
            session.execute(update(InboundMail).where(InboundMail.id < 3)
                            .values(received_at=utcnow() - timedelta(days=8)))
    finally:
        desk.close()
    purged = runner.invoke(main, ["mail", "held", "--purge", *where], env={"KB_HELD_MAIL_RETENTION_DAYS": "7"})
    assert purged.exit_code == 0, purged.output
    assert purged.output.startswith("purged: 4 (held mail older than 7 days")
    assert runner.invoke(main, ["mail", "held", *where]).output.splitlines()[-1] == "1 held"
    assert runner.invoke(main, ["mail", "held", "--purge", *where]).output.startswith("purged: 0")
    bad = runner.invoke(main, ["mail", "held", "--purge", *where], env={"KB_HELD_MAIL_RETENTION_DAYS": "0"})
    assert bad.exit_code != 0 and "KB_HELD_MAIL_RETENTION_DAYS='0': expected a whole number" in str(bad.exception)


def test_mail_refused_over_smtp_is_held_then_recovered_into_a_ticket_with_its_text(desk: Desk) -> None:
    """End to end on the loopback SMTP listener the mail tests use: the relay is told 554, the mail is kept."""
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("lina@example.com", ["support@manzil.example"], NO_SENDER)
        assert refused.value.smtp_code // 100 == 5
    finally:
        controller.stop()
    (held,) = desk.held_mail.page().rows
    assert held.channel == "smtp" and held.subject == "Refund for order 5512"
    received = desk.held_mail.recover(held.id, None, sender="lina@example.com")
    ticket = desk.tickets.get(received.ticket_id or 0)
    assert ticket is not None and ticket.messages[0].body == "My refund for order 5512 never came."


def test_the_smtp_envelope_is_kept_and_a_recovered_reply_finds_its_thread_by_it_as_live_mail_does(desk: Desk) -> None:
    """Over the loopback SMTP listener: a customer's answer whose headers name only the plain support address (a
    client that rewrote To) reaches us at the reply address `support+TOKEN@` in the envelope. Held (no From), it
    keeps that envelope, and recovered it continues the ticket, as the same mail with a From would have live."""
    first = desk.mail_in.receive(plain_mail("Where is my order?"))
    token = confirmed(desk, first.ticket_id or 0) and token_of(desk, first.ticket_id or 0)
    answer = b"To: support@manzil.example\nSubject: my order\n\nIt came today, thanks.\n"
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPDataError):
                client.sendmail("lina@example.com", [f"support+{token}@manzil.example", "copy@manzil.example"], answer)
            client.sendmail("lina@example.com", [f"support+{token}@manzil.example"],
                            b"From: lina@example.com\n" + answer.replace(b"thanks", b"thanks again"))
    finally:
        controller.stop()
    (held,) = desk.held_mail.page().rows
    assert held.envelope_recipients == (f"support+{token}@manzil.example", "copy@manzil.example")
    live = desk.tickets.get(first.ticket_id or 0)
    assert live is not None and live.messages[-1].body == "It came today, thanks again."  # the rule, live
    received = desk.held_mail.recover(held.id, None, sender="lina@example.com")
    assert received.outcome == "continued" and received.ticket_id == first.ticket_id
    ticket = desk.tickets.get(first.ticket_id or 0)
    assert ticket is not None and ticket.messages[-1].body == "It came today, thanks."
    assert inbound(desk, held.id).envelope_recipients == [f"support+{token}@manzil.example", "copy@manzil.example"]
    assert desk.tickets.inbox()[1] == 1


def test_why_a_mail_was_held_is_stored_as_a_code_and_its_values(desk: Desk) -> None:
    refused = refuse(desk, NO_SENDER)
    looped = desk.mail_in.receive(plain_mail("copy", sender="support@manzil.example")).inbound_id or 0
    bulk = desk.mail_in.receive(plain_mail("Offers", "Newsletter", Precedence="bulk")).inbound_id or 0
    daemon = desk.mail_in.receive(plain_mail("Undelivered", sender="mailer-daemon@mx.example")).inbound_id or 0
    invalid = desk.mail_in.receive(plain_mail("Hello", sender="lina@localhost")).inbound_id or 0
    stored = {i: (inbound(desk, i).reason_code, inbound(desk, i).reason_params)
              for i in (refused, looped, bulk, daemon, invalid)}
    assert stored == {
        refused: ("no_sender", None), looped: ("loop", None), bulk: ("precedence", {"value": "bulk"}),
        daemon: ("daemon_sender", {"sender": "mailer-daemon@mx.example"}),
        invalid: ("input", {"field": "email", "message": "%(email)s is not an email address", "plural": None,
                            "values": {"email": "'lina@localhost'"}}),
    }
    held = {m.id: m for m in desk.held_mail.page().rows}
    assert held[daemon].reason == "sent by mailer-daemon@mx.example" == inbound(desk, daemon).reason
    assert held[invalid].reason == "email: 'lina@localhost' is not an email address"


def test_the_migration_keeps_mail_held_before_it_readable_recoverable_and_purgeable(tmp_path: Path) -> None:
    """Rows written at revision held_mail (no code, no envelope): their English reason is shown as it is, they are
    recovered as before, and a mail deleted then (its original kept) loses the original at the first purge."""
    from alembic import command
    from sqlalchemy import text

    from tests.conftest import database_at, migrate

    db, url = database_at(tmp_path, "held_mail")
    raw = tmp_path / "mail/raw/2026-11"
    raw.mkdir(parents=True)
    (raw / "held.eml").write_bytes(NO_SENDER)
    (raw / "deleted.eml").write_bytes(NO_SENDER.replace(b"5512", b"5513"))
    recently = (utcnow() - timedelta(days=2)).isoformat()
    with db.engine.begin() as connection:
        for name, settled, received in (("held", None, recently), ("deleted", "deleted", "2026-11-01T10:00:00+00:00")):
            connection.execute(text(
                "INSERT INTO mail_inbound (from_address, subject, outcome, reason, channel, raw_path, size,"
                " received_at, settled) VALUES ('', 'Refund for order 5512', 'rejected', 'no sender address (From)',"
                " 'smtp', :path, 90, :received, :settled)"),
                {"path": f"mail/raw/2026-11/{name}.eml", "received": received, "settled": settled})
    migrate(db, command.upgrade, "head")
    migrate(db, command.downgrade, "held_mail")
    migrate(db, command.upgrade, "head")
    with db.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT reason, reason_code, reason_params, envelope_recipients FROM mail_inbound ORDER BY id")).all() == [
            ("no sender address (From)", None, None, None)] * 2
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    try:
        (held,) = desk.held_mail.page().rows
        assert (held.why.code, held.reason, held.envelope_recipients) == ("text", "no sender address (From)", ())
        assert desk.held_mail.purge(timedelta(days=14)) == 1 and not (raw / "deleted.eml").exists()
        received = desk.held_mail.recover(held.id, None, sender="lina@example.com")
        ticket = desk.tickets.get(received.ticket_id or 0)
        assert ticket is not None and ticket.messages[0].body == "My refund for order 5512 never came."
        assert (raw / "held.eml").exists()
    finally:
        desk.close()
