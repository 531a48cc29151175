"""Business hours: when a team works, and how many working seconds lie between two instants.

One configuration (`content/_business_hours.yml`, kept in the content repo with the articles) says
each team's time zone, working days, daily hours and holidays. The dashboard's business-hours figures
and ticket due times both count through `Team.seconds_between` and `Team.add_hours`, so "8 business
hours" means the same thing everywhere. The same file is the one list of teams: agents' memberships
(desk.teams) and tickets name teams by their keys here, and its `routing:` rules (`RoutingRule`) say
which team a new ticket goes to. Times in and out are timezone-aware UTC or naive UTC (the
database's convention). A working day and its hours are the ones the team's agents see on the wall in
its own zone, resolved to real instants (`Team.window`), and business time is counted in UTC: the real
seconds inside those intervals, so a clock change makes a round-the-clock day 23 or 25 hours long.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk.models import CHANNELS, MAX_TEAM_KEY, PRIORITIES
from kb.yaml_lines import YamlSyntaxError, line_at, load_lines, rule_file_text

log = logging.getLogger(__name__)

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

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working interval of the shift that starts on `day` (local), in UTC: from the first instant the team's
        wall clock shows `opens` on that day to the first it shows `closes` (on the next day for an overnight shift,
        `closes` before `opens`; "24:00" is the next day's 00:00). A time a clock change skips is reached at the
        instant the clock jumps past it, a time it repeats at its first occurrence (zoneinfo's fold=0), so the shift
        is the real seconds between the two (a 24-hour team works 23 or 25 hours on a change day) and one day's end
        is the next day's start. None on a day off (not in `days`, or a holiday); the two are equal when a change
        skips the whole shift."""
        if not self._is_working_day(day):
            return None
        close_day = day + timedelta(days=1) if self.closes < self.opens else day
        return _first_showing(self.zone, day, self.opens), _first_showing(self.zone, close_day, self.closes)

    def _windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals (UTC) that may meet [start, end] (UTC): the shifts of the local days from the one
        before start's (an overnight shift, a clock set back over midnight) to the one after end's."""
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        while day <= last:
            found = self.window(day)
            if found is not None:
                yield found
            day += timedelta(days=1)

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end): the real (UTC) seconds of it inside the team's working intervals
        (`window`); 0 when end is not after start."""
        start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
        if end <= start:
            return 0.0
        total = 0.0
        for open_at, close_at in self._windows(start, end):
            lo, hi = max(open_at, start), min(close_at, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` working hours after `start` (a due time), in UTC: where `seconds_between(start, it)`
        reaches hours * 3600 (at an opening when hours is 0 and start is out of hours)."""
        remaining = hours * 3600.0
        cursor = _aware(start).astimezone(UTC)
        day = cursor.astimezone(self.zone).date() - timedelta(days=1)  # an overnight shift begun the day before
        for _ in range(3702):  # ten years of days: a configuration with no working day ends here
            found = self.window(day)
            if found is not None:
                open_at, close_at = found
                lo = max(open_at, cursor)
                if close_at > lo:
                    available = (close_at - lo).total_seconds()
                    if remaining <= available:
                        return lo + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise BusinessHoursError(f"team {self.key!r} has no working hours to count {hours} hours in")


@lru_cache(maxsize=1 << 16)
def _first_showing(zone: ZoneInfo, day: date, clock: time) -> datetime:
    """The first instant (UTC) at which a wall clock in `zone` shows `clock` on `day` or later (time.max: the next
    day's 00:00): the time itself when it exists (its first occurrence when a change repeats it), else the instant the
    clock jumps past it."""
    if clock == time.max:
        day, clock = day + timedelta(days=1), time(0)
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the offset before a change, the first occurrence
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # Skipped: fold=0 read it with the offset before the jump (after the jump in real time), fold=1 with the one after
    # (before it); the jump is between, on a whole second (zone data has no finer transitions).
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    before, after = math.floor(min(first, other).timestamp()), math.ceil(max(first, other).timestamp())
    while after - before > 1:  # before: the clock shows less than `wall`; after: `wall` or more
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


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

    @property
    def zone(self) -> ZoneInfo:
        """The help center's own zone, the account's: the default team's (what a customer reads times in)."""
        return self.team().zone

    def agent_zone(self, chosen: str | None, team: str | None = None) -> ZoneInfo:
        """The zone an agent reads and types times in: their own (the profile's `Agent.time_zone`), else the team's
        (its business hours' zone; the default team's when none is named). Checked when chosen, but tzdata renames
        and drops zones: one it no longer has is logged and the team's is used (every workspace page was a 500)."""
        if chosen:
            zone = zone_named(chosen)
            if zone is not None:
                return zone
            log.warning("time zone %r is not in this system's tzdata; the team's is used", chosen[:80])
        return self.team(team).zone

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

    def due_policy(self) -> tuple[object, ...]:
        """What `due_at` depends on: each team's clock, days, hours and holidays, the default team and the due hours
        (not the names, routing or assignment). Two files with equal policies give every ticket the same due time."""
        teams = tuple((key, t.zone.key, t.days, t.opens, t.closes, t.holidays) for key, t in sorted(self.teams.items()))
        return teams, self.default, tuple(sorted(self.due_hours.items()))

    def due_fingerprint(self) -> str:
        """`due_policy` as a short stable text (its sets sorted, its times and dates as ISO text): what the database
        stores as the policy the due times were last counted under (desk.models.DuePolicyState)."""

        def plain(value: object) -> object:
            if isinstance(value, frozenset | set):
                return sorted(plain(item) for item in value)  # type: ignore[type-var]
            if isinstance(value, tuple | list):
                return [plain(item) for item in value]
            return value.isoformat() if isinstance(value, date | time) else value

        return hashlib.sha256(json.dumps(plain(self.due_policy())).encode()).hexdigest()

    @classmethod
    def load(cls, content_dir: Path) -> BusinessHours:
        """The content repo's configuration, or an all-week 24-hour team when it has none."""
        path = content_dir / CONFIG_FILE
        if not path.exists():
            return cls.from_mapping({}, str(path))
        try:
            raw = load_lines(rule_file_text(path)) or {}
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
    zone = zone_named(str(raw.get("timezone", "UTC")))
    if zone is None:
        raise BusinessHoursError(f"{at}.timezone: unknown zone {str(raw.get('timezone'))[:80]!r}")
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
    if opens == closes or opens == time.max:  # no working minute in the day: no due time could ever be counted
        raise BusinessHoursError(f"{at}.hours: opening at {hours[0]} and closing at {hours[1]} leaves no working "
                                 "time (an overnight shift closes before it opens: [\"22:00\", \"06:00\"]; round the "
                                 "clock: [\"00:00\", \"24:00\"])")
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


def zone_named(name: str) -> ZoneInfo | None:
    """The IANA zone `name` (a business-hours file's, an agent's, a form's), None when this system's tzdata has none
    by that name: unknown, a path, or one no file can have (past 255 characters zoneinfo raised OSError, not
    ZoneInfoNotFoundError: a 500 on the due form, a traceback loading the business hours)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _clock(text: str) -> time:
    if text == "24:00":
        return time.max
    return time.fromisoformat(text)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# The seconds of the epoch `WorkingClock` groups instants by: today's zones have their midnights and clock changes on
# a quarter hour of UTC, so nearly every stretch lies between one working interval's neighbours (one that does not,
# such as one a round-the-clock team's midnight of an old +00:19:32 offset crosses, is placed instant by instant).
STRETCH = 900.0


class WorkingClock:
    """Working seconds of one team on a running count, so the working time between many pairs of
    instants is a subtraction: `clock.at(b) - clock.at(a) == team.seconds_between(a, b)` for a <= b.

    The dashboard measures thousands of tickets per page; `seconds_between` walks every day of each
    interval, this resolves each day's working interval once (`Team.window`, the one `seconds_between`
    counts, so holidays and clock changes count the same) and then only places an instant against it.
    """

    def __init__(self, team: Team) -> None:
        self.team = team
        # Working seconds from the first day asked about (0) to the opening of each known day's shift; earlier
        # days get negative counts, so every answer stays on the same scale.
        self._start: dict[date, float] = {}
        self._low: date | None = None
        self._high: date | None = None
        self._days: dict[date, tuple[float, float, float]] = {}
        self._windows: dict[date, tuple[float, float]] = {}
        # Stretches of `STRETCH` seconds (from the epoch) that one day's entry places whole (they lie between the
        # previous day's closing and the next day's opening), with that entry: an instant is placed by a division and
        # a lookup instead of a conversion to local time (100,000 tickets on a 90-day dashboard are 400,000 instants;
        # the conversion was most of the business-hours figures' cost). A stretch that a round-the-clock team's
        # midnight crosses is () and its instants are placed one by one.
        self._stretches: dict[float, tuple[float, float, float] | tuple[()]] = {}

    def _window(self, day: date) -> tuple[float, float]:
        """The day's shift as POSIX times; a day off is an empty one where the shift would open, so the openings and
        closings of all days stay in order (each day's between the previous day's closing and the next's opening)."""
        known = self._windows.get(day)
        if known is None:
            found = self.team.window(day)
            if found is None:
                at = _first_showing(self.team.zone, day, self.team.opens).timestamp()
                known = (at, at)
            else:
                known = (found[0].timestamp(), found[1].timestamp())
            self._windows[day] = known
        return known

    def _worked(self, day: date) -> float:
        open_at, close_at = self._window(day)
        return close_at - open_at

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
            known = self._known(self._placing(seconds, seconds))
        start, open_at, close_at = known
        # start + max(0, min(max(seconds, open_at), close_at) - open_at), the same floats without three calls
        if seconds <= open_at:
            return start + 0.0
        if seconds >= close_at:
            return start + (close_at - open_at)
        return start + (seconds - open_at)

    def _placing(self, first: float, last: float) -> date:
        """The day whose entry places every instant of [first, last]: the previous day's shift closed by `first`, the
        next day's opens at `last` or later. Starts from the local day of `first` (the answer, but around a shift
        over midnight or a clock set back past one) and steps; the caller checks that the answer holds for `last`."""
        day = datetime.fromtimestamp(first, self.team.zone).date()
        while first > self._window(day + timedelta(days=1))[0]:
            day += timedelta(days=1)
        while first < self._window(day - timedelta(days=1))[1]:
            day -= timedelta(days=1)
        return day

    def _known(self, day: date) -> tuple[float, float, float]:
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = (self._day_start(day), *self._window(day))
        return known

    def _stretch(self, stretch: float) -> tuple[float, float, float] | tuple[()]:
        """The day entry that places every instant of [stretch, stretch + 1) * STRETCH, else () (a shift's edge of
        the neighbouring days lies inside it: a round-the-clock team's midnight)."""
        day = self._placing(stretch * STRETCH, (stretch + 1) * STRETCH)
        if (stretch + 1) * STRETCH > self._window(day + timedelta(days=1))[0]:
            return ()
        return self._known(day)
