"""Who is available and what waits for whom, per team (Zendesk's agent status and omnichannel routing dashboard,
Chatwoot's agent availability report, Intercom's team status): the lead's page /agent/team-status reads it.

Per team of the teams file (content/_business_hours.yml, in its order): its assignment rule, the unsolved tickets
waiting unassigned (a ticket without a team stored counts as the default team's, as the inbox and the worker's
`auto-assign` pass count it) and the oldest one's arrival, why they wait when the rule is on (desk.auto_assign.decide:
the very decision a new ticket would get, read without locks or writes) and, when someone would take a ticket, the
waiting tickets' languages nobody available can take ("waiting for an agent who answers Arabic", or for one with
room when every available speaker is at max_open: one decision per language waiting) and the skills (desk.skills)
waiting tickets require that no available member has ("waiting for an agent with the skill Billing": one decision per
skill waiting; a ticket requiring two skills each some member has, but no member both, is not told apart), and each
active member's availability, languages, skills, unsolved tickets assigned and last automatic assignment. Active
agents in no team are listed apart; deactivated agents and light agents (never assigned a ticket: no capacity)
nowhere. Memberships of a team the file no longer has are left out (the admin page shows them).

Reads only, in a handful of queries whatever the desk's size: the counts are grouped in SQL (unsolved per assignee
from ix_tickets_assignee_status alone, as balanced assignment counts them; waiting per team from its `assignee_id IS
NULL` range), never a loop over tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from desk.auto_assign import Blocked, decide, unsolved_counts
from desk.business_hours import Assignment, BusinessHours
from desk.database import Database
from desk.inbox import UNSOLVED
from desk.models import WORKING_ROLES, Agent, AgentSkill, AgentTeam, Skill, Ticket, TicketSkill
from desk.name_keys import name_key


@dataclass(frozen=True)
class MemberStatus:
    agent_id: int
    name: str
    email: str
    available: bool
    available_changed_at: datetime | None  # None: never changed since the upgrade that added it
    unsolved: int  # unsolved tickets assigned to them, every team's
    last_auto_assigned_at: datetime | None = None  # by this team's rule (None: never, or not in a team)
    max_open: int | None = None  # the team's cap, for the page to mark them at or over it
    languages: list[str] | None = None  # the languages they answer in (None: every one)
    skills: list[str] = field(default_factory=list)  # the skills they have, by name

    @property
    def at_cap(self) -> bool:
        return self.max_open is not None and self.unsolved >= self.max_open


class LanguageWait(NamedTuple):
    """Tickets of a team waiting in a language while someone would take another: nobody available answers it
    ("no_language"), or everyone available who does is at the team's max_open ("all_at_max_open")."""

    lang: str
    tickets: int  # how many wait in it
    reason: Blocked


@dataclass(frozen=True)
class TeamStatus:
    key: str
    name: str
    assignment: Assignment | None  # None: assigned by hand
    waiting: int  # unsolved tickets of the team with nobody assigned
    oldest_waiting: datetime | None  # when the oldest of them arrived
    blocked: Blocked | None  # with a rule: why nobody would get a ticket now (None: someone would)
    members: list[MemberStatus]
    # With a rule: the waiting tickets' languages nobody available can take, with how many wait in each and why
    language_waits: list[LanguageWait] = field(default_factory=list)
    # With a rule: the skills waiting tickets require that no available member has, by name, with how many wait
    skill_waits: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Floor:
    teams: list[TeamStatus]
    unteamed: list[MemberStatus]  # active agents in no team of the file


