"""The desk follows its rule files as the index follows commits (desk.desk's `follow_rules`): a changed trigger,
field or business-hours file is read between events without a restart, a wrong one keeps the last good rules and is
logged and kept with its file and line, and the last of quick changes is what stays. One desk for the module (each
test starts from the good files); `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import desk.desk as desk_module
from desk.business_hours import CONFIG_FILE
from desk.desk import Desk
from desk.rule_check import RulesRead, desk_names, read_rules
from desk.tickets import NewTicket
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from kb.triggers import TRIGGERS_FILE
from tests.conftest import database_url_for_tests
from tests.desk.test_teams import ROOT, hours_file
from tests.rule_file_mistakes import FIELD_MISTAKES, HOURS_MISTAKES, TRIGGER_MISTAKES

TAGGING = "- name: Tag new\n  on: created\n  then: {add_tags: [%s]}\n"
FIELD = "- key: %s\n  type: text\n  label: {en: A, ar: ب}\n"


def reloading_desk(root: Path) -> Desk:
    """A desk over its own content (the demo's teams and macros) that checks its rule files at every call
    (KB_RULES_CHECK_SECONDS=0): what the reload tests, and hostile campaigns against the reload, change files under."""
    content = hours_file(root / "content")
    shutil.copytree(ROOT / "content" / "_macros", content / "_macros")
    settings = Settings(data_dir=root / "data", content_dir=content, database_url=database_url_for_tests())
    return Desk(dataclasses.replace(settings, rules_check_seconds=0))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    opened = reloading_desk(tmp_path_factory.mktemp("reload"))
    yield opened
    opened.close()


def write(desk: Desk, name: str, text: str) -> None:
    (desk.settings.content_dir / name).write_text(text, encoding="utf-8")


def good(desk: Desk, tag: str = "first") -> None:
    """The good files, read: a trigger tagging new tickets `tag`, a field `colour`, the demo's teams."""
    hours_file(desk.settings.content_dir)
    write(desk, TRIGGERS_FILE, TAGGING % tag)
    write(desk, FIELDS_FILE, FIELD % "colour")
    desk.follow_rules()
    assert desk.rules_problem is None and desk.fields.keys == ("colour",)


def new_tags(desk: Desk) -> set[str]:
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject="Order", body="Late",
                                           lang="en"))
    found = desk.tickets.get(ticket.id)
    assert found is not None
    return {t.tag for t in found.tags}


def test_a_changed_trigger_field_and_hours_file_are_followed_without_a_restart(desk: Desk) -> None:
    good(desk)
    assert new_tags(desk) == {"first"}
    automations, inbox = desk.automations, desk.inbox
    write(desk, TRIGGERS_FILE, TAGGING % "second")
    write(desk, FIELDS_FILE, FIELD % "size")
    hours_file(desk.settings.content_dir, teams={"ksa": {"name": "Riyadh desk", "timezone": "Asia/Riyadh"}})
    assert desk.follow_rules()
    assert new_tags(desk) == {"second"}  # the ticket store was rebuilt with the new triggers
    assert desk.fields.keys == ("size",) and desk.tickets.fields.keys == ("size",)
    assert list(desk.hours.teams) == ["ksa"] and desk.teams.hours.teams["ksa"].name == "Riyadh desk"
    assert desk.automations is not automations and desk.inbox is not inbox  # parts built on the old rules
    tickets = desk.tickets  # every part swapped in holds the new rules and the new parts, none an old one
    assert tickets.triggers is desk.triggers and tickets.hours is desk.hours and tickets.fields is desk.fields
    assert desk.automations.store is tickets and desk.mail_in.tickets is tickets and desk.held_mail.receiver is \
        desk.mail_in and desk.teams.hours is desk.hours and desk.erasure.fields is desk.fields
    assert not desk.follow_rules()  # nothing changed since: not read again


def test_two_changes_in_quick_succession_end_on_the_last(desk: Desk) -> None:
    good(desk)
    write(desk, TRIGGERS_FILE, TAGGING % "second")
    write(desk, TRIGGERS_FILE, TAGGING % "third1")
    assert desk.follow_rules() and new_tags(desk) == {"third1"}
    write(desk, TRIGGERS_FILE, TAGGING % "third2")  # the same size, likely within the file system's clock tick
    assert desk.follow_rules() and new_tags(desk) == {"third2"}


