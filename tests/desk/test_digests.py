"""The lead's KPI digest by email (desk.digests; Zendesk Explore's scheduled delivery, Intercom's scheduled reports,
Chatwoot's report emails): due at 08:00 on the agent's own clock (daily: yesterday; weekly: on Monday, the previous
Monday to Sunday), claimed once per period by a conditional update in the transaction that queues the mail (two
passes at once, a restart, a crash after queueing: one mail; a crash before: none, sent next pass), a period missed
while the worker was down sent late once; only active leads and admins; the figures are the dashboard's, deleted
tickets never counted. The clock is injected (`now`): no sleeps. `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from desk import digests as digests_module
from desk import metrics
from desk.audit import SYSTEM
from desk.desk import Desk
from desk.digests import Period, due_period
from desk.metrics import Filters
from desk.models import Agent, OutboxMail, SearchEvent, Ticket, TicketStatusChange
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.races import at_once

RIYADH, NEW_YORK = ZoneInfo("Asia/Riyadh"), ZoneInfo("America/New_York")


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


@pytest.fixture
def desk(tmp_path: Path, content_dir: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", content_dir=content_dir, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def lead(desk: Desk, email: str, zone: str | None = "Asia/Riyadh", role: str = "lead", locale: str | None = None
         ) -> int:
    agent = desk.accounts.create_agent(email, "a long enough password", name=email.split("@")[0].title(), role=role)
    if zone:
        desk.accounts.set_time_zone(agent.id, zone)
    if locale:
        desk.accounts.set_locale(agent.id, locale)
    return agent.id


def mails(desk: Desk) -> list[OutboxMail]:
    with desk.db.session() as session:
        return list(session.scalars(select(OutboxMail).where(OutboxMail.kind == "digest").order_by(OutboxMail.id)))


def stamp(desk: Desk, agent_id: int) -> date | None:
    with desk.db.session() as session:
        return session.get(Agent, agent_id).digest_sent_for  # type: ignore[union-attr]


def test_the_period_due_follows_08_00_on_the_agents_clock() -> None:
    # Daily: yesterday from 08:00; before it, the day before yesterday (mailed the morning before).
    assert due_period("daily", "Asia/Riyadh", at(RIYADH, 2026, 3, 11, 8, 0)) == Period(
        "daily", date(2026, 3, 10), date(2026, 3, 10))
    assert due_period("daily", "Asia/Riyadh", at(RIYADH, 2026, 3, 11, 7, 59)).first == date(2026, 3, 9)
    # 05:00 UTC is 08:00 in Riyadh and 01:00 in New York (EDT since 8 March): a day apart.
    five_utc = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)
    assert due_period("daily", "Asia/Riyadh", five_utc).first == date(2026, 3, 10)
    assert due_period("daily", "America/New_York", five_utc).first == date(2026, 3, 9)
    # Weekly: on Monday from 08:00 the previous Monday to Sunday; any later day of the week, the same week.
    monday = at(RIYADH, 2026, 3, 16, 8, 0)
    assert due_period("weekly", "Asia/Riyadh", monday) == Period("weekly", date(2026, 3, 9), date(2026, 3, 15))
    assert due_period("weekly", "Asia/Riyadh", monday - timedelta(minutes=1)).first == date(2026, 3, 2)
    assert due_period("weekly", "Asia/Riyadh", at(RIYADH, 2026, 3, 21, 23, 0)).first == date(2026, 3, 9)


def test_each_agent_is_mailed_at_08_00_in_their_own_zone_once(desk: Desk) -> None:
    riyadh, new_york = lead(desk, "sara@example.com"), lead(desk, "nick@example.com", "America/New_York")
    for agent in (riyadh, new_york):  # chosen on 10 March after 08:00 in both zones: the first is the next 08:00's
        assert desk.digests.choose(agent, "daily", at(RIYADH, 2026, 3, 10, 17, 0)) == "daily"
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 10, 23, 0)) == 0
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 11, 7, 59)) == 0
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 11, 8, 0)) == 1  # Sara's 08:00: New York's 01:00
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 11, 8, 1)) == 0
    assert desk.digests.send_due(at(NEW_YORK, 2026, 3, 11, 7, 59)) == 0
    assert desk.digests.send_due(at(NEW_YORK, 2026, 3, 11, 8, 0)) == 1
    sent = mails(desk)
    assert [(m.to_address, m.payload["first"], m.payload["zone"]) for m in sent] == [
        ("sara@example.com", "2026-03-10", "Asia/Riyadh"), ("nick@example.com", "2026-03-10", "America/New_York")]
    assert sent[0].payload["dashboard"] == "/agent/dashboard/?from=2026-03-10&to=2026-03-10&tz=Asia%2FRiyadh&hl=en"
    # Weekly from a Wednesday: nothing until Monday 08:00, then the previous Monday to Sunday, once.
    desk.digests.choose(riyadh, "weekly", at(RIYADH, 2026, 3, 11, 9, 0))
    desk.digests.choose(new_york, "off")
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 16, 7, 59)) == 0
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 16, 8, 0)) == 1
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 17, 8, 0)) == 0
    weekly = mails(desk)[-1].payload
    assert (weekly["frequency"], weekly["first"], weekly["last"]) == ("weekly", "2026-03-09", "2026-03-15")


def test_a_period_missed_while_the_worker_was_down_is_sent_late_once(desk: Desk) -> None:
    sara = lead(desk, "sara@example.com")
    desk.digests.choose(sara, "daily", at(RIYADH, 2026, 3, 10, 11, 0))
    # No pass from 10 March to 14 March noon: one mail, for the 13th, not one per missed day.
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 14, 12, 0)) == 1
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 14, 12, 1)) == 0
    assert [m.payload["first"] for m in mails(desk)] == ["2026-03-13"]
    # A restart (a new desk on the same database) sends nothing again; the next morning's goes.
    again = Desk(desk.settings)
    try:
        assert again.digests.send_due(at(RIYADH, 2026, 3, 14, 12, 2)) == 0
        assert again.digests.send_due(at(RIYADH, 2026, 3, 15, 8, 0)) == 1
    finally:
        again.close()


def test_a_crash_before_the_mail_is_queued_claims_nothing_and_one_after_sends_nothing_again(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    sara = lead(desk, "sara@example.com")
    desk.digests.choose(sara, "daily", at(RIYADH, 2026, 3, 10, 11, 0))
    morning = at(RIYADH, 2026, 3, 11, 8, 0)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the worker died while queueing")

    monkeypatch.setattr(digests_module, "queue_mail", crash)
    assert desk.digests.send_due(morning) == 0
    assert stamp(desk, sara) == date(2026, 3, 9) and mails(desk) == []  # the claim rolled back with the mail
    monkeypatch.undo()
    assert desk.digests.send_due(morning) == 1  # the next pass
    assert stamp(desk, sara) == date(2026, 3, 10)
    # After the commit the worker dies before the mail goes: the outbox sends it; a new pass queues no second.
    assert desk.digests.send_due(morning + timedelta(minutes=1)) == 0
    assert len(mails(desk)) == 1


def test_two_passes_at_once_queue_one_mail(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers, both past the figures' read and about to claim: the conditional update lets one through."""
    sara = lead(desk, "sara@example.com")
    desk.digests.choose(sara, "daily", at(RIYADH, 2026, 3, 10, 11, 0))
    other = Desk(desk.settings)  # the second worker process: its own engine and connections
    morning = at(RIYADH, 2026, 3, 11, 8, 0)
    try:
        results = at_once([lambda: desk.digests.send_due(morning), lambda: other.digests.send_due(morning)],
                          [(digests_module.Digests, "payload")], monkeypatch)
    finally:
        other.close()
    assert sorted(results) == [0, 1]  # type: ignore[type-var]
    assert len(mails(desk)) == 1 and stamp(desk, sara) == date(2026, 3, 10)
    with desk.db.session() as session:  # and the claim itself: a second one for the same period updates nothing
        assert not digests_module.claim_period(session, sara, Period("daily", date(2026, 3, 10), date(2026, 3, 10)))


