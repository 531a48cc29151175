"""content/_business_hours.yml under hostile input (session 28): the file says the teams, their hours, the due
hours by priority and the `routing:` rules, and the desk reads it once, at start. A wrong file must stop the desk
there with a `BusinessHoursError` naming the file (and the rule or team), never load and then fail when a ticket
comes: hours that leave no working time (opening and closing at the same time; closing before opening is an
overnight shift), due hours no team can count, a team key longer than the tickets' team
column, a key the file misspells (`timezone` as `time_zone`, `routing` as `routes`) that would quietly give UTC or
send every ticket to the default team.

hypothesis draws the file's shapes (wrong types at every level, unknown keys, huge lists, unicode, empty and long
team keys, hostile numbers), writes it as YAML, opens a real Desk on the real database (SQLite, and PostgreSQL with
`--postgresql`) and, when the file loads, creates a ticket each routing rule sends to its team and moves a ticket to
every team at every priority: each either works or is an `InputError` naming a field of the ticket. CI runs
KB_FUZZ_EXAMPLES (default 40) per property.
"""

from __future__ import annotations

import math
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from desk.business_hours import CONFIG_FILE, BusinessHours, BusinessHoursError
from desk.desk import Desk
from desk.models import PRIORITIES
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

SCALARS = st.sampled_from([
    None, True, False, 0, -1, 1, 5, 2**63, 1e309, -1e309, 0.5, "", " ", "\x00", "\u202e", "١", "mon", "monday",
    "Mon", "sun", "09:00", "17:00", "24:00", "25:00", "9", "UTC", "Asia/Riyadh", "Mars/Olympus", "../etc/passwd",
    "2026-12-25", "2026-02-30", "ksa", "uae", "ar", "en", "email", "mail", "web", "acme.ae", "@acme.ae", "x" * 300,
])  # fmt: skip
LEAF = SCALARS | st.text(max_size=12) | st.dates().map(str) | st.floats(allow_nan=True)
SHAPE = st.recursive(LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                      max_size=3), max_leaves=8)
TEAM_KEYS = st.sampled_from(["ksa", "uae", "فريق", "équipe", "", " ", " ksa", "k\x00", "x" * 40, "x" * 41, "😀" * 41,
                             "1", "null"]) | st.text(min_size=1, max_size=50)
DAYS = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "Sunday", "mo", "", "1"]),
                max_size=8) | SHAPE
HOURS = (st.sampled_from([["09:00", "17:00"], ["09:00", "09:00"], ["17:00", "09:00"], ["00:00", "24:00"],
                          ["23:59", "24:00"], ["09:00", "09:01"], ["24:00", "00:00"], ["09:00"], "09:00-17:00"])
         | st.lists(st.sampled_from(["00:00", "08:30", "09:00", "12:00", "17:00", "23:59", "24:00"]), min_size=2,
                    max_size=2) | SHAPE)
HOLIDAYS = st.lists(st.dates().map(str), max_size=5) | st.just([f"2026-{m:02}-{d:02}" for m in range(1, 13)
                                                               for d in range(1, 29)]) | SHAPE
TEAM_FIELDS = st.fixed_dictionaries({}, optional={
    "name": st.text(max_size=20) | SHAPE, "timezone": st.sampled_from(["UTC", "Asia/Riyadh", "Asia/Dubai"]) | SHAPE,
    "days": DAYS, "hours": HOURS, "holidays": HOLIDAYS, "time_zone": LEAF, "opening": LEAF,
})
TEAMS = st.dictionaries(TEAM_KEYS, TEAM_FIELDS | SHAPE, min_size=1, max_size=3) | SHAPE
DUE_HOURS = st.dictionaries(st.sampled_from([*PRIORITIES, "urgnet", "", "normal "]),
                            st.sampled_from([1, 8, 0.01, 1e-9, 0, -1, 1e6, 1e12, math.inf, math.nan, True, "8"])
                            | st.floats(allow_nan=True), max_size=4) | SHAPE
