"""Triggers (Zendesk's triggers, Chatwoot's automation rules) kept in git: `content/_triggers.yml`.

A trigger is a named rule: when a ticket is created or its customer writes (`on:`), and every condition of `if:`
holds (and one of the maps of `any:`, when given), its actions (`then:`) change the ticket:

    - name: Refund requests
      on: [created, customer_reply]
      if: {text: [refund, استرداد]}
      then: {add_tags: [refund]}

This module reads and checks the file (the desk refuses to start on a wrong one, `kb lint` reports it as
`trigger-file`), each problem naming the file, the line and the field. It knows the names the file may use; what the
rules do to a ticket is the desk's (desk.triggers), which imports this reader: kb cannot import desk, so the ticket
vocabulary a rule may name (priorities, channels) is repeated here and a desk test checks both agree.

Automations (Zendesk's automations, Chatwoot's scheduled rules) are rules of the same file with `on: schedule`: the
worker checks them on a clock against each ticket's age in a state, with one time condition

    - name: Remind after 3 days pending
      on: schedule
      if: {status: pending, hours_since: {status_changed: 72}}
      then: {reply_macro: pending-reminder}

(`hours_since` in calendar hours, `business_hours_since` in the ticket's team's working hours). They share the
conditions (not `text`: a resting ticket brings no words) and the actions (`status: solved` too), and the one name
space the history tells rules apart by. Running them is the desk's (desk.automations).

Custom ticket fields (kb.ticket_fields): a condition `field.<key>` holds when the ticket's value is one of those
given (a dropdown's option keys, a checkbox's true or false, a number or a date as stored) or, for a text field,
contains one of the words (folded as `text` is); the action `set_fields: {key: value}` sets them (null clears one).
Both are checked against the fields file: an unknown key or a value the field refuses names `if.field.<key>` or
`then.set_fields.<key>`.

Customer fields (kb.customer_fields, Zendesk's user-field conditions): a condition `customer.<key>` holds when the
ticket's customer's value is one of those given, matched as `field.<key>` is ("VIP customers go to the priority
team": `if: {customer.vip: true}`); checked against content/_customer_fields.yml (`if.customer.<key>`).

Skills (desk.skills, Zendesk's skills-based routing): the action `require_skills: [Billing, VIP]` puts the skills
on the ticket, and automatic assignment then hands it only to a member having all of them (desk.auto_assign). The
skills live in the desk's database, not in a file: this reader checks the names' form (`kb lint` cannot see the
database), the desk checks each is a skill it has when it reads the file (`then.require_skills`).

The file is read at start, and again when it changes (desk.desk's `follow_rules`). The absent file is no
triggers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.customer_fields import CUSTOMER_FIELDS_FILE, CUSTOMER_PREFIX, CustomerFields, file_customer_fields
from kb.macros import iter_macro_paths
from kb.name_fold import mixed_script_word
from kb.tag_rule import MAX_TAG, folded_tag, is_tag
from kb.ticket_fields import FIELDS_FILE, FieldSet, FieldValueError, TicketFields
from kb.yaml_lines import FileLineError, LineMap, YamlSyntaxError, load_lines, rule_file_text

TRIGGERS_FILE = "_triggers.yml"
EVENTS = ("created", "customer_reply")
SCHEDULE = "schedule"  # an automation's `on:`, alone
# An automation's clock: how long ago (hours) the ticket was created, last updated, changed status, heard from its
# customer, answered publicly by an agent, or was due.
TIME_KEYS = ("created", "updated", "status_changed", "customer_replied", "agent_replied", "due")
TIME_CONDITIONS = ("hours_since", "business_hours_since")
# A rule's conditions: those matched as the routing rules match (one value or a list, ignoring case)...
# `organization`: the requester's organization (desk.organizations) by name, compared lower-cased, spaces folded.
WORD_CONDITIONS = ("lang", "channel", "category", "domain", "team", "priority", "status", "organization")
CONDITION_KEYS = (*WORD_CONDITIONS, "tags", "not_tags", "text", "business_hours", "assigned")
FIELD_CONDITION = "field."  # `field.<key>`: a custom ticket field's value
ACTION_KEYS = ("add_tags", "remove_tags", "priority", "team", "assignee", "status", "note", "reply_macro",
               "notify_webhook", "set_fields", "require_skills")
RULE_KEYS = ("name", "on", "if", "any", "then")
# The desk's (desk.models: PRIORITIES, CHANNELS, TICKET_STATUSES); tests/desk/test_triggers.py checks they agree.
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("web", "email", "chat", "api", "phone")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
# What a trigger may set: never solved or closed (a rule does not end a conversation nobody read).
TRIGGER_STATUSES = ("open", "pending", "on_hold")
# What an automation may set: solved too (as Zendesk's automations do: the survey mail goes as an agent's solve's).
AUTOMATION_STATUSES = (*TRIGGER_STATUSES, "solved")
MAX_HOURS = 24 * 366
MAX_NAME = 100
MAX_NOTE = 5000
MAX_SKILL = 40  # a skill's name at most (desk.models.Skill)


class TriggerError(FileLineError):
    """A wrong triggers file: the file, the line and the field (the rule's position and name when known)."""

    def __init__(self, path: str, line: int, where: str, message: str) -> None:
        super().__init__(path, line, f"{where}: {message}")
        self.where, self.message = where, message


@dataclass(frozen=True)
class Actions:
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    priority: str | None = None
    team: str | None = None
    assignee: str | None = None  # an agent's email, lower case
    status: str | None = None
    note: str | None = None
    reply_macro: str | None = None
    notify_webhook: str | None = None  # an outbound webhook endpoint's name (desk.webhooks)
    set_fields: tuple[tuple[str, str | None], ...] = ()  # (key, value as stored; None clears it)
    # Skills the ticket then requires (desk.skills: names an admin defined, checked against the desk's at start)
    require_skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Since:
    """An automation's time condition: at least `hours` since the ticket's `key` moment (TIME_KEYS), counted in
    the team's business hours when `business`. That moment is also the start of the state the rule fires once for."""

    key: str
    hours: float
    business: bool = False


@dataclass(frozen=True)
class FieldCondition:
    """`field.<key>`: the ticket's value is one of `values` (stored form), or (`contains`, a text field) holds one of
    them as whole words, folded by the desk; `customer.<key>` (`customer`): the ticket's customer's value."""

    key: str
    values: frozenset[str]
    contains: bool = False
    customer: bool = False

    @property
    def name(self) -> str:
        """The condition as written, and the key of its value in the desk's facts about a ticket."""
        return CUSTOMER_PREFIX + self.key if self.customer else self.key


@dataclass(frozen=True)
class Trigger:
    """One rule. `conditions` maps a condition key to its folded values (a frozenset of words), "in"/"out"
    (business_hours) or a bool (assigned); `any` is a list of such maps, one of which must hold."""

    name: str
    events: frozenset[str]
    conditions: Mapping[str, object]
    actions: Actions
    line: int
    any: tuple[Mapping[str, object], ...] = field(default_factory=tuple)
    since: Since | None = None  # an automation's (`on: schedule`) time condition; None for a trigger

    @property
    def scheduled(self) -> bool:
        """An automation (`on: schedule`), run by the worker's clock, rather than a trigger run by an event."""
        return SCHEDULE in self.events


def _words(value: object, path: str, line: int, at: str) -> frozenset[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise TriggerError(path, line, at, f"expected a word or a list of words, not {value!r}"[:200])
    return frozenset(str(v).strip().lower() for v in values)


def _tags(value: object, path: str, line: int, at: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise TriggerError(path, line, at, f"expected a tag or a list of tags, not {value!r}"[:200])
    tags = []
    for raw in values:
        tag = folded_tag(str(raw))
        if not is_tag(tag):
            raise TriggerError(path, line, at, f"{str(raw)[:30]!r} cannot be a tag: use letters, digits, - and _ "
                                               f"(at most {MAX_TAG} characters)")
        if (word := mixed_script_word(str(raw))) is not None:
            raise TriggerError(path, line, at, f"{str(raw)[:30]!r}: {word[:30]!r} mixes Latin, Cyrillic or Greek "
                                               f"letters in one word: type it in one alphabet")
        tags.append(tag)
    return tuple(dict.fromkeys(tags))


def _one_of(value: object, allowed: Collection[str], path: str, line: int, at: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text is None or text not in allowed:
        raise TriggerError(path, line, at, f"{value!r} is not one of {', '.join(allowed)}"[:300])
    return text


class _Reader:
    def __init__(self, path: str, teams: Collection[str] | None, macro_keys: Collection[str] | None,
                 languages: Collection[str] | None, fields: TicketFields | None = None,
                 customer_fields: CustomerFields | None = None) -> None:
        self.path, self.teams, self.macro_keys, self.languages = path, teams, macro_keys, languages
        self.fields = fields or TicketFields()
        self.customer_fields = customer_fields or CustomerFields()

    def field_condition(self, key: str, value: object, line: int, at: str, customer: bool = False) -> FieldCondition:
        fields: FieldSet = self.customer_fields if customer else self.fields
        field = fields.get(key)
        if field is None:
            kind, file = ("customer", CUSTOMER_FIELDS_FILE) if customer else ("ticket", FIELDS_FILE)
            raise self.error(line, at, f"no {kind} field {key!r} in content/{file} (fields: "
                                       f"{', '.join(fields.keys) or '-'})"[:300])
        values = value if isinstance(value, list) else [value]
        if field.type == "text":
            return FieldCondition(key, _words(value, self.path, line, at), contains=True, customer=customer)
        stored = set()
        for raw in values:
            try:
                normalised = field.normalise(raw)
            except FieldValueError as error:
                raise self.error(line, at, f"{raw!r}: {error.reason}"[:300]) from None
            if normalised is None:
                raise self.error(line, at, "expected a value, not a blank")
            stored.add(normalised)
        if not stored:
            raise self.error(line, at, "expected a value or a list of values")
        return FieldCondition(key, frozenset(stored), customer=customer)

    def field_values(self, raw: object, line: int, at: str) -> tuple[tuple[str, str | None], ...]:
        """`set_fields`/a macro's: {key: value}, each checked against the fields file (null clears one)."""
        return field_values(raw, self.fields, lambda here, name, message: self.error(here, name, message), line, at,
                            getattr(raw, "lines", {}))

    def error(self, line: int, at: str, message: str) -> TriggerError:
        return TriggerError(self.path, line, at, message)

    def since(self, key: str, value: object, here: int, name: str) -> Since:
        if not isinstance(value, LineMap) or len(value) != 1:
            raise self.error(here, name, f"expected one moment and its hours, such as {{status_changed: 72}} "
                                         f"(moments: {', '.join(TIME_KEYS)})")
        (moment, hours), = value.items()
        if moment not in TIME_KEYS:
            raise self.error(value.lines[moment], f"{name}.{moment}",
                             f"unknown moment; use {', '.join(TIME_KEYS)}")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= MAX_HOURS:
            raise self.error(value.lines[moment], f"{name}.{moment}",
                             f"expected hours from 0 to {MAX_HOURS}, not {hours!r}"[:200])
        return Since(str(moment), float(hours), key == "business_hours_since")

    def conditions(self, raw: object, line: int, at: str, scheduled: bool = False,
                   timed: bool = False) -> dict[str, object]:
        """A map of conditions; `scheduled`: an automation's (no `text`), `timed`: the one map that holds its time
        condition (found["since"], a Since, which the caller pops)."""
        if not isinstance(raw, LineMap) or not raw:
            raise self.error(line, at, "expected a mapping of conditions such as {lang: ar}")
        found: dict[str, object] = {}
        for key, value in raw.items():
            here, name = raw.lines[key], f"{at}.{key}"
            if isinstance(key, str) and key.startswith(FIELD_CONDITION):
                found[key] = self.field_condition(key[len(FIELD_CONDITION):], value, here, name)
                continue
            if isinstance(key, str) and key.startswith(CUSTOMER_PREFIX):
                found[key] = self.field_condition(key[len(CUSTOMER_PREFIX):], value, here, name, customer=True)
                continue
            if key in TIME_CONDITIONS and timed:
                if "since" in found:
                    raise self.error(here, name, "one time condition per automation (hours_since or "
                                                 "business_hours_since): it says when the state it waits in began")
                found["since"] = self.since(str(key), value, here, name)
                continue
            if key in TIME_CONDITIONS:
                raise self.error(here, name, "a time condition goes in the `if:` of a rule with `on: schedule`")
            if key == "text" and scheduled:
                raise self.error(here, name, "an automation (on: schedule) has no event to bring words: no `text`")
            if key not in CONDITION_KEYS:
                raise self.error(here, name, f"unknown condition; use {', '.join(CONDITION_KEYS)}, "
                                             f"{FIELD_CONDITION}<key>, {CUSTOMER_PREFIX}<key>")
            if key == "business_hours":
                found[key] = _one_of(value, ("in", "out"), self.path, here, name)
            elif key == "assigned":
                if not isinstance(value, bool):
                    raise self.error(here, name, f"expected true or false, not {value!r}"[:200])
                found[key] = value
            elif key in ("tags", "not_tags"):
                found[key] = frozenset(_tags(value, self.path, here, name))
            elif key == "text":
                found[key] = _words(value, self.path, here, name)
            else:
                words = _words(value, self.path, here, name)
                allowed = {"channel": CHANNELS, "priority": PRIORITIES, "status": STATUSES,
                           "team": self.teams, "lang": self.languages}.get(str(key))
                if allowed is not None:
                    wrong = sorted(w for w in words if w not in {a.lower() for a in allowed})
                    if wrong:
                        raise self.error(here, name, f"{wrong[0]!r} is not one of {', '.join(allowed)}"[:300])
                if key == "organization":
                    words = frozenset(" ".join(w.split()) for w in words)
                found[key] = frozenset(w.lstrip("@") for w in words) if key == "domain" else words
        return found

    def actions(self, raw: object, line: int, at: str, scheduled: bool = False) -> Actions:
        if not isinstance(raw, LineMap) or not raw:
            raise self.error(line, at, "expected a mapping of actions such as {add_tags: [refund]}")
        values: dict[str, Any] = {}
        for key, value in raw.items():
            here, name = raw.lines[key], f"{at}.{key}"
            if key not in ACTION_KEYS:
                raise self.error(here, name, f"unknown action; use {', '.join(ACTION_KEYS)}")
            if key in ("add_tags", "remove_tags"):
                values[key] = _tags(value, self.path, here, name)
            elif key == "priority":
                values[key] = _one_of(value, PRIORITIES, self.path, here, name)
            elif key == "status":
                values[key] = _one_of(value, AUTOMATION_STATUSES if scheduled else TRIGGER_STATUSES, self.path,
                                      here, name)
            elif key == "team":
                if not isinstance(value, str) or (self.teams is not None and value not in self.teams):
                    teams = ", ".join(self.teams or ())
                    raise self.error(here, name, f"no team {value!r} (teams: {teams})"[:300])
                values[key] = value
            elif key == "assignee":
                if not isinstance(value, str) or "@" not in value:
                    raise self.error(here, name, f"expected an agent's email, not {value!r}"[:200])
                values[key] = value.strip().lower()
            elif key == "set_fields":
                values[key] = self.field_values(value, here, name)
            elif key == "require_skills":
                if (not isinstance(value, list) or not value
                        or not all(isinstance(v, str) and 0 < len(v.strip()) <= MAX_SKILL for v in value)):
                    raise self.error(here, name, f"expected a list of skill names (1 to {MAX_SKILL} characters "
                                                 f"each, as the admin page names them), not {value!r}"[:200])
                values[key] = tuple(dict.fromkeys(" ".join(v.split()) for v in value))
            elif key == "note":
                if not isinstance(value, str) or not value.strip() or len(value) > MAX_NOTE:
                    raise self.error(here, name, f"expected the note's text (1 to {MAX_NOTE} characters)")
                values[key] = value.strip()
            elif key == "notify_webhook":
                if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
                    raise self.error(here, name, f"expected an outbound webhook's name, not {value!r}"[:200])
                values[key] = value.strip()
            else:  # reply_macro
                if not isinstance(value, str) or (self.macro_keys is not None and value not in self.macro_keys):
                    keys = ", ".join(sorted(self.macro_keys or ()))
                    raise self.error(here, name, f"no macro {value!r} in content/_macros (macros: {keys})"[:300])
                values[key] = value
        return Actions(**values)

    def rule(self, number: int, raw: object) -> Trigger:
        at = f"trigger {number}"
        if not isinstance(raw, LineMap):
            raise self.error(1, at, "expected a mapping with name, on, if and then")
        name = raw.get("name")
        if isinstance(name, str) and name.strip():
            at = f"trigger {number} ({name.strip()[:40]})"
        unknown = [key for key in raw if key not in RULE_KEYS]
        if unknown:
            raise self.error(raw.lines[unknown[0]], f"{at}.{unknown[0]}", f"unknown key; use {', '.join(RULE_KEYS)}")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
            raise self.error(raw.lines.get("name", raw.line), f"{at}.name", f"expected 1 to {MAX_NAME} characters")
        if "on" not in raw:
            raise self.error(raw.line, f"{at}.on", f"missing: say when it runs ({', '.join((*EVENTS, SCHEDULE))})")
        on = raw["on"] if isinstance(raw["on"], list) else [raw["on"]]
        scheduled = on == [SCHEDULE]
        if not scheduled and (not on or not all(isinstance(e, str) and e in EVENTS for e in on)):
            raise self.error(raw.lines["on"], f"{at}.on", f"expected one or more of {', '.join(EVENTS)}, or "
                                                          f"{SCHEDULE} alone, not {raw['on']!r}"[:300])
        if "then" not in raw:
            raise self.error(raw.line, f"{at}.then", "missing: say what the trigger does")
        conditions = (self.conditions(raw["if"], raw.lines["if"], f"{at}.if", scheduled, timed=scheduled)
                      if raw.get("if") is not None else {})
        since = conditions.pop("since", None)
        if scheduled and since is None:
            raise self.error(raw.lines.get("if", raw.line), f"{at}.if", "an automation needs a time condition: "
                                                                        "hours_since or business_hours_since")
        alternatives: tuple[dict[str, object], ...] = ()
        if "any" in raw:
            if not isinstance(raw["any"], list) or not raw["any"]:
                raise self.error(raw.lines["any"], f"{at}.any", "expected a list of condition maps")
            alternatives = tuple(self.conditions(c, raw.lines["any"], f"{at}.any[{i}]", scheduled)
                                 for i, c in enumerate(raw["any"], 1))
        actions = self.actions(raw["then"], raw.lines["then"], f"{at}.then", scheduled)
        assert since is None or isinstance(since, Since)
        return Trigger(name.strip(), frozenset(on), conditions, actions, raw.line, alternatives, since)


def field_values(raw: object, fields: TicketFields, error: Any, line: int, at: str,
                 lines: Mapping[Any, int] | None = None) -> tuple[tuple[str, str | None], ...]:
    """A `set_fields` mapping (a trigger's action, a macro's) checked against the fields file: each key a field, each
    value one it takes (normalised as stored; null: clear it). `error(line, where, message)` builds the refusal."""
    if not isinstance(raw, Mapping) or not raw:
        raise error(line, at, "expected a mapping of field keys to values such as {reason: refund}")
    found: list[tuple[str, str | None]] = []
    for key, value in raw.items():
        here, name = (lines or {}).get(key, line), f"{at}.{key}"
        field = fields.get(str(key))
        if field is None:
            raise error(here, name, f"no ticket field {str(key)[:40]!r} in content/_ticket_fields.yml (fields: "
                                    f"{', '.join(fields.keys) or '-'})"[:300])
        try:
            found.append((field.key, None if value is None else field.normalise(value)))
        except FieldValueError as refused:
            raise error(here, name, f"{value!r}: {refused.reason}"[:300]) from None
    return tuple(found)


def parse_triggers(text: str, path: str = TRIGGERS_FILE, teams: Collection[str] | None = None,
                   macro_keys: Collection[str] | None = None,
                   languages: Collection[str] | None = None,
                   fields: TicketFields | None = None,
                   customer_fields: CustomerFields | None = None) -> tuple[Trigger, ...]:
    """The rules of a triggers file's text, in file order; a wrong one raises TriggerError naming the file, line and
    field. `teams` and `macro_keys` (None: not checked) are what an action may name; `fields` (none: no field) what
    a `field.<key>` condition and `set_fields` may name, `customer_fields` (none: no field) a `customer.<key>`."""
    try:
        raw = load_lines(text)
    except YamlSyntaxError as exc:
        raise TriggerError(path, exc.line, "yaml", exc.problem) from None
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TriggerError(path, 1, "triggers", "expected a list of rules, each with name, on, if and then")
    reader = _Reader(path, teams, macro_keys, languages, fields, customer_fields)
    rules = tuple(reader.rule(number, rule) for number, rule in enumerate(raw, 1))
    seen: dict[str, int] = {}
    for rule in rules:
        if rule.name.casefold() in seen:
            raise TriggerError(path, rule.line, "name", f"{rule.name!r} names trigger {seen[rule.name.casefold()]} "
                                                        f"already: the history tells them apart by name")
        seen[rule.name.casefold()] = rules.index(rule) + 1
    return rules


def macro_keys(content_dir: Path) -> set[str]:
    """The macro keys of the content folder (a key in any language; the desk sends the ticket's language's)."""
    return {path.stem for path in iter_macro_paths(content_dir)}


def file_teams(content_dir: Path) -> set[str] | None:
    """The team keys of content/_business_hours.yml as written (None: unreadable, left to the desk's own check)."""
    path = content_dir / "_business_hours.yml"
    if not path.exists():
        return {"default"}
    try:
        raw = load_lines(rule_file_text(path)) or {}
    except (YamlSyntaxError, OSError, UnicodeDecodeError):
        return None
    teams = raw.get("teams") if isinstance(raw, dict) else None
    return {str(key) for key in teams} if isinstance(teams, dict) and teams else {"default"}


def file_fields(content_dir: Path, languages: Collection[str]) -> TicketFields:
    """content/_ticket_fields.yml's fields; a wrong file is none here (`kb lint` reports it as `ticket-fields`)."""
    try:
        return TicketFields.load(content_dir, tuple(languages))
    except (ValueError, OSError):
        return TicketFields()


def lint_triggers(content_dir: Path, languages: Collection[str]) -> list[TriggerError]:
    """`kb lint`'s check of content/_triggers.yml (rule `trigger-file`): the first problem, as the desk would
    refuse the file at start."""
    path = content_dir / TRIGGERS_FILE
    if not path.exists():
        return []
    try:
        parse_triggers(rule_file_text(path), TRIGGERS_FILE, file_teams(content_dir),
                       macro_keys(content_dir), languages, file_fields(content_dir, languages),
                       file_customer_fields(content_dir, tuple(languages)))
    except TriggerError as error:
        return [error]
    except UnicodeDecodeError:
        return [TriggerError(TRIGGERS_FILE, 1, "file", "not UTF-8 text")]
    except OSError as error:  # a directory, a device, past the size (kb.yaml_lines.rule_file_bytes): was a traceback
        return [TriggerError(TRIGGERS_FILE, 1, "file", f"cannot be read: {error.strerror or error}")]
    return []
