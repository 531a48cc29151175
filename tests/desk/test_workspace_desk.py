"""The desk side of the agent workspace on a real database: notes and @mentions, tags, due times in
business hours (and set by hand), auto-close, inbox views, search, sorting, bulk changes, merges, crossed replies and
presence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from desk import metrics
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.metrics import Filters
from desk.models import TicketDueChange, TicketStatusChange
from desk.tickets import CrossedReplyError, InputError, NewTicket, parse_due
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path, content_dir=ROOT / "content", database_url=database_url_for_tests()))
    yield opened
    opened.close()


def ticket(desk: Desk, **overrides: object) -> int:
    fields = {"email": "sara@example.com", "name": "Sara Ali", "subject": "Refund not received", "body": "Where is it?"}
    return desk.tickets.create(NewTicket(**(fields | overrides))).id  # type: ignore[arg-type]


def agents(desk: Desk) -> tuple[int, int]:
    first = desk.accounts.create_agent("sara.k@example.com", PASSWORD, name="Sara K").id
    second = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    return first, second


def ids(page) -> list[int]:  # type: ignore[no-untyped-def]
    return [row.ticket.id for row in page.rows]


def test_a_note_is_internal_mentions_reach_the_colleague_until_they_open_the_ticket(desk: Desk) -> None:
    sara, omar = agents(desk)
    ticket_id = ticket(desk)
    note = desk.notes.add(ticket_id, sara, "@omar can you check the courier? cc @nobody and @sara.k.")
    assert note.mentioned == ["Omar"]  # the author is not notified of her own note; unknown names are ignored
    found = desk.tickets.get(ticket_id)
    assert found.messages[-1].internal and found.status == "open" and found.first_response_at is None
    assert desk.notes.unseen(omar) == {ticket_id: 1}
    assert ids(desk.inbox.page(InboxQuery(view="mentions"), omar)) == [ticket_id]
    assert desk.inbox.page(InboxQuery(view="mentions"), omar).rows[0].mentions == 1
    assert desk.notes.mark_seen(ticket_id, omar) == 1
    assert desk.notes.unseen(omar) == {} and desk.inbox.counts(omar)["mentions"] == 0
    with pytest.raises(InputError, match="note"):
        desk.notes.add(ticket_id, sara, "  ")


def test_tags_are_folded_suggested_by_use_and_filter_the_inbox(desk: Desk) -> None:
    sara, _ = agents(desk)
    first, second = ticket(desk), ticket(desk, subject="Late delivery")
    assert desk.tags.add([first, second], ["Refund", "VIP customer"]) == 4
    assert desk.tags.add([first], ["refund", "شحن"]) == 1  # already there: not added twice
    assert desk.tags.popular()[0:2] == [("refund", 2), ("vip-customer", 2)]
    assert ids(desk.inbox.page(InboxQuery(tag="شحن"), sara)) == [first]
    assert desk.tags.remove(first, "شحن") and not desk.tags.remove(first, "شحن")
    with pytest.raises(InputError, match="tag"):
        desk.tags.add([first], ["no;semicolons"])
    with pytest.raises(InputError) as refused:
        desk.tags.add([first], ["ok", "x" * 500])
    # The value is quoted shortened (the pages show this message translated, as every desk error)
    assert str(refused.value) == ("tag: “" + "x" * 30 + "…” cannot be a tag: use letters, digits, - and _ "
                                  "(at most 60 characters).")
    assert refused.value.params == {"tag": "x" * 30 + "…", "limit": 60}


def test_due_times_count_business_hours_by_priority_and_clear_when_answered(desk: Desk) -> None:
    sara, _ = agents(desk)
    # Thursday 2026-10-01 16:00 Riyadh (13:00 UTC): 1 hour left that day, the weekend, then Sunday 09:00.
    created = datetime(2026, 10, 1, 13, 0, tzinfo=UTC)
    ticket_id = ticket(desk, created=created, priority="normal")
    due = desk.tickets.get(ticket_id).due_at.replace(tzinfo=UTC)
    assert due == datetime(2026, 10, 4, 13, 0, tzinfo=UTC)  # Sunday 16:00 Riyadh: 1 + 7 working hours
    desk.tickets.update(ticket_id, priority="urgent")
    assert desk.tickets.get(ticket_id).due_at.replace(tzinfo=UTC) == datetime(2026, 10, 4, 7, 0, tzinfo=UTC)
    desk.tickets.reply(ticket_id, sara, "Looking into it", status="pending")
    assert desk.tickets.get(ticket_id).due_at is None
    desk.tickets.customer_reply(desk.tickets.get(ticket_id).reference, "Any news?")
    assert desk.tickets.get(ticket_id).due_at is not None


def test_solved_tickets_close_after_the_configured_days_in_one_bounded_pass(desk: Desk) -> None:
    old, recent = ticket(desk), ticket(desk)
    desk.tickets.update(old, status="solved")
    desk.tickets.update(recent, status="solved")
    later = datetime.now(UTC) + timedelta(days=5)
    assert desk.tickets.close_solved(timedelta(days=7), now=later) == 0
    assert desk.tickets.close_solved(timedelta(days=4), limit=1, now=later) == 1
    assert desk.tickets.close_solved(timedelta(days=4), now=later) == 1
    assert {desk.tickets.get(t).status for t in (old, recent)} == {"closed"}


def test_inbox_search_covers_subject_messages_and_customer_in_both_scripts(desk: Desk) -> None:
    sara, _ = agents(desk)
    arabic = ticket(desk, email="khalid@example.com", name="خالد العتيبي", subject="مشكلة في الإسترجاع",
                    body="لم يصل المبلغ إلى حسابي")
    english = ticket(desk, subject="Apple Pay fails", body="The payment keeps failing at checkout")
    assert ids(desk.inbox.page(InboxQuery(q="العتيبي"), sara)) == [arabic]  # customer name
    assert ids(desk.inbox.page(InboxQuery(q="الاسترجاع"), sara)) == [arabic]  # hamza folded
    assert ids(desk.inbox.page(InboxQuery(q="حسابي"), sara)) == [arabic]  # message body
    assert ids(desk.inbox.page(InboxQuery(q="CHECKOUT apple"), sara)) == [english]  # every term, any case
    assert ids(desk.inbox.page(InboxQuery(q="khalid@example"), sara)) == [arabic]
    assert ids(desk.inbox.page(InboxQuery(q="100%"), sara)) == []  # LIKE wildcards are literal
    desk.tickets.customer_reply(desk.tickets.get(english).reference, "Tried a second card: declined")
    assert ids(desk.inbox.page(InboxQuery(q="declined"), sara)) == [english]


def test_views_count_sort_and_page(desk: Desk) -> None:
    sara, omar = agents(desk)
    now = datetime(2026, 10, 4, 6, 0, tzinfo=UTC)  # Sunday 09:00 Riyadh
    low = ticket(desk, priority="low", created=now - timedelta(hours=3))
    urgent = ticket(desk, priority="urgent", created=now - timedelta(hours=2))
    arabic = ticket(desk, subject="طلبي متأخر", body="متى يصل الطلب؟", lang="ar", created=now - timedelta(hours=1))
    desk.tickets.update(low, assignee_id=sara)
    counts = desk.inbox.counts(sara, now=now)
    assert counts["mine"] == 1 and counts["unassigned"] == 2 and counts["arabic_unassigned"] == 1
    assert counts["due_today"] == 2  # urgent (2 h) and the Arabic normal (8 h) fall today; low (24 h) does not
    assert ids(desk.inbox.page(InboxQuery(sort="priority"), sara)) == [urgent, arabic, low]
    assert ids(desk.inbox.page(InboxQuery(sort="created"), sara)) == [arabic, urgent, low]
    assert ids(desk.inbox.page(InboxQuery(sort="due"), sara))[0] == urgent
    assert ids(desk.inbox.page(InboxQuery(view="arabic_unassigned"), omar)) == [arabic]
    second = desk.inbox.page(InboxQuery(sort="created"), sara, limit=2, offset=2)
    assert ids(second) == [low] and second.total == 3
    assert desk.inbox.page(InboxQuery(view="mine"), sara).rows[0].new_activity  # never opened by Sara
    desk.presence.touch(low, sara, replying=False)
    assert not desk.inbox.page(InboxQuery(view="mine"), sara).rows[0].new_activity


def test_bulk_changes_apply_to_all_or_none(desk: Desk) -> None:
    sara, _ = agents(desk)
    first, second = ticket(desk), ticket(desk)
    assert desk.tickets.bulk_update([first, second], status="solved", agent_id=sara) == 2
    with pytest.raises(InputError, match="ticket"):
        desk.tickets.bulk_update([first, 999], status="open")
    assert desk.tickets.get(first).status == "solved"  # the bad id rolled the whole batch back


def test_merge_moves_the_messages_closes_the_duplicate_and_tells_the_customer_once(desk: Desk) -> None:
    sara, _ = agents(desk)
    target = ticket(desk, body="First message")
    duplicate = ticket(desk, body="Same problem, again")
    desk.tags.add([duplicate], ["refund"])
    merged = desk.tickets.merge(duplicate, target, sara, "We merged your two requests into this one.")
    bodies = [m.body for m in desk.tickets.get(target).messages]
    assert bodies == ["First message", "Same problem, again", "We merged your two requests into this one."]
    old = desk.tickets.get(duplicate)
    assert old.status == "closed" and old.merged_into_id == target and old.messages == []
    assert [t.tag for t in merged.tags] == ["refund"]
    with pytest.raises(InputError, match="already merged"):
        desk.tickets.merge(duplicate, target, sara, "again")
    other = ticket(desk, email="someone.else@example.com")
    with pytest.raises(InputError, match="different customers"):
        desk.tickets.merge(other, target, sara, "no")


def test_a_reply_that_crossed_a_new_customer_message_is_held(desk: Desk) -> None:
    sara, omar = agents(desk)
    ticket_id = ticket(desk)
    seen = desk.tickets.get(ticket_id).messages[-1].id
    desk.tickets.customer_reply(desk.tickets.get(ticket_id).reference, "Actually it arrived, thanks!")
    with pytest.raises(CrossedReplyError) as crossed:
        desk.tickets.reply(ticket_id, sara, "Let me check", seen_message_id=seen)
    assert crossed.value.messages == [("customer", "Actually it arrived, thanks!")]
    assert len(desk.tickets.get(ticket_id).messages) == 2  # nothing was sent
    desk.tickets.reply(ticket_id, sara, "Glad to hear it", seen_message_id=seen + 1)
    desk.presence.touch(ticket_id, omar, replying=True)
    assert [(c.name, c.replying) for c in desk.presence.others(ticket_id, sara)] == [("Omar", True)]
    assert desk.presence.others(ticket_id, sara, now=datetime.now(UTC) + timedelta(minutes=5)) == []


def test_tickets_written_before_the_workspace_migration_become_searchable(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from desk.database import MIGRATIONS, Database

    url = database_url_for_tests(empty=True)  # migrated up from nothing below
    db = Database.from_settings(Settings(data_dir=tmp_path, database_url=url))
    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.exec_driver_sql(
            "INSERT INTO customers (id, email, name, created_at) VALUES (1, 'k@example.com', 'خالد', '2026-01-01')")
        connection.exec_driver_sql(
            "INSERT INTO tickets (id, reference, customer_id, subject, lang, status, priority, channel, context, "
            "created_at, updated_at) VALUES (1, 'r1', 1, 'استرجاع', 'ar', 'open', 'normal', 'web', '{}', "
            "'2026-01-01', '2026-01-01')")
        connection.exec_driver_sql(
            "INSERT INTO messages (ticket_id, author, body, internal, created_at) "
            "VALUES (1, 'customer', 'لم يصل المبلغ إلى حسابي', false, '2026-01-01')")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    agent = desk.accounts.create_agent("a@example.com", PASSWORD).id
    assert ids(desk.inbox.page(InboxQuery(q="شحن حسابي"), agent)) == []  # every term must match
    assert ids(desk.inbox.page(InboxQuery(q="الي حسابي خالد"), agent)) == [1]  # إلى folded
    desk.close()


def test_one_reply_page_sent_twice_at_the_same_instant_is_one_message(desk: Desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two posts of one reply page at once (a double click): on PostgreSQL both read the thread before
    either wrote, neither saw the other's message, and both were kept. The page's submission key is
    unique per message, as the contact form's is per ticket, so the second waits and finds the first."""
    import contextlib
    import threading

    import desk.tickets as tickets_module

    reference = desk.tickets.get(ticket(desk)).reference
    arrived = threading.Barrier(2)
    index = tickets_module.index_ticket

    def both_read_before_either_writes(session, found):  # type: ignore[no-untyped-def]
        with contextlib.suppress(threading.BrokenBarrierError):  # one waiting on the other's row goes on alone
            arrived.wait(timeout=1.5)
        index(session, found)

    monkeypatch.setattr(tickets_module, "index_ticket", both_read_before_either_writes)
    sent: list[int] = []

    def send() -> None:
        sent.append(desk.tickets.customer_reply(reference, "Still nothing.", submission="web:visit:page-1").id)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bodies = [m.body for m in desk.tickets.by_reference(reference).messages]
    assert bodies == ["Where is it?", "Still nothing."]
    assert len(sent) == 2 and sent[0] == sent[1]  # both posts answer with the one message


