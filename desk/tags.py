"""Tags on tickets: free-form labels ("refund", "vip", "شحن") that the inbox filters by.

A tag is folded to one form (NFKC and case-folded as view names are, spaces to hyphens, letters, digits, - and _
only, in any script) so "VIP", "vip " and "ＶＩＰ" are one tag; the workspace suggests existing tags as the agent
types. The rule itself is kb.tag_rule's, which `kb lint` applies to macros' add_tags too.

Leads and admins tidy the vocabulary (Zendesk's tag list, Chatwoot's labels settings): every tag with its counts
(`counts`), a tag renamed onto a new name or merged into an existing one (`rename`), a tag taken off every ticket
(`delete`). Each is one transaction with one audit event (`tag_renamed`, `tag_deleted`) and applies to every
ticket, closed ones too: a tag is the desk's filing, not the conversation a closed ticket freezes, and a renamed tag
that stayed on closed tickets would never leave the list nor the reports (Zendesk leaves closed tickets as they
are, and its old tags linger). Saved views filtering by a renamed tag follow it. Tags are not part of the tickets'
search text (desk.ticket_search), so nothing there changes; a ticket's `updated_at` is kept (a tidy-up is not
activity on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from desk.audit import Actor, record
from desk.database import Database, lock_rows
from desk.inbox import UNSOLVED
from desk.models import SavedView, Ticket, TicketTag
from desk.tickets import InputError, add_tags, changeable
from desk.translatable import N_
from desk.webhooks import note_tags
from kb.name_fold import mixed_script_word
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
    if (word := mixed_script_word(value)) is not None:  # "rеfund" with a Cyrillic "е": a twin that reads as "refund"
        raise InputError("tag", N_("“%(word)s” mixes Latin, Cyrillic or Greek letters in one word: type it in "
                                   "one alphabet"), word=word)
    return tag


@dataclass(frozen=True)
class TagCount:
    """A tag and how many tickets have it: unsolved ones (desk.inbox.UNSOLVED) and all, closed ones included."""

    tag: str
    unsolved: int
    total: int


@dataclass(frozen=True)
class TagChange:
    """What renaming `old` to `new` (None: deleting it) does or did: `tickets` holding `old` (each changes), of
    which `both` hold `new` already (they keep one: a merge), and the saved views filtering by `old`."""

    old: str
    new: str | None
    tickets: int
    both: int
    views: int
    merge: bool  # `new` is a tag tickets have already: renaming onto it merges the two


def _new_name(value: str) -> str:
    """A rename's new name folded and checked (`clean_tag`), its error naming the field "new_tag"."""
    try:
        return clean_tag(value)
    except InputError as error:
        params: dict[str, Any] = dict(error.params)
        raise InputError("new_tag", error.message, plural=error.plural, **params) from None


def _unknown(old: str) -> InputError:
    return InputError("tag", N_("no ticket has the tag “%(tag)s”"), tag=old[:MAX_TAG])


def _stored_form(old: str) -> None:
    """Refuse, before any query, a tag no ticket can have: every stored tag is one by kb.tag_rule (and was by the old
    rule), so anything else (a NUL, which PostgreSQL refuses in a query) is nobody's tag."""
    if not old.strip():
        raise InputError("tag", N_("is empty"))
    if not is_tag(old):
        raise _unknown(old)


def _lock_tickets(session: Session, tags: list[str]) -> None:
    """Hold every ticket with one of `tags` until the transaction ends (`lock_rows`: id order on PostgreSQL): two
    renames at once ("a" to "b", "b" to "a") lock the same tickets in the same order, so one waits for the other, and
    then reads what the first left, instead of a deadlock or a rename of rows the other moved meanwhile."""
    lock_rows(session, Ticket, Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag.in_(tags))))


