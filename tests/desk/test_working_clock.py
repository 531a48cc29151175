"""The dashboard's running business-hours count agrees with `Team.seconds_between` everywhere:
weekends, holidays, across midnight and months, in any order of questions (hypothesis); and both, with due times
(`Team.add_hours`), agree with the definition on clock-change days in every zone with changes: business seconds are
the real (UTC) seconds inside the working intervals, each the first instant the wall clock shows the opening time to
the first it shows the closing time, computed here from the zone's UTC offsets alone (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from desk.business_hours import DAY_NAMES, BusinessHours, WorkingClock
from tests.conftest import CONTENT

pytestmark = pytest.mark.no_database  # no database at all: the PostgreSQL run leaves it out

HOURS = BusinessHours.load(CONTENT)
START = datetime(2026, 11, 20, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=60 * 24 * 60).map(lambda m: START + timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(HOURS.teams)), st.lists(st.tuples(moments, moments), min_size=1, max_size=8))
def test_clock_differences_equal_seconds_between(team_key: str, pairs: list[tuple[datetime, datetime]]) -> None:
    team = HOURS.team(team_key)
    clock = WorkingClock(team)
    for a, b in pairs:
        a, b = min(a, b), max(a, b)
        assert abs((clock.at(b) - clock.at(a)) - team.seconds_between(a, b)) < 1e-6


def test_a_holiday_and_a_weekend_count_nothing() -> None:
    uae = WorkingClock(HOURS.team("uae"))
    # Tue 1 Dec 18:00 Dubai to Fri 4 Dec 09:00: Wed and Thu are holidays.
    assert uae.at(datetime(2026, 12, 4, 5, tzinfo=UTC)) - uae.at(datetime(2026, 12, 1, 14, tzinfo=UTC)) == 0
    ksa = WorkingClock(HOURS.team("ksa"))
    # Thu 3 Dec 16:00 Riyadh to Sun 6 Dec 10:00: one hour on Thursday, one on Sunday.
    assert ksa.at(datetime(2026, 12, 6, 7, tzinfo=UTC)) - ksa.at(datetime(2026, 12, 3, 13, tzinfo=UTC)) == 7200


def test_the_clock_holds_across_clock_changes_and_odd_offsets() -> None:
    """Summer time ending (London, 01:00 UTC), a change at local midnight (Santiago: 24:00 -> 23:00 the day before)
    a quarter-hour offset (Kathmandu, +05:45) and midnights off the quarter hours (Amsterdam in 1935, +00:19:32,
    summer time from 15 May; open round the clock, so an instant on the wrong side of midnight would count
    wrong): `at_epoch`'s stretches give every instant, every 7 min 13 s over
    the days around each, exactly what placing it on its local day one by one gives (a clock whose stretches are all
    refused), and every running count agrees with `seconds_between` (before session 34's clockfix34 Santiago's and
    Amsterdam's did not: `seconds_between` counted wall-clock hours, 24 on a 25-hour day)."""
    hours = BusinessHours.from_mapping({"default": "london", "teams": {
        key: {"timezone": zone, "days": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
              "hours": ["00:00", "24:00"] if key == "amsterdam" else ["08:30", "17:15"]}
        for key, zone in (("london", "Europe/London"), ("santiago", "America/Santiago"),
                          ("kathmandu", "Asia/Kathmandu"), ("amsterdam", "Europe/Amsterdam"))}})
    for key, around in (("london", datetime(2026, 10, 25, tzinfo=UTC)), ("santiago", datetime(2026, 4, 5, tzinfo=UTC)),
                        ("kathmandu", datetime(2026, 12, 1, tzinfo=UTC)),
                        ("amsterdam", datetime(1935, 5, 15, tzinfo=UTC))):
        team = hours.team(key)
        clock, one_by_one = WorkingClock(team), WorkingClock(team)
        one_by_one._stretch = lambda _stretch: ()  # type: ignore[method-assign]
        first = around - timedelta(days=2)
        for step in range(0, 4 * 24 * 3600, 433):
            moment = first + timedelta(seconds=step)
            assert clock.at(moment) - clock.at(first) == one_by_one.at(moment) - one_by_one.at(first), (key, moment)
            assert abs((clock.at(moment) - clock.at(first)) - team.seconds_between(first, moment)) < 1e-6, key


# The definition, from UTC alone: the zone's offsets (scanned every 15 minutes, each change found to the second by
# bisection, reading only UTC -> local), and the first instant the wall clock shows a time, segment by segment.
SCAN = 900
WEEK = 7 * 86400


def _offset(zone: ZoneInfo, instant: int) -> int:
    offset = datetime.fromtimestamp(instant, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@cache
def _changes(key: str) -> tuple[int, ...]:
    """Instants at which `key`'s offset changes, 1900-2037, seen a week apart (a zone with none: ())."""
    zone, found = ZoneInfo(key), []
    previous = _offset(zone, FROM)
    for instant in range(FROM + WEEK, UNTIL, WEEK):
        now = _offset(zone, instant)
        if now != previous:
            low, high = instant - WEEK, instant
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset(zone, middle) == previous else (low, middle)
            found.append(high)
        previous = now
    return tuple(found)


FROM, UNTIL = int(datetime(1900, 1, 2, tzinfo=UTC).timestamp()), int(datetime(2037, 12, 1, tzinfo=UTC).timestamp())
ZONES = sorted(available_timezones())


def _segments(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, int]]:
    """(first instant, offset) of each stretch of one offset over [start, end]."""
    segments = [(start, _offset(zone, start))]
    for instant in range(start + SCAN, end + SCAN, SCAN):
        if _offset(zone, instant) != segments[-1][1]:
            low, high = instant - SCAN, instant  # the offset at low is the last segment's, at high not
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if _offset(zone, middle) == segments[-1][1] else (low, middle)
            segments.append((high, _offset(zone, high)))
    return segments


def _first_showing(segments: list[tuple[int, int]], wall: int) -> int:
    """The first instant the wall clock (instant + offset, as seconds) shows `wall` or later."""
    ends = [at for at, _ in segments[1:]] + [2**62]
    return min(max(at, wall - offset) for (at, offset), end in zip(segments, ends, strict=True)
               if max(at, wall - offset) < end)


@dataclass(frozen=True)
class Case:
    zone: str
    change: int  # an instant near a change of the zone's offset
    opens: int  # minutes of the day; closes 1440 is "24:00", closes < opens an overnight shift
    closes: int
    days: frozenset[int]
    holidays: tuple[int, ...]  # days from the change's local day
    start: int  # seconds from the change
    length: int
    share: float  # the due time's hours, as a share of the working time in the six days from start


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02}:{minutes % 60:02}"


