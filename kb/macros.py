"""Macros (canned replies) kept as Markdown in git: `content/_macros/<lang>/<key>.md`.

A macro is a reply an agent sends often, with placeholders filled from the ticket and, optionally,
actions applied when the reply is sent:

    ---
    title: Refund on its way
    tags: [refund]
    actions:
      status: pending
      add_tags: [refund]
      set_fields: {reason: refund}   # custom ticket fields (content/_ticket_fields.yml), set with the reply
    ---
    Hello {{ customer.name }}, your refund for request {{ ticket.reference }} ...
    {{ agent.name }}

Each customer field (kb.customer_fields, content/_customer_fields.yml) is a placeholder too, `{{ customer.<key> }}`
(Zendesk's `{{ticket.requester.custom_fields.<key>}}`): filled with the ticket's customer's value as agents see it, in
the ticket's language (a dropdown's label, a checkbox's yes or no; no value: empty). A key the file lacks is lint's
`unknown-placeholder`; a field keyed `name` or `first_name` is the built-in placeholder's, not the field's.

The file name (without .md) is the macro's key; the same key in each shipped language is one macro
in translation (`kb lint` warns when a language lacks it). The body is the reply's plain text, as
the agent would type it: no Markdown rendering. Placeholders outside PLACEHOLDERS are errors, so a
typo never reaches a customer as "{{ custmer.name }}".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.articles import ArticleError, decode_article_bytes, front_matter_lines, parse_front_matter
from kb.bidi_text import without_bidi_controls
from kb.customer_fields import CUSTOMER_PREFIX, file_customer_fields
from kb.message_text import first_name
from kb.name_fold import mixed_script_word
from kb.tag_rule import MAX_TAG, folded_tag, is_tag
from kb.ticket_fields import FieldSet, FieldValueError, TicketFields
from kb.yaml_lines import FileLineError

MACROS_DIR = "_macros"
PLACEHOLDERS = ("customer.name", "customer.first_name", "ticket.reference", "ticket.subject", "agent.name")
# The statuses a macro may set: a reply never marks a ticket "new".
MACRO_STATUSES = ("open", "pending", "on_hold", "solved")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_FENCE = "---"


class MacroError(FileLineError):
    """A macro file that cannot be used; names the file, the line and the lint rule."""

    def __init__(self, path: str, line: int, rule: str, message: str) -> None:
        super().__init__(path, line, message)
        self.rule, self.message = rule, message


@dataclass(frozen=True)
class Macro:
    key: str
    lang: str
    path: str  # relative to the content folder
    title: str
    body: str
    body_line: int
    tags: tuple[str, ...] = ()
    status: str | None = None  # set on send
    add_tags: tuple[str, ...] = field(default_factory=tuple)  # added on send
    add_tags_line: int = 2  # its line in the file, for lint
    # Custom ticket fields set on send (key -> the value as written; None clears it): checked against the fields file
    # by `kb lint` (macro-fields) and by the desk when the reply is sent (a refused value sends nothing).
    set_fields: tuple[tuple[str, object], ...] = field(default_factory=tuple)
    set_fields_line: int = 2

    def placeholders(self) -> Iterator[tuple[str, int]]:
        """Each placeholder name with its line in the file."""
        for offset, line in enumerate(self.body.splitlines()):
            for found in _PLACEHOLDER.finditer(line):
                yield found.group(1), self.body_line + offset

    def render(self, values: Mapping[str, str]) -> str:
        """The body with each known placeholder replaced (unknown ones are left for the agent to see). The
        values come from customers (a name, a subject) and land in plain text: bidi controls are dropped."""
        return _PLACEHOLDER.sub(lambda m: without_bidi_controls(values.get(m.group(1), m.group(0))), self.body)


def placeholder_names(customer_fields: FieldSet | None = None) -> tuple[str, ...]:
    """The placeholders a macro may use: PLACEHOLDERS and each customer field's `customer.<key>`."""
    added = (CUSTOMER_PREFIX + key for key in (customer_fields.keys if customer_fields else ()))
    return PLACEHOLDERS + tuple(name for name in added if name not in PLACEHOLDERS)


