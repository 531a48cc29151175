"""Every interface string has a real Arabic translation: the test extracts the messages from the
code and templates (the same way `pybabel extract` does, with webapp/babel.cfg) and compares
them with the Arabic catalog a translator edits. A missing, empty or fuzzy entry fails it. The desk's
error messages count too: desk/ marks them `N_`/`Nn_` (no Flask there) and the pages translate them."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

pytestmark = pytest.mark.no_database  # no database at all: the PostgreSQL run leaves it out

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp" / "translations" / "ar" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2), "N_": None, "Nn_": (1, 2)}


def extracted() -> dict[tuple[str | tuple[str, ...], str | None], str]:
    with (ROOT / "webapp" / "babel.cfg").open() as cfg:
        methods, options = parse_mapping_cfg(cfg)
    found: dict[tuple[str | tuple[str, ...], str | None], str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), methods, options, keywords=KEYWORDS
    ):
        found.setdefault((message, context), f"{filename}:{lineno}")
    return found


def test_every_extracted_message_has_a_real_arabic_translation() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    assert catalog.num_plurals == 6
    problems = []
    messages = extracted()
    assert len(messages) > 40, "extraction found almost nothing: is babel.cfg right?"
    for (message, context), where in messages.items():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key, context=context)
        if entry is None:
            problems.append(f"{where}: missing: {key!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: fuzzy: {key!r}")
        elif isinstance(message, tuple) and (not isinstance(entry.string, tuple) or len(entry.string) != 6):
            problems.append(f"{where}: plural needs 6 Arabic forms: {key!r}")
        elif not all(entry.string if isinstance(entry.string, tuple) else [entry.string]):
            problems.append(f"{where}: empty translation: {key!r}")
    assert not problems, "\n".join(problems)


def test_the_desks_error_messages_are_extracted_with_their_markers() -> None:
    """Without `N_`/`Nn_` in KEYWORDS (and in the README's pybabel command) the desk's messages would
    leave the catalog unchecked and an Arabic agent would read them in English."""
    where = {message: place for (message, _context), place in extracted().items()}
    assert where["a ticket cannot be merged into itself"].startswith("desk/tickets.py")
    assert where["is empty"].startswith("desk/")
    plural = ("%(num)d new message arrived while you were writing",
              "%(num)d new messages arrived while you were writing")
    assert where[plural].startswith("desk/tickets.py")
    assert ("body", "desk field") in extracted()


def test_arabic_translations_keep_the_placeholders_of_their_message() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    for entry in catalog:
        if not entry.id or "%(" not in str(entry.id):
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        names = {part.split(")")[0] for text in ids for part in text.split("%(")[1:]}
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for text in strings:
            used = {part.split(")")[0] for part in text.split("%(")[1:]}
            assert used <= names, f"{entry.id!r}: unknown placeholder in {text!r}"
        if not isinstance(entry.id, tuple):  # a plural's "one"/"two" forms may spell the number out
            assert all({p.split(")")[0] for p in s.split("%(")[1:]} == names for s in strings), entry.id


# The Arabic entries that may read as their English message: a file format's name and a sentence that is only its
# placeholders. Any other msgstr equal to its msgid is English an Arabic reader meets ("Webhooks" headed the admin's
# page in English).
SAME_IN_ARABIC = frozenset({"CSV", "%(field)s: %(problem)s"})


def test_no_arabic_translation_is_its_english_message_outside_the_allow_list() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    english = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if any(text in ids or not text.strip() for text in strings) and ids[0] not in SAME_IN_ARABIC:
            english.append(f"line {entry.lineno}: {ids[0]!r}")
    assert not english, "\n".join(english)
