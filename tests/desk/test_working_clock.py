"""The dashboard's running business-hours count agrees with `Team.seconds_between` everywhere:
weekends, holidays, across midnight and months, in any order of questions (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from desk.business_hours import BusinessHours, WorkingClock
from tests.conftest import CONTENT

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
