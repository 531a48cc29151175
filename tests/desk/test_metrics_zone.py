"""The dashboard's days are the reader's zone's days (desk.metrics.Filters.zone): a period of whole local days,
the daily series per local day, and the previous period of as many local days, across summer-time changes.

Europe/London goes to summer time on Sunday 2026-03-29 (a 23-hour day: 01:00 GMT -> 02:00 BST) and back on
Sunday 2026-10-25 (25 hours); America/New_York goes back on Sunday 2026-11-01. Times below are UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from desk import metrics
from desk.desk import Desk
from desk.metrics import Day, Filters
from tests.desk.test_metrics import HOURS, Fixture, desk  # noqa: F401 (the desk fixture, SQLite or PostgreSQL)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_whole_days_of_the_zone() -> None:
    riyadh = Filters.for_days(date(2026, 12, 1), date(2026, 12, 7), "Asia/Riyadh")
    assert (riyadh.start, riyadh.end) == (utc(11, 30, 21), utc(12, 7, 21))
    assert (riyadh.first_day, riyadh.last_day) == (date(2026, 12, 1), date(2026, 12, 7))
    assert (riyadh.previous().start, riyadh.previous().zone) == (utc(11, 23, 21), "Asia/Riyadh")
    plain = Filters.for_days(date(2026, 12, 1), date(2026, 12, 7))
    assert (plain.start, plain.end, plain.zone) == (utc(12, 1, 0), utc(12, 8, 0), "UTC")
    # Spring forward: the week holds a 23-hour day; the week before it is seven whole days of 24 hours.
    spring = Filters.for_days(date(2026, 3, 26), date(2026, 4, 1), "Europe/London")
    assert (spring.start, spring.end) == (utc(3, 26, 0), utc(4, 1, 23))
    assert spring.end - spring.start == timedelta(days=7, hours=-1)
    assert (spring.previous().start, spring.previous().end) == (utc(3, 19, 0), utc(3, 26, 0))
    # And the week after a 25-hour day starts at local midnight again, not an hour off.
    autumn = Filters.for_days(date(2026, 11, 2), date(2026, 11, 8), "America/New_York")
    assert autumn.previous().start == utc(10, 26, 4)  # midnight EDT (UTC-4); the period itself starts at 05:00 UTC
    assert autumn.previous().end - autumn.previous().start == timedelta(days=7, hours=1)


def test_a_ticket_at_half_past_ten_utc_counts_on_the_next_day_in_riyadh(desk: Desk) -> None:  # noqa: F811
    w = Fixture(desk)
    late = w.ticket("Late", utc(12, 1, 22, 30))
    w.status(late, "new", "solved", utc(12, 2, 21, 15))  # 00:15 on 3 December in Riyadh
    for zone, expected in (("UTC", [Day("2026-12-01", 1, 0), Day("2026-12-02", 0, 1), Day("2026-12-03", 0, 0)]),
                           ("Asia/Riyadh", [Day("2026-12-01", 0, 0), Day("2026-12-02", 1, 0),
                                            Day("2026-12-03", 0, 1)])):
        f = Filters.for_days(date(2026, 12, 1), date(2026, 12, 3), zone)
        board = metrics.dashboard(desk.db, f, HOURS, utc(12, 10, 0))
        assert board.current.days == expected, zone
        one_day = metrics.ticket_figures(desk.db, Filters.for_days(date(2026, 12, 2), date(2026, 12, 2), zone), HOURS)
        assert one_day.created == (1 if zone == "Asia/Riyadh" else 0), zone
    shown = metrics.as_json(Filters.for_days(date(2026, 12, 2), date(2026, 12, 2), "Asia/Riyadh"))
    assert shown["zone"] == "Asia/Riyadh" and shown["start"] == "2026-12-01T21:00:00+00:00"


def test_a_week_across_summer_time_counts_each_local_day(desk: Desk) -> None:  # noqa: F811
    """London's week of 26 March - 1 April 2026: 29 March has 23 hours. Each ticket lands on its wall-clock day."""
    w = Fixture(desk)
    w.ticket("BeforeWeek", utc(3, 25, 23, 30))  # 25 March 23:30 GMT: the previous week
    w.ticket("FirstMinute", utc(3, 26, 0, 0))  # midnight GMT opens the week
    w.ticket("SatLate", utc(3, 28, 23, 59))  # 28 March 23:59 GMT
    w.ticket("SunEarly", utc(3, 29, 0, 30))  # 29 March 00:30 GMT, before the change
    w.ticket("SunLate", utc(3, 29, 22, 30))  # 29 March 23:30 BST: still the short Sunday
    w.ticket("MonEarly", utc(3, 29, 23, 30))  # 30 March 00:30 BST: Monday in London, Sunday in UTC
    w.ticket("LastMinute", utc(4, 1, 22, 59))  # 1 April 23:59 BST: the week's last minute
    w.ticket("AfterWeek", utc(4, 1, 23, 0))  # 2 April 00:00 BST: the next week
    f = Filters.for_days(date(2026, 3, 26), date(2026, 4, 1), "Europe/London")
    board = metrics.dashboard(desk.db, f, HOURS, utc(4, 10, 0))
    assert [(d.day, d.created) for d in board.current.days] == [
        ("2026-03-26", 1), ("2026-03-27", 0), ("2026-03-28", 1), ("2026-03-29", 2), ("2026-03-30", 1),
        ("2026-03-31", 0), ("2026-04-01", 1)]
    assert board.current.tickets.created == 6
    assert board.previous.tickets.created == 1  # 19-25 March, whole London days
    in_utc = metrics.daily(desk.db, Filters.for_days(date(2026, 3, 26), date(2026, 4, 1)))
    assert [d.created for d in in_utc] == [1, 0, 1, 3, 0, 0, 2]  # UTC: MonEarly is Sunday's, AfterWeek 1 April's