def test_a_ticket_id_past_what_the_database_holds_is_no_ticket(desk: Desk) -> None:
    """The inbox's bulk form posted ticket=99999999999999999999: SQLite overflowed converting it (a 500);
    it names no ticket, like any other unknown id."""
    huge = 10**20
    with pytest.raises(InputError, match="no ticket"):
        desk.tickets.bulk_update([huge], status="solved")
    with pytest.raises(InputError, match="no ticket"):
        desk.tags.add([huge], ["vip"])


def test_control_characters_are_dropped_from_stored_text(desk: Desk) -> None:
    """A mail's subject kept a BEL, and an ESC sequence would reach `kb` listings and logs as a terminal command;
    only line breaks and tabs are text. Format characters that Arabic text needs (ZWNJ, RLM) stay."""
    found = desk.tickets.get(ticket(desk, subject="Bell\x07 and \x1b[31mred\x1b[0m", name="Sam\x7f\x85",
                                    body="line one\r\nline\ttwo\x0c\u200c\u200f"))
    assert found.subject == "Bell and [31mred[0m" and found.customer.name == "Sam"
    assert found.messages[0].body == "line one\nline\ttwo\u200c\u200f"


# Due times an agent sets by hand: they win over the business-hours one until cleared (a priority change
# or a reply keeps them), each change is in the ticket's history, and the inbox's due views and the
# dashboard's breaches read them (the same column).
# Thursday 2026-10-01 16:00 Riyadh (13:00 UTC): a normal ticket is due Sunday 16:00 Riyadh (13:00 UTC).
CREATED = datetime(2026, 10, 1, 13, 0, tzinfo=UTC)
COMPUTED = datetime(2026, 10, 4, 13, 0, tzinfo=UTC)


