"""Business hours: when a team works, and how many working seconds lie between two instants.

One configuration (`content/_business_hours.yml`, kept in the content repo with the articles) says
each team's time zone, working days, daily hours and holidays. The dashboard's business-hours figures
and ticket due times both count through `Team.seconds_between` and `Team.add_hours`, so "8 business
hours" means the same thing everywhere. The same file is the one list of teams: agents' memberships
(desk.teams) and tickets name teams by their keys here, and its `routing:` rules (`RoutingRule`) say
which team a new ticket goes to. Times in and out are timezone-aware UTC or naive UTC (the
database's convention); the arithmetic happens in the team's own zone, so a working day is the one
its agents see on the wall.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk.models import CHANNELS, MAX_TEAM_KEY, PRIORITIES
from kb.yaml_lines import YamlSyntaxError, line_at, load_lines

CONFIG_FILE = "_business_hours.yml"
# What a routing rule may match on (and `team`, where it sends the ticket).
ROUTING_KEYS = ("lang", "channel", "category", "domain")
FILE_KEYS = ("default", "teams", "due_hours", "routing")
TEAM_KEYS = ("name", "timezone", "days", "hours", "holidays", "assignment")
# How a team hands out new tickets (`assignment: {mode: ...}`; absent: nobody is assigned until someone takes it).
ASSIGNMENT_MODES = ("round_robin", "balanced")
ASSIGNMENT_KEYS = ("mode", "max_open")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
DEFAULT_DUE_HOURS: Mapping[str, float] = {"urgent": 2, "high": 4, "normal": 8, "low": 24}


class BusinessHoursError(ValueError):
    """The configuration is wrong; the message names the file and the field, and (read from the file: `load`) ends
    with its line, also `line`."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Assignment:
    """A team's automatic assignment (desk.auto_assign): `round_robin` hands a new ticket to the available member
    auto-assigned longest ago (or never), `balanced` to the one with the fewest unsolved tickets (ties: longest
    ago); a member with `max_open` unsolved tickets or more is skipped (None: no limit)."""

    mode: str
    max_open: int | None = None


@dataclass(frozen=True)
class Team:
    key: str
    name: str
    zone: ZoneInfo
    days: frozenset[int]  # weekday() numbers
    opens: time
    closes: time
    holidays: frozenset[date] = field(default_factory=frozenset)
    assignment: Assignment | None = None

    def _is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays


    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); 0 when end is not after start."""
        start, end = _aware(start).astimezone(self.zone), _aware(end).astimezone(self.zone)
        if end <= start:
            return 0.0
        total = 0.0
        day = start.date()
        while day <= end.date():
            if self._is_working_day(day):
                open_at = datetime.combine(day, self.opens, self.zone)
                close_at = datetime.combine(day, self.closes, self.zone)
                lo, hi = max(open_at, start), min(close_at, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` working hours after `start` (a due time), in UTC."""
        remaining = hours * 3600.0
        cursor = _aware(start).astimezone(self.zone)
        for _ in range(3700):  # ten years of days: a configuration with no working day ends here
            day = cursor.date()
            if self._is_working_day(day):
                open_at = datetime.combine(day, self.opens, self.zone)
                close_at = datetime.combine(day, self.closes, self.zone)
                lo = max(open_at, cursor)
                if close_at > lo:
                    available = (close_at - lo).total_seconds()
                    if remaining <= available:
                        return (lo + timedelta(seconds=remaining)).astimezone(UTC)
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        raise BusinessHoursError(f"team {self.key!r} has no working hours to count {hours} hours in")


@dataclass(frozen=True)
class RoutingRule:
    """One `routing:` entry: a new ticket whose every named field is one of the rule's values goes to `team`
    (a field the rule leaves out matches anything). `domain` is the requester's email domain, matched whole."""

    team: str
    conditions: Mapping[str, frozenset[str]]

    def matches(self, fields: Mapping[str, str | None]) -> bool:
        return all((fields.get(key) or "").lower() in values for key, values in self.conditions.items())