def test_a_change_landing_while_the_rules_are_read_is_read_at_the_next_check(desk: Desk,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    good(desk)
    write(desk, TRIGGERS_FILE, TAGGING % "early")
    read = desk_module.read_rules

    def merged_meanwhile(*args: Any) -> RulesRead:
        found = read(*args)
        write(desk, TRIGGERS_FILE, TAGGING % "late")  # after the triggers file was read, before the swap
        return found

    monkeypatch.setattr(desk_module, "read_rules", merged_meanwhile)
    assert desk.follow_rules() and new_tags(desk) == {"early"}
    monkeypatch.setattr(desk_module, "read_rules", read)
    assert desk.follow_rules() and new_tags(desk) == {"late"}


@pytest.mark.parametrize(("name", "text", "line", "words"), [
    (TRIGGERS_FILE, *TRIGGER_MISTAKES[1]), (TRIGGERS_FILE, *TRIGGER_MISTAKES[3]),
    (FIELDS_FILE, *FIELD_MISTAKES[0]), (FIELDS_FILE, *FIELD_MISTAKES[8]),
    (CONFIG_FILE, *HOURS_MISTAKES[0]), (CONFIG_FILE, *HOURS_MISTAKES[1]),
], ids=lambda value: value if isinstance(value, str) and value.startswith("_") else "")
def test_a_wrong_change_keeps_the_last_good_rules_and_is_reported_with_its_line(
        desk: Desk, caplog: pytest.LogCaptureFixture, name: str, text: str, line: int, words: str) -> None:
    good(desk)
    write(desk, name, text)
    with caplog.at_level(logging.ERROR, logger="desk.desk"):
        assert not desk.follow_rules()
    problem = desk.rules_problem
    assert problem is not None and getattr(problem, "line", None) == line and name in str(problem), problem
    assert str(problem) in caplog.text and re.search(words if name == TRIGGERS_FILE else re.escape(words),
                                                     str(problem))
    assert new_tags(desk) == {"first"} and desk.fields.keys == ("colour",)  # still the last good rules
    caplog.clear()
    assert not desk.follow_rules() and not caplog.text  # said once per change, not at every check
    good(desk, "mended")
    assert desk.rules_problem is None and new_tags(desk) == {"mended"}



def test_an_unreadable_rule_file_is_refused_naming_the_file_and_its_line(desk: Desk) -> None:
    """Fault: a fields file that is not UTF-8 was refused as "'utf-8' codec can't decode byte 0xff in position 0:
    invalid start byte", naming no file, in the log and on the admin page (the other two files named theirs)."""
    good(desk)
    (desk.settings.content_dir / FIELDS_FILE).write_bytes(b"\xff\xfe- key: a\n")
    assert not desk.follow_rules()
    assert str(desk.rules_problem) == f"{desk.settings.content_dir / FIELDS_FILE}:1: not UTF-8 text"
    assert getattr(desk.rules_problem, "line", None) == 1
    good(desk)


def test_read_rules_names_each_wrong_file_and_reads_the_triggers_once_the_files_they_name_read_well(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    """One check for the reload, `kb doctor` and the admin page (desk.rule_check): every wrong file, each with its
    file and line, not the first alone; nothing of the desk changes by reading."""
    good(desk)
    hours_text, hours_line, hours_words = HOURS_MISTAKES[1]
    fields_text, fields_line, fields_words = FIELD_MISTAKES[0]
    write(desk, CONFIG_FILE, hours_text)
    write(desk, FIELDS_FILE, fields_text)
    write(desk, TRIGGERS_FILE, "- name: A\n  on: created\n  then: {assignee: ghost@example.com}\n")
    read = read_rules(desk.settings, desk_names(desk.db))
    assert [(type(p).__name__, getattr(p, "line", None)) for p in read.problems] == [
        ("BusinessHoursError", hours_line), ("TicketFieldsError", fields_line)]
    assert str(read.problems[0]).startswith(f"{desk.settings.content_dir / CONFIG_FILE}: ")
    assert hours_words in str(read.problems[0]) and f"(line {hours_line})" in str(read.problems[0])
    assert str(read.problems[1]).startswith(f"{desk.settings.content_dir / FIELDS_FILE}:{fields_line}: {fields_words}")
    assert read.triggers is None and desk.rules_problem is None  # reading kept nothing in the desk
    with caplog.at_level(logging.ERROR, logger="desk.desk"):
        assert not desk.follow_rules()
    assert str(read.problems[0]) in caplog.text and str(read.problems[1]) in caplog.text  # the log names both
    hours_file(desk.settings.content_dir)
    write(desk, FIELDS_FILE, FIELD % "colour")
    (problem,) = read_rules(desk.settings, desk_names(desk.db)).problems  # now the triggers are read: no such agent
    assert str(problem) == (f"{desk.settings.content_dir / TRIGGERS_FILE}:1: trigger 1 (A).then.assignee: "
                            "no agent 'ghost@example.com'")
    assert read_rules(desk.settings, None).problems == ()  # without the desk's names, agents are not checked
    good(desk)
