"""Problem and incident tickets (Zendesk's ticket types "problem" and "incident", Intercom's tracker tickets): when
something breaks and many customers write about it, an agent marks one ticket a problem and links each report to it
as an incident; the problem is worked once, and its solving reply goes to every incident's customer, each in their
own language, solving each incident with it.

The rules, checked with every row concerned locked (`lock_row`, lowest id first) so two agents linking at once see
each other's result:
- a problem is never an incident, and an incident never a problem: one level, so no chain and no cycle (A incident
  of B while B is linked to A: the second link finds A no longer a problem, or B a problem with incidents);
- the problem must be a problem, not the ticket itself, not closed, not merged away; the incident not closed (final,
  `changeable`) and not a problem with incidents of its own (a problem without incidents linked to another problem
  stops being one: the report of a known problem is an incident);
- linking many tickets at once (the inbox) is all or nothing, as the other bulk actions.

Solving (`solve`): the checks are all or nothing (the text for each language the open incidents are written in, the
files), then the problem's reply is sent as any reply (`TicketStore.send_reply`), then each incident's, each in a
transaction of its own through the same path (its channel, CCs, reply token, files, first response, webhooks). An
incident that fails (its customer erased, a required field) does not stop the others: the report names it, and
sending again resumes (an incident already holding this agent's same reply is counted, not sent twice). "All or
nothing" is per ticket, never across the batch: a reply that reached one customer cannot be taken back because
another's failed.

Merging (`carry_on_merge`, called by `TicketStore.merge`): a duplicate that was an incident leaves its link to the
ticket it is merged into (when that one is neither a problem nor another problem's incident); a problem merged away
takes its incidents with it, the target becoming the problem (refused, nothing written, when the target is another
problem's incident).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desk.database import lock_row, lock_rows
from desk.mail.attachments import Upload
from desk.models import Customer, Message, Ticket, TicketProblemChange, utcnow
from desk.tickets import (
    MAX_BODY,
    CrossedReplyError,
    InputError,
    SentReply,
    TicketStore,
    changeable,
    clean_text,
    row_by_id,
)
from desk.translatable import N_

PROBLEM = "problem"
# At most this many tickets linked in one inbox action (webapp.agent's MAX_BULK holds the form to its own limit).
MAX_LINK = 500


@dataclass(frozen=True)
class Incident:
    """An incident as the problem's page lists it."""

    id: int
    subject: str
    customer: str  # name, else email
    lang: str
    status: str
    merged: bool

    @property
    def reachable(self) -> bool:
        """Whether a problem's solving reply goes to it: not closed (final), not merged away."""
        return self.status != "closed" and not self.merged


@dataclass
class SolveReport:
    """What `solve` did: the problem's own reply, then each incident by outcome (ids ascending)."""

    sent: SentReply
    solved: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)  # held this reply already (a resend, a resumed batch)
    skipped: list[int] = field(default_factory=list)  # closed or merged: final, nothing sent
    failed: list[tuple[int, InputError]] = field(default_factory=list)


def kind_of(ticket: Ticket) -> str | None:
    """The API's `kind`: "problem", "incident" or None (a plain ticket)."""
    if ticket.kind == PROBLEM:
        return PROBLEM
    return "incident" if ticket.problem_id is not None else None


def _history(session: Session, ticket_id: int, kind: str, other: int | None, agent_id: int | None) -> None:
    session.add(TicketProblemChange(ticket_id=ticket_id, agent_id=agent_id, kind=kind, other_id=other,
                                    created_at=utcnow()))


def _linked(session: Session, incident_id: int, problem_id: int, agent_id: int | None) -> None:
    """A link's history, on both tickets."""
    _history(session, incident_id, "linked", problem_id, agent_id)
    _history(session, problem_id, "incident_linked", incident_id, agent_id)


def _unlinked(session: Session, incident_id: int, problem_id: int, agent_id: int | None) -> None:
    """An unlink's history, on both tickets."""
    _history(session, incident_id, "unlinked", problem_id, agent_id)
    _history(session, problem_id, "incident_unlinked", incident_id, agent_id)