@dataclass(frozen=True)
class BusinessHours:
    teams: Mapping[str, Team]
    default: str
    due_hours: Mapping[str, float]
    routing: tuple[RoutingRule, ...] = ()

    def team(self, key: str | None = None) -> Team:
        return self.teams.get(key or self.default) or self.teams[self.default]

    def team_key(self, stored: str | None) -> str:
        """A ticket's team: the one stored, else the default team (a ticket from before routing stored none), as the
        inbox's team filter counts it. A key the file no longer has is kept: its tickets outlive it."""
        return stored or self.default

    def route(self, lang: str | None = None, channel: str | None = None, category: str | None = None,
              email: str | None = None) -> str:
        """The team a new ticket goes to: the first routing rule it matches, else the default team."""
        domain = (email or "").rpartition("@")[2]
        fields = {"lang": lang, "channel": channel, "category": category, "domain": domain}
        return next((rule.team for rule in self.routing if rule.matches(fields)), self.default)

    def due_at(self, created: datetime, priority: str, team: str | None = None) -> datetime:
        hours = self.due_hours.get(priority, self.due_hours.get("normal", 8))
        return self.team(team).add_hours(created, hours)

    @classmethod
    def load(cls, content_dir: Path) -> BusinessHours:
        """The content repo's configuration, or an all-week 24-hour team when it has none."""
        path = content_dir / CONFIG_FILE
        if not path.exists():
            return cls.from_mapping({}, str(path))
        try:
            raw = load_lines(path.read_text(encoding="utf-8")) or {}
        except YamlSyntaxError as exc:
            raise BusinessHoursError(f"{path}: {exc.problem} (line {exc.line})", exc.line) from None
        except UnicodeDecodeError:
            raise BusinessHoursError(f"{path}: not UTF-8 text (line 1)", 1) from None
        try:
            return cls.from_mapping(raw, str(path))
        except BusinessHoursError as error:
            line = line_at(raw, _field_path(str(error), str(path)))
            raise BusinessHoursError(f"{error} (line {line})", line) from None

    @classmethod
    def from_mapping(cls, raw: object, where: str = CONFIG_FILE) -> BusinessHours:
        if not isinstance(raw, Mapping):
            raise BusinessHoursError(f"{where}: expected a mapping with 'teams'")
        _known_keys(raw, FILE_KEYS, where)
        teams_raw = raw.get("teams") or {"default": {"name": "Support", "timezone": "UTC", "days": list(DAY_NAMES),
                                                     "hours": ["00:00", "24:00"]}}
        if not isinstance(teams_raw, Mapping) or not teams_raw:
            raise BusinessHoursError(f"{where}: 'teams' must map team keys to their hours")
        teams = {_team_key(key, where): _team(str(key), value, where) for key, value in teams_raw.items()}
        default = str(raw.get("default") or next(iter(teams)))
        if default not in teams:
            raise BusinessHoursError(f"{where}: default: no team {default!r}")
        due = _due_hours(raw.get("due_hours") or DEFAULT_DUE_HOURS, where)
        for team in teams.values():  # counted at every ticket: a team that cannot is refused now, not then
            try:
                team.add_hours(datetime.now(UTC), max(due.values()))
            except BusinessHoursError as exc:
                raise BusinessHoursError(f"{where}: teams.{team.key}: {exc} (within ten years; see due_hours)") from exc
        routing = _routing(raw.get("routing"), teams, where)
        return cls(teams, default, due, routing)


def _field_path(message: str, where: str) -> list[object]:
    """The keys (and list positions) a refusal of `from_mapping` names, read back from its words: "teams.ksa.hours",
    "routing rule 2: team", "teams.a: unknown key 'time_zone'"."""
    rest = message.removeprefix(f"{where}: ")
    rule = re.match(r"routing rule (\d+): (\w+)", rest)
    if rule:
        return ["routing", int(rule[1]) - 1, rule[2]]
    head, _, tail = rest.partition(": ")
    path: list[object] = [] if " " in head else list(head.split("."))
    unknown = re.match(r"unknown (?:key|priority) '([^']*)'", tail if path else rest)
    return [*path, unknown[1]] if unknown else path


def _known_keys(raw: Mapping[object, object], known: tuple[str, ...], at: str) -> None:
    """A misspelt key (`time_zone`, `routes`) would be read as absent: a default zone, no routing at all."""
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        raise BusinessHoursError(f"{at}: unknown key {unknown[0]!r}; use {', '.join(known)}")


def _team_key(key: object, where: str) -> str:
    """A team key as tickets and memberships store it (String(MAX_TEAM_KEY) columns) and forms send it back."""
    text = str(key)
    if not 0 < len(text) <= MAX_TEAM_KEY or text != text.strip() or not text.isprintable():
        raise BusinessHoursError(f"{where}: teams.{text}: a team key has 1 to {MAX_TEAM_KEY} printable characters, "
                                 "without spaces around them")
    return text


def _due_hours(raw: object, where: str) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise BusinessHoursError(f"{where}: due_hours: expected positive hours per priority")
    unknown = sorted(str(key) for key in raw if key not in PRIORITIES)
    if unknown:
        raise BusinessHoursError(f"{where}: due_hours: unknown priority {unknown[0]!r}; use {', '.join(PRIORITIES)}")
    if not raw or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < math.inf
                          for v in raw.values()):
        raise BusinessHoursError(f"{where}: due_hours: expected positive hours per priority")
    return {str(k): float(v) for k, v in raw.items()}


