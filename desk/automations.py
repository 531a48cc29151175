"""Automations run (Zendesk's automations, Chatwoot's scheduled rules): content/_triggers.yml's `on: schedule` rules,
checked on a clock (the worker's `automations` job, `kb automations run`) against how long each ticket has been in a
state: "pending 3 days with no customer reply: remind them; 7 days: solve it".

The rules are the triggers' (kb.triggers reads both, one name space): the same conditions, checked by the same code
(desk.triggers.Triggers.holds), and the same actions (Triggers.apply), each change a history row naming the rule.
What this module adds is the clock and "once per spell":

- **The clock**: each rule has one time condition, `hours_since: {moment: N}` or `business_hours_since` (the
  ticket's team's working hours). The moment is a column or a lookup: created_at, updated_at, due_at, the ticket's
  last status change (created_at when it never changed), its customer's last message, its last public agent
  message. A pass asks SQL for each rule's tickets: status (the rule's, never a closed ticket), the moment at least N
  calendar hours ago, the simple conditions (priority, channel, language, category, assigned, tags), and no run
  recorded for this spell; by ticket id, in bounded pages, from the indexes on status with created_at, updated_at or
  due_at (the moment's lookups are per candidate, on their ticket_id indexes), and the requester's conditions (email
  domain, a customer or ticket field's value, having an organization; an `any:` of such: `sql_conditions`), so a
  rule on VIP customers reads the VIPs' tickets, not every ticket. Python checks every condition again for the page
  (team, a text field's words, the organization's name, business hours, business hours elapsed).
- **Once per spell**: a firing writes (ticket, rule, moment) to automation_runs in the transaction of its changes.
  The same moment never fires the rule again (Zendesk asks for a condition the rule itself nullifies, such as the tag
  it adds; here that is not needed); a new moment (pending again next week, a new customer message) is a new spell
  and may fire it again. A moment that is the rule's own change (`updated` after it tagged) starts a new spell too.
- **One ticket, one transaction**: a ticket whose changes fail is rolled back alone and logged; the pass goes on.
  The unique key on (ticket, rule, moment) keeps a second worker or a cron run from firing a spell twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from desk.business_hours import BusinessHours
from desk.database import Database
from desk.models import (
    AutomationRun,
    Customer,
    CustomerFieldValue,
    Message,
    Ticket,
    TicketFieldValue,
    TicketStatusChange,
    TicketTag,
    as_utc,
    utcnow,
)
from desk.triggers import Triggers
from kb.triggers import FieldCondition, Trigger

if TYPE_CHECKING:
    from desk.tickets import TicketStore

log = logging.getLogger(__name__)

PAGE = 200  # candidate tickets per query: one bounded read, then each ticket's own transaction
# Conditions a pass filters in SQL too (lower-cased, as the rule's words are); Python checks every condition again.
SQL_WORDS = {"priority": Ticket.priority, "channel": Ticket.channel, "lang": Ticket.lang, "category": Ticket.category}


@dataclass(frozen=True)
class Fired:
    """An automation that fired (or would, in a dry run) on a ticket, for the spell that began at `spell_start`."""

    rule: str
    ticket_id: int
    reference: str
    spell_start: datetime


def moment(key: str) -> Any:
    """The SQL expression of an automation's moment (kb.triggers.TIME_KEYS) for the ticket of the outer query."""
    if key == "created":
        return Ticket.created_at
    if key == "updated":
        return Ticket.updated_at
    if key == "due":
        return Ticket.due_at
    if key == "status_changed":
        last = (select(func.max(TicketStatusChange.created_at)).where(TicketStatusChange.ticket_id == Ticket.id)
                .correlate(Ticket).scalar_subquery())
        return func.coalesce(last, Ticket.created_at)
    author = "customer" if key == "customer_replied" else "agent"
    return (select(func.max(Message.created_at))
            .where(Message.ticket_id == Ticket.id, Message.author == author, Message.internal.is_(False))
            .correlate(Ticket).scalar_subquery())