def new_ticket(desk: Desk, **overrides: object) -> int:
    return ticket(desk, **({"created": CREATED} | overrides))


def due(desk: Desk, ticket_id: int) -> datetime | None:
    found = desk.tickets.get(ticket_id)
    return found.due_at.replace(tzinfo=UTC) if found.due_at is not None else None


def test_a_hand_set_due_time_survives_priority_and_replies_until_cleared(desk: Desk) -> None:
    agent = desk.accounts.create_agent("a@example.com", "a long enough password").id
    ticket_id = new_ticket(desk)
    assert due(desk, ticket_id) == COMPUTED and not desk.tickets.get(ticket_id).due_by_hand
    by_hand = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)
    assert desk.tickets.set_due(ticket_id, by_hand, agent) == by_hand
    desk.tickets.update(ticket_id, priority="urgent", agent_id=agent)
    assert due(desk, ticket_id) == by_hand and desk.tickets.get(ticket_id).due_by_hand  # priority does not win
    desk.tickets.reply(ticket_id, agent, "Checking with the courier", status="pending")
    assert due(desk, ticket_id) == by_hand  # a reply does not fulfil a promise made by hand
    desk.tickets.customer_reply(desk.tickets.get(ticket_id).reference, "Any news?")
    assert due(desk, ticket_id) == by_hand
    # Cleared: the business-hours time of the (urgent) customer message nobody has answered yet.
    back = desk.tickets.set_due(ticket_id, None, agent)
    waiting = desk.tickets.get(ticket_id).messages[-1].created_at.replace(tzinfo=UTC)
    assert back == due(desk, ticket_id) == desk.hours.due_at(waiting, "urgent")
    assert not desk.tickets.get(ticket_id).due_by_hand
    history = desk.tickets.changes(ticket_id)
    dues = [c for c in history if isinstance(c, TicketDueChange)]
    assert [(c.agent_id, c.by_hand) for c in dues] == [(agent, True), (agent, False)]
    assert dues[0].old_due_at.replace(tzinfo=UTC) == COMPUTED and dues[0].new_due_at.replace(tzinfo=UTC) == by_hand
    assert dues[1].old_due_at.replace(tzinfo=UTC) == by_hand
    assert any(isinstance(c, TicketStatusChange) for c in history)  # the reply's "pending" sits in the same list


