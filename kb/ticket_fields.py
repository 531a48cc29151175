"""Custom ticket fields (Zendesk's ticket fields, Chatwoot's custom attributes): a team's own data on a ticket,
defined in git like teams and categories.

`content/_ticket_fields.yml` (optional) is a list of fields, each

    - key: order_number            # lowercase ascii slug: what the API, the filters and the database name it
      type: text                   # text, number (a decimal), date, dropdown, checkbox
      label: {en: Order number, ar: رقم الطلب}     # one per shipped language, each required
      options:                     # dropdown only: each a key and its labels
        - {key: refund, label: {en: Refund, ar: استرداد}}
      required_to_solve: true      # a ticket cannot be solved until it is set (Zendesk's rule)
      on_contact_form: true        # customers see it on the contact form (optional for them...)
      required_on_form: true       # ...unless this is set too
      visible_to_customer: true    # the customer's ticket page shows it, read only (else agents only: the default)

A wrong file is refused whole with the file, line and field named (`TicketFieldsError`): the desk does not start
with it, and `kb lint` reports it (rule `ticket-fields`). This module only reads the file and normalises values;
storing them is desk.ticket_fields's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from kb.settings import SHIPPED_LANGUAGES

FIELDS_FILE = "_ticket_fields.yml"
FIELD_TYPES = ("text", "number", "date", "dropdown", "checkbox")
FIELD_KEYS = ("key", "type", "label", "options", "required_to_solve", "on_contact_form", "required_on_form",
              "visible_to_customer")
OPTION_KEYS = ("key", "label")
MAX_KEY = 40  # ticket_field_values.key is String(40)
MAX_TEXT = 1000  # a text value's characters: an order number or a device, not a message
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Arabic-Indic and Eastern Arabic-Indic digits and the Arabic decimal separator, read as ASCII in numbers and dates.
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")  # what a stored number looks like: no exponent, no spaces


class TicketFieldsError(ValueError):
    """The fields file is wrong: `line` is where (1-based), the message names the file, line and field."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.detail = message