def sql_conditions(conditions: Mapping[str, object]) -> list[ColumnElement[bool]]:
    """What SQL can check of a rule's conditions (its `if:`, or one of its `any:`), each a condition every ticket
    `Triggers.holds` passes also meets, so the page holds no ticket Python would refuse for them: the simple words
    (priority, channel, language, category), assigned, tags; the requester's email domain and organization; and a
    ticket's or customer's field (`field.<key>`, `customer.<key>`: the stored value one of the rule's, through the
    values' (owner, key) and (key, value) indexes; a text field's words only need a value: Python folds and matches
    them, as it folds an organization's name)."""
    where: list[ColumnElement[bool]] = []
    for key, column in SQL_WORDS.items():
        values = conditions.get(key)
        if isinstance(values, frozenset):
            where.append(func.lower(column).in_(sorted(values)))
    if "assigned" in conditions:
        assigned = Ticket.assignee_id.is_not(None)
        where.append(assigned if conditions["assigned"] else not_(assigned))
    tagged = exists().where(TicketTag.ticket_id == Ticket.id)
    if isinstance(tags := conditions.get("tags"), frozenset):
        where.append(tagged.where(TicketTag.tag.in_(sorted(tags))))
    if isinstance(tags := conditions.get("not_tags"), frozenset):
        where.append(not_(tagged.where(TicketTag.tag.in_(sorted(tags)))))
    requester = exists().where(Customer.id == Ticket.customer_id)
    if isinstance(domains := conditions.get("domain"), frozenset):  # emails are stored lower-case, one "@"
        where.append(requester.where(or_(*(func.lower(Customer.email).endswith("@" + domain, autoescape=True)
                                           for domain in sorted(domains)))))
    if isinstance(conditions.get("organization"), frozenset):  # its name is folded in Python; here: has one
        where.append(requester.where(Customer.organization_id.is_not(None)))
    for wanted in conditions.values():
        if isinstance(wanted, FieldCondition):
            model: Any = CustomerFieldValue if wanted.customer else TicketFieldValue
            owner = model.customer_id == Ticket.customer_id if wanted.customer else model.ticket_id == Ticket.id
            held = exists().where(owner, model.key == wanted.key)
            where.append(held if wanted.contains else held.where(model.value.in_(sorted(wanted.values))))
    return where


