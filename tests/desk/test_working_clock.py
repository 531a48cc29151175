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


def test_the_clock_holds_across_clock_changes_and_odd_offsets() -> None:
    """Summer time ending (London, 01:00 UTC), a change at local midnight (Santiago: 24:00 -> 23:00 the day before)
    a quarter-hour offset (Kathmandu, +05:45) and midnights off the quarter hours (Amsterdam in 1935, +00:19:32,
    summer time from 15 May; open round the clock, so an instant on the wrong side of midnight would count
    wrong): `at_epoch`'s stretches give every instant, every 7 min 13 s over
    the days around each, exactly what placing it on its local day one by one gives (a clock whose stretches are all
    refused), and London's and Kathmandu's running counts agree with `seconds_between`."""
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
            if key in ("london", "kathmandu"):  # round the clock over a change, the clock and seconds_between differ
                assert abs((clock.at(moment) - clock.at(first)) - team.seconds_between(first, moment)) < 1e-6, key
