"""One ticket's fields changed at once, all or nothing: the token API's `PATCH /api/v1/tickets/<id>` (Zendesk's
`PUT /api/v2/tickets/{id}`, Chatwoot's toggle_status, assignments and labels in one call).

Each change goes through the helper the ticket page's own form uses, in one transaction: the team move first
(`_move_to_team`: the due time counted in the new team's hours, an assignee outside the team unassigned), then status,
priority and assignee (`_update`: `_set_status`'s history row and survey, `record_assignee`), then the due time
(`_set_due`), then tags (`clean_tag`: folded, a mixed-script twin refused), then CCs (`desk.ccs`: the whole list, added,
removed; an address refused names its item, `add_ccs[0]`), then `kind` and `problem_id` (desk.problems), then the
required `skills` (desk.skills: the whole set by name; one the desk lacks names its item, `skills[1]`). So an
explicit assignee wins over the move's unassignment, and a due time on a ticket the same request solves is refused.
Any refusal (a bad value, a closed ticket: final, as on the page) rolls every change back. The history rows have no
agent (a token is nobody's); who made the change is the `ticket_updated` audit event, actor "api" with the token's id,
as the API's customer merge and erase are recorded.

A ticket changed since the client read it (`expected`: the updated time its ETag or Last-Modified carried) is refused
before anything is written (`ChangedMeanwhile`); the row is locked first (`changeable`), so the check and the write see
one state. A request that changes nothing writes nothing, not even `updated_at`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from desk.audit import Actor, record
from desk.ccs import add_cc, ccs_of, ids, remove_cc
from desk.database import lock_row
from desk.models import Ticket, as_utc, utcnow
from desk.problems import link_in, mark_in, unlink_in, unmark_in
from desk.skills import by_names, names_of_many, require_in
from desk.tags import clean_tag
from desk.ticket_fields import clean_values, still_missing, unsolvable, values_in, write_values
from desk.tickets import (
    Answer,
    InputError,
    TicketStore,
    add_tags,
    answered,
    changeable,
    clean_email,
    hold_assignee,
)
from desk.translatable import N_

KEEP: Any = object()  # a field the request leaves as it is (None means "none": unassigned, the computed due time)


class ChangedMeanwhile(Exception):
    """The ticket changed after the time the client read it at: nothing is written (HTTP 412)."""

    def __init__(self, updated_at: datetime) -> None:
        super().__init__(f"the ticket changed at {updated_at.isoformat()}")
        self.updated_at = updated_at


@dataclass(frozen=True)
class TicketPatch:
    status: str | None = None
    priority: str | None = None
    assignee: Any = KEEP  # an agent's id, None (unassign) or KEEP
    team: str | None = None
    due: Any = KEEP  # an aware datetime, None (back to the business-hours time) or KEEP
    tags: tuple[str, ...] | None = None  # the whole set (None: keep)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    ccs: tuple[str, ...] | None = None  # the whole CC list, addresses (None: keep)
    add_ccs: tuple[str, ...] = ()
    remove_ccs: tuple[str, ...] = ()
    fields: dict[str, object] | None = None  # custom ticket fields to set (None or "": clear), by key
    kind: Any = KEEP  # "problem", None (a plain ticket again) or KEEP (desk.problems)
    problem_id: Any = KEEP  # the problem to link to (an id), None (unlink) or KEEP
    skills: tuple[str, ...] | None = None  # the whole set of required skills by name (desk.skills; None: keep)


def _tags(field: str, values: tuple[str, ...]) -> list[str]:
    """Each tag folded and checked (`clean_tag`), its refusal naming the request's field."""
    try:
        return sorted({clean_tag(value) for value in values})
    except InputError as error:
        raise InputError(field, error.message, plural=error.plural, **dict(error.params)) from None


def _state(session: Session, ticket: Ticket) -> dict[str, Any]:
    """What a PATCH may change, as the audit event records it (CCs by customer id, never an address)."""
    due = as_utc(ticket.due_at).isoformat() if ticket.due_at is not None else None
    return {"status": ticket.status, "priority": ticket.priority, "assignee": ticket.assignee_id,
            "team": ticket.team, "due_at": due, "tags": sorted(t.tag for t in ticket.tags),
            "ccs": ids(ccs_of(session, ticket.id)), "kind": ticket.kind, "problem_id": ticket.problem_id,
            "skills": names_of_many(session, [ticket.id]).get(ticket.id, [])}


