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

A wrong file is refused whole with the file, line and field named (`TicketFieldsError`, read by kb.yaml_lines): the
desk does not start with it, a running desk keeps its last good fields (desk.desk's `follow_rules`), and `kb lint`
reports it (rule `ticket-fields`). This module only reads the file and normalises values;
storing them is desk.ticket_fields's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar, Self

from kb.bidi_text import EMBEDDINGS_AND_ISOLATES, without_invisible
from kb.settings import SHIPPED_LANGUAGES
from kb.yaml_lines import FileLineError, LineList, LineMap, YamlSyntaxError, line_of, load_lines, rule_file_text

FIELDS_FILE = "_ticket_fields.yml"
FIELD_TYPES = ("text", "number", "date", "dropdown", "checkbox")
BASE_KEYS = ("key", "type", "label", "options")  # what every fields file's field has (kb.customer_fields too)
TICKET_FLAGS = ("required_to_solve", "on_contact_form", "required_on_form", "visible_to_customer")
FIELD_KEYS = BASE_KEYS + TICKET_FLAGS
OPTION_KEYS = ("key", "label")
MAX_KEY = 40  # ticket_field_values.key is String(40)
MAX_TEXT = 1000  # a text value's characters: an order number or a device, not a message
# ...and its UTF-8 bytes: PostgreSQL's index on (key, value) holds a row of 2,704 bytes at most, so 1,000 Chinese
# characters (3,000 bytes) or 700 emoji were a 500 there ("index row size exceeds btree maximum"). 1,000 Arabic or
# Latin characters fit (at most 2,000 bytes); a script of three or four bytes a character gets 800 or 600.
MAX_TEXT_BYTES = 2400
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# Arabic-Indic and Eastern Arabic-Indic digits and the Arabic decimal separator, read as ASCII in numbers and dates.
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
_NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")  # what a stored number looks like: no exponent, no spaces
# A number as `normalise` stores it, in the regular expressions both Python and the databases read (desk.inbox sorts by
# it): a value stored while the file typed its field otherwise ("abc" under a text field since made a number) is not.
STORED_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
STORED_NUMBER_CHARS = 23  # its longest: a sign, 15 digits, a point and 6 decimals


class TicketFieldsError(FileLineError):
    """The fields file is wrong: `line` is where (1-based), the message names the file, line and field."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(path, line, message)
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

    def holds(self, value: str) -> bool:
        """Whether a stored value reads as this field's type (a number, a day, true/false): one stored while the file
        typed the field otherwise (a text field's "abc", since made a number or a date) does not, and is shown as
        stored, not read as one (a 500 on every page showing it)."""
        if self.type == "number":
            return re.fullmatch(STORED_NUMBER, value) is not None
        if self.type == "date":
            try:
                return _DATE.match(value) is not None and bool(date.fromisoformat(value))
            except ValueError:
                return False
        return self.type != "checkbox" or value in ("true", "false")

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
            too_long = len(text) > MAX_TEXT or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES
            if too_long or not text.isprintable():
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
class FieldSet:
    """A fields file's fields, in file order: what the ticket fields and the customer fields (kb.customer_fields)
    share. A subclass names its file (`FILE`) and the flags its fields may carry besides key, type, label and
    options (`FLAGS`, each true or false)."""

    FILE: ClassVar[str] = FIELDS_FILE
    FLAGS: ClassVar[tuple[str, ...]] = TICKET_FLAGS
    fields: tuple[TicketField, ...] = ()

    def get(self, key: str) -> TicketField | None:
        return next((field for field in self.fields if field.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(field.key for field in self.fields)

    @classmethod
    def load(cls, content_dir: Path, languages: Sequence[str] = SHIPPED_LANGUAGES) -> Self:
        """The content repo's fields, none when it has no file; a wrong file raises TicketFieldsError."""
        path = content_dir / cls.FILE
        if not path.exists():  # a directory by that name is read, and refused as the other rule files are
            return cls()
        return cls.parse(rule_file_text(path), str(path), languages)

    @classmethod
    def parse(cls, text: str, where: str | None = None, languages: Sequence[str] = SHIPPED_LANGUAGES) -> Self:
        where = cls.FILE if where is None else where
        try:
            root = load_lines(text)
        except YamlSyntaxError as exc:
            raise TicketFieldsError(where, exc.line, f"not valid YAML: {exc.problem}") from None
        if root is None:
            return cls()
        if not isinstance(root, LineList):
            raise TicketFieldsError(where, line_of(root), "expected a list of fields (- key: ..., type: ...)")
        fields: list[TicketField] = []
        for node, line in zip(root, root.lines, strict=True):
            field = _field(node, line, where, tuple(languages), cls.FLAGS)
            if any(known.key == field.key for known in fields):
                raise TicketFieldsError(where, line, f"key: {field.key!r} is defined twice")
            fields.append(field)
        return cls(tuple(fields))


@dataclass(frozen=True)
class TicketFields(FieldSet):
    """content/_ticket_fields.yml's fields."""

    def on_form(self) -> tuple[TicketField, ...]:
        return tuple(field for field in self.fields if field.on_contact_form)

    def for_customers(self) -> tuple[TicketField, ...]:
        """The fields the customer's ticket page shows (`visible_to_customer`); every other is the agents' alone."""
        return tuple(field for field in self.fields if field.visible_to_customer)

    def required_to_solve(self) -> tuple[TicketField, ...]:
        return tuple(field for field in self.fields if field.required_to_solve)


def _mapping(node: object, line: int, known: tuple[str, ...], where: str, at: str) -> LineMap:
    """`node` (read at `line`) as a mapping of the `known` keys; the values' lines are its `lines`."""
    if not isinstance(node, LineMap):
        raise TicketFieldsError(where, line, f"{at}: expected a mapping with {', '.join(known)}")
    for key in node:
        if key not in known:
            raise TicketFieldsError(where, node.lines[key], f"{at}: unknown key {str(key)!r}; use {', '.join(known)}")
    return node


def _scalar(value: object, line: int, where: str, at: str) -> str:
    if isinstance(value, LineMap | LineList) or value is None or not str(value).strip():
        raise TicketFieldsError(where, line, f"{at}: expected a word")
    return str(value).strip()


def _key(parts: LineMap, where: str, at: str) -> str:
    if "key" not in parts:
        raise TicketFieldsError(where, parts.line, f"{at}: key is missing")
    line = parts.lines["key"]
    key = _scalar(parts["key"], line, where, f"{at}.key")
    if len(key) > MAX_KEY or not KEY_PATTERN.match(key):
        raise TicketFieldsError(where, line, f"{at}.key: {key!r} is not a lowercase ascii slug of up to "
                                             f"{MAX_KEY} characters (a-z, 0-9, _; a letter first)")
    return key


def _labels(parts: LineMap, where: str, at: str, languages: tuple[str, ...]) -> dict[str, str]:
    if "label" not in parts:
        raise TicketFieldsError(where, parts.line, f"{at}.label: missing; give one per language "
                                                   f"({', '.join(languages)})")
    line = parts.lines["label"]
    labels = _mapping(parts["label"], line, languages, where, f"{at}.label")
    found = {str(lang): _scalar(value, labels.lines[lang], where, f"{at}.label.{lang}")
             for lang, value in labels.items()}
    for lang, label in found.items():
        # Shown as written on every page (a select's label, the inbox's filter, the API's errors): a U+202E there
        # reversed the words after it on the line, and one of zero-width characters was a blank label.
        if not without_invisible(label).strip() or any(
                char in EMBEDDINGS_AND_ISOLATES or unicodedata.category(char) == "Cc" for char in label):
            raise TicketFieldsError(where, labels.lines[lang], f"{at}.label.{lang}: {label[:40]!r} holds a control "
                                                               "character, a direction override or nothing visible")
    missing = [lang for lang in languages if lang not in found]
    if missing:
        raise TicketFieldsError(where, line, f"{at}.label: no {missing[0]!r} label "
                                             f"(each of {', '.join(languages)} is required)")
    return found


def _flag(parts: LineMap, name: str, where: str, at: str) -> bool:
    if name not in parts:
        return False
    if not isinstance(parts[name], bool):
        raise TicketFieldsError(where, parts.lines[name], f"{at}.{name}: expected true or false")
    return bool(parts[name])


def _field(node: object, line: int, where: str, languages: tuple[str, ...], flags: tuple[str, ...] = TICKET_FLAGS
           ) -> TicketField:
    parts = _mapping(node, line, BASE_KEYS + flags, where, "field")
    key = _key(parts, where, "field")
    at = f"field {key}"
    if "type" not in parts:
        raise TicketFieldsError(where, parts.line, f"{at}.type: missing; use {', '.join(FIELD_TYPES)}")
    kind = _scalar(parts["type"], parts.lines["type"], where, f"{at}.type")
    if kind not in FIELD_TYPES:
        raise TicketFieldsError(where, parts.lines["type"], f"{at}.type: {kind!r} is no type; use "
                                                            f"{', '.join(FIELD_TYPES)}")
    labels = _labels(parts, where, at, languages)
    options: list[FieldOption] = []
    if kind == "dropdown":
        listed = parts.get("options")
        if not isinstance(listed, LineList) or not listed:
            raise TicketFieldsError(where, parts.lines.get("options", parts.line),
                                    f"{at}.options: a dropdown needs a list of options, each a key and labels")
        for option_node, option_line in zip(listed, listed.lines, strict=True):
            option_parts = _mapping(option_node, option_line, OPTION_KEYS, where, f"{at}.options")
            option_key = _key(option_parts, where, f"{at}.options")
            if any(option.key == option_key for option in options):
                raise TicketFieldsError(where, option_line, f"{at}.options: {option_key!r} is listed twice")
            options.append(FieldOption(option_key, _labels(option_parts, where, f"{at}.options.{option_key}",
                                                           languages)))
    elif "options" in parts:
        raise TicketFieldsError(where, parts.lines["options"], f"{at}.options: only a dropdown has options")
    on_form = _flag(parts, "on_contact_form", where, at)
    required_on_form = _flag(parts, "required_on_form", where, at)
    if required_on_form and not on_form:
        raise TicketFieldsError(where, parts.lines["required_on_form"],
                                f"{at}.required_on_form: the field is not on the contact form (on_contact_form)")
    return TicketField(key, kind, labels, tuple(options), _flag(parts, "required_to_solve", where, at), on_form,
                       required_on_form, _flag(parts, "visible_to_customer", where, at))