def incident_count(session: Session, problem_id: int) -> int:
    return session.scalar(select(func.count(Ticket.id)).where(Ticket.problem_id == problem_id)) or 0


def _usable_problem(session: Session, problem_id: int, field_name: str) -> Ticket:
    """The (locked) problem a link names, checked: a problem, not closed, not merged away."""
    problem = row_by_id(session, Ticket, problem_id)
    if problem is None:
        raise InputError(field_name, N_("no ticket %(ticket)s"), ticket=problem_id)
    if problem.merged_into_id is not None:
        raise InputError(field_name, N_("#%(ticket)s was merged into #%(live)s"), ticket=problem.id,
                         live=problem.merged_into_id)
    if problem.status == "closed":
        raise InputError(field_name, N_("#%(ticket)s is closed"), ticket=problem.id)
    if problem.kind != PROBLEM:
        raise InputError(field_name, N_("#%(ticket)s is not a problem ticket: mark it a problem first"),
                         ticket=problem.id)
    return problem


def link_in(session: Session, incident_ids: Iterable[int], problem_id: int, agent_id: int | None,
            field_name: str = "problem_id") -> int:
    """Link each ticket to the problem, in the caller's transaction (all or none: the first refusal raises); every
    row concerned locked first, lowest id first. How many links changed (one already linked there is left as is)."""
    wanted = sorted(set(incident_ids))
    for ticket_id in sorted({*wanted, problem_id}):
        lock_row(session, Ticket, ticket_id)
    for ticket_id in wanted:
        if ticket_id == problem_id:
            raise InputError(field_name, N_("a ticket cannot be an incident of itself"))
    problem = _usable_problem(session, problem_id, field_name)
    changed = 0
    for ticket_id in wanted:
        ticket = changeable(session, ticket_id)  # read after its lock: another agent's link made meanwhile counts
        if ticket.problem_id == problem.id:
            continue
        if ticket.kind == PROBLEM:
            if incident_count(session, ticket.id):
                raise InputError(field_name, N_("#%(ticket)s is a problem with incidents of its own: unlink them "
                                                "first"), ticket=ticket.id)
            ticket.kind = None  # a report of a known problem is an incident of it
            _history(session, ticket.id, "unmarked", None, agent_id)
        old = ticket.problem_id
        if old is not None:
            _unlinked(session, ticket.id, old, agent_id)
        ticket.problem_id = problem.id
        _linked(session, ticket.id, problem.id, agent_id)
        ticket.updated_at = utcnow()
        changed += 1
    if changed:
        problem.updated_at = utcnow()
    return changed


def carry_on_merge(session: Session, source: Ticket, target: Ticket, agent_id: int | None) -> None:
    """The problem links of a merge (both rows locked by `TicketStore.merge`), in its transaction; see the module's
    docstring."""
    if source.kind == PROBLEM and incident_count(session, source.id):
        if target.problem_id == source.id:  # merged into one of its own incidents: that one becomes the problem
            target.problem_id = None
            _unlinked(session, target.id, source.id, agent_id)
        elif target.problem_id is not None:
            raise InputError("target", N_("#%(source)s is a problem with incidents and #%(target)s is an incident of "
                                          "#%(problem)s: merge into a ticket that is not an incident"),
                             source=source.id, target=target.id, problem=target.problem_id)
        if target.kind != PROBLEM:
            target.kind = PROBLEM
            _history(session, target.id, "marked", None, agent_id)
        # Each incident held before it is read: one relinked by another agent at this moment was written over with
        # this move from a read made before its lock (PostgreSQL; SQLite's write lock holds every row already).
        lock_rows(session, Ticket, Ticket.problem_id == source.id)
        moved = list(session.scalars(select(Ticket).where(Ticket.problem_id == source.id).order_by(Ticket.id)))
        for incident in moved:
            incident.problem_id = target.id
            _unlinked(session, incident.id, source.id, agent_id)
            _linked(session, incident.id, target.id, agent_id)
    elif source.problem_id is not None:
        problem_id = source.problem_id
        source.problem_id = None  # the problem lists live tickets only
        _unlinked(session, source.id, problem_id, agent_id)
        if target.id != problem_id and target.kind != PROBLEM and target.problem_id is None:
            target.problem_id = problem_id
            _linked(session, target.id, problem_id, agent_id)