def _recopy(store: TicketStore, session: Session, ticket: Ticket, patch: TicketPatch) -> None:
    """The CC fields: the whole list (`ccs`: those not named removed, the rest added), then `add_ccs`, then
    `remove_ccs`; each refusal names its field and the item (`ccs[1]`)."""
    def each(field: str, values: tuple[str, ...], adding: bool) -> None:
        for number, value in enumerate(values):
            named = f"{field}[{number}]"
            if adding:
                add_cc(session, ticket, value, store.max_ccs, store.mail_from, field=named)
            else:
                remove_cc(session, ticket, value, field=named)

    if patch.ccs is not None:
        wanted: set[str] = set()
        for number, value in enumerate(patch.ccs):
            try:
                wanted.add(clean_email(value))
            except InputError as error:
                raise InputError(f"ccs[{number}]", error.message, plural=error.plural, **dict(error.params)) from None
        for person in ccs_of(session, ticket.id):
            if person.email not in wanted:
                remove_cc(session, ticket, person.email)
        each("ccs", patch.ccs, adding=True)
    each("add_ccs", patch.add_ccs, adding=True)
    each("remove_ccs", patch.remove_ccs, adding=False)


def patch_ticket(store: TicketStore, ticket_id: int, patch: TicketPatch, by: Actor,
                 expected: Callable[[Ticket], bool] | None = None, answer: Answer[Ticket] | None = None) -> Ticket:
    """Apply `patch` to the ticket in one transaction (see the module's docstring); `expected(ticket)` False: the
    ticket changed since the client read it (`ChangedMeanwhile`). Returns the ticket as stored."""
    with store.db.session() as session:
        skills = by_names(session, patch.skills) if patch.skills is not None else None  # refused before any lock
        if isinstance(patch.problem_id, int) and patch.problem_id < ticket_id:
            lock_row(session, Ticket, patch.problem_id)  # the lower id first, as every link locks (desk.problems)
        hold_assignee(session, patch.assignee)  # the agent before the ticket, as every assignment (desk.tickets)
        ticket = changeable(session, ticket_id)  # locked; a closed ticket refused (ClosedTicketError)
        if expected is not None and not expected(ticket):
            raise ChangedMeanwhile(as_utc(ticket.updated_at))
        before = _state(session, ticket)
        whole = _tags("tags", patch.tags) if patch.tags is not None else None
        adding, removing = _tags("add_tags", patch.add_tags), _tags("remove_tags", patch.remove_tags)
        if patch.fields:  # before the status: a required field set in the same request lets it solve
            cleaned = clean_values(store.fields, patch.fields, stored=values_in(session, ticket.id))
            if write_values(session, ticket.id, cleaned, by):
                ticket.updated_at = utcnow()
        if patch.team is not None:
            store._move_to_team(session, ticket.id, patch.team, None)
        status = patch.status if patch.status != ticket.status else None  # the same again stamps no time
        store._update(session, ticket.id, status, patch.priority,
                      -1 if patch.assignee is KEEP else patch.assignee, None)
        if patch.fields and (missing := still_missing(session, store.fields, ticket)):
            raise unsolvable(missing, ticket.id)  # a required field cleared on a ticket that stays solved
        if patch.due is not KEEP:
            if patch.due is not None and ticket.status == "solved":
                raise InputError("due_at", N_("a solved or closed ticket has nothing due: reopen it first"))
            store._set_due(session, ticket.id, patch.due, None)
        _retag(session, ticket, whole, adding, removing)
        _recopy(store, session, ticket, patch)
        _relink(session, ticket, patch)
        if skills is not None:
            require_in(session, ticket, skills, None)
        after = _state(session, ticket)
        changed = sorted(name for name in after if after[name] != before[name])
        if changed:
            ticket.updated_at = utcnow()  # a tag alone changes no column of the ticket: it is still a change
            record(session, by, "ticket_updated", "ticket", ticket.id, before={n: before[n] for n in changed},
                   after={n: after[n] for n in changed})
        return answered(session, ticket, answer)


def _retag(session: Session, ticket: Ticket, whole: list[str] | None, adding: list[str], removing: list[str]) -> None:
    if whole is not None:
        for tag in [t for t in ticket.tags if t.tag not in whole]:
            ticket.tags.remove(tag)
            session.delete(tag)
        add_tags(ticket, whole)
    add_tags(ticket, adding)
    for tag in [t for t in ticket.tags if t.tag in removing]:
        ticket.tags.remove(tag)
        session.delete(tag)
    session.flush()



def _relink(session: Session, ticket: Ticket, patch: TicketPatch) -> None:
    """An unlink (`problem_id` null), then `kind`, then a link (desk.problems), with the page's checks; no agent in
    the history, as the others. The unlink first: `{"kind": "problem", "problem_id": null}` turns an incident into a
    problem, where marking first refused it as an incident."""
    if patch.problem_id is None:
        unlink_in(session, ticket, None)
    if patch.kind is not KEEP:
        (mark_in if patch.kind == "problem" else unmark_in)(session, ticket, None)
    if patch.problem_id is not KEEP and patch.problem_id is not None:
        link_in(session, [ticket.id], patch.problem_id, None)
