"""Agents' own inbox views (Zendesk's personal views, Chatwoot's custom views), and shared ones.

An agent saves the inbox's current filters (the built-in view they narrow, status, language, team, tag, search
text and sort) under a name; the view is listed under the built-in ones with its count, and its owner renames or
deletes it. A lead or an admin may share a view with everyone (Zendesk's shared views), and manage any shared
view. A saved view is only an `InboxQuery` with a name: its page and its count come from `desk.inbox.Inbox` and
the same clauses as the built-in views, so the two can never disagree. "Mine" in a shared view is the reader's.

Filters are checked when saved (the inbox's URL forgives a bad value by falling back; a saved view would keep
the mistake for good): an unknown value is refused with the field named and the values it may take.

Custom ticket field filters (`field.<key>`, a dropdown's option or a checkbox's true/false: what the inbox's selects
offer) are kept with the view, stored as normalised (`field.vip=1` keeps "true"). A field the fields file later loses
stays in the view and still narrows it (its tickets keep their values, as the ticket page shows them); the page names
it "key (not in the fields file)". A new save may only name the file's dropdown and checkbox fields. A view also
keeps the fields it shows as columns (`columns`, as Zendesk's view columns are per view) and may sort by one
("field.<key>"). Customer field filters (`customer.<key>`: the ticket's customer holds that value, desk.customer_fields)
are checked and kept the same way, in the same column under their prefix (a ticket field's key holds no dot).

A view keeps the inbox's "side conversation replied" filter (`side_replied`, desk.inbox.InboxQuery) and its
organization filter too (`organization`, an organization's id, checked to exist when saved,
its row held so a delete at the same moment either comes first, and the save is refused, or finds the view). Deleting
the organization (desk.organizations) stores minus its id in its views: such a view still opens, matches nothing
(no customer's organization is negative) and the page names it "organization N (deleted)"; a later organization
given the same id (SQLite reuses the highest) is not taken for it. It keeps the problem filters as well (`problems`:
only problem tickets; `incidents_of`: a problem's number, its incidents; desk.problems), the number not checked to
exist, as an organization's is: the view outlives the ticket.

Its columns may also name customer fields (`customer.<key>`, Zendesk's requester fields as view columns), checked
against the customer fields file as its filters are, and it may sort by one ("customer.<key>": tickets whose customer
has none last); a customer field the file loses stays shown and sorted, as a ticket field does. It keeps a skill filter
(`skill`, a skill's id: the tickets requiring it; desk.skills, Zendesk's views' "Skills" condition), checked to exist
and held when saved as an organization is; deleting the skill stores minus its id in its views, which then match
nothing and name it "skill N (deleted)", a later skill given the same id not taken for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.business_hours import BusinessHours
from desk.database import Database, lock_row
from desk.inbox import CUSTOMER_SORT, FIELD_SORT, SORTS, VIEWS, InboxQuery
from desk.models import SAVED_VIEW_NAME, TICKET_STATUSES, Agent, Organization, SavedView, Skill
from desk.name_keys import mixed_script_word, name_key, tidy_name
from desk.tags import clean_tag
from desk.tickets import MAX_ROW_ID, InputError, agent_row, plain_text, row_by_id, ticket_number
from desk.translatable import N_
from kb.arabic import typed_digits
from kb.customer_fields import CUSTOMER_PREFIX, CustomerFields  # a customer field's filter: `fields` under it
from kb.ticket_fields import FieldSet, FieldValueError, TicketFields

MAX_NAME = SAVED_VIEW_NAME
MAX_Q = 200
SHARERS = ("lead", "admin")
FILTERABLE = ("dropdown", "checkbox")  # the field types the inbox filters by (its selects)
FIELD_PREFIX = "field."


@dataclass(frozen=True)
class Saved:
    id: int
    agent_id: int  # the owner
    name: str
    shared: bool
    query: InboxQuery

    @classmethod
    def of(cls, row: SavedView) -> Saved:
        return cls(row.id, row.agent_id, row.name, row.shared, InboxQuery(
            view=row.view, status=row.status, lang=row.lang, team=row.team, tag=row.tag, q=row.q, sort=row.sort,
            fields=tuple(sorted((str(key), str(value)) for key, value in (row.fields or {}).items()
                                if not str(key).startswith(CUSTOMER_PREFIX))),
            customer_fields=tuple(sorted((str(key)[len(CUSTOMER_PREFIX):], str(value))
                                         for key, value in (row.fields or {}).items()
                                         if str(key).startswith(CUSTOMER_PREFIX))),
            columns=tuple(str(key) for key in row.columns or ()), organization=row.organization,
            side_replied=bool(row.side_replied), problems=bool(row.problems), incidents_of=row.incidents_of,
            skill=row.skill))

    @property
    def deleted_organization(self) -> int | None:
        """The id of the organization this view filtered by, if it was deleted since (the view matches nothing)."""
        org = self.query.organization
        return -org if org is not None and org < 0 else None

    @property
    def deleted_skill(self) -> int | None:
        """The id of the skill this view filtered by, if it was deleted since (the view matches nothing)."""
        skill = self.query.skill
        return -skill if skill is not None and skill < 0 else None


class SavedViews:
    def __init__(self, db: Database, hours: BusinessHours, languages: Iterable[str], limit: int,
                 fields: TicketFields | None = None, customer_fields: CustomerFields | None = None) -> None:
        self.db = db
        self.hours = hours
        self.languages = tuple(languages)
        self.limit = limit
        self.fields = fields or TicketFields()
        self.customer_fields = customer_fields or CustomerFields()

    def visible(self, agent_id: int) -> list[Saved]:
        """The agent's own views, then those others shared, each by name (its folded key, in Python: one order on
        both engines, where SQL's `lower()` folded ASCII only on SQLite and the locale's way on PostgreSQL)."""
        with self.db.session() as session:
            rows = session.scalars(select(SavedView).where(or_(SavedView.agent_id == agent_id, SavedView.shared)))
            return [Saved.of(row) for row in sorted(rows, key=lambda r: (r.agent_id != agent_id, r.name_key, r.id))]

    def get(self, view_id: int, agent_id: int) -> Saved | None:
        """The view if this agent may read it (their own, or a shared one), else None."""
        with self.db.session() as session:
            row = row_by_id(session, SavedView, view_id)
            return Saved.of(row) if row is not None and (row.agent_id == agent_id or row.shared) else None

    def query(self, filters: Mapping[str, str | None]) -> InboxQuery:
        """The filters as an InboxQuery, each checked: an unknown one is an InputError naming its field and the
        values it may take (nothing falls back silently, unlike the inbox's URL). `field.<key>` entries are the
        custom field filters (`field_filters`)."""
        def pick(field: str, value: str | None, allowed: Iterable[str], default: str | None = None) -> str | None:
            value = (value or "").strip()
            if not value:
                return default
            allowed = tuple(allowed)
            if value not in allowed:
                raise InputError(field, N_("%(value)s is not one of %(allowed)s"), value=repr(value[:40]),
                                 allowed=", ".join(allowed))
            return value

        q = plain_text(filters.get("q") or "")
        if len(q) > MAX_Q:
            raise InputError("q", N_("at most %(limit)d characters"), limit=MAX_Q)
        tag = (filters.get("tag") or "").strip()
        return InboxQuery(
            view=pick("view", filters.get("view"), VIEWS, "unsolved") or "unsolved",
            status=pick("status", filters.get("status"), TICKET_STATUSES),
            lang=pick("lang", filters.get("lang"), self.languages),
            team=pick("team", filters.get("team"), self.hours.teams),
            tag=clean_tag(tag) if tag else None,
            q=q,
            sort=pick("sort", filters.get("sort"), (*SORTS, *(FIELD_SORT + key for key in self.fields.keys),
                                                    *(CUSTOMER_SORT + key for key in self.customer_fields.keys)),
                      "updated") or "updated",
            fields=self.field_filters(filters),
            customer_fields=self.field_filters(filters, CUSTOMER_PREFIX, self.customer_fields),
            columns=self.columns(filters.get("columns")),
            organization=self.row_number("organization", filters.get("organization")),
            side_replied=self.flag("side_replied", filters.get("side_replied")),
            problems=self.flag("problems", filters.get("problems")),
            incidents_of=self.ticket_number("incidents_of", filters.get("incidents_of")),
            skill=self.row_number("skill", filters.get("skill")),
        )

    @staticmethod
    def flag(field: str, raw: str | None) -> bool:
        """A yes/no filter: "1", "true", "on" or "yes" for yes, blank, "0", "false", "off" or "no" for no."""
        value = (raw or "").strip().lower()
        if value in ("", "0", "false", "off", "no"):
            return False
        if value in ("1", "true", "on", "yes"):
            return True
        raise InputError(field, N_("%(value)s is not one of %(allowed)s"), value=repr(value[:40]),
                         allowed="1, 0")

    @staticmethod
    def ticket_number(field: str, raw: str | None) -> int | None:
        """A ticket's number (`desk.tickets.ticket_number`: "12", "#12", "١٢"; a problem's, for `incidents_of`);
        blank for none. Not checked to exist: the view outlives the ticket, as the inbox's filter does."""
        return ticket_number(raw, field) if (raw or "").strip().lstrip("#") else None

    @staticmethod
    def row_number(field: str, raw: str | None) -> int | None:
        """`organization` or `skill`: an organization's or a skill's id (its existence is checked by `save`, holding
        the row), its digits read as a ticket's number's are (kb.arabic.typed_digits: "١" is 1); blank for none."""
        value = typed_digits((raw or "")[:40]).strip()
        if not value:
            return None
        if not (value.isascii() and value.isdecimal()) or len(value) > 12 or not 0 < int(value) <= MAX_ROW_ID:
            raise InputError(field, N_("%(value)s is not an organization's number") if field == "organization"
                             else N_("%(value)s is not a skill's number"), value=repr(value[:40]))
        return int(value)

    def columns(self, raw: str | None) -> tuple[str, ...]:
        """`columns`: field keys, comma-separated, each a field of the file, or `customer.<key>` a field of the
        customer fields file (shown in that order, each once)."""
        keys = tuple(dict.fromkeys(key.strip() for key in (raw or "").split(",") if key.strip()))
        for key in keys:
            if key.startswith(CUSTOMER_PREFIX):
                if self.customer_fields.get(key[len(CUSTOMER_PREFIX):]) is None:
                    raise InputError("columns", N_("no customer field %(key)s; the fields are %(keys)s"),
                                     key=repr(key[len(CUSTOMER_PREFIX):][:40]),
                                     keys=", ".join(self.customer_fields.keys) or "-")
            elif self.fields.get(key) is None:
                raise InputError("columns", N_("no ticket field %(key)s; the fields are %(keys)s"),
                                 key=repr(key[:40]), keys=", ".join(self.fields.keys) or "-")
        return keys

    def field_filters(self, filters: Mapping[str, str | None], prefix: str = FIELD_PREFIX,
                      fields: FieldSet | None = None) -> tuple[tuple[str, str], ...]:
        """The `field.<key>` filters (or, with `prefix` "customer." and the customer fields, theirs), each normalised
        as stored, by key; a blank one is no filter. A key that is not one of the file's dropdown or checkbox fields,
        or a value the field does not have, is an InputError naming `field.<key>` (and the keys or values it may
        take)."""
        fields = self.fields if fields is None else fields
        found: dict[str, str] = {}
        filterable = [field for field in fields.fields if field.type in FILTERABLE]
        for name, raw in filters.items():
            if not name.startswith(prefix) or not (raw or "").strip():
                continue
            key = name[len(prefix):]
            field = fields.get(key)
            if field is None or field.type not in FILTERABLE:
                raise InputError(name[:46], N_("no dropdown or checkbox field %(key)s; a view filters by %(keys)s"),
                                 key=repr(key[:40]), keys=", ".join(f.key for f in filterable) or "-")
            try:
                value = field.normalise(raw)
            except FieldValueError:
                allowed = [option.key for option in field.options] if field.type == "dropdown" else ["true", "false"]
                raise InputError(name, N_("%(value)s is not one of %(allowed)s"), value=repr((raw or "")[:40]),
                                 allowed=", ".join(allowed)) from None
            if value is not None:
                found[key] = value
        return tuple(sorted(found.items()))

    def save(self, agent_id: int, name: str, filters: Mapping[str, str | None], shared: bool = False) -> Saved:
        """Save the filters as the agent's view `name` (shared with everyone when a lead or an admin asks); at most
        `limit` views per agent. Nothing is written on any error."""
        query = self.query(filters)

        def write(session: Session) -> Saved:
            # Locked before the owner's names and count are read: two saves at once (two tabs, a double click) both
            # read before either wrote, and "refunds" and "Refunds" were both kept, or the limit passed by one.
            agent = agent_row(session, agent_id, lock=True)
            free = self._free_name(session, agent_id, name)
            # Held: a delete of the organization meanwhile waits, then marks this view with the others.
            if query.organization is not None and not lock_row(session, Organization, query.organization):
                raise InputError("organization", N_("no organization #%(id)s"), id=query.organization)
            if query.skill is not None and not lock_row(session, Skill, query.skill):  # held as an organization is
                raise InputError("skill", N_("no skill %(skill)s"), skill=query.skill)
            if shared:
                self._may_share(agent)
            owned = session.scalar(select(func.count(SavedView.id)).where(SavedView.agent_id == agent_id)) or 0
            if owned >= self.limit:
                raise InputError("views", N_("you have %(num)d saved views, the most an agent keeps; delete one "
                                             "first"), num=self.limit)
            row = SavedView(agent_id=agent_id, name=free, shared=shared, view=query.view, status=query.status,
                            lang=query.lang, team=query.team, tag=query.tag, q=query.q, sort=query.sort,
                            fields={**dict(query.fields), **{CUSTOMER_PREFIX + key: value
                                                             for key, value in query.customer_fields}} or None,
                            columns=list(query.columns) or None,
                            organization=query.organization, side_replied=query.side_replied,
                            problems=query.problems, incidents_of=query.incidents_of, skill=query.skill)
            session.add(row)
            self._flush_named(session, free)
            return Saved.of(row)

        return self.db.write(write)  # again while the database is busy

    def rename(self, view_id: int, agent_id: int, name: str) -> Saved:

        def write(session: Session) -> Saved:
            row = self._editable(session, view_id, agent_id)
            agent_row(session, row.agent_id, lock=True)
            row.name = self._free_name(session, row.agent_id, name, exclude=row.id)  # "refunds" -> "Refunds" too
            self._flush_named(session, row.name)
            return Saved.of(row)

        return self.db.write(write)  # again while the database is busy

    def share(self, view_id: int, agent_id: int, shared: bool) -> Saved:
        """Share the view with everyone, or take it back: a lead's or an admin's to do."""

        def write(session: Session) -> Saved:
            row = self._editable(session, view_id, agent_id)
            self._may_share(agent_row(session, agent_id))
            row.shared = shared
            return Saved.of(row)

        return self.db.write(write)  # again while the database is busy

    def delete(self, view_id: int, agent_id: int) -> str:
        """Delete the view; its name, for the page to say which."""

        def write(session: Session) -> str:
            row = self._editable(session, view_id, agent_id)
            session.delete(row)
            return row.name

        return self.db.write(write)  # again while the database is busy


    @staticmethod
    def _may_share(agent: Agent) -> None:
        if agent.role not in SHARERS:
            raise InputError("shared", N_("only a lead or an admin shares a view with everyone"))

    def _editable(self, session: Session, view_id: int, agent_id: int) -> SavedView:
        """The view if this agent may change it: their own, or (a lead's or an admin's) a shared one."""
        row = row_by_id(session, SavedView, view_id)
        if row is None or not (row.agent_id == agent_id or row.shared):
            raise InputError("view", N_("no saved view %(view)s"), view=view_id)
        if row.agent_id != agent_id and agent_row(session, agent_id).role not in SHARERS:
            raise InputError("view", N_("“%(name)s” is shared with you: only its owner, a lead or an admin "
                                        "changes it"), name=row.name)
        return row

    @staticmethod
    def _flush_named(session: Session, name: str) -> None:
        """Write the named row now: the name was free when `_free_name` looked, but the same agent's other request
        (a double click on Save) may have taken it since; the unique index then says so, and the agent gets the
        field's error, not a 500 (the caller's transaction rolls back: nothing written)."""
        try:
            session.flush()
        except IntegrityError:
            raise InputError("name", N_("you have a view named “%(name)s” already"), name=name) from None

    @staticmethod
    def _free_name(session: Session, agent_id: int, name: str, exclude: int | None = None) -> str:
        """The name tidied (controls and invisible characters dropped, spaces collapsed), if the owner has no other view
        of that name (compared by its folded key, desk.name_keys: without case or compatibility forms, the same on
        both engines) and no word of it mixes Latin, Cyrillic or Greek letters; `exclude` is the view being renamed."""
        # A U+202E reversed the flash that quotes it ("View “…” saved."); a zero-width space, a joiner, a BOM or a
        # soft hyphen made a name no one sees ("\u200b") or a twin of another ("Refunds\u200b"): all dropped.
        name = tidy_name(name)
        if not name:
            raise InputError("name", N_("is empty"))
        if len(name) > MAX_NAME:
            raise InputError("name", N_("at most %(limit)d characters"), limit=MAX_NAME)
        # "Rеfunds" with a Cyrillic "е" looks like "Refunds" and is another name: refused rather than kept as a twin.
        if (word := mixed_script_word(name)) is not None:
            raise InputError("name", N_("“%(word)s” mixes Latin, Cyrillic or Greek letters in one word: type it in "
                                        "one alphabet"), word=word)
        taken = session.scalar(select(SavedView.id).where(SavedView.agent_id == agent_id,
                                                          SavedView.name_key == name_key(name),
                                                          SavedView.id != (exclude or 0)))
        if taken is not None:
            raise InputError("name", N_("you have a view named “%(name)s” already"), name=name)
        return name
