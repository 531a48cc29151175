"""Triggers run (Zendesk's triggers, Chatwoot's automation rules): content/_triggers.yml's rules applied to a ticket
when it is created or its customer writes, in the transaction of that event.

The file is read and checked at start (kb.triggers, with this desk's teams, macros and agents: a wrong file
stops the desk naming the file, line and field), and again when it changes (desk.desk's `follow_rules`: a wrong
change keeps these rules running). `Triggers.run` is called from the two places every channel goes
through: `TicketStore._insert` (contact form, API, mail, a follow-up; not an import, which is history) and
`TicketStore.customer_replied` (the ticket page, the API, mail). Nothing else calls it, so a trigger's own changes
never fire triggers. The file's automations (`on: schedule`) are never run here: desk.automations checks them on a
clock with `holds` and fires them with `apply`, the same conditions and actions (an automation may also solve).

Order: one pass over the rules in file order per event; each rule sees the ticket as the earlier ones left it (a
rule that adds `refund` lets a later `tags: refund` rule fire), and no rule runs twice. Zendesk re-runs its whole
list until nothing changes; one pass says the same thing in fewer words, never loops, and the file reads top to
bottom as it runs. A rule placed before the one whose change it waits for does not see it.

Each change is a row of the ticket's history naming the trigger: status, team and assignee changes in their own
tables (`trigger_name`, with no agent, as automatic assignment records "Assigned automatically"), the rest (tags,
priority, a note, a reply, an assignee skipped) in ticket_trigger_changes, required skills (desk.skills) in
ticket_skill_changes. None of these is audited when an agent does it on the ticket page, so a trigger's are not
either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.business_hours import BusinessHours
from desk.mail.outbox import queue_mail
from desk.models import (
    CHANNELS,
    PRIORITIES,
    TICKET_STATUSES,
    Agent,
    AgentTeam,
    CsatSurvey,
    Customer,
    Message,
    Organization,
    Skill,
    Ticket,
    TicketTeamChange,
    TicketTriggerChange,
)
from desk.name_keys import name_key
from desk.ticket_search import fold_for_search
from kb.customer_fields import CUSTOMER_PREFIX, CustomerFields
from kb.customer_fields import placeholder_values as customer_placeholders
from kb.macros import Macro, MacroLibrary, placeholder_values
from kb.tag_rule import folded_tag, is_tag
from kb.ticket_fields import TicketFields
from kb.triggers import TRIGGERS_FILE, FieldCondition, Trigger, TriggerError, macro_keys, parse_triggers
from kb.yaml_lines import rule_file_text

if TYPE_CHECKING:
    from desk.tickets import TicketStore

log = logging.getLogger(__name__)

EVENTS = ("created", "customer_reply")


@dataclass(frozen=True)
class Event:
    """What happened: `kind` (created, customer_reply) and the words it brought (the new ticket's or the reply's
    text), matched by a rule's `text` with the ticket's subject."""

    kind: str
    text: str
    now: datetime


def load_triggers(content_dir: Path, hours: BusinessHours, languages: tuple[str, ...],
                  agent_emails: set[str] | None = None, webhook_names: set[str] | None = None,
                  fields: TicketFields | None = None,
                  customer_fields: CustomerFields | None = None,
                  skill_keys: set[str] | None = None) -> tuple[Trigger, ...]:
    """The content folder's rules (triggers and automations), checked against this desk: its teams, its macros, its
    ticket and customer fields, and (when given) its agents' emails, its outbound webhooks' names and its skills'
    folded names (desk.skills). A wrong file raises TriggerError naming the file, line and field."""
    path = content_dir / TRIGGERS_FILE
    if not path.exists():
        return ()
    try:
        text = rule_file_text(path)
    except UnicodeDecodeError:
        raise TriggerError(str(path), 1, "file", "not UTF-8 text") from None
    rules = parse_triggers(text, str(path), tuple(hours.teams), macro_keys(content_dir), languages, fields,
                           customer_fields)
    if agent_emails is not None:
        for number, rule in enumerate(rules, 1):
            email = rule.actions.assignee
            if email is not None and email not in agent_emails:
                raise TriggerError(str(path), rule.line, f"trigger {number} ({rule.name}).then.assignee",
                                   f"no agent {email!r}")
    if webhook_names is not None:
        for number, rule in enumerate(rules, 1):
            hook = rule.actions.notify_webhook
            if hook is not None and hook not in webhook_names:
                names = ", ".join(sorted(webhook_names)) or "none yet: add one on /agent/admin/webhooks"
                raise TriggerError(str(path), rule.line, f"trigger {number} ({rule.name}).then.notify_webhook",
                                   f"no outbound webhook {hook!r} (webhooks: {names})"[:300])
    if skill_keys is not None:
        for number, rule in enumerate(rules, 1):
            for skill in rule.actions.require_skills:
                if name_key(skill) not in skill_keys:
                    raise TriggerError(str(path), rule.line, f"trigger {number} ({rule.name}).then.require_skills",
                                       f"no skill {skill!r}: an admin adds it on /agent/admin (Skills) first"[:300])
    return rules


def _contains(text: str, phrase: str) -> bool:
    """Whether the folded `phrase` is in the folded `text` as whole words ("refund" not in "refunded")."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