def test_clearing_on_an_answered_ticket_leaves_nothing_due_and_a_solve_drops_the_hand_set_time(desk: Desk) -> None:
    agent = desk.accounts.create_agent("a@example.com", "a long enough password").id
    ticket_id = new_ticket(desk)
    desk.tickets.set_due(ticket_id, CREATED + timedelta(days=3), agent)
    desk.tickets.reply(ticket_id, agent, "Done", status="pending")
    assert desk.tickets.set_due(ticket_id, None, agent) is None  # answered: nothing computed is due
    desk.tickets.set_due(ticket_id, CREATED + timedelta(days=3), agent)
    desk.tickets.update(ticket_id, status="solved", agent_id=agent)
    found = desk.tickets.get(ticket_id)
    assert found.due_at is None and not found.due_by_hand
    with pytest.raises(InputError, match="due"):
        desk.tickets.set_due(ticket_id, CREATED + timedelta(days=4), agent)
    assert len([c for c in desk.tickets.changes(ticket_id) if isinstance(c, TicketDueChange)]) == 3
    with pytest.raises(InputError, match="ticket"):
        desk.tickets.set_due(10**30, None, agent)


def test_parse_due_reads_the_teams_zone_or_an_offset_and_refuses_the_rest() -> None:
    assert parse_due("2026-12-05T14:30", "Asia/Riyadh") == datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    assert parse_due(" 2026-12-05T14:30+04:00 ", "") == datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    for value, zone, problem in [("2026-12-05T14:30", "", "has no time zone"),
                                 ("2026-12-05T14:30", "Mars/Olympus", "has no time zone"),
                                 ("next friday", "Asia/Riyadh", "is not a date and time"),
                                 ("2026-13-05T14:30", "Asia/Riyadh", "is not a date and time"),
                                 ("", "Asia/Riyadh", "is empty"), (None, "Asia/Riyadh", "is empty")]:
        with pytest.raises(InputError) as refused:
            parse_due(value, zone)
        assert refused.value.field == "due" and problem in str(refused.value)