class Problems:
    def __init__(self, tickets: TicketStore) -> None:
        self.tickets = tickets
        self.db = tickets.db

    def mark(self, ticket_id: int, agent_id: int | None) -> bool:
        """Mark the ticket a problem; refused for an incident (unlink it first). Whether it changed."""

        def write(session: Session) -> bool:
            return mark_in(session, changeable(session, ticket_id), agent_id)

        return self.db.write(write)  # again while the database is busy

    def unmark(self, ticket_id: int, agent_id: int | None) -> bool:
        """The ticket is no longer a problem; refused while incidents are linked to it. Whether it changed."""

        def write(session: Session) -> bool:
            return unmark_in(session, changeable(session, ticket_id), agent_id)

        return self.db.write(write)  # again while the database is busy

    def link(self, incident_ids: Sequence[int], problem_id: int, agent_id: int | None) -> int:
        """Link the tickets to the problem, all or none (see `link_in`); how many links changed."""
        if len(set(incident_ids)) > MAX_LINK:
            raise InputError("ticket", N_("at most %(max)d tickets at once"), max=MAX_LINK)

        def write(session: Session) -> int:
            return link_in(session, incident_ids, problem_id, agent_id)

        return self.db.write(write)  # again while the database is busy

    def unlink(self, ticket_id: int, agent_id: int | None) -> bool:
        """The ticket is no longer an incident; whether it was one."""

        def write(session: Session) -> bool:
            ticket = changeable(session, ticket_id)
            return unlink_in(session, ticket, agent_id)

        return self.db.write(write)  # again while the database is busy

    def incidents(self, problem_id: int) -> list[Incident]:
        """The problem's incidents, oldest first (none for a ticket that is no problem)."""
        with self.db.session() as session:
            rows = session.execute(
                select(Ticket.id, Ticket.subject, Customer.name, Customer.email, Ticket.lang, Ticket.status,
                       Ticket.merged_into_id)
                .join(Customer, Customer.id == Ticket.customer_id)
                .where(Ticket.problem_id == problem_id).order_by(Ticket.id))
            return [Incident(i, subject, name or email, lang, status, merged is not None)
                    for i, subject, name, email, lang, status, merged in rows]

    def open_languages(self, problem_id: int) -> list[str]:
        """The languages of the problem's incidents a solving reply would reach, sorted: one reply box each."""
        return sorted({i.lang for i in self.incidents(problem_id) if i.reachable})

    def solve(self, problem_id: int, agent_id: int, body: str, replies: Mapping[str, str], status: str = "solved",
              seen_message_id: int | None = None, files: Sequence[Upload] = (), signature: bool = False) -> SolveReport:
        """Send the problem's reply (`body`, with `status`) and copy it to each of its incidents, solving them: an
        incident gets `replies[its language]` (the problem's own language may be left blank: `body` is used). The
        text of every language present is checked before anything is sent (a missing one names `body_<lang>`); then
        see the module's docstring. `signature` (the page's "Add my signature"): the problem's reply and each
        incident's are signed as any reply of the agent, each with their signature in that ticket's language
        (desk.signatures; kept beside the text, so a resumed batch still finds a reply sent by its words)."""
        with self.db.session() as session:
            problem = row_by_id(session, Ticket, problem_id)
            if problem is None:
                raise InputError("ticket", N_("no ticket %(ticket)s"), ticket=problem_id)
            if problem.kind != PROBLEM:
                raise InputError("ticket", N_("#%(ticket)s is not a problem ticket: mark it a problem first"),
                                 ticket=problem.id)
            problem_lang = problem.lang
        incidents = self.incidents(problem_id)
        texts: dict[str, str] = {}
        for lang in sorted({i.lang for i in incidents if i.reachable}):
            raw = replies.get(lang) or ""
            if not raw.strip() and lang == problem_lang:
                raw = body
            texts[lang] = clean_text(f"body_{lang}", raw, MAX_BODY)
        sent = self.tickets.send_reply(problem_id, agent_id, body, status=status, seen_message_id=seen_message_id,
                                       files=files, signature=signature)
        report = SolveReport(sent)
        for incident in incidents:
            if not incident.reachable:
                report.skipped.append(incident.id)
                continue
            text = texts[incident.lang]
            try:
                sent_now = self._send_once(incident.id, agent_id, text, files, signature)
            except InputError as error:
                report.failed.append((incident.id, error))
                continue
            (report.solved if sent_now else report.already).append(incident.id)
        return report

    def _send_once(self, ticket_id: int, agent_id: int, text: str, files: Sequence[Upload], signature: bool) -> bool:
        """Send `text` to the incident, solving it, unless it holds it already (`_holds`); whether this call sent it.
        The check is made again in the send's own transaction, the ticket locked (`send_reply`'s `seen_message_id`:
        this agent's same text after the newest message read is the one sent, not a second copy): two sends of the
        batch at once (a double click, two tabs) both passed the first check and mailed each customer twice. A
        message arriving between the check and the send (the customer wrote again) is read and the check made anew."""
        for attempt in range(3):
            held, newest = self._holds(ticket_id, agent_id, text)
            if held:
                return False
            try:
                return not self.tickets.send_reply(ticket_id, agent_id, text, status="solved",
                                                   seen_message_id=newest if attempt < 2 else None,
                                                   files=files, signature=signature).resent
            except CrossedReplyError:
                continue
        raise AssertionError("unreachable: the third send passes no seen message")  # pragma: no cover

    def _holds(self, ticket_id: int, agent_id: int, text: str) -> tuple[bool, int]:
        """Whether the ticket's newest public agent message is this agent's `text` and it is solved (the batch sent
        again: a double click, a resumed batch), and the id of its newest message of any kind (0: none)."""
        with self.db.session() as session:
            # The newest id first: on PostgreSQL each statement reads what is committed when it runs, so a send of
            # the same batch committing between these reads is either seen by the check below or lies after `last`
            # (and `send_reply` finds it as this page's reply, resent). Read last, `last` could name the other
            # send's message while the check missed it: the customer was mailed twice (1 run in about 10 under load).
            last = session.scalar(select(func.max(Message.id)).where(Message.ticket_id == ticket_id)) or 0
            newest = session.execute(
                select(Message.agent_id, Message.body).where(Message.ticket_id == ticket_id,
                                                             Message.author == "agent", Message.internal.is_(False))
                .order_by(Message.id.desc()).limit(1)).first()
            status = session.scalar(select(Ticket.status).where(Ticket.id == ticket_id))
        return newest is not None and tuple(newest) == (agent_id, text) and status in ("solved", "closed"), last


