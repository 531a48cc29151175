"""Automatic assignment per team (Zendesk's omnichannel routing, Chatwoot's inbox auto-assignment, Intercom's round
robin and balanced assignment): which available member of a team a ticket goes to.

A team turns it on in content/_business_hours.yml (`assignment: {mode: balanced, max_open: 10}`, desk.business_hours
checks it at start). Candidates are the team's members who are active and "Available" (the header's toggle,
`Agent.available`; a new agent starts away). `round_robin` picks the one auto-assigned longest ago in this team
(never: first, then by id); `balanced` the one with the fewest unsolved tickets assigned (the inbox's "unsolved":
desk.inbox.UNSOLVED, counted per member from the (assignee_id, status) index, never by reading the tickets), ties as
round robin. A member at or over `max_open` is skipped; nobody left: None, and the ticket stays unassigned until the
worker's `auto-assign` pass (`TicketStore.hand_out`) finds someone.

Concurrency: `choose` first locks the team's members' agent rows (desk.database.lock_rows: id order on PostgreSQL,
SQLite's write lock), so two tickets arriving at once for one team are decided one after the other, each seeing the
other's assignment and round-robin stamp: neither max_open nor the rotation can be passed by a race. An agent in two
teams is one row, so two teams' assignments wait for each other over a shared member too.

`decide` is the choice itself, reading only: `choose` takes it under the locks, and the lead's team status page
(desk.team_status) reads it to say why a team's tickets wait (nobody available, or everyone available at max_open).

This module decides; desk.tickets writes the assignment (`record_assignee`, naming the rule in the history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from desk.business_hours import Assignment, BusinessHours
from desk.database import lock_rows
from desk.inbox import UNSOLVED
from desk.models import WORKING_ROLES, Agent, AgentTeam, Ticket, as_utc

NEVER = datetime.min.replace(tzinfo=UTC)


def choose(session: Session, hours: BusinessHours, team_key: str, now: datetime) -> tuple[int, str] | None:
    """The agent a ticket of team `team_key` goes to now, and the rule that chose them (the team's mode), in the
    caller's transaction, with the member's round-robin time stamped; None when the team has no assignment, nobody is
    available or every available member is at max_open. Locks the team's agents until the transaction ends."""
    team = hours.teams.get(team_key)
    if team is None or team.assignment is None:
        return None
    in_team = select(AgentTeam.agent_id).where(AgentTeam.team == team_key)
    lock_rows(session, Agent, Agent.id.in_(in_team))
    decision = decide(session, team.assignment, team_key)
    if decision.chosen is None:
        return None
    session.execute(update(AgentTeam).where(AgentTeam.agent_id == decision.chosen, AgentTeam.team == team_key)
                    .values(last_auto_assigned_at=now))
    return decision.chosen, team.assignment.mode


# Why a team with a rule hands a ticket to nobody: no active member is available, or every available one is at
# max_open. The team status page (/agent/team-status) shows it beside the waiting tickets.
Blocked = Literal["nobody_available", "all_at_max_open"]


@dataclass(frozen=True)
class Decision:
    """What the team's rule would do with a ticket now: the member it goes to (`chosen`), or why nobody (`blocked`)."""

    chosen: int | None
    blocked: Blocked | None


def decide(session: Session, rule: Assignment, team_key: str) -> Decision:
    """The rule's choice among the team's members now, reading only: `choose` takes it under its locks and stamps the
    round robin; the team status page reads it (no lock, no write) to say why tickets wait."""
    members = available_members(session, team_key)
    if not members:
        return Decision(None, "nobody_available")
    counts: dict[int, int] = {}
    if rule.mode == "balanced" or rule.max_open is not None:
        counts = unsolved_counts(session, [agent_id for agent_id, _ in members])
    candidates = [(agent_id, last) for agent_id, last in members
                  if rule.max_open is None or counts.get(agent_id, 0) < rule.max_open]
    if not candidates:
        return Decision(None, "all_at_max_open")

    def order(member: tuple[int, datetime | None]) -> tuple[int, datetime, int]:
        agent_id, last = member
        load = counts.get(agent_id, 0) if rule.mode == "balanced" else 0
        return load, as_utc(last) if last is not None else NEVER, agent_id

    chosen, _ = min(candidates, key=order)
    return Decision(chosen, None)


def available_members(session: Session, team_key: str) -> list[tuple[int, datetime | None]]:
    """The team's active, available members, with when its round robin last chose each (None: never)."""
    return [(agent_id, last) for agent_id, last in session.execute(
        select(AgentTeam.agent_id, AgentTeam.last_auto_assigned_at).join(Agent, Agent.id == AgentTeam.agent_id)
        .where(AgentTeam.team == team_key, Agent.active.is_(True), Agent.available.is_(True),
               Agent.role.in_(WORKING_ROLES)))]


def unsolved_counts(session: Session, agent_ids: list[int]) -> dict[int, int]:
    """Each agent's unsolved assigned tickets (absent: none), from ix_tickets_assignee_status alone."""
    rows = session.execute(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.in_(agent_ids), Ticket.status.in_(UNSOLVED)).group_by(Ticket.assignee_id))
    return {agent_id: count for agent_id, count in rows if agent_id is not None}