def _routing(raw: object, teams: Mapping[str, Team], where: str) -> tuple[RoutingRule, ...]:
    """The `routing:` list, each rule checked: a wrong one is an error naming its position (1 = the first), so a
    typo ("langs", a team that is not in `teams`) stops the desk at start instead of sending tickets astray."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BusinessHoursError(f"{where}: routing: expected a list of rules such as {{lang: ar, team: ksa}}")
    rules = []
    for number, rule in enumerate(raw, 1):
        at = f"{where}: routing rule {number}"
        if not isinstance(rule, Mapping):
            raise BusinessHoursError(f"{at}: expected a mapping such as {{lang: ar, team: ksa}}")
        unknown = sorted(str(key) for key in rule if key not in (*ROUTING_KEYS, "team"))
        if unknown:
            raise BusinessHoursError(f"{at}: unknown key {unknown[0]!r}; use {', '.join(ROUTING_KEYS)} and team")
        team = rule.get("team")
        if not isinstance(team, str) or team not in teams:
            raise BusinessHoursError(f"{at}: team: no team {team!r} (teams: {', '.join(teams)})")
        conditions: dict[str, frozenset[str]] = {}
        for key in ROUTING_KEYS:
            if key not in rule:
                continue
            values = rule[key] if isinstance(rule[key], list) else [rule[key]]
            if not values or not all(isinstance(v, str) and v.strip() for v in values):
                raise BusinessHoursError(f"{at}: {key}: expected a word or a list of words, not {rule[key]!r}")
            clean = [v.strip().lower() for v in values]
            wrong = [v for v in clean if v not in CHANNELS] if key == "channel" else []
            if wrong:  # "mail" for "email" would never match: refused, not left to send tickets to the default
                raise BusinessHoursError(f"{at}: channel: {wrong[0]!r} is no channel; use {', '.join(CHANNELS)}")
            conditions[key] = frozenset(v.lstrip("@") if key == "domain" else v for v in clean)
        if not conditions:
            raise BusinessHoursError(f"{at}: match on at least one of {', '.join(ROUTING_KEYS)} "
                                     f"(the default team takes every ticket no rule matches)")
        rules.append(RoutingRule(team, conditions))
    return tuple(rules)


def _team(key: str, raw: object, where: str) -> Team:
    at = f"{where}: teams.{key}"
    if not isinstance(raw, Mapping):
        raise BusinessHoursError(f"{at}: expected a mapping")
    _known_keys(raw, TEAM_KEYS, at)
    try:
        zone = ZoneInfo(str(raw.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BusinessHoursError(f"{at}.timezone: unknown zone {raw.get('timezone')!r}") from exc
    days_raw = raw.get("days") or DAY_NAMES[:5]
    try:
        if not isinstance(days_raw, list | tuple):
            raise TypeError(days_raw)
        days = frozenset(DAY_NAMES.index(str(d).lower()[:3]) for d in days_raw)
    except (ValueError, TypeError) as exc:
        raise BusinessHoursError(f"{at}.days: expected a list of {', '.join(DAY_NAMES)}") from exc
    hours = raw.get("hours") or ["09:00", "17:00"]
    try:
        if not isinstance(hours, list | tuple):
            raise TypeError(hours)
        opens, closes = (_clock(str(h)) for h in hours)
    except (ValueError, TypeError) as exc:
        raise BusinessHoursError(f"{at}.hours: expected [\"HH:MM\", \"HH:MM\"]") from exc
    if not opens < closes:  # no working minute in the day: no due time could ever be counted
        raise BusinessHoursError(f"{at}.hours: the team closes at {hours[1]} before it opens at {hours[0]}")
    holidays_raw = raw.get("holidays") or []
    if not isinstance(holidays_raw, list | tuple):
        raise BusinessHoursError(f"{at}.holidays: expected a list of dates")
    holidays = set()
    for value in holidays_raw:
        try:
            holidays.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError as exc:
            raise BusinessHoursError(f"{at}.holidays: {value!r} is not a date") from exc
    name = raw.get("name", key)
    if isinstance(name, Mapping | list):
        raise BusinessHoursError(f"{at}.name: expected the team's name, not {name!r}")
    return Team(key, str(name), zone, days, opens, closes, frozenset(holidays), _assignment(raw.get("assignment"), at))


def _assignment(raw: object, at: str) -> Assignment | None:
    """A team's `assignment:` ({mode: balanced, max_open: 10}); absent or null: off. A wrong one stops the desk at
    start naming the team and the field, never left to fail when a ticket comes."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise BusinessHoursError(f"{at}.assignment: expected a mapping such as {{mode: balanced, max_open: 10}}")
    _known_keys(raw, ASSIGNMENT_KEYS, f"{at}.assignment")
    mode = raw.get("mode")
    if mode not in ASSIGNMENT_MODES:
        raise BusinessHoursError(f"{at}.assignment.mode: {mode!r} is no mode; use {', '.join(ASSIGNMENT_MODES)}")
    limit = raw.get("max_open")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise BusinessHoursError(f"{at}.assignment.max_open: expected a whole number from 1, not {limit!r}")
    return Assignment(str(mode), limit)