MINUTES = st.sampled_from([0, 30, 45, 60, 90, 120, 150, 180, 1380, 1410, 1439]) | st.integers(0, 1439)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES).filter(_changes))
    changes = _changes(zone)
    opens = draw(MINUTES)
    closes = draw((MINUTES | st.just(1440)).filter(lambda m: m != opens))
    return Case(zone, changes[draw(st.integers(0, len(changes) - 1))], opens, closes,
                draw(st.frozensets(st.integers(0, 6), min_size=1)), tuple(draw(st.lists(st.integers(-2, 2)))),
                draw(st.integers(-3 * 86400, 2 * 86400)), draw(st.integers(0, 3 * 86400)), draw(st.floats(0, 1)))


def _instant(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


@settings(deadline=None)
@given(cases())
@example(Case("Europe/London", _instant("2026-10-25T01:00Z"), 0, 1440, frozenset(range(7)), (), -86400, 3 * 86400, .5))
@example(Case("Europe/London", _instant("2026-03-29T01:00Z"), 60, 150, frozenset(range(7)), (), -3600, 86400, .3))
@example(Case("America/Santiago", _instant("2026-04-05T03:00Z"), 1380, 1440, frozenset(range(7)), (), -86400,
              2 * 86400, .7))
@example(Case("America/Santiago", _instant("2026-09-06T04:00Z"), 1320, 120, frozenset(range(7)), (1,), -86400,
              3 * 86400, .4))
@example(Case("Europe/Amsterdam", _instant("1935-05-15T00:00Z"), 0, 1440, frozenset(range(7)), (), -86400, 86400, .5))
@example(Case("Australia/Lord_Howe", _instant("2026-04-04T15:00Z"), 90, 150, frozenset(range(7)), (), -86400,
              2 * 86400, .9))
@example(Case("Asia/Kathmandu", _instant("1986-01-01T00:00Z"), 0, 1440, frozenset(range(7)), (0,), -86400,
              2 * 86400, .6))
@example(Case("Pacific/Apia", _instant("2011-12-30T10:00Z"), 540, 1020, frozenset(range(7)), (), -2 * 86400,
              3 * 86400, .5))
def test_business_time_is_the_real_seconds_in_the_working_intervals(case: Case) -> None:
    """seconds_between, the dashboard's clock and due times all count the working intervals' real seconds, on the
    days around a change of any zone's offset (summer time, a change at midnight, an old +00:19:32 or +05:45 offset,
    a skipped day), for day, round-the-clock and overnight shifts and holidays on the change day."""
    zone = ZoneInfo(case.zone)
    local_day = datetime.fromtimestamp(case.change, zone).date()
    team = BusinessHours.from_mapping({"due_hours": {"normal": 0.01}, "teams": {"t": {
        "timezone": case.zone, "days": [DAY_NAMES[d] for d in sorted(case.days)],
        "hours": [_clock_text(case.opens), "24:00" if case.closes == 1440 else _clock_text(case.closes)],
        "holidays": [str(local_day + timedelta(days=d)) for d in case.holidays]}}}).team("t")
    start = case.change + case.start
    end = start + case.length
    segments = _segments(zone, case.change - 6 * 86400, case.change + 11 * 86400)
    intervals = []
    for number in range(-4, 10):
        day = local_day + timedelta(days=number)
        if day.weekday() in case.days and day not in team.holidays:
            midnight = int(datetime.combine(day, time(0), UTC).timestamp())  # the day's 00:00 as wall seconds
            closes = case.closes + (1440 if case.closes < case.opens else 0)
            intervals.append((_first_showing(segments, midnight + case.opens * 60),
                              _first_showing(segments, midnight + closes * 60)))

    def worked(a: float, b: float) -> float:
        return sum(max(0.0, min(close, b) - max(opening, a)) for opening, close in intervals)

    a, b = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    assert team.seconds_between(a, b) == worked(start, end), intervals
    clock = WorkingClock(team)
    assert abs((clock.at(b) - clock.at(a)) - worked(start, end)) < 1e-6, intervals
    assert clock.at_epoch(end + 1) - clock.at_epoch(start - 1) == pytest.approx(worked(start - 1, end + 1), abs=1e-6)
    available = worked(start, start + 6 * 86400)
    if available:
        due = team.add_hours(a, case.share * available / 3600)
        assert team.seconds_between(a, due) == pytest.approx(case.share * available, abs=1e-5)
        assert worked(start, due.timestamp()) == pytest.approx(case.share * available, abs=1e-5)
        # the earliest such instant: working (or the interval's end) just before it
        if case.share:
            assert worked(start, due.timestamp() - 1) < case.share * available
