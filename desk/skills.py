"""Skills (Zendesk's skills-based routing; Intercom's and Chatwoot's assignment rules by attribute are the nearest):
an admin defines skills ("Billing", "VIP", "iOS") on the admin page and gives agents skills; a ticket requires skills,
put there by a trigger's or automation's `require_skills` action (desk.triggers: any condition the rules have can
route) or by hand on the ticket page or through the API's `skills`; automatic assignment (desk.auto_assign) hands a
ticket only to an available member having all of them, until KB_ROUTING_LANGUAGE_FALLBACK_MINUTES, the same timeout
as the language's.

Skills live in the database, not in a rule file: `kb lint` cannot read the database, and a ticket's skills are rows
(`TicketSkill`). A name is tidied (`tidy_name`), at most MAX_SKILL characters, unique by its folded key ("VIP" and
"vip" are one skill). Deleting a skill drops it from every agent and ticket (the history keeps its name where it was
added) and marks the saved views filtering by it (desk.saved_views: they match nothing after); a trigger still naming
it is the rule file's problem (the admin page lists it, the running rules skip it and say so in the ticket's
history).

Every write is one transaction, refused whole with an InputError naming its field: `name` (empty, too long, taken),
`skill` (no such skill, by id), `skills` / `skills[N]` (a ticket's or agent's list naming one the desk lacks). Admin
changes are audited (`skill_created`, `skill_renamed`, `skill_deleted`; an agent's as `skills_changed`); a ticket's
are rows of its history (`TicketSkillChange`: by an agent, a rule, or the API, whose token the audit log names).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.audit import SYSTEM, Actor, record
from desk.database import Database, lock_row, lock_rows
from desk.models import (
    MAX_SKILL,
    Agent,
    AgentSkill,
    SavedView,
    Skill,
    Ticket,
    TicketSkill,
    TicketSkillChange,
    stored_names,
    utcnow,
)
from desk.name_keys import name_key, tidy_name
from desk.tickets import InputError, row_by_id
from desk.translatable import N_
from desk.webhooks import note_change


@dataclass(frozen=True)
class SkillRow:
    id: int
    name: str
    agents: int = 0  # agents having it
    tickets: int = 0  # tickets requiring it


def clean_skill_name(raw: object, field: str = "name") -> str:
    """A skill's name as stored: tidied, 1 to MAX_SKILL characters, else an InputError naming `field`."""
    name = tidy_name(raw) if isinstance(raw, str) else ""
    if not name:
        raise InputError(field, N_("a skill needs a name"))
    if len(name) > MAX_SKILL:
        raise InputError(field, N_("a skill's name is at most %(limit)s characters, not %(count)s"),
                         limit=MAX_SKILL, count=len(name))
    return name


def names_of(session: Session, skill_ids: Iterable[int]) -> list[str]:
    """The skills' names, in name order (a deleted one is left out)."""
    ids = set(skill_ids)
    if not ids:
        return []
    return sorted(session.scalars(select(Skill.name).where(Skill.id.in_(ids))), key=name_key)


