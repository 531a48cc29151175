"""The ticket page's copilot advice, computed once per thread and index version in the background.

`precompute_suggestions` is the worker's bounded pass: it finds open tickets whose stored advice is
missing or stale (a new customer message, a re-index) and stores fresh advice. `page_advice` is what
the ticket page uses: the stored advice when it is current, else advice computed on the fly with the
grounded drafter (fast, no model) and NOT stored: a GET never writes, and a slow LLM draft never
blocks a page; it appears once the pass has run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import func, select

from copilot.advice import TicketAdvice, advise
from copilot.drafts import Drafter, GroundedDrafter, signed_by
from copilot.engine import Engine
from copilot.learning import LearnedBoosts
from copilot.suggestions import Suggester
from desk.advice import thread_version
from desk.desk import Desk
from desk.models import Ticket
from kb.settings import Settings
from webapp.urls import public_link


@dataclass(frozen=True)
class PageAdvice:
    advice: TicketAdvice
    # "<thread>:<index>": what a "shown" event is recorded once per agent for.
    version: str
    stored: bool  # False: computed for this view only (the background pass has not run yet)


def agent_suggester(engine: Engine, desk: Desk) -> Suggester:
    """The agents' suggester: the engine's retriever plus what agents chose for similar tickets."""
    return Suggester(engine.retriever, boosts=LearnedBoosts(desk.events.agent_choices))


# The customer's other tickets opened this long before this one count as earlier contacts about it.
EARLIER_CONTACT_DAYS = 14


def earlier_contacts(desk: Desk, ticket: Ticket) -> int:
    """The customer's other tickets opened in the `EARLIER_CONTACT_DAYS` before this one: a draft
    acknowledges that they are writing again."""
    since = ticket.created_at - timedelta(days=EARLIER_CONTACT_DAYS)
    query = select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == ticket.customer_id,
        Ticket.id != ticket.id,
        Ticket.created_at >= since,
        Ticket.created_at <= ticket.created_at,
    )
    with desk.db.session() as session:
        return int(session.scalar(query) or 0)


def ticket_advice(
    suggester: Suggester, drafter: Drafter, ticket: Ticket, settings: Settings, earlier: int = 0
) -> TicketAdvice:
    customer = [m.body for m in ticket.messages if m.author == "customer" and not m.internal]
    agent = ticket.assignee.name if ticket.assignee is not None else ""
    return advise(
        suggester, drafter, ticket.subject, customer, ticket.lang, ticket.customer.name or "", public_link(settings),
        agent_name=agent, earlier_contacts=earlier + follow_ups(ticket),
    )


def follow_ups(ticket: Ticket) -> int:
    """Customer messages written after an agent's reply in this thread: each is the customer writing
    again about it (several messages in a row before any answer are one contact)."""
    count, answered = 0, False
    for message in ticket.messages:
        if message.internal:
            continue
        if message.author != "customer":
            answered = True
        elif answered:
            count, answered = count + 1, False
    return count


def precompute_suggestions(desk: Desk, engine: Engine, suggester: Suggester | None = None, limit: int = 100) -> int:
    """One bounded pass: (re)compute and store advice for up to `limit` tickets; returns how many.

    A draft that abstains records the ticket as a content gap here (once per ticket), not on a page view.
    """
    index_version = engine.store.version()
    if index_version is None:  # nothing indexed yet: advice now would be empty and stored as current
        return 0
    suggester = suggester or agent_suggester(engine, desk)
    done = 0
    for ticket_id in desk.advice.pending(index_version, limit):
        ticket = desk.tickets.get(ticket_id)
        if ticket is None:
            continue
        advice = ticket_advice(suggester, engine.drafter, ticket, engine.settings, earlier_contacts(desk, ticket))
        desk.advice.save(ticket.id, thread_version(ticket), index_version, advice.as_plain())
        if advice.suggestions is not None and advice.draft is not None and advice.draft.abstained:
            desk.events.content_gap(advice.suggestions.query, ticket.lang, ticket_id=ticket.id)
        done += 1
    return done


def page_advice(desk: Desk, engine: Engine, suggester: Suggester, ticket: Ticket, viewer: str) -> PageAdvice:
    """Stored advice when it matches the thread and the index; else computed now, without storing.

    The draft is signed by `viewer`, the agent the page is drawn for (`signed_by` says why): the
    stored draft was signed for the assignee, and another agent may be the one who sends it.
    """
    index_version = engine.store.version() or ""
    thread = thread_version(ticket)
    version = f"{thread}:{index_version}"
    stored = desk.advice.get(ticket.id)
    if stored is not None and stored.thread_version == thread and stored.index_version == index_version:
        return PageAdvice(for_viewer(TicketAdvice.from_plain(stored.payload), viewer), version, True)
    drafter = engine.drafter if isinstance(engine.drafter, GroundedDrafter) else GroundedDrafter()
    advice = ticket_advice(suggester, drafter, ticket, engine.settings, earlier_contacts(desk, ticket))
    return PageAdvice(for_viewer(advice, viewer), version, False)


def for_viewer(advice: TicketAdvice, viewer: str) -> TicketAdvice:
    """The advice with its draft signed by the agent viewing it."""
    draft = advice.draft
    if draft is None or draft.abstained or not draft.text:
        return advice
    return replace(advice, draft=replace(draft, text=signed_by(draft.text, viewer)))
