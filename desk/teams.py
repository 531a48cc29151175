"""Which agents belong to which teams (Zendesk's groups, Chatwoot's teams): the admin page and `kb teams` set it
(both through `set_in`), and the workspace reads it for "My teams' tickets", to list a ticket's team's agents first
in its assignee picker, and to unassign a ticket moved to a team its assignee is not in.

Teams themselves are defined once, in content/_business_hours.yml (desk.business_hours): a membership is an
agent and a team key there. A key that later leaves the file keeps its rows (the file may come back, and a
removed team's members are worth seeing); pages show it as unknown, and an admin may drop it, never add it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desk.audit import SYSTEM, Actor, record
from desk.business_hours import BusinessHours
from desk.database import Database
from desk.models import Agent, AgentTeam, utcnow
from desk.tickets import InputError, row_by_id
from desk.translatable import N_


class Teams:
    def __init__(self, db: Database, hours: BusinessHours) -> None:
        self.db = db
        self.hours = hours

    def of(self, agent_id: int) -> list[str]:
        """The agent's team keys, in the file's order (unknown ones after, by name)."""
        with self.db.session() as session:
            return self.ordered(self.keys_in(session, agent_id))

    def memberships(self) -> dict[int, list[str]]:
        """Every agent's team keys (the admin page): agent id -> keys, as `of` orders them."""
        found: dict[int, list[str]] = {}
        with self.db.session() as session:
            for agent_id, team in session.execute(select(AgentTeam.agent_id, AgentTeam.team)):
                found.setdefault(agent_id, []).append(team)
        return {agent_id: self.ordered(keys) for agent_id, keys in found.items()}

    def ordered(self, keys: Iterable[str]) -> list[str]:
        order = {key: number for number, key in enumerate(self.hours.teams)}
        return sorted(set(keys), key=lambda key: (order.get(key, len(order)), key))

    def members(self, team: str) -> set[int]:
        """The ids of the agents in team `team` (the ticket page's assignee picker lists them first)."""
        with self.db.session() as session:
            return set(session.scalars(select(AgentTeam.agent_id).where(AgentTeam.team == team)))

    def set_teams(self, agent_id: int, keys: Iterable[str], by: Actor = SYSTEM) -> list[str]:
        """Make `keys` the agent's teams (the admin page's ticks; none: in no team); see `set_in`. Again while the
        database is busy (the keys read once, for every try)."""
        chosen = list(keys)
        return self.db.write(lambda session: self.set_in(session, agent_id, chosen, by))

    def add(self, email: str, key: str, by: Actor = SYSTEM) -> list[str]:
        """Put the agent (by email) in team `key` as well (`kb teams add`; already in it: unchanged), by the admin
        page's rules (`set_in`). Returns the agent's teams."""

        def write(session: Session) -> list[str]:
            agent_id = self._agent_id(session, email)
            return self.set_in(session, agent_id, [*self.keys_in(session, agent_id), key], by)

        return self.db.write(write)  # again while the database is busy

    def remove(self, email: str, key: str, by: Actor = SYSTEM) -> list[str]:
        """Take the agent (by email) out of team `key` (`kb teams remove`). A key that is neither a team of the file
        nor one of the agent's is refused naming the teams; a team the agent is not in, naming the agent. Returns
        the agent's teams."""
        key = key.strip()

        def write(session: Session) -> list[str]:
            agent_id = self._agent_id(session, email)
            have = self.keys_in(session, agent_id)
            if key not in have:
                if key not in self.hours.teams:
                    raise self._no_team("team", key)
                raise InputError("team", N_("%(email)s is not in team %(team)s"), email=email.strip().lower(),
                                 team=repr(key))
            return self.set_in(session, agent_id, have - {key}, by)

        return self.db.write(write)  # again while the database is busy

    def set_in(self, session: Session, agent_id: int, keys: Iterable[str], by: Actor = SYSTEM) -> list[str]:
        """Make `keys` the agent's teams in the caller's transaction: the one place memberships are written (the
        admin page, `kb teams`, the demo's seed). Each must be a team of the file, or one the agent is in already
        (a team the file no longer has may be kept or dropped, not added); otherwise nothing is written and the
        error names the field `teams`. Each team joined or left is audited as `by`'s ("team_member_added",
        "team_member_removed", the team the subject: "who changed this team's members")."""
        wanted = {key.strip() for key in keys if key.strip()}
        if row_by_id(session, Agent, agent_id) is None:
            raise InputError("agent", N_("no agent %(agent)s"), agent=agent_id)
        have = self.keys_in(session, agent_id)
        for key in sorted(wanted - have):
            if key not in self.hours.teams:
                raise self._no_team("teams", key)
        if have - wanted:
            session.execute(delete(AgentTeam).where(AgentTeam.agent_id == agent_id,
                                                    AgentTeam.team.in_(have - wanted)))
        session.add_all(AgentTeam(agent_id=agent_id, team=key, created_at=utcnow()) for key in wanted - have)
        for key in sorted(have - wanted):
            record(session, by, "team_member_removed", "team", key, before={"agent": agent_id})
        for key in sorted(wanted - have):
            record(session, by, "team_member_added", "team", key, after={"agent": agent_id})
        return self.ordered(wanted)

    def _no_team(self, field: str, key: str) -> InputError:
        return InputError(field, N_("no team %(team)s; the teams are %(teams)s"),
                          team=repr(key[:40]), teams=", ".join(self.hours.teams))

    @staticmethod
    def keys_in(session: Session, agent_id: int) -> set[str]:
        """The agent's team keys as the caller's transaction sees them (unordered: see `ordered`)."""
        return set(session.scalars(select(AgentTeam.team).where(AgentTeam.agent_id == agent_id)))

    @staticmethod
    def _agent_id(session: Session, email: str) -> int:
        address = email.strip().lower()
        agent_id = session.scalar(select(Agent.id).where(Agent.email == address))
        if agent_id is None:
            raise InputError("email", N_("no agent %(email)s"), email=repr(address[:320]))
        return agent_id