CONDITION = st.sampled_from(["ar", "en", "fr", ["ar", "en"], [], ["email", "api"], "mail", "web", "payments",
                             "acme.ae", "@acme.ae", "@", " ", ["ar", 1]]) | SHAPE
RULE = st.fixed_dictionaries({}, optional={
    "team": TEAM_KEYS, "lang": CONDITION, "channel": CONDITION, "category": CONDITION, "domain": CONDITION,
    "langs": CONDITION, "teams": CONDITION,
}) | SHAPE
ROUTING = st.lists(RULE, max_size=4) | st.lists(RULE, min_size=200, max_size=300) | SHAPE
FILE = st.fixed_dictionaries({}, optional={
    "default": TEAM_KEYS | SHAPE, "teams": TEAMS, "due_hours": DUE_HOURS, "routing": ROUTING, "routes": ROUTING,
}) | SHAPE
GOOD_TEAM = {"name": "KSA", "timezone": "Asia/Riyadh", "days": ["sun", "mon"], "hours": ["09:00", "17:00"]}


def write(content: Path, raw: object) -> Path:
    """The drawn file as YAML (what an editor would have saved)."""
    content.mkdir(parents=True, exist_ok=True)
    path = content / CONFIG_FILE
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def matching(rule: object) -> dict[str, str]:
    """A new ticket's fields that the rule, as loaded, matches (the first value of each condition)."""
    fields: dict[str, str] = {}
    for key, values in rule.conditions.items():  # type: ignore[attr-defined]
        value = sorted(values)[0]
        fields["email" if key == "domain" else key] = f"sara@{value}" if key == "domain" else value
    return fields


def opened(settings_: Settings) -> Desk | BusinessHoursError:
    """The desk as the app builds it at start (`Desk.wire`), or the error that stops the start."""
    desk = Desk(settings_)
    try:
        return desk.wire()
    except BusinessHoursError as error:
        desk.close()
        return error


def check_loads_or_refuses_at_start(tmp_path: Path, url: str | None, raw: object) -> None:
    content = Path(tempfile.mkdtemp(dir=tmp_path)) / "content"  # each example its own file, one database
    path = write(content, raw)
    desk = opened(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url))
    if isinstance(desk, BusinessHoursError):
        assert str(desk).startswith(f"{path}: "), str(desk)
        return
    try:
        hours = desk.hours
        for key in hours.teams:  # the configuration's own promise, for the pages that print it
            assert 0 < len(key) <= 40 and key == key.strip(), key
        for rule in hours.routing:
            fields = matching(rule)
            new = NewTicket(email=fields.get("email", "sara@example.com"), subject="Order", body="Where is it?",
                            lang=fields.get("lang"), channel=fields.get("channel", "web"),
                            category=fields.get("category"))
            try:
                ticket = desk.tickets.create(new)
            except InputError as error:  # a value no ticket can have (a language the site lacks): the ticket's field
                assert error.field in {"lang", "channel", "category", "email"}, error
                continue
            assert ticket.team == rule.team
        ticket_id = desk.tickets.create(NewTicket(email="omar@example.com", subject="Order", body="Where?")).id
        for priority in PRIORITIES:
            desk.tickets.update(ticket_id, priority=priority)
            for key in hours.teams:
                desk.tickets.move_to_team(ticket_id, key, None)
                moved = desk.tickets.get(ticket_id)
                assert moved is not None and hours.team_key(moved.team) == key and moved.due_at is not None
    finally:
        desk.close()


@pytest.fixture
def url() -> str | None:
    return database_url_for_tests()