class Tags:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, ticket_ids: list[int], tags: list[str]) -> int:
        """Tag every ticket with every tag (already present: skipped); returns how many were added."""
        clean = sorted({clean_tag(t) for t in tags})
        # A closed ticket refuses them all. Again while the database is busy (counted in the try that commits).
        return self.db.write(lambda session: sum(add_tags(changeable(session, ticket_id), clean)
                                                 for ticket_id in ticket_ids))

    def remove(self, ticket_id: int, tag: str) -> bool:

        def write(session: Session) -> bool:
            ticket = changeable(session, ticket_id)
            found = [row for row in ticket.tags if row.tag == tag]
            for row in found:  # through the ORM, not a bulk delete: the outbound webhooks see the tag go
                ticket.tags.remove(row)
                session.delete(row)
            return bool(found)

        return self.db.write(write)  # again while the database is busy

    def counts(self) -> list[TagCount]:
        """Every tag with its counts, most used first, then by name (compared in Python: one order on both
        engines)."""
        with self.db.session() as session:
            rows = session.execute(
                select(TicketTag.tag, func.count(), func.sum(case((Ticket.status.in_(UNSOLVED), 1), else_=0)))
                .join(Ticket, Ticket.id == TicketTag.ticket_id).group_by(TicketTag.tag)
            ).all()
        return sorted((TagCount(tag, int(unsolved or 0), total) for tag, total, unsolved in rows),
                      key=lambda c: (-c.total, c.tag))

    def change(self, old: str, new: str | None) -> TagChange:
        """What renaming `old` to `new` (folded and checked: `clean_tag`), or deleting it (`new` None), would do:
        the confirmation page's figures. `old` must be a tag some ticket has (the field "tag"); `new` not `old`
        itself (the field "new_tag"). Reads only."""
        with self.db.session() as session:
            return self._change(session, old, new)

    def _change(self, session: Session, old: str, new: str | None) -> TagChange:
        _stored_form(old)
        holding = select(TicketTag.ticket_id).where(TicketTag.tag == old)
        tickets = session.scalar(select(func.count()).select_from(holding.subquery())) or 0
        if not tickets:
            raise _unknown(old)
        both, exists = 0, False
        if new is not None:
            new = _new_name(new)
            if new == old:
                raise InputError("new_tag", N_("is the tag's name already: type another"))
            exists = session.scalar(select(TicketTag.id).where(TicketTag.tag == new).limit(1)) is not None
            both = session.scalar(select(func.count()).select_from(TicketTag).where(
                TicketTag.tag == new, TicketTag.ticket_id.in_(holding))) or 0
        views = session.scalar(select(func.count()).select_from(SavedView).where(SavedView.tag == old)) or 0
        return TagChange(old, new, tickets, both, views, exists)

    def rename(self, old: str, new: str, by: Actor) -> TagChange:
        """Every ticket tagged `old` is tagged `new` instead (a ticket with both keeps one: onto an existing tag
        this is a merge), saved views filtering by `old` filter by `new`, and one `tag_renamed` audit event says
        who, from, to and how many tickets: all in one transaction. What it did, as `change` counts it."""

        def write(session: Session) -> TagChange:
            _stored_form(old)
            folded = _new_name(new)  # the lock below needs the folded name
            _lock_tickets(session, sorted({old, folded}))
            done = self._change(session, old, folded)
            assert done.new is not None
            holding = select(TicketTag.ticket_id).where(TicketTag.tag == done.new)
            had_new = set(session.scalars(holding))
            for ticket_id in session.scalars(select(TicketTag.ticket_id).where(TicketTag.tag == old)):
                # In SQL, unseen by the session's objects: told to the outbound webhooks (a `ticket.updated` each)
                note_tags(session, ticket_id, added=() if ticket_id in had_new else (done.new,), removed=(old,))
            session.execute(delete(TicketTag).where(TicketTag.tag == old, TicketTag.ticket_id.in_(holding))
                            .execution_options(synchronize_session=False))
            session.execute(update(TicketTag).where(TicketTag.tag == old).values(tag=done.new)
                            .execution_options(synchronize_session=False))
            session.execute(update(SavedView).where(SavedView.tag == old).values(tag=done.new)
                            .execution_options(synchronize_session=False))
            record(session, by, "tag_renamed", "tag", old, before={"tag": old},
                   after={"tag": done.new, "tickets": done.tickets, "merged": done.both, "views": done.views})
            return done

        return self.db.write(write)  # again while the database is busy

    def delete(self, old: str, by: Actor) -> TagChange:
        """Take `old` off every ticket, with one `tag_deleted` audit event (who, the tag, how many tickets), in one
        transaction. Saved views filtering by it are kept as they are (they now find no ticket): a view is its
        owner's, and dropping its tag filter would widen it to tickets nobody asked for."""

        def write(session: Session) -> TagChange:
            _stored_form(old)
            _lock_tickets(session, [old])
            done = self._change(session, old, None)
            for ticket_id in session.scalars(select(TicketTag.ticket_id).where(TicketTag.tag == old)):
                note_tags(session, ticket_id, removed=(old,))  # in SQL: told to the outbound webhooks
            session.execute(delete(TicketTag).where(TicketTag.tag == old).execution_options(synchronize_session=False))
            record(session, by, "tag_deleted", "tag", old, before={"tag": old}, after={"tickets": done.tickets})
            return done

        return self.db.write(write)  # again while the database is busy

    def popular(self, limit: int = 200) -> list[tuple[str, int]]:
        """Existing tags, most used first: the suggestions offered while typing a tag."""
        with self.db.session() as session:
            rows = session.execute(
                select(TicketTag.tag, func.count()).group_by(TicketTag.tag)
                .order_by(func.count().desc(), TicketTag.tag).limit(limit)
            ).all()
        return [(tag, count) for tag, count in rows]
