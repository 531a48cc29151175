"""Mail the desk could not take, shown to agents so that no customer's message sits unseen (Zendesk's
"suspended tickets"): a mail refused as unreadable (no sender, too large, not a ticket the desk accepts), our own
mail coming back (a loop) and a machine's mail that belongs to no ticket (an auto-reply, a bounce, list mail).
`receive` records each of them with its reason and keeps the original bytes (`raw_path`), but made nothing an
agent could see.

An agent reads a plain-text preview and either recovers the mail (it is stored from the kept original as `receive`
would store a person's mail, envelope recipients included: a new ticket, or a message on the thread it answers) or
deletes it (the row says so, and the kept original is removed once that is committed). A loop and an auto-reply were
refused on purpose, so recovering one needs the agent's confirmation. Each operation is one transaction that first
claims the row (`settled IS NULL`), so two agents recovering at once make one ticket; a recover that fails again
leaves the row held, with the new reason.

Retention (`KB_HELD_MAIL_RETENTION_DAYS`, as Zendesk deletes suspended tickets after 14 days): `purge`, run by the
worker and `kb mail held --purge`, claims the held mail received before then as "purged" with the same guarded
UPDATE, so a recovery claimed first is never purged (the purge's UPDATE waits for its commit, then matches nothing),
and two purges at once claim disjoint rows. Removing a file comes after the commit and never fails the operation (an
OSError is logged; the row keeps its path, notes when it failed, and a later purge tries again: each pass takes the
leftovers tried longest ago first, so files that keep failing never fill every pass); a file another row still keeps
(the same bytes delivered twice, named by their hash) stays. The row itself stays: who or what settled it, and when.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from desk.database import Database
from desk.mail.attachments import write_with_files
from desk.mail.parse import UnparseableMail, parse_mail
from desk.mail.reasons import MailReason
from desk.mail.receive import MAX_MAIL_BYTES, MailReceiver, Received
from desk.models import InboundMail, utcnow
from desk.tickets import MAX_ROW_ID, InputError, clean_email, plain_text
from desk.translatable import N_

PER_PAGE = 25
PREVIEW_CHARS = 4_000
# Refused on purpose by `receive`: recovering one needs the agent to confirm it is a person's mail.
ON_PURPOSE = ("loop", "automatic")
HELD_OUTCOMES = ("rejected", "loop", "automatic")
# Settled with the original no longer wanted: its file is removed (and the row's raw_path emptied).
GONE = ("deleted", "purged")
PURGE_BATCH = 100
log = logging.getLogger(__name__)


def held_clause() -> ColumnElement[bool]:
    """Rows no agent has dealt with whose mail made no ticket and no message: refused, a loop, or a machine's mail
    that matched no ticket (one that matched is an internal note on its ticket, seen there)."""
    return and_(
        InboundMail.outcome.in_(HELD_OUTCOMES),  # one IN the outcome index answers
        or_(InboundMail.outcome != "automatic", InboundMail.ticket_id.is_(None)),
        InboundMail.settled.is_(None),
    )


@dataclass(frozen=True)
class HeldMail:
    id: int
    from_address: str
    subject: str
    received_at: datetime
    outcome: str  # rejected | loop | automatic
    why: MailReason
    channel: str
    size: int
    raw_path: str  # under the data directory
    envelope_recipients: tuple[str, ...]  # RCPT TO, where the transport had an envelope

    @property
    def reason(self) -> str:
        """Why, in English (the CLI's words; the page translates `why`)."""
        return self.why.text

    @property
    def on_purpose(self) -> bool:
        """A loop or an auto-reply: `receive` refused it by design, so recovering it is confirmed first."""
        return self.outcome in ON_PURPOSE


@dataclass(frozen=True)
class HeldPage:
    rows: list[HeldMail]
    total: int


def _held(row: InboundMail) -> HeldMail:
    why = MailReason.stored(row.reason_code, row.reason_params, row.reason)
    return HeldMail(row.id, row.from_address, row.subject, row.received_at, row.outcome, why, row.channel, row.size,
                    row.raw_path, tuple(row.envelope_recipients or ()))


class HeldMailStore:
    def __init__(self, db: Database, receiver: MailReceiver) -> None:
        self.db = db
        self.receiver = receiver

    def count(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(InboundMail).where(held_clause())) or 0

    def page(self, limit: int = PER_PAGE, offset: int = 0) -> HeldPage:
        """Held mail, newest first."""
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(InboundMail).where(held_clause())) or 0
            rows = session.scalars(
                select(InboundMail).where(held_clause())
                .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()).limit(limit).offset(offset)
            )
            return HeldPage([_held(row) for row in rows], total)

    def get(self, inbound_id: int) -> HeldMail | None:
        if not 0 < inbound_id <= MAX_ROW_ID:
            return None
        with self.db.session() as session:
            row = session.scalar(select(InboundMail).where(InboundMail.id == inbound_id, held_clause()))
            return _held(row) if row is not None else None

    def _raw(self, raw_path: str) -> bytes:
        """The kept original, one byte past the receiver's limit at most (enough to tell it is too large)."""
        with (self.receiver.settings.data_dir / raw_path).open("rb") as original:
            return original.read(MAX_MAIL_BYTES + 1)

    def preview(self, inbound_id: int) -> str:
        """The mail's text as the desk would store it, else (no sender, say) its body bytes read as UTF-8; control
        characters dropped, cut at PREVIEW_CHARS. Plain text: the page escapes it like any message."""
        try:
            raw = self._raw(self._row_or_error(inbound_id).raw_path)
        except OSError:
            return ""
        try:
            text = parse_mail(raw[:MAX_MAIL_BYTES], sender_if_none="unknown@invalid").full_text
        except UnparseableMail:
            body = raw.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[-1]
            text = body.decode("utf-8", "replace")
        return plain_text(text)[:PREVIEW_CHARS]

    def _row_or_error(self, inbound_id: int) -> HeldMail:
        held = self.get(inbound_id)
        if held is None:
            raise InputError("mail", N_("is not held (recovered or deleted already?)"))
        return held

    def _claim(self, session: Session, inbound_id: int, settled: str, agent_id: int | None) -> InboundMail:
        """Mark the row settled if it is still held, in the caller's transaction; else InputError. The UPDATE's
        WHERE is the guard: a second agent's claim waits for the first's commit and then matches nothing."""
        claimed = session.execute(
            update(InboundMail).where(InboundMail.id == inbound_id, held_clause())
            .values(settled=settled, settled_by_id=agent_id, settled_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise InputError("mail", N_("is not held (recovered or deleted already?)"))
        row = session.get(InboundMail, inbound_id, populate_existing=True)
        assert row is not None
        return row

    def delete(self, inbound_id: int, agent_id: int | None) -> None:
        """No longer listed; the row stays, saying who deleted it and when; the kept original is removed once that is
        committed (a removal that fails is logged and left to the next purge)."""
        raw_path = self.db.write(  # again while the database is busy (mail arriving: SQLite's one writer)
            lambda session: self._claim(session, inbound_id, "deleted", agent_id).raw_path)
        self._remove_originals([(inbound_id, raw_path)])

    def purge(self, older_than: timedelta, limit: int = PURGE_BATCH) -> int:
        """The retention rule, one bounded pass: held mail received more than `older_than` ago is settled "purged"
        (by no agent) and its original removed; so are the leftover originals of deleted or purged rows (deleted
        before deleting removed files, or whose removal failed or was cut short). Idempotent; safe to run while
        another purge, a recovery or a delete runs. Returns the rows purged plus the files let go."""
        cutoff = utcnow() - older_than
        oldest = (select(InboundMail.id).where(held_clause(), InboundMail.received_at < cutoff)
                  .order_by(InboundMail.id).limit(limit))
        purged = self.db.write(lambda session: session.execute(  # again while the database is busy
            update(InboundMail).where(InboundMail.id.in_(oldest), held_clause(), InboundMail.received_at < cutoff)
            .values(settled="purged", settled_by_id=None, settled_at=utcnow())
            .returning(InboundMail.id, InboundMail.raw_path).execution_options(synchronize_session=False)
        ).all())
        with self.db.session() as session:  # never tried (or never failed) first, then the one tried longest ago
            leftovers = session.execute(
                select(InboundMail.id, InboundMail.raw_path).where(
                    # Any outcome: an erased customer's mail (desk.erasure) is settled "purged" whatever it was.
                    InboundMail.settled.in_(GONE), InboundMail.raw_path != "",
                    InboundMail.id.not_in([row.id for row in purged] or [0]),
                ).order_by(InboundMail.removal_failed_at.is_not(None), InboundMail.removal_failed_at, InboundMail.id)
                .limit(limit)
            ).all()
        removed = self._remove_originals([(row.id, row.raw_path) for row in [*purged, *leftovers]])
        return len(purged) + removed

    def remove_originals(self, rows: list[tuple[int, str]]) -> int:
        """`_remove_originals` for rows another part of the desk settled "purged" in its own committed transaction
        (desk.erasure: an erased customer's mail, whatever its outcome); a file it leaves, the next purge removes."""
        return self._remove_originals(rows)

    def _remove_originals(self, rows: list[tuple[int, str]]) -> int:
        """Remove the kept originals of deleted or purged rows, after their claim committed, and empty their
        raw_path; how many rows let go of theirs. Never raises: a refusal is logged and that row keeps its path (the
        next purge tries again). The rows' update waits out a busy database (`Database.write`): the files are gone
        by then, and a purge that met a moment's lock answered 0 for them and left the next purge the same rows.

        Each file is set aside first, then one question asks which of them another row still keeps (a ticket's mail,
        the same bytes held twice: files are named by their hash); those go back, the rest are removed. Set aside
        first, so a `receive` of the same bytes committing its row meanwhile is seen by the question, or else finds
        the file gone and writes it again (receive.keep_raw)."""
        data_dir = self.receiver.settings.data_dir
        let_go: list[int] = []
        failed: list[int] = []
        aside: list[tuple[int, Path, Path, str]] = []  # row, file, where it was set aside, raw_path
        for inbound_id, raw_path in rows:
            if not raw_path:
                let_go.append(inbound_id)
                continue
            path = data_dir / raw_path
            moved = path.with_name(f"{path.name}.{secrets.token_hex(6)}.removing")
            try:
                path.rename(moved)
            except FileNotFoundError:  # removed already (another purge, or by hand)
                let_go.append(inbound_id)
            except OSError as error:
                log.error("the original of held mail %s (%s) was not removed: %s", inbound_id, raw_path, error)
                failed.append(inbound_id)
            else:
                aside.append((inbound_id, path, moved, raw_path))
        try:
            kept = self._kept_elsewhere({raw_path for *_, raw_path in aside})
        except Exception:
            kept = None
            log.exception("held mail originals were not removed: which other rows keep them is unknown")
        for inbound_id, path, moved, raw_path in aside:
            try:
                if kept is None or raw_path in kept:
                    os.replace(moved, path)
                else:
                    moved.unlink()
            except OSError as error:
                log.error("the original of held mail %s (%s) was not removed: %s", inbound_id, raw_path, error)
                with contextlib.suppress(OSError):
                    os.replace(moved, path)
                failed.append(inbound_id)
                continue
            if kept is not None:
                let_go.append(inbound_id)
        self._stamp_failed(failed)
        if not let_go:
            return 0
        try:  # again while the database is busy (mail arriving): the same UPDATE whichever try commits it
            self.db.write(lambda session: session.execute(
                update(InboundMail).where(InboundMail.id.in_(let_go), InboundMail.settled.in_(GONE))
                .values(raw_path="").execution_options(synchronize_session=False)))
        except Exception:  # the files are gone; the next purge finds them gone and empties the paths
            log.exception("held mail %s: the originals were removed but the rows not updated", let_go)
            return 0
        return len(let_go)

    def _stamp_failed(self, failed: list[int]) -> None:
        """Note when these rows' originals last failed to be removed: the purge tries the leftovers tried longest ago
        first, so more than a pass's worth of files that keep failing cannot keep the others from ever being tried.
        Waits out a busy database (mail arriving, SQLite's one writer), as the removal's own row update does: a stamp
        lost to a moment's lock put that row first in line again, ahead of the leftovers never tried. Never raises:
        a stamp still not written after the write deadline is logged and leaves that row first in line."""
        if not failed:
            return
        now = utcnow()
        try:
            self.db.write(lambda session: session.execute(
                update(InboundMail).where(InboundMail.id.in_(failed))
                .values(removal_failed_at=now).execution_options(synchronize_session=False)))
        except Exception:
            log.exception("held mail %s: when their originals failed to be removed was not noted", failed)

    def _kept_elsewhere(self, raw_paths: set[str]) -> set[str]:
        """Which of these files a row still needs: one not deleted or purged (a ticket's mail, a held or recovered
        one)."""
        if not raw_paths:
            return set()
        with self.db.session() as session:
            return set(session.scalars(select(InboundMail.raw_path).distinct().where(
                InboundMail.raw_path.in_(raw_paths),
                or_(InboundMail.settled.is_(None), InboundMail.settled.not_in(GONE)),
            )))

    def recover(self, inbound_id: int, agent_id: int | None, confirm: bool = False, sender: str = "") -> Received:
        """Store the held mail from its kept original as `receive` stores a person's mail. `confirm` is needed for
        a loop or an auto-reply; `sender`, the customer's address, for a mail that names none or one the desk cannot
        use (it replaces the mail's). When storing fails
        again the row stays held with the new reason (returned as outcome "rejected")."""
        held = self._row_or_error(inbound_id)
        if held.on_purpose and not confirm:
            raise InputError("confirm", N_("this mail was refused on purpose (%(reason)s): confirm to recover it"),
                             reason=held.why)
        sender = clean_email(sender) if sender.strip() else ""
        try:
            raw = self._raw(held.raw_path)
        except OSError as error:
            return self._still_held(held.id, MailReason("unreadable", {"error": str(error.strerror or error)}))
        if len(raw) > MAX_MAIL_BYTES:
            return self._still_held(held.id, MailReason("too_large", {"size": len(raw), "limit": MAX_MAIL_BYTES}))
        settings = self.receiver.settings
        try:
            mail = parse_mail(raw, settings.mail_from, sender_if_none=sender)
        except UnparseableMail as error:
            return self._still_held(held.id, error.why)
        # The agent says a person wrote it, and, when they give one, from which address (over an unusable one).
        mail = replace(mail, loop=False, automatic=None, from_address=sender or mail.from_address)
        try:
            def recover(session: Session, written: list[Path]) -> Received:
                row = self._claim(session, held.id, "recovered", agent_id)
                received = self.receiver._store(session, mail, held.raw_path, len(raw), row.channel,
                                                list(held.envelope_recipients), written, row)
                if received.outcome == "duplicate":  # the same mail reached a ticket since: point at it
                    row.ticket_id = received.ticket_id
                return received

            return write_with_files(self.db, recover)  # again while the database is busy
        except InputError as error:
            if error.field == "mail":  # claimed by someone else meanwhile
                raise
            return self._still_held(held.id, MailReason.of_error(error))

    def _still_held(self, inbound_id: int, why: MailReason) -> Received:
        with self.db.session() as session:
            session.execute(
                update(InboundMail).where(InboundMail.id == inbound_id, held_clause())
                .values(reason=why.text[:500], reason_code=why.code, reason_params=why.params or None)
            )
        return Received("rejected", inbound_id, why=why)


__all__ = ["PER_PAGE", "PURGE_BATCH", "HeldMail", "HeldMailStore", "HeldPage", "held_clause"]