class Automations:
    def __init__(self, db: Database, rules: tuple[Trigger, ...], triggers: Triggers, hours: BusinessHours,
                 store: TicketStore) -> None:
        self.db, self.triggers, self.hours, self.store = db, triggers, hours, store
        self.rules = tuple(rule for rule in rules if rule.scheduled)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def candidates_query(self, rule: Trigger, now: datetime, after: int = 0, limit: int = PAGE) -> Any:
        """The SELECT of (ticket id, moment) a pass reads for `rule`: what SQL can check, by id from `after`."""
        assert rule.since is not None
        at = moment(rule.since.key)
        cutoff = now - timedelta(hours=rule.since.hours)
        statuses = rule.conditions.get("status")
        wanted = sorted(set(statuses) - {"closed"}) if isinstance(statuses, frozenset) else None
        where: list[ColumnElement[bool]] = [
            Ticket.status.in_(wanted) if wanted is not None else Ticket.status != "closed",
            at <= cutoff, Ticket.id > after,
            not_(exists().where(AutomationRun.ticket_id == Ticket.id, AutomationRun.rule_name == rule.name,
                                AutomationRun.spell_start == at)),
        ]
        if rule.since.key != "due":  # every other moment is on or after the ticket's creation: narrows by index
            where.append(Ticket.created_at <= cutoff)
        where.extend(sql_conditions(rule.conditions))
        alternatives = [sql_conditions(conditions) for conditions in rule.any]
        if alternatives and all(alternatives):  # one with nothing SQL can check lets every ticket through
            where.append(or_(*(and_(*clauses) for clauses in alternatives)))
        return select(Ticket.id, at).where(and_(*where)).order_by(Ticket.id).limit(limit)

    def _values(self, ticket: Ticket) -> dict[str, str]:
        """The ticket's custom field values and its customer's, read only when a rule reads or sets one
        (Triggers.facts)."""
        session = object_session(ticket)
        return self.triggers.facts(session, ticket) if session is not None else {}

    def _due(self, rule: Trigger, ticket: Ticket, start: datetime, now: datetime) -> bool:
        """The Python half of the check: every condition on the ticket as it is now, and the time elapsed."""
        assert rule.since is not None
        values = self._values(ticket)
        session = object_session(ticket)
        organization = self.triggers.organization_of(session, ticket) if session is not None else ""
        if not self.triggers.holds(rule.conditions, ticket, "", now, values, organization):
            return False
        if rule.any and not any(self.triggers.holds(c, ticket, "", now, values, organization) for c in rule.any):
            return False
        if ticket.status == "closed":
            return False
        if rule.since.business:
            team = self.hours.team(self.hours.team_key(ticket.team))
            return team.seconds_between(as_utc(start), as_utc(now)) >= rule.since.hours * 3600
        return as_utc(now) - as_utc(start) >= timedelta(hours=rule.since.hours)

    def run(self, now: datetime | None = None, limit: int = 200, dry_run: bool = False) -> list[Fired]:
        """One pass: every automation, in file order, on the tickets due for it (at most `limit` firings). Each
        firing commits alone; a ticket that fails is logged and skipped. `dry_run`: what would fire, nothing
        written (each rule is checked against the tickets as they are, without the earlier rules' changes)."""
        now = now or utcnow()
        fired: list[Fired] = []
        for rule in self.rules:
            after = 0
            while len(fired) < limit:
                with self.db.session() as session:
                    page = session.execute(self.candidates_query(rule, now, after)).all()
                if not page:
                    break
                after = page[-1][0]
                for ticket_id, start in page:
                    if len(fired) >= limit:
                        break
                    try:
                        done = self._one(rule, ticket_id, start, now, dry_run)
                    except IntegrityError:  # another worker or cron run fired this spell first: nothing written
                        log.info("automation %r on ticket %s: fired by another run", rule.name, ticket_id)
                        continue
                    except Exception:  # one bad ticket never stops the others: logged, tried again next pass
                        log.exception("automation %r failed on ticket %s", rule.name, ticket_id)
                        continue
                    if done is not None:
                        fired.append(done)
        return fired

    def _one(self, rule: Trigger, ticket_id: int, start: datetime, now: datetime, dry_run: bool) -> Fired | None:
        """Check and fire `rule` on one ticket in its own transaction (None: not due after all, or fired already)."""
        assert rule.since is not None

        since = rule.since

        def write(session: Session) -> Fired | None:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            # The ticket may have moved on since the page was read: its moment now, in this transaction.
            current = session.scalar(select(moment(since.key)).where(Ticket.id == ticket_id))
            if current is None or as_utc(current) != as_utc(start) or not self._due(rule, ticket, start, now):
                return None
            found = Fired(rule.name, ticket.id, ticket.reference, as_utc(start))
            if dry_run:
                session.rollback()
                return found
            # First, so a second worker or cron run firing this spell meanwhile fails here (the unique key), before
            # any change: IntegrityError, the transaction rolled back (no savepoint: SQLite's driver would commit
            # the outer transaction with it).
            session.add(AutomationRun(ticket_id=ticket.id, rule_name=rule.name, spell_start=current, fired_at=now))
            session.flush()
            self.triggers.apply(session, self.store, ticket, rule, now, self._values(ticket))
            return found

        found = self.db.write(write)  # again while the database is busy
        if found is not None and not dry_run:
            log.info("automation %r fired on ticket %s", rule.name, ticket_id)
        return found