def test_only_active_leads_and_admins_are_offered_and_mailed_it(desk: Desk) -> None:
    sara, admin = lead(desk, "sara@example.com"), lead(desk, "root@example.com", role="admin")
    agent, light = lead(desk, "amal@example.com", role="agent"), lead(desk, "lina@example.com", role="light")
    for refused in (agent, light):
        with pytest.raises(InputError) as error:
            desk.digests.choose(refused, "daily")
        assert error.value.field == "digest"
    with pytest.raises(InputError) as error:
        desk.digests.choose(sara, "hourly")
    assert error.value.field == "digest" and "off, daily, weekly" in str(error.value)
    with desk.db.session() as session:
        assert {a.digest for a in session.scalars(select(Agent))} == {None}  # nothing written
    chosen = at(RIYADH, 2026, 3, 10, 11, 0)
    desk.digests.choose(sara, "daily", chosen)
    desk.digests.choose(admin, "weekly", chosen)
    # Sara is made an agent: no digest any more (the due list and the claim both ask for a lead).
    desk.accounts.manage(sara, SYSTEM, role="agent")
    assert desk.digests.due(at(RIYADH, 2026, 3, 16, 9, 0)) == [
        (admin, Period("weekly", date(2026, 3, 9), date(2026, 3, 15)))]
    with desk.db.session() as session:
        assert not digests_module.claim_period(session, sara, Period("daily", date(2026, 3, 15), date(2026, 3, 15)))
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 16, 9, 0)) == 1
    assert [m.to_address for m in mails(desk)] == ["root@example.com"]
    desk.digests.choose(admin, "off")  # off: nothing due, the stamp forgotten
    assert desk.digests.due(at(RIYADH, 2026, 3, 30, 9, 0)) == [] and stamp(desk, admin) is None


