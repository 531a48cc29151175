"""Reading the files that came with customers' mail: listed for agents, downloadable, and shown to
the customer on their own ticket page (checked against the ticket's reference)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from desk.database import Database
from desk.models import Attachment, Ticket


class Attachments:
    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.data_dir = data_dir

    def for_ticket(self, ticket_id: int) -> list[Attachment]:
        with self.db.session() as session:
            return list(session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id)
                                        .order_by(Attachment.id)))

    def get(self, attachment_id: int, reference: str | None = None) -> Attachment | None:
        """The attachment, or None; with `reference`, only if it belongs to that ticket."""
        with self.db.session() as session:
            query = select(Attachment).where(Attachment.id == attachment_id, Attachment.path.is_not(None))
            if reference is not None:
                query = query.join(Ticket, Ticket.id == Attachment.ticket_id).where(Ticket.reference == reference)
            return session.scalar(query)

    def file(self, attachment: Attachment) -> Path:
        return self.data_dir / (attachment.path or "")