class FieldValueError(ValueError):
    """A value that the field's type refuses; `reason` is an English message for translation (kb knows no
    catalog: the desk wraps it in its own InputError)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FieldOption:
    key: str
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get(SHIPPED_LANGUAGES[0]) or self.key


@dataclass(frozen=True)
class TicketField:
    key: str
    type: str
    labels: Mapping[str, str]
    options: tuple[FieldOption, ...] = ()
    required_to_solve: bool = False
    on_contact_form: bool = False
    required_on_form: bool = False
    visible_to_customer: bool = False  # Zendesk's "customers can view": read only on their ticket page

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get(SHIPPED_LANGUAGES[0]) or self.key

    def option(self, key: str) -> FieldOption | None:
        return next((option for option in self.options if option.key == key), None)

    def normalise(self, raw: object) -> str | None:
        """The stored text of `raw` (None or blank: no value): a number as a plain decimal ("12.5"), a date as
        YYYY-MM-DD, a checkbox as "true"/"false", a dropdown's option key, a text trimmed. Wrong: FieldValueError
        with the reason ("not a number")."""
        if raw is None:
            return None
        if self.type == "checkbox":
            if isinstance(raw, bool):
                return "true" if raw else "false"
            text = str(raw).strip().lower()
            if text in ("", ):
                return None
            if text in ("true", "1", "on", "yes"):
                return "true"
            if text in ("false", "0", "off", "no"):
                return "false"
            raise FieldValueError("not true or false")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal | date):
            raise FieldValueError(f"expected a {self.type}")
        text = str(raw).strip()
        if not text:
            return None
        if self.type == "text":
            if len(text) > MAX_TEXT or not text.isprintable():
                raise FieldValueError("too long or holds control characters")
            return text
        if self.type == "number":
            return _number(text)
        if self.type == "date":
            text = text.translate(_ARABIC_DIGITS)  # read as a number field reads them
            try:  # exactly YYYY-MM-DD (Python also reads "20261205" and week dates: not what a person means)
                if not _DATE.match(text):
                    raise ValueError(text)
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise FieldValueError("not a date (YYYY-MM-DD)") from None
        if self.option(text) is None:
            raise FieldValueError("not one of " + ", ".join(option.key for option in self.options))
        return text


def _number(text: str) -> str:
    """A decimal as stored: Arabic-Indic digits and the Arabic decimal separator read as ASCII ones."""
    folded = text.translate(_ARABIC_DIGITS)
    if not _NUMBER.match(folded):
        raise FieldValueError("not a number")
    try:
        value = Decimal(folded)
    except InvalidOperation:
        raise FieldValueError("not a number") from None
    plain = format(value.normalize(), "f")
    return "0" if plain in ("-0", "") else plain


@dataclass(frozen=True)
class TicketFields:
    fields: tuple[TicketField, ...] = ()

    def get(self, key: str) -> TicketField | None:
        return next((field for field in self.fields if field.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(field.key for field in self.fields)

    def on_form(self) -> tuple[TicketField, ...]:
        return tuple(field for field in self.fields if field.on_contact_form)

    def for_customers(self) -> tuple[TicketField, ...]:
        """The fields the customer's ticket page shows (`visible_to_customer`); every other is the agents' alone."""
        return tuple(field for field in self.fields if field.visible_to_customer)

    def required_to_solve(self) -> tuple[TicketField, ...]:
        return tuple(field for field in self.fields if field.required_to_solve)

    @classmethod
    def load(cls, content_dir: Path, languages: Sequence[str] = SHIPPED_LANGUAGES) -> TicketFields:
        """The content repo's fields, none when it has no file; a wrong file raises TicketFieldsError."""
        path = content_dir / FIELDS_FILE
        if not path.is_file():
            return cls()
        return cls.parse(path.read_text(encoding="utf-8"), str(path), languages)

    @classmethod
    def parse(cls, text: str, where: str = FIELDS_FILE, languages: Sequence[str] = SHIPPED_LANGUAGES) -> TicketFields:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise TicketFieldsError(where, (mark.line + 1) if mark else 1, f"not valid YAML: {exc}") from None
        if root is None:
            return cls()
        if not isinstance(root, yaml.SequenceNode):
            raise TicketFieldsError(where, _line(root), "expected a list of fields (- key: ..., type: ...)")
        fields: list[TicketField] = []
        for node in root.value:
            field = _field(node, where, tuple(languages))
            if any(known.key == field.key for known in fields):
                raise TicketFieldsError(where, _line(node), f"key: {field.key!r} is defined twice")
            fields.append(field)
        return cls(tuple(fields))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _mapping(node: yaml.Node, known: tuple[str, ...], where: str, at: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise TicketFieldsError(where, _line(node), f"{at}: expected a mapping with {', '.join(known)}")
    found: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in known:
            raise TicketFieldsError(where, _line(key_node), f"{at}: unknown key {key!r}; use {', '.join(known)}")
        found[key] = value_node
    return found


def _scalar(node: yaml.Node, where: str, at: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise TicketFieldsError(where, _line(node), f"{at}: expected a word")
    return str(node.value).strip()


def _key(node: yaml.Node | None, parent: yaml.Node, where: str, at: str) -> str:
    if node is None:
        raise TicketFieldsError(where, _line(parent), f"{at}: key is missing")
    key = _scalar(node, where, f"{at}.key")
    if len(key) > MAX_KEY or not KEY_PATTERN.match(key):
        raise TicketFieldsError(where, _line(node), f"{at}.key: {key!r} is not a lowercase ascii slug of up to "
                                                    f"{MAX_KEY} characters (a-z, 0-9, _; a letter first)")
    return key


def _labels(node: yaml.Node | None, parent: yaml.Node, where: str, at: str, languages: tuple[str, ...]
            ) -> dict[str, str]:
    if node is None:
        raise TicketFieldsError(where, _line(parent), f"{at}.label: missing; give one per language "
                                                      f"({', '.join(languages)})")
    found = {lang: _scalar(value, where, f"{at}.label.{lang}")
             for lang, value in _mapping(node, languages, where, f"{at}.label").items()}
    missing = [lang for lang in languages if lang not in found]
    if missing:
        raise TicketFieldsError(where, _line(node), f"{at}.label: no {missing[0]!r} label "
                                                    f"(each of {', '.join(languages)} is required)")
    return found


def _flag(node: yaml.Node | None, where: str, at: str) -> bool:
    if node is None:
        return False
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
        raise TicketFieldsError(where, _line(node), f"{at}: expected true or false")
    return str(node.value).lower() in ("true", "yes", "on")


def _field(node: yaml.Node, where: str, languages: tuple[str, ...]) -> TicketField:
    parts = _mapping(node, FIELD_KEYS, where, "field")
    key = _key(parts.get("key"), node, where, "field")
    at = f"field {key}"
    if "type" not in parts:
        raise TicketFieldsError(where, _line(node), f"{at}.type: missing; use {', '.join(FIELD_TYPES)}")
    kind = _scalar(parts["type"], where, f"{at}.type")
    if kind not in FIELD_TYPES:
        raise TicketFieldsError(where, _line(parts["type"]), f"{at}.type: {kind!r} is no type; use "
                                                             f"{', '.join(FIELD_TYPES)}")
    labels = _labels(parts.get("label"), node, where, at, languages)
    options: list[FieldOption] = []
    if kind == "dropdown":
        options_node = parts.get("options")
        if not isinstance(options_node, yaml.SequenceNode) or not options_node.value:
            raise TicketFieldsError(where, _line(options_node or node), f"{at}.options: a dropdown needs a list of "
                                                                        "options, each a key and labels")
        for option_node in options_node.value:
            option_parts = _mapping(option_node, OPTION_KEYS, where, f"{at}.options")
            option_key = _key(option_parts.get("key"), option_node, where, f"{at}.options")
            if any(option.key == option_key for option in options):
                raise TicketFieldsError(where, _line(option_node), f"{at}.options: {option_key!r} is listed twice")
            options.append(FieldOption(option_key, _labels(option_parts.get("label"), option_node, where,
                                                           f"{at}.options.{option_key}", languages)))
    elif "options" in parts:
        raise TicketFieldsError(where, _line(parts["options"]), f"{at}.options: only a dropdown has options")
    on_form = _flag(parts.get("on_contact_form"), where, f"{at}.on_contact_form")
    required_on_form = _flag(parts.get("required_on_form"), where, f"{at}.required_on_form")
    if required_on_form and not on_form:
        raise TicketFieldsError(where, _line(parts["required_on_form"]),
                                f"{at}.required_on_form: the field is not on the contact form (on_contact_form)")
    return TicketField(key, kind, labels, tuple(options), _flag(parts.get("required_to_solve"), where,
                                                                f"{at}.required_to_solve"), on_form, required_on_form,
                       _flag(parts.get("visible_to_customer"), where, f"{at}.visible_to_customer"))