def test_the_inbox_and_the_dashboard_read_the_hand_set_time(desk: Desk) -> None:
    agent = desk.accounts.create_agent("a@example.com", "a long enough password").id
    now = datetime(2026, 10, 4, 6, 0, tzinfo=UTC)  # Sunday 09:00 Riyadh
    low = new_ticket(desk, priority="low", created=now - timedelta(hours=3))  # due tomorrow by business hours
    urgent = new_ticket(desk, priority="urgent", created=now - timedelta(hours=2))  # due at 11:00 today
    assert desk.inbox.counts(agent, now=now)["due_today"] == 1
    window = Filters(now - timedelta(days=1), now + timedelta(days=1))
    assert metrics.ticket_facts(desk.db, window, as_of=now).breaches == 0
    assert metrics.backlog(desk.db, window, as_of=now).overdue == 0
    desk.tickets.set_due(low, now - timedelta(minutes=5), agent)  # past: allowed, and overdue at once
    desk.tickets.set_due(urgent, now + timedelta(days=3), agent)
    assert desk.inbox.counts(agent, now=now)["due_today"] == 1
    rows = desk.inbox.page(InboxQuery(sort="due"), agent, now=now).rows
    assert [r.ticket.id for r in rows] == [low, urgent] and [r.overdue for r in rows] == [True, False]
    assert [r.ticket.id for r in desk.inbox.page(InboxQuery(view="due_today"), agent, now=now).rows] == [low]
    assert metrics.ticket_facts(desk.db, window, as_of=now).breaches == 1
    assert metrics.backlog(desk.db, window, as_of=now).overdue == 1


