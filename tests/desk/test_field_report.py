"""The dashboard's breakdown by a dropdown or checkbox field (task fieldviews33), against a set worked out by hand
(`--postgresql` runs it on PostgreSQL). The week of tests.desk.test_metrics (2026-11-29 .. 12-05, UTC). Times UTC.
refund:   R1 created 12-01 00:00, reply 02:00 (2 h), solved 10:00 (10 h), CSAT 5.
          R2 created 12-02 00:00, reply 04:00 (4 h), solved 20:00 (20 h), CSAT 2.
          R3 created 12-03 00:00, reply 09:00 (9 h), open.
          O1 created 11-20 (the week before), solved 12-02 12:00: a solve in the period, not a created ticket.
          -> created 3, solved 3, median first reply 4 h, median resolution 15 h, CSAT 2 answers, 50%.
delivery: D1 created 12-01 06:00, reply 07:00 (1 h), solved 08:00 (2 h), CSAT 4 and a survey unanswered.
          -> created 1, solved 1, 1 h, 2 h, 1 answer, 100%.
warranty: W1 created 12-02 (an option the file no longer has): listed after the file's options.
(none):   N1 created 12-04, no reply: listed last. An English-only slice leaves out R2 (Arabic)."""

from __future__ import annotations

from datetime import date

from desk import metrics
from desk.desk import Desk
from desk.metrics import FieldOptionRow, Filters
from desk.models import CsatSurvey, TicketFieldValue
from tests.desk.test_metrics import WEEK, Fixture, at, desk  # noqa: F401


def crafted(desk: Desk) -> Fixture:  # noqa: F811
    fx = Fixture(desk)
    rows: list[object] = []
    for name, created, reply, solve, value, rating, lang in (
            ("R1", at(1, 0), at(1, 2), at(1, 10), "refund", 5, "en"),
            ("R2", at(2, 0), at(2, 4), at(2, 20), "refund", 2, "ar"),
            ("R3", at(3, 0), at(3, 9), None, "refund", None, "en"),
            ("O1", at(20, 0, month=11), None, at(2, 12), "refund", None, "en"),
            ("D1", at(1, 6), at(1, 7), at(1, 8), "delivery", 4, "en"),
            ("W1", at(2, 0), None, None, "warranty", None, "en"),
            ("N1", at(4, 0), None, None, None, None, "en")):
        ticket = fx.ticket(name, created, lang=lang, agent=fx.amal, status="solved" if solve else "open")
        if reply:
            fx.reply(ticket, reply, fx.amal)
        if solve:
            fx.status(ticket, "open", "solved", solve, fx.amal)
        if value:
            rows.append(TicketFieldValue(ticket_id=ticket, key="reason", value=value))
            rows.append(TicketFieldValue(ticket_id=ticket, key="vip", value="true"))  # another key: not counted
        if rating:
            rows.append(CsatSurvey(ticket_id=ticket, token=f"t-{name}", agent_id=fx.amal, sent_at=solve,
                                   rating=rating, answered_at=solve))
    rows.append(CsatSurvey(ticket_id=fx.ids["D1"], token="t-D1-unanswered", agent_id=fx.amal, sent_at=at(1, 9)))
    fx.add(*rows)
    return fx


def test_the_breakdown_counts_each_option_by_hand(desk: Desk) -> None:  # noqa: F811
    crafted(desk)
    rows = metrics.field_rows(desk.db, WEEK, "reason", ("refund", "delivery", "other"))
    assert rows == [
        FieldOptionRow("refund", 3, 3, 4.0, 15.0, 2, 0.5),
        FieldOptionRow("delivery", 1, 1, 1.0, 2.0, 1, 1.0),
        FieldOptionRow("other", 0, 0, None, None, 0, None),  # every option listed, zeros included
        FieldOptionRow("warranty", 1, 0, None, None, 0, None),
        FieldOptionRow(None, 1, 0, None, None, 0, None),
    ]


def test_the_breakdown_honours_the_slices_and_the_period(desk: Desk) -> None:  # noqa: F811
    crafted(desk)
    english = Filters.for_days(date(2026, 11, 29), date(2026, 12, 5), lang="en")
    refund = metrics.field_rows(desk.db, english, "reason", ("refund",))[0]
    assert refund == FieldOptionRow("refund", 2, 2, 5.5, 10.0, 1, 1.0)  # R2 is Arabic
    first_day = Filters.for_days(date(2026, 12, 1), date(2026, 12, 1))
    assert metrics.field_rows(desk.db, first_day, "reason", ("refund", "delivery"))[:2] == [
        FieldOptionRow("refund", 1, 1, 2.0, 10.0, 1, 1.0), FieldOptionRow("delivery", 1, 1, 1.0, 2.0, 1, 1.0)]