def unlink_in(session: Session, ticket: Ticket, agent_id: int | None) -> bool:
    """`Problems.unlink` in the caller's transaction (the ticket locked)."""
    old = ticket.problem_id
    if old is None:
        return False
    ticket.problem_id = None
    ticket.updated_at = utcnow()
    _unlinked(session, ticket.id, old, agent_id)
    return True


def mark_in(session: Session, ticket: Ticket, agent_id: int | None, field_name: str = "kind") -> bool:
    """`Problems.mark` in the caller's transaction (the ticket locked); a refusal names `field_name`."""
    if ticket.kind == PROBLEM:
        return False
    if ticket.problem_id is not None:
        raise InputError(field_name, N_("#%(ticket)s is an incident of #%(problem)s: unlink it first"),
                         ticket=ticket.id, problem=ticket.problem_id)
    ticket.kind = PROBLEM
    ticket.updated_at = utcnow()
    _history(session, ticket.id, "marked", None, agent_id)
    return True


def unmark_in(session: Session, ticket: Ticket, agent_id: int | None, field_name: str = "kind") -> bool:
    """`Problems.unmark` in the caller's transaction (the ticket locked); a refusal names `field_name`."""
    if ticket.kind != PROBLEM:
        return False
    count = incident_count(session, ticket.id)
    if count:
        raise InputError(field_name, N_("#%(ticket)s has %(num)d incidents: unlink them first"),
                         ticket=ticket.id, num=count)
    ticket.kind = None
    ticket.updated_at = utcnow()
    _history(session, ticket.id, "unmarked", None, agent_id)
    return True