def team_status(db: Database, hours: BusinessHours) -> Floor:
    """Every team's status now (see the module's docstring)."""
    with db.session() as session:
        agents: list[tuple[int, str, str, bool, datetime | None, list[str] | None]] = [
            (agent_id, name, email, bool(available), changed, languages or None)
            for agent_id, name, email, available, changed, languages
            in session.execute(select(Agent.id, Agent.name, Agent.email, Agent.available, Agent.available_changed_at,
                                      Agent.languages)
                               .where(Agent.active.is_(True), Agent.role.in_(WORKING_ROLES))
                               .order_by(Agent.name, Agent.id))]
        counts = unsolved_counts(session, [agent[0] for agent in agents]) if agents else {}
        memberships: dict[str, dict[int, datetime | None]] = {}
        for agent_id, team_key, last in session.execute(
                select(AgentTeam.agent_id, AgentTeam.team, AgentTeam.last_auto_assigned_at)):
            memberships.setdefault(team_key, {})[agent_id] = last
        waiting: dict[str, tuple[int, datetime | None]] = {}
        by_language: dict[str, dict[str, int]] = {}
        for stored, lang, count, oldest in session.execute(
                select(Ticket.team, Ticket.lang, func.count(), func.min(Ticket.created_at))
                .where(Ticket.assignee_id.is_(None), Ticket.status.in_(UNSOLVED)).group_by(Ticket.team, Ticket.lang)):
            key = hours.default if stored is None else stored  # before routing: the default team's
            seen, first = waiting.get(key, (0, None))
            waiting[key] = seen + count, min((t for t in (first, oldest) if t is not None), default=None)
            languages = by_language.setdefault(key, {})
            languages[lang] = languages.get(lang, 0) + count
        by_skill: dict[str, dict[int, int]] = {}
        for stored, skill_id, count in session.execute(
                select(Ticket.team, TicketSkill.skill_id, func.count())
                .join(TicketSkill, TicketSkill.ticket_id == Ticket.id)
                .where(Ticket.assignee_id.is_(None), Ticket.status.in_(UNSOLVED))
                .group_by(Ticket.team, TicketSkill.skill_id)):
            skills = by_skill.setdefault(hours.default if stored is None else stored, {})
            skills[skill_id] = skills.get(skill_id, 0) + count
        skill_names = {skill_id: name for skill_id, name in session.execute(select(Skill.id, Skill.name))}
        had: dict[int, list[str]] = {}
        for agent_id, skill_id in session.execute(select(AgentSkill.agent_id, AgentSkill.skill_id)):
            had.setdefault(agent_id, []).append(skill_names[skill_id])
        blocked: dict[str, Blocked | None] = {}
        language_waits: dict[str, list[LanguageWait]] = {}
        skill_waits: dict[str, list[tuple[str, int]]] = {}
        for key, team in hours.teams.items():
            if team.assignment is not None:
                blocked[key] = decide(session, team.assignment, key).blocked
                if blocked[key] is None:
                    reasons = {lang: decide(session, team.assignment, key, lang).blocked
                               for lang in by_language.get(key, {})}
                    language_waits[key] = [LanguageWait(lang, count, reason)
                                           for lang, count in sorted(by_language.get(key, {}).items())
                                           if (reason := reasons[lang]) is not None]
                    skill_waits[key] = sorted(
                        ((skill_names[skill_id], count) for skill_id, count in by_skill.get(key, {}).items()
                         if decide(session, team.assignment, key, None,
                                   skills=frozenset({skill_id})).blocked == "no_skill"),
                        key=lambda wait: name_key(wait[0]))

    def member(row: tuple[int, str, str, bool, datetime | None, list[str] | None], last: datetime | None = None,
               max_open: int | None = None) -> MemberStatus:
        agent_id, name, email, available, changed, languages = row
        return MemberStatus(agent_id, name, email, available, changed, counts.get(agent_id, 0), last, max_open,
                            languages, sorted(had.get(agent_id, []), key=name_key))

    teams = []
    teamed: set[int] = set()
    for key, team in hours.teams.items():
        members = memberships.get(key, {})
        teamed.update(members)
        count, first = waiting.get(key, (0, None))
        cap = team.assignment.max_open if team.assignment is not None else None
        teams.append(TeamStatus(key, team.name, team.assignment, count, first, blocked.get(key),
                                [member(row, members[row[0]], cap) for row in agents if row[0] in members],
                                language_waits.get(key, []), skill_waits.get(key, [])))
    return Floor(teams, [member(row) for row in agents if row[0] not in teamed])