class Triggers:
    def __init__(self, rules: tuple[Trigger, ...], hours: BusinessHours, content_dir: Path,
                 customer_fields: CustomerFields | None = None) -> None:
        self.rules = rules
        self.hours = hours
        self.content_dir = content_dir
        self.customer_fields = customer_fields or CustomerFields()  # the macros' `customer.<key>` placeholders
        self._macros = MacroLibrary(content_dir)  # read again only when a macro file changes, not at every firing
        # The phrases of each rule's `text`, folded once as the inbox's search folds (desk.ticket_search).
        self._folded = {id(c): tuple(fold_for_search(p) for p in c["text"])  # type: ignore[attr-defined]
                        for rule in rules for c in (rule.conditions, *rule.any) if "text" in c}
        # Whether a rule names an organization: only then is the requester's read (one query an event).
        self._by_organization = any("organization" in c for rule in rules for c in (rule.conditions, *rule.any))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def run(self, session: Session, store: TicketStore, ticket: Ticket, event: Event) -> list[str]:
        """Apply every rule for `event` whose conditions hold, in file order, in the caller's transaction; the names
        of those that fired."""
        fired: list[str] = []
        if not any(event.kind in rule.events for rule in self.rules):
            return fired
        session.flush()  # the ticket's id for the history rows, and its column defaults (status) to match on
        text = fold_for_search(f"{ticket.subject}\n{event.text}")
        # The ticket's custom field values and its customer's, read once and kept as the rules' set_fields leave them.
        values = self.facts(session, ticket)
        organization = self.organization_of(session, ticket)
        for rule in self.rules:
            if event.kind not in rule.events:
                continue
            if not self.holds(rule.conditions, ticket, text, event.now, values, organization):
                continue
            if rule.any and not any(self.holds(c, ticket, text, event.now, values, organization) for c in rule.any):
                continue
            self.apply(session, store, ticket, rule, event.now, values)
            fired.append(rule.name)
        return fired

    @cached_property
    def uses_fields(self) -> bool:
        """Whether any rule reads or sets a custom field (else no rule needs the ticket's values read)."""
        return any(rule.actions.set_fields or any(isinstance(v, FieldCondition) and not v.customer
                                                  for c in (rule.conditions, *rule.any) for v in c.values())
                   for rule in self.rules)

    @cached_property
    def uses_customer_fields(self) -> bool:
        """Whether any rule has a `customer.<key>` condition (else no rule needs the customer's values read)."""
        return any(isinstance(v, FieldCondition) and v.customer for rule in self.rules
                   for c in (rule.conditions, *rule.any) for v in c.values())

    def facts(self, session: Session, ticket: Ticket) -> dict[str, str]:
        """What the rules' field conditions read, in the caller's transaction: the ticket's custom field values (when
        a rule reads or sets one) and its customer's, keyed `customer.<key>` (when a rule reads one): a query each,
        whatever the number of rules."""
        from desk.field_values import CUSTOMER_VALUES, values_in  # imports desk.tickets, which imports this module

        values = values_in(session, ticket.id) if self.uses_fields else {}
        if self.uses_customer_fields and ticket.customer_id is not None:
            values.update({CUSTOMER_PREFIX + key: value
                           for key, value in values_in(session, ticket.customer_id, CUSTOMER_VALUES).items()})
        return values

    @staticmethod
    def _field_holds(condition: FieldCondition, values: Mapping[str, str]) -> bool:
        have = values.get(condition.name)
        if have is None:
            return False
        if condition.contains:
            folded = fold_for_search(have)
            return any(_contains(folded, fold_for_search(phrase)) for phrase in condition.values)
        return have in condition.values

    def organization_of(self, session: Session, ticket: Ticket) -> str:
        """The requester's organization's name (desk.organizations), lower-cased and its blanks folded as the rules'
        names are; "" without one, or when no rule asks (no query then)."""
        if not (ticket.customer_id and self._by_organization):
            return ""
        name = session.scalar(select(Organization.name).join(Customer, Customer.organization_id == Organization.id)
                              .where(Customer.id == ticket.customer_id))
        return " ".join((name or "").lower().split())

    def holds(self, conditions: Mapping[str, object], ticket: Ticket, text: str, now: datetime,
              values: Mapping[str, str] | None = None, organization: str = "") -> bool:
        """Whether every condition of `conditions` holds for `ticket` now (`text`: the event's folded words; `values`:
        its custom field values and its customer's (`facts`), needed only when a condition reads one; `organization`:
        `organization_of`'s)."""
        team_key = self.hours.team_key(ticket.team)
        words = {"lang": ticket.lang, "channel": ticket.channel, "category": ticket.category, "team": team_key,
                 "priority": ticket.priority, "status": ticket.status, "organization": organization,
                 "domain": ticket.customer.email.rpartition("@")[2] if ticket.customer else ""}
        tags = {t.tag for t in ticket.tags}
        for key, wanted in conditions.items():
            if isinstance(wanted, FieldCondition):
                if not self._field_holds(wanted, values or {}):
                    return False
            elif key in words:
                if (words[key] or "").lower() not in wanted:  # type: ignore[operator]
                    return False
            elif key == "tags":
                if not tags & wanted:  # type: ignore[operator]
                    return False
            elif key == "not_tags":
                if tags & wanted:  # type: ignore[operator]
                    return False
            elif key == "text":
                if not any(_contains(text, phrase) for phrase in self._folded[id(conditions)]):
                    return False
            elif key == "assigned":
                if (ticket.assignee_id is not None) != wanted:
                    return False
            elif key == "business_hours":
                team = self.hours.team(team_key)
                working = team.seconds_between(now, now + timedelta(seconds=1)) > 0
                if working != (wanted == "in"):
                    return False
        return True

    def apply(self, session: Session, store: TicketStore, ticket: Ticket, rule: Trigger, now: datetime,
              values: dict[str, str] | None = None) -> None:
        """`rule`'s actions on `ticket`, in the caller's transaction (triggers' run, desk.automations); `values`, the
        ticket's custom field values when a rule uses them, kept as `set_fields` leaves them for later rules."""
        from desk.audit import SYSTEM
        from desk.ticket_fields import write_values
        from desk.tickets import add_tags, assignable, record_assignee
        from desk.webhooks import queue_rule_event  # imports desk.tickets, which imports this module

        actions, name = rule.actions, rule.name

        def note(action: str, old: str | None, new: str | None) -> None:
            session.add(TicketTriggerChange(ticket_id=ticket.id, trigger_name=name, action=action,
                                            old_value=old[:400] if old else old, new_value=new[:400] if new else new,
                                            created_at=now))

        if actions.add_tags:
            have = {t.tag for t in ticket.tags}
            added = [t for t in actions.add_tags if t not in have]
            if add_tags(ticket, added):
                note("add_tags", None, ", ".join(added))
        if actions.remove_tags:
            gone = [t for t in ticket.tags if t.tag in actions.remove_tags]
            for row in gone:
                ticket.tags.remove(row)
            if gone:
                note("remove_tags", ", ".join(t.tag for t in gone), None)
        if actions.priority is not None and actions.priority != ticket.priority:
            note("priority", ticket.priority, actions.priority)
            ticket.priority = actions.priority
            if not ticket.due_by_hand:
                ticket.due_at = store.computed_due(ticket)
        if actions.team is not None and actions.team != self.hours.team_key(ticket.team):
            session.add(TicketTeamChange(ticket_id=ticket.id, agent_id=None, old_team=ticket.team,
                                         new_team=actions.team, created_at=now, trigger_name=name))
            ticket.team = actions.team
            if not ticket.due_by_hand:
                ticket.due_at = store.computed_due(ticket)
            if ticket.assignee_id is not None and session.scalar(select(AgentTeam.id).where(
                    AgentTeam.agent_id == ticket.assignee_id, AgentTeam.team == actions.team)) is None:
                record_assignee(session, ticket, None, None, now, trigger=name)
        if actions.assignee is not None:
            agent_id = session.scalar(select(Agent.id).where(Agent.email == actions.assignee))
            # Held and read fresh (a downgrade to light waits or is seen), unless the ticket is theirs already.
            agent = None if agent_id is None else session.get(Agent, agent_id) if agent_id == ticket.assignee_id \
                else assignable(session, agent_id)
            if agent is None or not agent.active or not agent.works_tickets:
                why = "gone" if agent is None else ("deactivated" if not agent.active else "a light agent")
                log.warning("trigger %r: agent %s is %s; ticket %s left as it was", name, actions.assignee, why,
                            ticket.id)
                note("assignee_skipped", None, actions.assignee)
            else:
                record_assignee(session, ticket, agent.id, None, now, trigger=name)
        survey = None
        if actions.status is not None and actions.status != ticket.status:
            # Only an automation may solve (kb.triggers): its survey is mailed as an agent's solve's is, in the
            # rule's reply when it sends one (one mail, not two), else in a "solved" mail of its own.
            survey = store._set_status(ticket, actions.status, now, None, name)
        if actions.note is not None:
            body = self._values_rendered(session, actions.note, ticket)
            ticket.messages.append(Message(author="agent", agent_id=None, body=body, internal=True, created_at=now))
            note("note", None, body)
        if actions.set_fields:
            # Audited as every field change is ("ticket_fields_changed", by the system), and a history row naming
            # the trigger: key=value before and after, each field's.
            changes = write_values(session, ticket.id, dict(actions.set_fields), SYSTEM)
            if changes:
                note("set_fields", _pairs({key: old for key, (old, _) in changes.items()}),
                     _pairs({key: new for key, (_, new) in changes.items()}))
            if values is not None:
                for key, (_, new) in changes.items():
                    if new is None:
                        values.pop(key, None)
                    else:
                        values[key] = new
        if actions.reply_macro is not None and self._reply(session, store, ticket, rule, now, note, survey):
            survey = None  # carried by the reply's mail
        if survey is not None:  # none for an erased customer (TicketStore._set_status)
            queue_mail(session, "solved", ticket, ticket.customer.email, ticket.lang, survey=survey)
        if actions.require_skills:
            self._require(session, ticket, rule, now, note)
        if actions.notify_webhook is not None:
            kind = "automation.fired" if rule.scheduled else "trigger.fired"
            if queue_rule_event(session, actions.notify_webhook, kind, ticket.id, name):
                note("notify_webhook", None, actions.notify_webhook)
            else:  # deleted since the desk started (the start checks the name)
                log.warning("%r: no outbound webhook named %r; ticket %s not notified", name, actions.notify_webhook,
                            ticket.id)
                note("webhook_skipped", None, actions.notify_webhook)
        ticket.updated_at = now

    @staticmethod
    def _require(session: Session, ticket: Ticket, rule: Trigger, now: datetime, note: object) -> None:
        """`require_skills`: the skills added to those the ticket requires (a history row naming the rule); one
        deleted or renamed since the file was read, or deleted by another request while this one runs (`held`: its
        row was refused by the database, and the ticket with it), is skipped, logged and said in the history."""
        from desk.skills import held, require_in  # imports desk.tickets, which imports this module

        keys = {key: skill_id for skill_id, key in session.execute(select(Skill.id, Skill.name_key))}
        named = {name: keys[name_key(name)] for name in rule.actions.require_skills if name_key(name) in keys}
        kept = held(session, named.values())
        found = [skill_id for skill_id in named.values() if skill_id in kept]
        for name in rule.actions.require_skills:
            if named.get(name) not in kept:
                log.warning("trigger %r: no skill %r; ticket %s does not require it", rule.name, name, ticket.id)
                assert callable(note)
                note("skill_skipped", None, name)
        require_in(session, ticket, found, trigger=rule.name, add_only=True, now=now)

    def _values(self, session: Session, ticket: Ticket) -> dict[str, str]:
        """The macros' placeholders for a trigger: no agent writes, so `agent.name` is the ticket's team; the customer
        fields' (read now, in this transaction, when the file has any) in the ticket's language."""
        from desk.field_values import CUSTOMER_VALUES, values_in  # imports desk.tickets, which imports this module

        customer = ticket.customer
        stored = (values_in(session, customer.id, CUSTOMER_VALUES)
                  if customer is not None and self.customer_fields.fields else {})
        return placeholder_values(customer.name or "" if customer else "", customer.email if customer else "",
                                  ticket.reference, ticket.subject, self.hours.team(ticket.team).name,
                                  customer_placeholders(self.customer_fields, stored, ticket.lang))

    def _values_rendered(self, session: Session, text: str, ticket: Ticket) -> str:
        macro = Macro(key="", lang="", path="", title="", body=text, body_line=1)
        return macro.render(self._values(session, ticket))

    def _reply(self, session: Session, store: TicketStore, ticket: Ticket, rule: Trigger, now: datetime,
               note: object, survey: CsatSurvey | None) -> bool:
        """The macro in the ticket's language sent as the reply an agent's macro and send would be: the message,
        the macro's tags and status (never solved: a macro does not end a conversation; an automation's own
        `status: solved` does, and its survey rides in this mail as an agent's solving reply's does), and the mail
        queued in this transaction. No macro in that language: skipped, logged, and said in the history. Whether a
        reply was sent."""
        from desk.tickets import add_tags, queue_reply_mail

        key = rule.actions.reply_macro
        macro = next((m for m in self._macros.for_lang(ticket.lang) if m.key == key), None)
        assert callable(note)
        if ticket.customer.erased_at is not None:
            # Erased (desk.erasure): no one to write to, as an agent's reply is refused. The reply was written on the
            # skeleton and its mail queued to the erased row's address, which no mail reaches (hostile35).
            log.info("trigger %r: the customer of ticket %s was erased; no reply", rule.name, ticket.id)
            note("reply_erased", None, f"{ticket.lang}/{key}")
            return False
        if macro is None:
            log.warning("trigger %r: no %s version of macro %r; no reply to ticket %s", rule.name, ticket.lang, key,
                        ticket.id)
            note("reply_skipped", None, f"{ticket.lang}/{key}")
            return False
        message = Message(author="agent", agent_id=None, body=macro.render(self._values(session, ticket)),
                          created_at=now, channel="email")
        ticket.messages.append(message)
        add_tags(ticket, [tag for tag in map(folded_tag, macro.add_tags) if is_tag(tag)])
        # The rule's own status wins over its macro's: "remind and solve" ends solved, not back in pending.
        if (rule.actions.status is None and macro.status in ("open", "pending", "on_hold")
                and macro.status != ticket.status):
            store.set_status(ticket, macro.status, now, trigger=rule.name)
        if macro.set_fields:
            # As an agent's send of the macro would: its fields set (audited by the system). A value the fields file
            # no longer takes (`kb lint` says so: macro-fields) is left out and logged, not the customer's ticket.
            from desk.audit import SYSTEM
            from desk.ticket_fields import checked_values, values_in, write_values

            cleaned, refused = checked_values(store.fields, dict(macro.set_fields),
                                              stored=values_in(session, ticket.id))
            for problem in refused.values():
                log.warning("trigger %r: macro %r: %s; left out", rule.name, key, problem)
            changes = write_values(session, ticket.id, cleaned, SYSTEM)
            if changes:
                note("set_fields", _pairs({k: old for k, (old, _) in changes.items()}),
                     _pairs({k: new for k, (_, new) in changes.items()}))
        note("reply_macro", None, f"{ticket.lang}/{key}")
        queue_reply_mail(session, ticket, message, survey)
        return True


def _pairs(values: Mapping[str, str | None]) -> str:
    """Field changes in a history row: "reason=refund, vip=true" (a cleared one: "vip=")."""
    return ", ".join(f"{key}={value or ''}" for key, value in sorted(values.items()))


# The vocabulary kb.triggers repeats (it cannot import desk): tests/desk/test_triggers.py checks they agree.
DESK_VOCABULARY = {"priorities": PRIORITIES, "channels": CHANNELS, "statuses": TICKET_STATUSES}