def ticket_skill_ids(session: Session, ticket_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Each ticket's required skills (absent: none), one query."""
    found: dict[int, set[int]] = {}
    if ticket_ids:
        for ticket_id, skill_id in session.execute(select(TicketSkill.ticket_id, TicketSkill.skill_id)
                                                   .where(TicketSkill.ticket_id.in_(list(ticket_ids)))):
            found.setdefault(ticket_id, set()).add(skill_id)
    return {ticket_id: frozenset(ids) for ticket_id, ids in found.items()}


def names_of_many(session: Session, ticket_ids: Sequence[int] | Select[Any]) -> dict[int, list[str]]:
    """Each ticket's required skills by name, in name order (absent: none), one query: the API's `skills`. The
    tickets by id, or a query of their ids (run in SQL: no list of ids)."""
    found: dict[int, list[str]] = {}
    if isinstance(ticket_ids, Select) or ticket_ids:
        for ticket_id, name in session.execute(select(TicketSkill.ticket_id, Skill.name)
                                               .join(Skill, Skill.id == TicketSkill.skill_id)
                                               .where(TicketSkill.ticket_id.in_(ticket_ids if isinstance(
                                                   ticket_ids, Select) else list(ticket_ids)))):
            found.setdefault(ticket_id, []).append(name)
    return {ticket_id: sorted(names, key=name_key) for ticket_id, names in found.items()}


def held(session: Session, skill_ids: Iterable[int]) -> set[int]:
    """Those of the skills that are still there, held until the transaction ends: a skill read before and deleted by
    another request since (or while this one writes) is not given to a ticket or an agent, whose row for it the
    database then refused (a foreign key: a 500, nothing said). PostgreSQL: FOR KEY SHARE, which a deletion waits
    for (`Skills.delete`) but two requests giving the same skill, or a trigger requiring it, do not; SQLite: the
    database's write lock."""
    ids = set(skill_ids)
    if not ids:
        return set()
    query = select(Skill.id).where(Skill.id.in_(ids)).order_by(Skill.id)
    if session.get_bind().dialect.name == "postgresql":
        return set(session.scalars(query.with_for_update(key_share=True)))
    lock_rows(session, Skill, Skill.id.in_(ids))
    return set(session.scalars(query))


def _no_skill(field: str, shown: str, session: Session) -> InputError:
    there = ", ".join(sorted(session.scalars(select(Skill.name)), key=name_key)) or "-"
    return InputError(field, N_("no skill %(skill)s; the skills are %(skills)s"), skill=shown, skills=there[:300])


def by_names(session: Session, names: Sequence[object], field: str = "skills") -> list[int]:
    """The ids of the skills named (folded: "vip" is "VIP"), in order, each once, held (`held`); a name that is not a
    skill, or not a string, or one deleted meanwhile, refused naming `field[N]` and the skills there are."""
    keys = {key: skill_id for skill_id, key in session.execute(select(Skill.id, Skill.name_key))}
    found: dict[int, int] = {}  # skill id -> the number of the first name naming it
    for number, name in enumerate(names):
        skill_id = keys.get(name_key(name)) if isinstance(name, str) else None
        if skill_id is None:
            raise _no_skill(f"{field}[{number}]", repr(str(name)[:MAX_SKILL]), session)
        found.setdefault(skill_id, number)
    kept = held(session, found)
    if gone := [number for skill_id, number in found.items() if skill_id not in kept]:
        raise _no_skill(f"{field}[{gone[0]}]", repr(str(names[gone[0]])[:MAX_SKILL]), session)
    return list(found)


def by_ids(session: Session, raw: Iterable[object], field: str = "skills") -> list[int]:
    """The skills of a form's ticks (ids as text), each once, held (`held`); one that is not a skill's id, or one
    deleted meanwhile, refused naming `field`."""
    have = set(session.scalars(select(Skill.id)))
    found: list[int] = []
    for value in raw:
        text = str(value).strip()
        skill_id = int(text) if text.isdecimal() and len(text) <= 12 else None
        if skill_id not in have:
            raise InputError(field, N_("no skill %(skill)s"), skill=repr(text[:20]))
        if skill_id not in found:
            found.append(skill_id)
    kept = held(session, found)
    if gone := [skill_id for skill_id in found if skill_id not in kept]:
        raise InputError(field, N_("no skill %(skill)s"), skill=repr(str(gone[0])))
    return found


def require_in(session: Session, ticket: Ticket, skill_ids: Iterable[int], agent_id: int | None = None,
               trigger: str | None = None, add_only: bool = False, now: datetime | None = None) -> bool:
    """Make `skill_ids` the ticket's required skills (`add_only`: add them to those it has, as a rule's
    `require_skills` does), in the caller's transaction; a history row says what was added and removed and by whom
    (`agent_id`, a `trigger`'s name, neither: the API or the desk), and the outbound webhooks hear it (a
    `ticket.updated` naming `skills`). Whether anything changed."""
    have = set(session.scalars(select(TicketSkill.skill_id).where(TicketSkill.ticket_id == ticket.id)))
    wanted = set(skill_ids) | (have if add_only else set())
    added, removed = wanted - have, have - wanted
    if not added and not removed:
        return False
    note_change(session, ticket.id, "skills", names_of(session, have), names_of(session, wanted))
    if removed:
        session.execute(delete(TicketSkill).where(TicketSkill.ticket_id == ticket.id,
                                                  TicketSkill.skill_id.in_(removed)))
    session.add_all(TicketSkill(ticket_id=ticket.id, skill_id=skill_id) for skill_id in sorted(added))
    when = now or utcnow()
    session.add(TicketSkillChange(ticket_id=ticket.id, agent_id=agent_id, trigger_name=trigger,
                                  added=stored_names(names_of(session, added)),
                                  removed=stored_names(names_of(session, removed)), created_at=when))
    ticket.updated_at = when
    return True


def _tell_tickets(session: Session, skill: Skill, renamed: str | None) -> None:
    """Tell the outbound webhooks of each ticket requiring `skill` (a `ticket.updated` naming `skills`, as desk.tags
    tells a tag renamed or deleted across tickets): it is `renamed`, or (None) deleted. Before the change."""
    requiring = select(TicketSkill.ticket_id).where(TicketSkill.skill_id == skill.id)
    for ticket_id, before in names_of_many(session, requiring).items():
        after = [name for name in before if name != skill.name] + ([renamed] if renamed is not None else [])
        note_change(session, ticket_id, "skills", before, sorted(after, key=name_key))


class Skills:
    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[SkillRow]:
        """Every skill in name order, with how many agents have it and how many tickets require it (two grouped
        counts)."""
        with self.db.session() as session:
            agents = {skill_id: count for skill_id, count in session.execute(
                select(AgentSkill.skill_id, func.count()).group_by(AgentSkill.skill_id))}
            tickets = {skill_id: count for skill_id, count in session.execute(
                select(TicketSkill.skill_id, func.count()).group_by(TicketSkill.skill_id))}
            rows = [SkillRow(skill_id, name, agents.get(skill_id, 0), tickets.get(skill_id, 0))
                    for skill_id, name in session.execute(select(Skill.id, Skill.name))]
        return sorted(rows, key=lambda row: name_key(row.name))

    def choices(self) -> list[tuple[int, str]]:
        """Every skill's id and name, in name order (the inbox's skill filter)."""
        with self.db.session() as session:
            rows = [(skill_id, name) for skill_id, name in session.execute(select(Skill.id, Skill.name))]
        return sorted(rows, key=lambda row: name_key(row[1]))

    def named(self, name: str) -> int | None:
        """The id of the skill named `name` (tidied and folded as a name is stored: "vip" is "VIP"), None when there is
        none (the API's filter)."""
        with self.db.session() as session:  # " VIP\u200b" is "VIP", as the admin page would have stored it
            return session.scalar(select(Skill.id).where(Skill.name_key == name_key(tidy_name(name))))

    def of_agents(self) -> dict[int, list[int]]:
        """Every agent's skill ids (the admin page's ticks)."""
        found: dict[int, list[int]] = {}
        with self.db.session() as session:
            for agent_id, skill_id in session.execute(select(AgentSkill.agent_id, AgentSkill.skill_id)):
                found.setdefault(agent_id, []).append(skill_id)
        return found

    def of_ticket(self, ticket_id: int) -> list[SkillRow]:
        """The skills the ticket requires, in name order."""
        with self.db.session() as session:
            rows = [SkillRow(skill_id, name) for skill_id, name in session.execute(
                select(Skill.id, Skill.name).join(TicketSkill, TicketSkill.skill_id == Skill.id)
                .where(TicketSkill.ticket_id == ticket_id))]
        return sorted(rows, key=lambda row: name_key(row.name))

    def create(self, raw_name: object, by: Actor = SYSTEM) -> int:
        """A new skill (`name` refused when empty, too long or taken); audited. Its id."""
        name = clean_skill_name(raw_name)

        def write(session: Session) -> int:
            self._free(session, name, None)
            skill = Skill(name=name, name_key=name_key(name), created_at=utcnow())
            session.add(skill)
            self._flush_named(session, name)
            record(session, by, "skill_created", "skill", skill.id, after={"name": name})
            return skill.id

        return self.db.write(write)

    def rename(self, skill_id: int, raw_name: object, by: Actor = SYSTEM) -> bool:
        """Rename a skill (its agents and tickets keep it); audited. Whether the name changed."""
        name = clean_skill_name(raw_name)

        def write(session: Session) -> bool:
            skill = self._skill(session, skill_id)
            if skill.name == name:
                return False
            self._free(session, name, skill.id)
            record(session, by, "skill_renamed", "skill", skill.id, before={"name": skill.name}, after={"name": name})
            _tell_tickets(session, skill, name)
            skill.name, skill.name_key = name, name_key(name)
            self._flush_named(session, name)
            return True

        return self.db.write(write)

    def delete(self, skill_id: int, by: Actor = SYSTEM) -> str:
        """Delete a skill: it drops off every agent and ticket at once (no history row per ticket: the audit event
        counts them, and the saved views filtering by it, which keep minus its id); audited. Its name."""

        def write(session: Session) -> str:
            lock_row(session, Skill, skill_id)  # another deletion or a rename waits
            skill = self._skill(session, skill_id)
            # PostgreSQL: the requests giving it (`held`, FOR KEY SHARE, which the no-op UPDATE above does not wait
            # for) end first; a view saved meanwhile waited on the row above and is marked with the others.
            lock_rows(session, Skill, Skill.id == skill.id)
            _tell_tickets(session, skill, None)
            agents = session.execute(  # type: ignore[attr-defined]
                delete(AgentSkill).where(AgentSkill.skill_id == skill.id)).rowcount
            tickets = session.execute(  # type: ignore[attr-defined]
                delete(TicketSkill).where(TicketSkill.skill_id == skill.id)).rowcount
            # Its saved views keep minus its id (desk.saved_views): they match nothing and say it was deleted.
            views = session.execute(update(SavedView).where(SavedView.skill == skill.id)  # type: ignore[attr-defined]
                                    .values(skill=-skill.id)).rowcount
            record(session, by, "skill_deleted", "skill", skill.id, before={"name": skill.name},
                   after={"agents": agents, "tickets": tickets, "views": views})
            name = skill.name
            session.delete(skill)
            return name

        return self.db.write(write)

    def set_agent(self, agent_id: int, raw: Iterable[object], by: Actor = SYSTEM) -> list[str]:
        """Make the ticked skills (ids) the agent's; one the desk lacks is refused naming `skills`, nothing written.
        Audited as `skills_changed` (before and after by name) when it changed. The agent's skills' names."""
        ticked = list(raw)

        def write(session: Session) -> list[str]:
            if row_by_id(session, Agent, agent_id) is None:
                raise InputError("agent", N_("no agent %(agent)s"), agent=agent_id)
            wanted = set(by_ids(session, ticked))
            have = set(session.scalars(select(AgentSkill.skill_id).where(AgentSkill.agent_id == agent_id)))
            if wanted != have:
                before = names_of(session, have)
                if have - wanted:
                    session.execute(delete(AgentSkill).where(AgentSkill.agent_id == agent_id,
                                                             AgentSkill.skill_id.in_(have - wanted)))
                session.add_all(AgentSkill(agent_id=agent_id, skill_id=skill_id) for skill_id in wanted - have)
                record(session, by, "skills_changed", "agent", agent_id, before={"skills": before},
                       after={"skills": names_of(session, wanted)})
            return names_of(session, wanted)

        return self.db.write(write)

    def set_ticket(self, ticket_id: int, raw: Iterable[object], agent_id: int | None) -> bool:
        """The ticket page's ticks (ids) as the ticket's required skills, by `agent_id`; a closed ticket refused
        (`changeable`), one the desk lacks refused naming `skills`. Whether anything changed."""
        from desk.tickets import changeable

        ticked = list(raw)

        def write(session: Session) -> bool:
            wanted = by_ids(session, ticked)  # refused before the ticket's lock: nothing written
            return require_in(session, changeable(session, ticket_id), wanted, agent_id)

        return self.db.write(write)

    @staticmethod
    def _skill(session: Session, skill_id: int) -> Skill:
        skill = row_by_id(session, Skill, skill_id)
        if skill is None:
            raise InputError("skill", N_("no skill %(skill)s"), skill=skill_id)
        return skill

    @staticmethod
    def _flush_named(session: Session, name: str) -> None:
        """Write the named skill now: the name was free when `_free` looked, but another request (a second admin, a
        double click on Add) may have taken it since; the unique index then says so, and the admin gets the name's
        error, not a 500 (the transaction rolls back: nothing written)."""
        try:
            session.flush()
        except IntegrityError:
            raise InputError("name", N_("a skill named %(name)s exists already"), name=repr(name)) from None

    @staticmethod
    def _free(session: Session, name: str, own: int | None) -> None:
        """Refuse `name` when another skill has its key."""
        other = session.scalar(select(Skill.id).where(Skill.name_key == name_key(name)))
        if other is not None and other != own:
            raise InputError("name", N_("a skill named %(name)s exists already"), name=repr(name))