def _ticket(desk: Desk, created: datetime, subject: str) -> Ticket:
    return desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject=subject, body="Where is it?",
                                         lang="ar", created=created, notify=False))


def test_the_digest_carries_the_dashboards_figures_beside_the_period_before(desk: Desk) -> None:
    sara = lead(desk, "sara@example.com", locale="ar")
    day = at(RIYADH, 2026, 3, 10, 10, 0)
    kept = [_ticket(desk, day, "Order 1"), _ticket(desk, day + timedelta(hours=2), "Order 2")]
    deleted = _ticket(desk, day + timedelta(hours=3), "Spam")
    _ticket(desk, day - timedelta(days=1), "Order 0")  # the day before: the period before
    desk.tickets.update(kept[0].id, status="solved")
    desk.trash.delete([deleted.id])
    with desk.db.session() as session:
        session.execute(update(TicketStatusChange).where(TicketStatusChange.ticket_id == kept[0].id)
                        .values(created_at=day + timedelta(hours=5)))
        for n in range(3):
            session.add(SearchEvent(query="رسوم الشحن", lang="ar", result_count=0, abstained=False, source="page",
                                    created_at=day + timedelta(minutes=n)))
    desk.digests.choose(sara, "daily", at(RIYADH, 2026, 3, 10, 11, 0))
    assert desk.digests.send_due(at(RIYADH, 2026, 3, 11, 8, 0)) == 1
    mail = mails(desk)[0]
    assert mail.lang == "ar" and mail.ticket_id is None
    shown = {key: (kind, now, before) for key, kind, now, before in mail.payload["figures"]}
    assert shown["created"] == ("int", 2, 1)  # the deleted ticket is not counted
    assert shown["solved"] == ("int", 1, 0)
    # Each figure is the dashboard's own, for the period and the period before.
    board = metrics.dashboard(desk.db, Filters.for_days(date(2026, 3, 10), date(2026, 3, 10), "Asia/Riyadh"),
                              desk.hours)
    assert shown["first_reply_business"][1] == board.current.tickets.first_reply.median_business_hours
    assert shown["one_touch_rate"][1:] == (board.current.tickets.one_touch_rate, board.previous.tickets.one_touch_rate)
    assert shown["csat_answered"][1] == board.current.csat.answered
    assert mail.payload["gaps"][0][:2] == ["رسوم الشحن", 3]


def test_the_migration_adds_the_digest_columns_and_goes_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "mail_suggestions_covering")

    def columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("agents")} & {"digest", "digest_sent_for"}

    migrate(db, command.upgrade, "agent_digest")
    assert columns() == {"digest", "digest_sent_for"}
    migrate(db, command.downgrade, "mail_suggestions_covering")
    assert columns() == set()
    migrate(db, command.upgrade, "head")
    db.close()