def test_due_today_ends_at_the_readers_midnight(desk: Desk) -> None:
    """A ticket due at 22:00 UTC on 4 December: tomorrow in Riyadh (01:00 on the 5th; the default team's, and an
    agent without a zone), today in London; at 10:00 UTC it is already the 5th in Kiritimati (UTC+14), whose
    day ends at 10:00 UTC on the 5th."""
    agent = desk.accounts.create_agent("a@example.com", "a long enough password").id
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    ticket_id = new_ticket(desk)
    desk.tickets.set_due(ticket_id, datetime(2026, 12, 4, 22, 0, tzinfo=UTC), agent)
    london, kiritimati = ZoneInfo("Europe/London"), ZoneInfo("Pacific/Kiritimati")
    assert desk.inbox.end_of_today(now) == datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    assert desk.inbox.end_of_today(now, kiritimati) == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert desk.inbox.counts(agent, now=now)["due_today"] == 0
    assert desk.inbox.counts(agent, now=now, zone=london)["due_today"] == 1
    assert desk.inbox.counts(agent, now=now, zone=kiritimati)["due_today"] == 1
    assert [r.ticket.id for r in desk.inbox.page(InboxQuery(view="due_today"), agent, now=now, zone=london).rows] == [
        ticket_id]
    assert desk.inbox.page(InboxQuery(view="due_today"), agent, now=now).rows == []


def test_the_due_by_hand_and_vote_reason_migrations_keep_the_rows_and_go_back_down(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    db, url = database_at(tmp_path, "reply_submission")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO customers (id, email, name, created_at) VALUES (1, 'k@example.com', 'K', '2026-01-01')")
        connection.exec_driver_sql(
            "INSERT INTO tickets (id, reference, customer_id, subject, lang, status, priority, channel, context, "
            "created_at, updated_at, due_at) VALUES (1, 'r1', 1, 'Refund', 'en', 'open', 'normal', 'web', '{}', "
            "'2026-01-01', '2026-01-01', '2026-01-02')")
        connection.exec_driver_sql(
            "INSERT INTO article_feedback (article_key, helpful, comment, created_at) "
            "VALUES ('en/refund-timing', false, 'vague', '2026-01-01')")
    migrate(db, command.upgrade, "head")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT due_by_hand, due_at IS NOT NULL FROM tickets")).one() == (False, True)
        assert connection.execute(text("SELECT reason, comment FROM article_feedback")).one() == (None, "vague")
    migrate(db, command.downgrade, "reply_submission")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
        assert connection.execute(text("SELECT comment FROM article_feedback")).scalar() == "vague"
    migrate(db, command.upgrade, "head")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    agent = desk.accounts.create_agent("a@example.com", PASSWORD).id
    assert desk.tickets.set_due(1, datetime(2026, 1, 3, tzinfo=UTC), agent) == datetime(2026, 1, 3, tzinfo=UTC)
    desk.close()