def _clock(text: str) -> time:
    if text == "24:00":
        return time.max
    return time.fromisoformat(text)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The seconds of the epoch `WorkingClock` groups instants by: today's zones have their midnights and clock changes on
# a quarter hour of UTC, so nearly every stretch lies in one local day (one that does not, such as a midnight of an
# old +00:19:32 offset, is placed instant by instant).
STRETCH = 900.0


class WorkingClock:
    """Working seconds of one team on a running count, so the working time between many pairs of
    instants is a subtraction: `clock.at(b) - clock.at(a) == team.seconds_between(a, b)` for a <= b.

    The dashboard measures thousands of tickets per page; `seconds_between` walks every day of each
    interval, this walks each calendar day once (its working seconds, from `seconds_between` itself,
    so holidays and DST count the same) and then only places an instant within its own day.
    """

    def __init__(self, team: Team) -> None:
        self.team = team
        # Working seconds from the first day asked about (0) to the start of each known day; earlier
        # days get negative counts, so every answer stays on the same scale.
        self._start: dict[date, float] = {}
        self._low: date | None = None
        self._high: date | None = None
        self._days: dict[date, tuple[float, float, float]] = {}
        # Stretches of `STRETCH` seconds (from the epoch) that lie in one local day, with that day's entry: an instant
        # is placed by a division and a lookup instead of a conversion to local time (100,000 tickets on a 90-day
        # dashboard are 400,000 instants; the conversion was most of the business-hours figures' cost). A stretch
        # that a midnight or a clock change crosses is () and its instants are converted one by one.
        self._stretches: dict[float, tuple[float, float, float] | tuple[()]] = {}

    def _worked(self, day: date) -> float:
        start = datetime.combine(day, time(0), self.team.zone)
        return self.team.seconds_between(start, datetime.combine(day + timedelta(days=1), time(0), self.team.zone))

    def _day_start(self, day: date) -> float:
        if self._low is None or self._high is None:
            self._low = self._high = day
            self._start[day] = 0.0
        while day > self._high:
            self._start[self._high + timedelta(days=1)] = self._start[self._high] + self._worked(self._high)
            self._high += timedelta(days=1)
        while day < self._low:
            self._low -= timedelta(days=1)
            self._start[self._low] = self._start[self._low + timedelta(days=1)] - self._worked(self._low)
        return self._start[day]

    def at(self, moment: datetime) -> float:
        return self.at_epoch(_aware(moment).timestamp())

    def at_epoch(self, seconds: float) -> float:
        """`at` for a POSIX time (what the metrics read from SQL, to skip parsing datetimes)."""
        stretch = seconds // STRETCH
        known = self._stretches.get(stretch)
        if known is None:
            known = self._stretches[stretch] = self._stretch(stretch)
        if not known:
            known = self._known(datetime.fromtimestamp(seconds, self.team.zone).date())
        start, open_at, close_at = known
        # start + max(0, min(max(seconds, open_at), close_at) - open_at), the same floats without three calls
        if seconds <= open_at:
            return start + 0.0
        if seconds >= close_at:
            return start + (close_at - open_at)
        return start + (seconds - open_at)

    def _known(self, day: date) -> tuple[float, float, float]:
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._day(day)
        return known

    def _stretch(self, stretch: float) -> tuple[float, float, float] | tuple[()]:
        """The day entry of every instant of [stretch, stretch + 1) * STRETCH when its first and last microsecond are on
        the same local day at the same UTC offset (no midnight and no clock change between them), else ()."""
        first = datetime.fromtimestamp(stretch * STRETCH, self.team.zone)
        last = datetime.fromtimestamp((stretch + 1) * STRETCH - 1e-6, self.team.zone)
        if first.date() != last.date() or first.utcoffset() != last.utcoffset():
            return ()
        return self._known(first.date())

    def _day(self, day: date) -> tuple[float, float, float]:
        """(working seconds before the day, opening and closing as POSIX times; equal when closed)."""
        if not self.team._is_working_day(day):
            return self._day_start(day), 0.0, 0.0
        open_at = datetime.combine(day, self.team.opens, self.team.zone).timestamp()
        return self._day_start(day), open_at, datetime.combine(day, self.team.closes, self.team.zone).timestamp()
