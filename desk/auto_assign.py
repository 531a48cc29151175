"""Automatic assignment per team (Zendesk's omnichannel routing, Chatwoot's inbox auto-assignment, Intercom's round
robin and balanced assignment): which available member of a team a ticket goes to.

A team turns it on in content/_business_hours.yml (`assignment: {mode: balanced, max_open: 10}`, desk.business_hours
checks it at start). Candidates are the team's members who are active and "Available" (the header's toggle,
`Agent.available`; a new agent starts away). `round_robin` picks the one auto-assigned longest ago in this team
(never: first, then by id); `balanced` the one with the fewest unsolved tickets assigned (the inbox's "unsolved":
desk.inbox.UNSOLVED, counted per member from the (assignee_id, status) index, never by reading the tickets), ties as
round robin. A member at or over `max_open` is skipped; nobody left: None, and the ticket stays unassigned until the
worker's `auto-assign` pass (`TicketStore.hand_out`) finds someone.

Languages (Zendesk's language skills, Intercom's and Chatwoot's routing by conversation language): a member whose
`Agent.languages` is set takes only tickets in one of them (None: every language). A ticket nobody available answers
waits; once it has waited KB_ROUTING_LANGUAGE_FALLBACK_MINUTES in its team (Zendesk's skills timeout, from its last
move or its arrival: desk.tickets.in_team_since; 0: never) the worker's pass may give it to any available member, and
the history says it went without the language.

Skills (Zendesk's skills-based routing, desk.skills): a ticket requiring skills (a trigger's `require_skills`, an
agent's ticks, the API) goes only to a member having all of them, besides its language. The same fallback drops both:
once the ticket has waited KB_ROUTING_LANGUAGE_FALLBACK_MINUTES, any available member may take it (a member with
the skills and the language first), and the history names the language and the skills it went without.

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
from typing import Literal, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from desk.business_hours import Assignment, BusinessHours
from desk.database import lock_rows
from desk.inbox import UNSOLVED
from desk.models import WORKING_ROLES, Agent, AgentSkill, AgentTeam, Ticket, as_utc

NEVER = datetime.min.replace(tzinfo=UTC)


def choose(session: Session, hours: BusinessHours, team_key: str, now: datetime, lang: str | None = None,
           any_language: bool = False, skills: frozenset[int] = frozenset()) -> Decision | None:
    """Who a ticket of team `team_key` in `lang` requiring `skills` goes to now (`decide`), in the caller's
    transaction, with the chosen
    member's round-robin time stamped; None when the team has no assignment rule. Locks the team's agents until the
    transaction ends."""
    team = hours.teams.get(team_key)
    if team is None or team.assignment is None:
        return None
    in_team = select(AgentTeam.agent_id).where(AgentTeam.team == team_key)
    lock_rows(session, Agent, Agent.id.in_(in_team))
    decision = decide(session, team.assignment, team_key, lang, any_language, skills)
    if decision.chosen is not None:
        session.execute(update(AgentTeam).where(AgentTeam.agent_id == decision.chosen, AgentTeam.team == team_key)
                        .values(last_auto_assigned_at=now))
    return decision


# Why a team with a rule hands a ticket to nobody: no active member is available, no available member answers in the
# ticket's language, or none of those has all its required skills (and it has not waited out
# KB_ROUTING_LANGUAGE_FALLBACK_MINUTES), or every available one who may take it is at max_open. The team status page
# (/agent/team-status) shows it beside the waiting tickets.
Blocked = Literal["nobody_available", "no_language", "no_skill", "all_at_max_open"]


@dataclass(frozen=True)
class Decision:
    """What the team's rule would do with a ticket now: the member it goes to (`chosen`), or why nobody (`blocked`);
    `without_language`: the member does not answer in the ticket's language, `without_skills`: the required skills
    they lack (the fallback after the wait)."""

    chosen: int | None
    blocked: Blocked | None
    rule: str  # the team's mode, named in the history
    without_language: bool = False
    without_skills: frozenset[int] = frozenset()


class Member(NamedTuple):
    agent_id: int
    last: datetime | None  # when this team's round robin last chose them (None: never)
    languages: list[str] | None  # the languages they answer in (None or empty: every one)
    skills: frozenset[int] = frozenset()  # the skills they have (desk.skills)


def answers(languages: list[str] | None, lang: str | None) -> bool:
    """Whether an agent answering in `languages` (None or empty: every one) takes a ticket in `lang` (None: any)."""
    return lang is None or not languages or lang in languages


def decide(session: Session, rule: Assignment, team_key: str, lang: str | None = None,
           any_language: bool = False, skills: frozenset[int] = frozenset()) -> Decision:
    """The rule's choice among the team's members now for a ticket in `lang` (None: whatever its language) requiring
    `skills`, reading only: `choose` takes it under its locks and stamps the round robin; the team status page reads
    it (no lock, no write) to say why tickets wait. Only members answering in `lang` and having every one of `skills`
    are candidates; with `any_language` (the ticket waited out the fallback) the others are when none of those can
    take it."""
    members = available_members(session, team_key)
    if not members:
        return Decision(None, "nobody_available", rule.mode)
    counts: dict[int, int] = {}
    if rule.mode == "balanced" or rule.max_open is not None:
        counts = unsolved_counts(session, [member.agent_id for member in members])
    speakers = [member for member in members if answers(member.languages, lang)]
    qualified = [member for member in speakers if skills <= member.skills]

    def open_to(group: list[Member]) -> list[Member]:
        return [member for member in group if rule.max_open is None or counts.get(member.agent_id, 0) < rule.max_open]

    candidates = open_to(qualified)
    if not candidates and any_language:
        candidates = open_to([member for member in members if member not in qualified])
    if not candidates:
        blocked: Blocked = "all_at_max_open" if qualified or any_language else (
            "no_skill" if speakers else "no_language")
        return Decision(None, blocked, rule.mode)

    def order(member: Member) -> tuple[int, datetime, int]:
        load = counts.get(member.agent_id, 0) if rule.mode == "balanced" else 0
        return load, as_utc(member.last) if member.last is not None else NEVER, member.agent_id

    chosen = min(candidates, key=order)
    return Decision(chosen.agent_id, None, rule.mode, not answers(chosen.languages, lang), skills - chosen.skills)


def available_members(session: Session, team_key: str) -> list[Member]:
    """The team's active, available members, with when its round robin last chose each, their languages and their
    skills (a second query, only when someone is available)."""
    rows = list(session.execute(
        select(AgentTeam.agent_id, AgentTeam.last_auto_assigned_at, Agent.languages)
        .join(Agent, Agent.id == AgentTeam.agent_id)
        .where(AgentTeam.team == team_key, Agent.active.is_(True), Agent.available.is_(True),
               Agent.role.in_(WORKING_ROLES))))
    skills: dict[int, set[int]] = {}
    if rows:
        for agent_id, skill_id in session.execute(select(AgentSkill.agent_id, AgentSkill.skill_id).where(
                AgentSkill.agent_id.in_([row[0] for row in rows]))):
            skills.setdefault(agent_id, set()).add(skill_id)
    return [Member(agent_id, last, languages, frozenset(skills.get(agent_id, ())))
            for agent_id, last, languages in rows]


def unsolved_counts(session: Session, agent_ids: list[int]) -> dict[int, int]:
    """Each agent's unsolved assigned tickets (absent: none), from ix_tickets_assignee_status alone."""
    rows = session.execute(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.in_(agent_ids), Ticket.status.in_(UNSOLVED)).group_by(Ticket.assignee_id))
    return {agent_id: count for agent_id, count in rows if agent_id is not None}
