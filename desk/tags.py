"""Tags on tickets: free-form labels ("refund", "vip", "شحن") that the inbox filters by.

A tag is folded to one form (lower case, spaces to hyphens, letters, digits, - and _ only, in any
script) so "VIP" and "vip " are one tag; the workspace suggests existing tags as the agent types.
The rule itself is kb.tag_rule's, which `kb lint` applies to macros' add_tags too.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from desk.database import Database
from desk.models import TicketTag
from desk.tickets import InputError, add_tags, changeable
from desk.translatable import N_
from kb.tag_rule import MAX_TAG, folded_tag, is_tag

SHOWN_TAG_CHARS = 30  # a refused tag is quoted this far in its error, not pasted whole (an agent may paste 500 letters)


def clean_tag(value: str) -> str:
    """The tag's one folded form, or an InputError that quotes the refused value shortened (the page
    translates it like every desk error, so the agent reads it in their own language)."""
    tag = folded_tag(value)
    if not tag:
        raise InputError("tag", N_("is empty"))
    if not is_tag(tag):
        shown = value.strip()
        shown = shown if len(shown) <= SHOWN_TAG_CHARS else shown[:SHOWN_TAG_CHARS] + "…"
        raise InputError("tag", N_("“%(tag)s” cannot be a tag: use letters, digits, - and _ "
                                   "(at most %(limit)d characters)."), tag=shown, limit=MAX_TAG)
    return tag


class Tags:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, ticket_ids: list[int], tags: list[str]) -> int:
        """Tag every ticket with every tag (already present: skipped); returns how many were added."""
        clean = sorted({clean_tag(t) for t in tags})
        added = 0
        with self.db.session() as session:
            for ticket_id in ticket_ids:
                added += add_tags(changeable(session, ticket_id), clean)  # a closed ticket refuses them all
        return added

    def remove(self, ticket_id: int, tag: str) -> bool:
        with self.db.session() as session:
            changeable(session, ticket_id)
            done = session.execute(delete(TicketTag).where(TicketTag.ticket_id == ticket_id, TicketTag.tag == tag))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def popular(self, limit: int = 200) -> list[tuple[str, int]]:
        """Existing tags, most used first: the suggestions offered while typing a tag."""
        with self.db.session() as session:
            rows = session.execute(
                select(TicketTag.tag, func.count()).group_by(TicketTag.tag)
                .order_by(func.count().desc(), TicketTag.tag).limit(limit)
            ).all()
        return [(tag, count) for tag, count in rows]
