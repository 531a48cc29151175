"""Mail to an agent when someone else assigns them a ticket or a note @mentions them (Zendesk's "Notify assignee of
assignment" trigger and its @mention notification, Chatwoot's "email me when a conversation is assigned to me" and
"when I am mentioned"): the in-app "Mentions" view (desk.inbox) reaches an agent only while they look at it.

- **Who**: the assignee (`desk.tickets.record_assignee`, the one place every assignment passes: by hand, in bulk, by
  routing, by a trigger) and each agent a note mentions (desk.notes; a light agent too). Never the agent who did it
  themselves (taking a ticket, mentioning oneself), never an inactive agent, never one who turned it off on their
  profile (`Agent.notify_assigned`, `Agent.notify_mentioned`; on by default, as Chatwoot's). An agent set "away" is
  still mailed: away stops automatic assignment, not mail (Zendesk and Chatwoot mail whatever the agent's status;
  away is when the mail matters most).
- **One mail per ticket**: a bulk assignment of 50 tickets is 50 mails, as Zendesk's per-ticket trigger sends them,
  each threaded with the ticket's earlier notices to that agent (desk.mail.compose), so a mail client shows one
  conversation per ticket.
- **How**: queued in the transaction of the assignment or the note (`desk.mail.outbox.queue_mail`: it exists exactly
  when what caused it does, is retried and never blocks the request), with the ticket's id so a deleted ticket's wait
  and an erased customer's go with the rest of its mail; never part of the customer's thread (its References, the
  ticket's delivery states, a reply matched to the ticket). The note's text goes to the agent only: an internal note
  is never mailed to the customer, and the mail says so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from desk.mail.outbox import queue_mail
from desk.models import AGENT_NOTICE_KINDS, Agent, OutboxMail, Ticket
from kb.message_text import cut_at_word

ASSIGNED, MENTIONED = AGENT_NOTICE_KINDS
NOTE_CHARS = 2000  # a longer note is cut at a word, with "…": the ticket has the whole


def wants(agent: Agent, kind: str) -> bool:
    """The agent's choice on their profile for this kind of mail."""
    return bool(agent.notify_assigned if kind == ASSIGNED else agent.notify_mentioned)


def notify_agent(session: Session, kind: str, ticket: Ticket, agent_id: int, by_agent_id: int | None, *,
                 trigger: str | None = None, rule: str | None = None, note: str = "") -> OutboxMail | None:
    """Queue the mail telling `agent_id` that `by_agent_id` (None: the desk itself, `trigger` or routing's `rule`)
    assigned them `ticket` or mentioned them in a note (`note`, its text); None when it is not sent (their own doing,
    an inactive agent, the mail turned off)."""
    agent = session.get(Agent, agent_id)
    if agent is None or agent_id == by_agent_id or not agent.active or not wants(agent, kind):
        return None
    by = session.get(Agent, by_agent_id) if by_agent_id is not None else None
    payload: dict[str, Any] = {"name": agent.name or "", "by": (by.name or by.email) if by is not None else "",
                               "trigger": trigger or "", "rule": rule or "", "note": cut_at_word(note, NOTE_CHARS)}
    # The agent's interface language; none chosen (or one the site no longer has): the site's first, when composed.
    return queue_mail(session, kind, ticket, agent.email, agent.locale or "", payload=payload)
