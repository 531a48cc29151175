"""The content team's reports over a real desk database (SQLite; PostgreSQL with KB_TEST_DATABASE_URL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from desk import reports
from desk.desk import Desk
from desk.models import SearchEvent
from desk.tickets import InputError, NewTicket
from kb.catalog import Catalog
from kb.settings import Settings
from tests.conftest import database_url_for_tests


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


@pytest.fixture
def catalog(content_dir: Path, tmp_path: Path) -> Catalog:
    return Catalog(Settings(content_dir=content_dir, data_dir=tmp_path / "data"))


def ticket(desk: Desk, subject: str = "Refund missing", visit_id: str | None = None) -> int:
    new = NewTicket(email="sara@example.com", subject=subject, body="Where is my refund?", lang="en",
                    visit_id=visit_id)
    return desk.tickets.create(new).id


def test_content_gaps_merge_spellings_and_count_searches_and_tickets(desk: Desk) -> None:
    events = desk.events
    events.search("Refund  STATUS", "en", 0, False)
    events.search("refund status", "en", 3, True)  # results, but the answer abstained
    events.search("refund status", "en", 5, False)  # answered: not a gap
    events.search("استرداد المبلغ", "ar", 0, True)
    events.content_gap("Refund status ", "ar", ticket_id=ticket(desk))
    rows = reports.content_gaps(desk.db)
    assert [(r.query, r.searches, r.tickets, r.languages) for r in rows] == [
        ("refund status", 2, 1, ("ar", "en")),
        ("استرداد المبلغ", 1, 0, ("ar",)),
    ]
    assert rows[0].last_seen is not None


def test_content_gaps_respect_the_time_window(desk: Desk) -> None:
    desk.events.search("old question", "en", 0, False)
    with desk.db.session() as session:
        session.execute(update(SearchEvent).values(created_at=reports.utcnow() - dt.timedelta(days=40)))
    desk.events.search("new question", "en", 0, False)
    assert [r.query for r in reports.content_gaps(desk.db, reports.since_days(30))] == ["new question"]
    assert len(reports.content_gaps(desk.db)) == 2


def test_rejected_report_lists_only_tickets_where_nothing_was_taken(desk: Desk) -> None:
    missed, mixed, sent, shown = (ticket(desk, subject) for subject in ("Missed", "Mixed", "Sent", "Shown"))
    events = desk.events
    for ticket_id in (missed, mixed, sent, shown):
        events.suggestion(ticket_id, "shown")
    events.suggestion(missed, "rejected", reason="about cards, not wallets")
    events.suggestion(missed, "rejected", reason="wrong country")
    events.suggestion(mixed, "rejected", reason="not this one")
    events.suggestion(mixed, "inserted", article_key="en/refund-timing")
    events.suggestion(sent, "rejected", reason="too long")
    events.suggestion(sent, "sent", edit_distance=4)
    rows = reports.rejected_tickets(desk.db)
    assert [(r.ticket_id, r.subject, r.lang, r.rejections) for r in rows] == [(missed, "Missed", "en", 2)]
    assert rows[0].reasons == ("wrong country", "about cards, not wallets")


def test_unhelpful_articles_with_share_and_latest_comments(desk: Desk) -> None:
    events = desk.events
    for comment in ("first", None, "second", "third", "fourth"):
        events.feedback("en/refund-timing", False, comment, None)
    events.feedback("en/refund-timing", True, "great", None)
    events.feedback("en/apple-pay", False, "", None)
    events.feedback("en/apple-pay", True, None, None)
    events.feedback("en/delivery-fees", True, None, None)  # only helpful votes: not listed
    rows = reports.unhelpful_articles(desk.db)
    assert [(r.article_key, r.not_helpful, r.votes, r.share) for r in rows] == [
        ("en/refund-timing", 5, 6, 0.833),
        ("en/apple-pay", 1, 2, 0.5),
    ]
    assert rows[0].latest_comments == ("fourth", "third", "second")
    assert rows[1].latest_comments == ()


def test_stale_articles_from_the_front_matter(catalog: Catalog) -> None:
    undated = catalog.settings.content_dir / "en" / "orders" / "undated.md"
    undated.write_text("---\ntitle: Undated\n---\nAn article nobody dated, so nobody knows how old it is.\n")
    rows = reports.stale_articles(catalog.snapshot().articles.values(), days=45, today=dt.date(2026, 10, 20))
    assert [(r.article_key, r.age_days) for r in rows] == [
        ("en/undated", None),  # first: nobody can tell how old it is
        ("ar/apple-pay", 139),
        ("en/apple-pay", 139),
        ("ar/refund-approval-limits", 49),
        ("en/refund-approval-limits", 49),
    ]  # delivery-fees is exactly 45 days old: not yet stale
    assert rows[1].updated == dt.date(2026, 6, 3) and rows[1].path == "ar/payments/apple-pay.md"


def test_translation_report_lists_only_what_needs_a_translator(catalog: Catalog) -> None:
    rows = reports.translation_rows(catalog)
    assert ("gift-cards", "ar", "missing") in [(r.article_id, r.lang, r.status) for r in rows]
    assert all(r.status not in ("source", "up-to-date") for r in rows)


def test_deflection_counts_visits_that_did_not_write(desk: Desk) -> None:
    events = desk.events
    events.deflection("visit-a", "en/refund-timing")
    events.deflection("visit-a", "en/apple-pay")  # one visit, two articles
    events.deflection("visit-b", "en/refund-timing")
    events.deflection("visit-c", "en/refund-timing")
    ticket(desk, visit_id="visit-c")
    ticket(desk, visit_id="visit-z")  # never opened a suggestion: not counted
    assert reports.deflection(desk.db) == [reports.DeflectionRow(3, 2, 1, 0.667)]
    assert reports.deflection(desk.db, reports.since_days(1, reports.utcnow() + dt.timedelta(days=2))) == [
        reports.DeflectionRow(0, 0, 0, 0.0)
    ]


def test_csv_has_a_header_joined_lists_and_no_formulas(desk: Desk) -> None:
    desk.events.search("=HYPERLINK(\"http://evil\")", "en", 0, False)
    desk.events.search("refund", "en", 0, False)
    text = reports.to_csv(reports.content_gaps(desk.db))
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["query", "searches", "tickets", "languages", "last_seen"]
    assert sorted(row[0] for row in table[1:]) == ["'=hyperlink(\"http://evil\")", "refund"]
    assert reports.to_csv([], reports.GapRow).startswith("query,searches")
    assert reports.to_csv([reports.DeflectionRow(2, 1, 1, 0.5)]).splitlines()[1] == "2,1,1,0.5"


def test_every_report_runs_through_the_registry(desk: Desk, catalog: Catalog) -> None:
    for name, report in reports.REPORTS.items():
        rows = report.build(desk, catalog, None, "Asia/Riyadh")
        assert all(isinstance(row, report.row_type) for row in rows), name


def test_unhelpful_articles_count_what_went_wrong_on_articles_and_their_answer_cards(desk: Desk) -> None:
    events = desk.events
    events.feedback("en/apple-pay", False, "<p>old <b>screens</b></p>", "v1", reason="outdated")
    events.feedback("en/apple-pay", False, None, "v2", reason="outdated")
    events.feedback("en/apple-pay", True, None, "v3", reason="unclear")  # a "yes" keeps no reason
    events.answer_feedback("en/apple-pay", "", "apple pay", "en", False, "v4", reason="unclear", comment="steps?")
    events.answer_feedback("en/delivery-fees", "", "fees", "en", False, "v5")  # a card's bare "no" lists it too
    with pytest.raises(InputError, match="reason"):
        events.feedback("en/apple-pay", False, None, "v6", reason="spam")
    with pytest.raises(InputError, match="comment"):
        events.answer_feedback("en/apple-pay", "", "q", "en", False, "v7", comment="x" * 501)
    rows = reports.unhelpful_articles(desk.db)
    assert [(r.article_key, r.not_helpful, r.votes, r.card_not_helpful, r.reasons) for r in rows] == [
        ("en/apple-pay", 2, 3, 1, ("outdated: 2", "unclear: 1")),
        ("en/delivery-fees", 0, 0, 1, ()),
    ]
    assert rows[0].latest_comments == ("steps?", "old screens")  # markup dropped, newest first


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(("zone", "now", "days", "start"), [
    # Riyadh (UTC+3 all year): 13:00 on 4 December; a day begins at 21:00 UTC the evening before.
    ("Asia/Riyadh", "2026-12-04 10:00", 1, "2026-12-03 21:00"),
    ("Asia/Riyadh", "2026-12-04 10:00", 7, "2026-11-27 21:00"),
    ("Asia/Riyadh", "2026-12-04 22:00", 1, "2026-12-04 21:00"),  # 01:00 on the 5th there: a new day
    # New York falls back on 1 November 2026 (EDT UTC-4 -> EST UTC-5): that day is 25 hours long.
    ("America/New_York", "2026-11-02 15:00", 1, "2026-11-02 05:00"),
    ("America/New_York", "2026-11-02 15:00", 2, "2026-11-01 04:00"),
    ("America/New_York", "2026-11-02 15:00", 3, "2026-10-31 04:00"),
    # ... and springs forward on 8 March 2026 (a 23-hour day).
    ("America/New_York", "2026-03-09 12:00", 2, "2026-03-08 05:00"),
    ("America/New_York", "2026-03-09 12:00", 1, "2026-03-09 04:00"),
    # Kiritimati (UTC+14): 23:00 on 4 December, then 01:00 on the 5th.
    ("Pacific/Kiritimati", "2026-12-04 09:00", 1, "2026-12-03 10:00"),
    ("Pacific/Kiritimati", "2026-12-04 11:00", 1, "2026-12-04 10:00"),
    ("UTC", "2026-12-04 10:00", 1, "2026-12-04 00:00"),
])
def test_days_are_calendar_days_of_the_zone(zone: str, now: str, days: int, start: str) -> None:
    assert reports.since_days(days, utc(now), zone) == utc(start)


def test_days_edges_zero_none_and_more_than_the_calendar() -> None:
    now = utc("2026-12-04 10:00")
    assert reports.since_days(None, now, "Asia/Riyadh") is None
    assert reports.since_days(0, now, "Asia/Riyadh") == now  # no day: nothing happened since now
    assert reports.since_days(10**7, now, "Pacific/Kiritimati") is None  # all time, not an overflow
    assert reports.today_in("Pacific/Kiritimati", utc("2026-12-04 11:00")) == dt.date(2026, 12, 5)
    assert reports.today_in("America/New_York", utc("2026-12-04 03:00")) == dt.date(2026, 12, 3)


@pytest.mark.parametrize(("zone", "now", "days", "edge"), [
    ("Asia/Riyadh", "2026-12-04 10:00", 7, "2026-11-27 21:00"),
    ("America/New_York", "2026-11-02 15:00", 2, "2026-11-01 04:00"),
    ("Pacific/Kiritimati", "2026-12-04 09:00", 1, "2026-12-03 10:00"),
])
def test_a_report_counts_from_the_zones_midnight_not_n_times_24_hours(
        desk: Desk, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, zone: str, now: str, days: int,
        edge: str) -> None:
    """A second before local midnight is out, midnight itself is in; N x 24 hours back would have taken both."""
    at = utc(edge)
    for query, when in (("just before", at - dt.timedelta(seconds=1)), ("at midnight", at)):
        desk.events.search(query, "en", 0, False)
        with desk.db.session() as session:
            session.execute(update(SearchEvent).where(SearchEvent.query == query).values(created_at=when))
    monkeypatch.setattr(reports, "utcnow", lambda: utc(now))
    assert utc(now) - dt.timedelta(days=days) < at - dt.timedelta(seconds=1)  # rolling hours would count both
    rows = reports.REPORTS["gaps"].build(desk, catalog, days, zone)
    assert [r.query for r in rows] == ["at midnight"]
    assert {r.query for r in reports.REPORTS["gaps"].build(desk, catalog, days + 1, zone)} == {"at midnight",
                                                                                              "just before"}


def used(desk: Desk, ticket_id: int, article: str, sent: bool = True) -> None:
    """An agent inserts a copilot passage from `article` and (by default) sends the reply carrying it."""
    desk.events.suggestion(ticket_id, "inserted", article_key=article, details={"what": "passage"})
    if sent:
        desk.events.suggestion(ticket_id, "sent", edit_distance=3, details={"what": "passage"})


def test_the_shadow_log_labels_questions_and_finds_false_abstentions(desk: Desk, catalog: Catalog) -> None:
    events = desk.events
    signals = {"lexical_top": 6.123456, "use_top": 0.41}
    # Abstained, the visit wrote, the agent answered with the search's own unfloored first result: a false abstention.
    events.search("Card refused at checkout", "en", 0, True, visit_id="hid", signals=signals,
                  first_article="en/refund-timing")
    used(desk, ticket(desk, visit_id="hid"), "en/apple-pay")
    used(desk, desk.tickets.create(NewTicket(email="x@example.com", subject="Other", body="b", visit_id="x")).id,
         "en/delivery-fees")  # another visit's ticket: nothing to do with these searches
    # Abstained, answered from an internal article only: customers could not have been shown it.
    events.search("approval limit", "en", 0, True, visit_id="internal", signals=signals, first_article="en/gift-cards")
    used(desk, ticket(desk, visit_id="internal"), "en/refund-approval-limits")
    # Abstained, the agent applied a macro and inserted a passage it never sent: no article was used.
    events.search("where is my parcel", "en", 0, True, visit_id="macro", signals=signals, first_article="en/gift-cards")
    macro_ticket = ticket(desk, visit_id="macro")
    used(desk, macro_ticket, "en/delivery-fees", sent=False)
    desk.events.suggestion(macro_ticket, "applied", article_key="macro:shipping", details={"what": "macro"})
    # An abstained search, then another that showed results, then the ticket: the article goes to the last one.
    events.search("gift", "en", 0, True, visit_id="twice", signals=signals, first_article="en/gift-cards")
    events.search("gift card balance", "en", 3, False, visit_id="twice", signals=signals,
                  first_article="en/gift-cards")
    events.search("My gift card balance is wrong, please help", "en", 0, True, visit_id="twice",
                  source="contact")  # the contact form's suggestions as the message is typed: not a search
    used(desk, ticket(desk, visit_id="twice"), "en/gift-cards")
    # Behaviour: a click and no ticket is answerable; shown, no click, a ticket not answered.
    events.click(events.search("refund late", "en", 4, False, visit_id="happy"), "en/refund-timing", 1, "happy")
    events.search("delivery to mars", "ar", 2, False, visit_id="stuck", signals={"use_top": float("nan")},
                  first_article="ar/delivery-fees")
    ticket(desk, visit_id="stuck")
    # Abstained, no click (nothing shown), a ticket nobody answered from an article: no label (the floors' own
    # abstention is not evidence against them).
    events.search("lottery numbers", "ar", 0, True, visit_id="hidden", signals={}, first_article="ar/refund-timing")
    ticket(desk, visit_id="hidden")

    log = reports.answered_log(desk, catalog)
    assert [(s.query, s.used_articles) for s in log if s.used_articles] == [
        ("Card refused at checkout", ("en/apple-pay",)), ("gift card balance", ("en/gift-cards",))]
    stored = {s.query: s for s in desk.events.shadow_log()}
    assert stored["Card refused at checkout"].signals == {"lexical_top": 6.1235, "use_top": 0.41}  # 4 places
    assert stored["delivery to mars"].signals == {} and stored["refund late"].signals is None  # NaN left out
    assert [s.logged for s in log] == [s.logged for s in stored.values()] == [True] * 5 + [False, True, True]
    assert all(s.signals is None for s in log)  # the reports count them, never read them

    assert reports.abstention(log) == [
        reports.AbstentionRow("ar", 2, 1, 0.5, 2, 0, 1, 0, 2),
        reports.AbstentionRow("en", 6, 4, 0.667, 6, 3, 0, 1, 5),
    ]
    [false] = reports.false_abstentions(log, catalog)
    assert (false.query, false.article_key, false.title, false.first_result, false.first_result_matches) == (
        "Card refused at checkout", "en/apple-pay", "Pay with Apple Pay", "en/refund-timing", False)
    assert false.ticket_id == stored["Card refused at checkout"].ticket_id is not None
    # The list reads only the searches a ticket followed, and finds the same rows.
    ticketed = reports.answered_log(desk, catalog, ticketed=True)
    assert {s.query for s in ticketed} == {
        "Card refused at checkout", "approval limit", "where is my parcel", "gift", "gift card balance",
        "delivery to mars", "lottery numbers"}
    assert reports.false_abstentions(ticketed, catalog) == [false]


def test_the_abstention_report_counts_one_question_however_it_is_typed(desk: Desk, catalog: Catalog) -> None:
    events = desk.events
    # Word order, case and punctuation: one question (desk.search_labels.question_key, as click feedback keys it),
    # clicked twice, once shown with no click and a ticket: answerable ("share": two good visits of three).
    events.click(events.search("reset password", "en", 3, False, visit_id="a"), "en/reset-password", 1, "a")
    events.click(events.search("Password reset!", "en", 3, False, visit_id="b"), "en/reset-password", 1, "b")
    events.search("password,  RESET?", "en", 3, False, visit_id="c")
    ticket(desk, visit_id="c")
    # No word to fold: each keeps its own spelling, so "???" (not answered) does not merge with "!!!" (answerable).
    events.search("???", "en", 3, False, visit_id="q")
    ticket(desk, visit_id="q")
    events.click(events.search("!!!", "en", 3, False, visit_id="x"), "en/gift-cards", 1, "x")
    # Arabic: the article, the prefixes "و" and "ب" and word order folded: one question, not answered.
    for visit, query in (("ar1", "استرداد المبلغ"), ("ar2", "والمبلغ، استرداد؟"), ("ar3", "بالمبلغ استرداد")):
        events.search(query, "ar", 2, False, visit_id=visit)
        ticket(desk, visit_id=visit)
    assert reports.abstention(reports.answered_log(desk, catalog)) == [
        reports.AbstentionRow("ar", 3, 0, 0.0, 1, 0, 1, 0, 0),
        reports.AbstentionRow("en", 5, 0, 0.0, 3, 2, 1, 0, 0),
    ]


def test_false_abstentions_say_whether_search_ranked_the_article_first_newest_first(
    desk: Desk, catalog: Catalog
) -> None:
    events = desk.events
    events.search("old question", "en", 0, True, visit_id="old")  # before the shadow log: nothing logged
    used(desk, ticket(desk, visit_id="old"), "en/refund-timing")
    events.search("refund when", "en", 0, True, visit_id="new", signals={"e5_top": 0.8},
                  first_article="en/refund-timing")
    new_ticket = ticket(desk, visit_id="new")
    used(desk, new_ticket, "en/apple-pay")
    used(desk, new_ticket, "en/refund-timing")  # two articles used: the one search ranked first is named
    rows = reports.false_abstentions(reports.answered_log(desk, catalog), catalog)
    assert [(r.query, r.article_key, r.first_result_matches) for r in rows] == [
        ("refund when", "en/refund-timing", True), ("old question", "en/refund-timing", None)]
    assert reports.to_csv(rows).splitlines()[0] == (
        "query,lang,searched_at,article_key,title,ticket_id,first_result,first_result_matches")
    later = reports.since_days(1, reports.utcnow() + dt.timedelta(days=2))
    assert reports.false_abstentions(reports.answered_log(desk, catalog, later), catalog) == []