def placeholder_values(customer_name: str, customer_email: str, reference: str, subject: str,
                       agent_name: str, customer_values: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each placeholder's value for one ticket: the agent's macro box and a trigger's reply or note fill them
    alike (a nameless customer is called by their email; the first name is the name's first word).
    `customer_values`: the customer fields' placeholders (kb.customer_fields.placeholder_values); a field keyed like
    a built-in one does not replace it."""
    return {**(customer_values or {}),
            "customer.name": customer_name or customer_email, "customer.first_name": first_name(customer_name),
            "ticket.reference": reference, "ticket.subject": subject, "agent.name": agent_name}


def iter_macro_paths(content_dir: Path) -> Iterator[Path]:
    yield from sorted((content_dir / MACROS_DIR).glob("*/*.md"))


def _text_list(value: object, name: str, relative: str, line: int) -> tuple[str, ...]:
    """A list of text (none when absent): `tags: 5` raised TypeError, `add_tags: refund` made six tags."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
        raise MacroError(relative, line, "macro-front-matter", f"{name!r} must be a list of text, not {value!r}"[:200])
    return tuple(str(item) for item in value)


def _action_line(front: str, actions_line: int, key: str) -> int:
    """The file line of `key` under `actions:` (front_matter_lines knows top-level keys only), else actions'."""
    below = front.splitlines()[actions_line - 2 :]  # the fence is line 1: front matter line 0 is file line 2
    found = next((n for n, line in enumerate(below) if line.strip().startswith(f"{key}:")), None)
    return actions_line if found is None else actions_line + found


def _front_matter(front: str, relative: str) -> dict[str, Any]:
    """The articles' reader (kb.articles.parse_front_matter): a bad value, deep nesting, an alias or a key
    given twice is the file's error with its line; plain yaml.safe_load raised past MacroError on some."""
    try:
        meta, problems = parse_front_matter(front, relative)
    except ArticleError as error:
        raise MacroError(relative, error.line, "macro-front-matter", error.message) from None
    if problems:
        raise MacroError(relative, problems[0].line, "macro-front-matter", problems[0].message)
    return meta


def load_macro(path: Path, content_dir: Path) -> Macro:
    relative = path.relative_to(content_dir).as_posix()
    try:
        text = decode_article_bytes(path.read_bytes(), relative)
    except ArticleError as error:
        raise MacroError(relative, error.line, "macro-front-matter", error.message) from None
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _FENCE or _FENCE not in (line.strip() for line in lines[1:]):
        raise MacroError(relative, 1, "macro-front-matter", "missing front matter (a '---' block with a title)")
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    front = "\n".join(lines[1:end])
    meta = _front_matter(front, relative)
    at = front_matter_lines(front)
    raw_title = meta.get("title")
    if raw_title is not None and not isinstance(raw_title, str | int | float):  # {a: 1} was the title "{'a': 1}"
        raise MacroError(relative, at.get("title", 2), "macro-front-matter", "title: must be text")
    title = str(raw_title or "").strip()
    if not title:
        raise MacroError(relative, 2, "macro-front-matter", "title: missing")
    actions = meta.get("actions") or {}
    if not isinstance(actions, dict) or set(actions) - {"status", "add_tags", "set_fields"}:
        raise MacroError(relative, 2, "macro-front-matter",
                         "actions: only 'status', 'add_tags' and 'set_fields' are known")
    set_fields = actions.get("set_fields") or {}
    if not isinstance(set_fields, dict):
        raise MacroError(relative, _action_line(front, at.get("actions", 2), "set_fields"), "macro-front-matter",
                         "actions.set_fields: expected a mapping of field keys to values such as {reason: refund}")
    status = actions.get("status")
    if status is not None and status not in MACRO_STATUSES:
        raise MacroError(relative, 2, "macro-front-matter",
                         f"actions.status: must be one of {', '.join(MACRO_STATUSES)}, not {status!r}")
    body = "\n".join(lines[end + 1 :]).strip("\n")
    if not body.strip():
        raise MacroError(relative, end + 2, "macro-front-matter", "the macro has no text")
    first_body = end + 2 + next((i for i, line in enumerate(lines[end + 1 :]) if line.strip()), 0)
    return Macro(
        key=path.stem,
        lang=path.parent.name,
        path=relative,
        title=title,
        body=body,
        body_line=first_body,
        tags=_text_list(meta.get("tags"), "tags", relative, at.get("tags", 2)),
        status=status,
        add_tags=_text_list(actions.get("add_tags"), "actions.add_tags", relative, at.get("actions", 2)),
        add_tags_line=_action_line(front, at.get("actions", 2), "add_tags"),
        set_fields=tuple((str(key), value) for key, value in set_fields.items()),
        set_fields_line=_action_line(front, at.get("actions", 2), "set_fields"),
    )


def load_macros(content_dir: Path, lang: str | None = None) -> list[Macro]:
    """Every usable macro (of `lang` when given), by title; broken files are left to `kb lint`."""
    found = []
    for path in iter_macro_paths(content_dir):
        if lang is not None and path.parent.name != lang:
            continue
        try:
            found.append(load_macro(path, content_dir))
        except MacroError:
            continue
    return sorted(found, key=lambda m: m.title.casefold())


@dataclass(frozen=True)
class MacroProblem:
    path: str
    line: int
    severity: str  # "error" | "warning"
    rule: str
    message: str


def lint_macros(content_dir: Path, languages: tuple[str, ...]) -> list[MacroProblem]:
    """Rules (kb lint ids): macro-front-matter (error), unknown-placeholder (error: not in PLACEHOLDERS nor a
    customer field's `customer.<key>`), macro-tag (error: an
    add_tags value the desk refuses at send time, kb.tag_rule), macro-fields (error: a set_fields key the fields file
    lacks or a value its field refuses), macro-lang-folder (error: a folder that is not a
    shipped language), missing-macro-translation (warning)."""
    problems: list[MacroProblem] = []
    try:
        fields = TicketFields.load(content_dir, languages)
    except (ValueError, OSError):  # a wrong fields file is its own problem (rule ticket-fields)
        fields = TicketFields()
    known = placeholder_names(file_customer_fields(content_dir, languages))
    keys: dict[str, set[str]] = {}
    paths: dict[tuple[str, str], str] = {}
    for path in iter_macro_paths(content_dir):
        relative = path.relative_to(content_dir).as_posix()
        if path.parent.name not in languages:
            problems.append(MacroProblem(relative, 1, "error", "macro-lang-folder",
                                         f"{path.parent.name!r} is not a shipped language ({', '.join(languages)})"))
            continue
        # A broken file still exists: its own error is the message, not a "missing translation".
        keys.setdefault(path.stem, set()).add(path.parent.name)
        paths[(path.stem, path.parent.name)] = relative
        try:
            macro = load_macro(path, content_dir)
        except MacroError as error:
            problems.append(MacroProblem(error.path, error.line, "error", error.rule, error.message))
            continue
        for name, line in macro.placeholders():
            if name not in known:
                problems.append(MacroProblem(relative, line, "error", "unknown-placeholder",
                                             f"unknown placeholder {{{{ {name} }}}}; known: {', '.join(known)} "
                                             f"(customer.<key>: a field of content/_customer_fields.yml)"[:400]))
        for tag in macro.add_tags:
            if not is_tag(folded_tag(tag)):
                problems.append(MacroProblem(relative, macro.add_tags_line, "error", "macro-tag",
                                             f"actions.add_tags: {tag[:30]!r} cannot be a tag: use letters, digits, "
                                             f"- and _ (at most {MAX_TAG} characters)"))
            elif (word := mixed_script_word(tag)) is not None:
                problems.append(MacroProblem(relative, macro.add_tags_line, "error", "macro-tag",
                                             f"actions.add_tags: {tag[:30]!r}: {word[:30]!r} mixes Latin, Cyrillic or "
                                             f"Greek letters in one word: type it in one alphabet"))
        for key, value in macro.set_fields:
            field = fields.get(key)
            if field is None:
                problems.append(MacroProblem(relative, macro.set_fields_line, "error", "macro-fields",
                                             f"actions.set_fields.{key[:40]}: no ticket field {key[:40]!r} in "
                                             f"content/_ticket_fields.yml (fields: {', '.join(fields.keys) or '-'})"))
                continue
            try:
                field.normalise(value)
            except FieldValueError as error:
                problems.append(MacroProblem(relative, macro.set_fields_line, "error", "macro-fields",
                                             f"actions.set_fields.{key}: {value!r}: {error.reason}"[:300]))
    for key, langs in sorted(keys.items()):
        for missing in (lang for lang in languages if lang not in langs):
            owner = paths[(key, sorted(langs)[0])]
            problems.append(MacroProblem(owner, 1, "warning", "missing-macro-translation",
                                         f"no {missing} version of this macro ({MACROS_DIR}/{missing}/{key}.md)"))
    return problems


FilesStamp = tuple[tuple[str, int, int, int], ...]


def files_stamp(paths: Iterable[Path]) -> FilesStamp:
    """Each existing file's path, inode, mtime and size: what changes when a git sync or an editor rewrites it (a
    stat per file). A file gone between listing and stat is left out, as the next listing will."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append((path.as_posix(), stat.st_ino, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def macros_stamp(content_dir: Path) -> FilesStamp:
    """The macro files' stamp (`files_stamp`): a changed one means the macros must be read again."""
    return files_stamp(iter_macro_paths(content_dir))


class MacroLibrary:
    """The macros of a content folder, re-read only when a macro file is added, removed or changed
    (a git sync changes them under a running server; a stat per file is all a page view costs)."""

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir
        self._stamp: FilesStamp | None = None
        self._macros: list[Macro] = []

    def for_lang(self, lang: str) -> list[Macro]:
        stamp = macros_stamp(self.content_dir)
        if stamp != self._stamp:
            self._macros, self._stamp = load_macros(self.content_dir), stamp
        return [m for m in self._macros if m.lang == lang]
