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

The file is read once, at start. The absent file is no triggers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.macros import iter_macro_paths
from kb.name_fold import mixed_script_word
from kb.tag_rule import MAX_TAG, folded_tag, is_tag

TRIGGERS_FILE = "_triggers.yml"
EVENTS = ("created", "customer_reply")
# A rule's conditions: those matched as the routing rules match (one value or a list, ignoring case)...
# `organization`: the requester's organization (desk.organizations) by name, compared lower-cased, spaces folded.
WORD_CONDITIONS = ("lang", "channel", "category", "domain", "team", "priority", "status", "organization")
CONDITION_KEYS = (*WORD_CONDITIONS, "tags", "not_tags", "text", "business_hours", "assigned")
ACTION_KEYS = ("add_tags", "remove_tags", "priority", "team", "assignee", "status", "note", "reply_macro")
RULE_KEYS = ("name", "on", "if", "any", "then")
# The desk's (desk.models: PRIORITIES, CHANNELS, TICKET_STATUSES); tests/desk/test_triggers.py checks they agree.
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("web", "email", "chat", "api", "phone")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
# What a trigger may set: never solved or closed (a rule does not end a conversation nobody read).
TRIGGER_STATUSES = ("open", "pending", "on_hold")
MAX_NAME = 100
MAX_NOTE = 5000


class TriggerError(ValueError):
    """A wrong triggers file: the file, the line and the field (the rule's position and name when known)."""

    def __init__(self, path: str, line: int, where: str, message: str) -> None:
        super().__init__(f"{path}:{line}: {where}: {message}")
        self.path, self.line, self.where, self.message = path, line, where, message


class _Lines(dict[Any, Any]):
    """A YAML mapping that remembers its own line and each key's (1-based)."""

    line: int = 1
    lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    """YAML 1.2's booleans: only true and false (YAML 1.1 reads the key `on:` as True, and `no` as False)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Lines:
    loader.flatten_mapping(node)
    found = _Lines()
    found.line, found.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        found[key] = loader.construct_object(value_node, deep=True)
        found.lines[key] = key_node.start_mark.line + 1
    return found


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)  # type: ignore[arg-type]


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
                 languages: Collection[str] | None) -> None:
        self.path, self.teams, self.macro_keys, self.languages = path, teams, macro_keys, languages

    def error(self, line: int, at: str, message: str) -> TriggerError:
        return TriggerError(self.path, line, at, message)

    def conditions(self, raw: object, line: int, at: str) -> dict[str, object]:
        if not isinstance(raw, _Lines) or not raw:
            raise self.error(line, at, "expected a mapping of conditions such as {lang: ar}")
        found: dict[str, object] = {}
        for key, value in raw.items():
            here, name = raw.lines[key], f"{at}.{key}"
            if key not in CONDITION_KEYS:
                raise self.error(here, name, f"unknown condition; use {', '.join(CONDITION_KEYS)}")
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

    def actions(self, raw: object, line: int, at: str) -> Actions:
        if not isinstance(raw, _Lines) or not raw:
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
                values[key] = _one_of(value, TRIGGER_STATUSES, self.path, here, name)
            elif key == "team":
                if not isinstance(value, str) or (self.teams is not None and value not in self.teams):
                    teams = ", ".join(self.teams or ())
                    raise self.error(here, name, f"no team {value!r} (teams: {teams})"[:300])
                values[key] = value
            elif key == "assignee":
                if not isinstance(value, str) or "@" not in value:
                    raise self.error(here, name, f"expected an agent's email, not {value!r}"[:200])
                values[key] = value.strip().lower()
            elif key == "note":
                if not isinstance(value, str) or not value.strip() or len(value) > MAX_NOTE:
                    raise self.error(here, name, f"expected the note's text (1 to {MAX_NOTE} characters)")
                values[key] = value.strip()
            else:  # reply_macro
                if not isinstance(value, str) or (self.macro_keys is not None and value not in self.macro_keys):
                    keys = ", ".join(sorted(self.macro_keys or ()))
                    raise self.error(here, name, f"no macro {value!r} in content/_macros (macros: {keys})"[:300])
                values[key] = value
        return Actions(**values)

    def rule(self, number: int, raw: object) -> Trigger:
        at = f"trigger {number}"
        if not isinstance(raw, _Lines):
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
            raise self.error(raw.line, f"{at}.on", f"missing: say when it runs ({', '.join(EVENTS)})")
        on = raw["on"] if isinstance(raw["on"], list) else [raw["on"]]
        if not on or not all(isinstance(e, str) and e in EVENTS for e in on):
            raise self.error(raw.lines["on"], f"{at}.on", f"expected one or more of {', '.join(EVENTS)}, "
                                                          f"not {raw['on']!r}"[:300])
        if "then" not in raw:
            raise self.error(raw.line, f"{at}.then", "missing: say what the trigger does")
        conditions = self.conditions(raw["if"], raw.lines["if"], f"{at}.if") if raw.get("if") is not None else {}
        alternatives: tuple[dict[str, object], ...] = ()
        if "any" in raw:
            if not isinstance(raw["any"], list) or not raw["any"]:
                raise self.error(raw.lines["any"], f"{at}.any", "expected a list of condition maps")
            alternatives = tuple(self.conditions(c, raw.lines["any"], f"{at}.any[{i}]")
                                 for i, c in enumerate(raw["any"], 1))
        actions = self.actions(raw["then"], raw.lines["then"], f"{at}.then")
        return Trigger(name.strip(), frozenset(on), conditions, actions, raw.line, alternatives)


def parse_triggers(text: str, path: str = TRIGGERS_FILE, teams: Collection[str] | None = None,
                   macro_keys: Collection[str] | None = None,
                   languages: Collection[str] | None = None) -> tuple[Trigger, ...]:
    """The rules of a triggers file's text, in file order; a wrong one raises TriggerError naming the file, line and
    field. `teams` and `macro_keys` (None: not checked) are what an action may name."""
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader that records lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TriggerError(path, mark.line + 1 if mark else 1, "yaml", str(exc).splitlines()[0]) from None
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TriggerError(path, 1, "triggers", "expected a list of rules, each with name, on, if and then")
    reader = _Reader(path, teams, macro_keys, languages)
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
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    teams = raw.get("teams") if isinstance(raw, dict) else None
    return {str(key) for key in teams} if isinstance(teams, dict) and teams else {"default"}


def lint_triggers(content_dir: Path, languages: Collection[str]) -> list[TriggerError]:
    """`kb lint`'s check of content/_triggers.yml (rule `trigger-file`): the first problem, as the desk would
    refuse the file at start."""
    path = content_dir / TRIGGERS_FILE
    if not path.exists():
        return []
    try:
        parse_triggers(path.read_text(encoding="utf-8"), TRIGGERS_FILE, file_teams(content_dir),
                       macro_keys(content_dir), languages)
    except TriggerError as error:
        return [error]
    except UnicodeDecodeError:
        return [TriggerError(TRIGGERS_FILE, 1, "file", "not UTF-8 text")]
    return []
