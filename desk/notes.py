"""Internal notes: agents writing to each other on a ticket, never to the customer.

A note is a `Message` with `internal=True`: never emailed, never shown on the customer's ticket page,
never counted as a reply (no first response, no status change, nothing becomes due). `@name` in a note
mentions another agent by the part of their email before the @ (`@sara` for sara@example.com) or
their whole email; each mentioned agent sees the ticket in their inbox's "Mentions" view until they
open it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from desk.agent_notices import MENTIONED, notify_agent
from desk.database import Database
from desk.mail.attachments import FileLimits, Upload, write_with_files
from desk.models import Agent, Mention, Message, Ticket, utcnow
from desk.ticket_search import index_ticket
from desk.tickets import MAX_BODY, attach_files, changeable, clean_files, clean_text
from desk.time_tracking import clean_seconds, record_with
from kb.settings import Settings

MENTION = re.compile(r"(?<![\w.])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


@dataclass(frozen=True)
class Note:
    message_id: int
    mentioned: list[str]  # the names of the agents the note mentions


def mention_handles(body: str) -> set[str]:
    """What follows each @ in a note, lower-cased (a trailing full stop is punctuation, not a name)."""
    return {m.rstrip(".").lower() for m in MENTION.findall(body)}


def write_note(session: Session, ticket_id: int, agent_id: int, text: str, attach: Callable[[Message], object]) -> Note:
    """The note `text` (checked) by `agent_id` in the caller's session, `attach` storing its files on the message once
    it has an id; the agents it @mentions recorded and mailed (desk.agent_notices). A closed ticket is final: refused,
    naming "ticket", as a reply is. `Notes.add`, and a note an agent sends by answering a notice (desk.mail.receive)."""
    ticket = changeable(session, ticket_id)  # a closed ticket is final: no note either
    message = Message(author="agent", agent_id=agent_id, body=text, internal=True, created_at=utcnow())
    ticket.messages.append(message)
    ticket.updated_at = message.created_at
    session.flush()
    attach(message)
    mentioned = []
    if handles := mention_handles(text):
        for agent in session.scalars(select(Agent).where(Agent.active)):
            local = agent.email.split("@", 1)[0]
            if agent.id != agent_id and (local in handles or agent.email in handles):
                session.add(Mention(message_id=message.id, ticket_id=ticket_id, agent_id=agent.id))
                notify_agent(session, MENTIONED, ticket, agent.id, agent_id, note=text)
                mentioned.append(agent.name)
    index_ticket(session, ticket)
    return Note(message.id, mentioned)


class Notes:
    def __init__(self, db: Database, data_dir: Path | None = None, file_limits: FileLimits | None = None) -> None:
        self.db = db
        self.data_dir = data_dir  # where a note's files are stored (a note without files needs none)
        self.file_limits = file_limits or FileLimits.from_settings(Settings())

    def add(self, ticket_id: int, agent_id: int, body: str, files: Sequence[Upload] = (), seconds: int | None = None,
            form_key: str | None = None) -> Note:
        """The note, with `files` for agents only (checked, stored and discarded on failure as a reply's are). A note
        may be files alone (a courier's scan says it all), as a reply may; one with neither is refused, naming
        "note". `seconds`: the agent's time on the ticket, recorded with the note (desk.time_tracking; `form_key` the
        page's post, recorded once)."""
        if seconds is not None:
            clean_seconds(seconds, "time_spent")
        text = clean_text("note", body, MAX_BODY, required=not files)
        attached = clean_files(files, self.file_limits)

        def write(session: Session, written: list[Path]) -> Note:
            note = write_note(session, ticket_id, agent_id, text,
                              lambda message: attach_files(session, self.data_dir, message, attached, written))
            record_with(session, session.get_one(Ticket, ticket_id), agent_id, seconds, "note", form_key)
            return note

        return write_with_files(self.db, write)  # again while the database is busy (SQLite's one writer)

    def unseen(self, agent_id: int) -> dict[int, int]:
        """Ticket id -> how many notes mention this agent that they have not opened yet."""
        with self.db.session() as session:
            rows = session.execute(
                select(Mention.ticket_id, func.count())
                .where(Mention.agent_id == agent_id, Mention.seen_at.is_(None))
                .group_by(Mention.ticket_id)
            ).all()
        return {ticket_id: count for ticket_id, count in rows}

    def mark_seen(self, ticket_id: int, agent_id: int) -> int:
        """The agent read the ticket (a POST from its page, never the GET itself)."""
        return self.db.write(lambda session: int(session.execute(  # again while the database is busy
            update(Mention)
            .where(Mention.ticket_id == ticket_id, Mention.agent_id == agent_id, Mention.seen_at.is_(None))
            .values(seen_at=utcnow())
        ).rowcount))  # type: ignore[attr-defined]