@FUZZ
@given(raw=FILE)
@example(raw={"teams": {"a": {**GOOD_TEAM, "hours": ["09:00", "09:00"]}}})  # open no minute of the day
@example(raw={"teams": {"a": {**GOOD_TEAM, "hours": ["17:00", "09:00"]}}})  # an overnight shift: loads, due times count
@example(raw={"teams": {"a": GOOD_TEAM}, "due_hours": {"normal": math.inf}})
@example(raw={"teams": {"a": GOOD_TEAM}, "due_hours": {"normal": 1e9}})  # more than ten years of its hours
@example(raw={"teams": {"a": GOOD_TEAM}, "due_hours": {"normal": True}})
@example(raw={"teams": {"a": {**GOOD_TEAM, "days": 5}}})
@example(raw={"teams": {"a": {**GOOD_TEAM, "holidays": "2026-12-25"}}})
@example(raw={"teams": {"a": {**GOOD_TEAM, "holidays": 2026}}})
@example(raw={"teams": {"x" * 41: GOOD_TEAM}})  # longer than the tickets' team column
@example(raw={"teams": {"فريق" * 11: GOOD_TEAM}, "routing": [{"lang": "ar", "team": "فريق" * 11}]})
@example(raw={"teams": {" ksa": GOOD_TEAM, "uae": GOOD_TEAM}})
@example(raw={"teams": {"a": {**GOOD_TEAM, "time_zone": "Asia/Dubai"}}})  # quietly the zone's default
@example(raw={"teams": {"a": GOOD_TEAM, "b": GOOD_TEAM}, "routes": [{"lang": "ar", "team": "b"}]})
@example(raw={"teams": {"a": GOOD_TEAM}, "due_hours": {"urgnet": 1}})
def test_a_hostile_business_hours_file_is_refused_at_start_or_works_at_ticket_time(tmp_path: Path, url: str | None,
                                                                                   raw: object) -> None:
    check_loads_or_refuses_at_start(tmp_path, url, raw)


@pytest.mark.parametrize(("raw", "problem"), [
    ({"teams": {"a": {**GOOD_TEAM, "hours": ["09:00", "09:00"]}}}, "teams.a.hours: "),  # 17:00-09:00: overnight
    ({"teams": {"a": {**GOOD_TEAM, "hours": ["24:00", "00:00"]}}}, "teams.a.hours: "),
    ({"teams": {"a": GOOD_TEAM}, "due_hours": {"normal": 1e9}}, "teams.a: "),
    ({"teams": {"a": GOOD_TEAM}, "due_hours": {"normal": math.inf}}, "due_hours: "),
    ({"teams": {"a": {**GOOD_TEAM, "days": 5}}}, "teams.a.days: "),
    ({"teams": {"a": {**GOOD_TEAM, "holidays": 2026}}}, "teams.a.holidays: "),
    ({"teams": {"x" * 41: GOOD_TEAM}}, f"teams.{'x' * 41}: "),
    ({"teams": {"a": {**GOOD_TEAM, "time_zone": "Asia/Dubai"}}}, "teams.a: unknown key 'time_zone'"),
    ({"teams": {"a": GOOD_TEAM}, "routes": []}, "unknown key 'routes'"),
    ({"teams": {"a": GOOD_TEAM}, "due_hours": {"urgnet": 1}}, "due_hours: unknown priority 'urgnet'"),
])
def test_the_error_names_the_file_and_what_to_fix(tmp_path: Path, raw: object, problem: str) -> None:
    path = write(tmp_path / "content", raw)
    with pytest.raises(BusinessHoursError) as error:
        BusinessHours.load(path.parent)
    assert str(error.value).startswith(f"{path}: {problem}"), str(error.value)


def test_the_shipped_file_and_its_commented_routing_load(tmp_path: Path) -> None:
    """The fixes refuse what they should and not the demo's own file, with its routing example switched on."""
    shipped = yaml.safe_load((Path(__file__).resolve().parents[2] / "content" / CONFIG_FILE).read_text("utf-8"))
    routing = [{"domain": ["acme.ae"], "team": "uae"}, {"lang": "ar", "channel": "email", "team": "ksa"}]
    hours = BusinessHours.load(write(tmp_path / "content", {**shipped, "routing": routing}).parent)
    assert hours.route(lang="en", email="a@acme.ae") == "uae" and list(hours.teams) == ["ksa", "uae"]
    assert hours.due_at(datetime(2026, 12, 3, 6, tzinfo=UTC), "urgent", "ksa") == datetime(2026, 12, 3, 8, tzinfo=UTC)
