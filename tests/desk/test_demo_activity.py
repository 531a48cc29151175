"""The demo's activity: seeded once over the imported demo tickets, alive in the dashboard's default
period and the one before it, with a reopen, CSAT answers, suggestion events and a spike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from desk import metrics, spikes
from desk.business_hours import BusinessHours
from desk.customer_fields import values_of as customer_values
from desk.demo_activity import BURST, CUSTOMER_FIELDS, seed
from desk.desk import Desk
from desk.metrics import Filters
from desk.models import SuggestionEvent, TicketAssigneeChange
from desk.query_text import normalise_query
from desk.ticket_import import import_file
from kb.customer_fields import CustomerFields
from kb.settings import Settings
from tests.conftest import CONTENT, database_url_for_tests

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_demo_seed_is_alive_and_idempotent(tmp_path: Path) -> None:
    desk = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    try:
        assert import_file(desk.tickets, CONTENT / "_demo" / "tickets.jsonl").created == 80
        desk.accounts.create_agent("agent@example.com", "a long enough password", name="Demo agent")
        desk.accounts.create_agent("lead@example.com", "a long enough password", name="Demo lead", role="lead")
        light = desk.accounts.create_agent("light@example.com", "a long enough password", name="Billing", role="light")
        hours = BusinessHours.load(CONTENT)
        first = seed(desk.db, hours, NOW)
        assert (first.tickets, first.already) == (80, False) and first.surveys > 5 and first.searches > 400
        assert seed(desk.db, hours, NOW).already
        week = Filters(NOW - timedelta(days=7), NOW)
        now, before = metrics.figures(desk.db, week, hours, NOW), metrics.figures(desk.db, week.previous(), hours, NOW)
        for period in (now, before):
            assert period.tickets.created > 5 and period.tickets.solved > 0
            assert period.tickets.first_reply.median_business_hours is not None
            assert period.self_service.searches > 100
        assert now.tickets.reopened + before.tickets.reopened == 1
        assert now.csat.answered + before.csat.answered >= 5
        assert now.adoption.total.tickets_shown > 0 and now.backlog.total > 0
        # The burst's spellings differ; grouped (as the dashboard does by meaning) they make one alert.
        found = spikes.recent_occurrences(desk.db, NOW)
        assert spikes.detect_spikes(found, NOW) == []
        grouped = spikes.regroup(found, {normalise_query(q): "card payments" for q in BURST})
        assert [(a.key, a.count) for a in spikes.detect_spikes(grouped, NOW)] == [("card payments", len(BURST))]
        assert {t.category for t in desk.tickets.inbox(status=None, limit=100)[0]} >= {"payments", "returns"}
        # The agents are in teams (every one in the default team, each also in one by turn), each ticket is assigned
        # to an agent of its team, with the assignment in its history, and "My teams' tickets" has tickets for all.
        agent, lead = desk.accounts.find("agent@example.com").id, desk.accounts.find("lead@example.com").id
        assert desk.teams.memberships() == {agent: ["ksa"], lead: ["ksa", "uae"]}  # the light agent in none
        for ticket in desk.tickets.inbox(status=None, limit=100)[0]:
            assert ticket.assignee_id in desk.teams.members(ticket.team), ticket.external_id
            [assigned] = [c for c in desk.tickets.changes(ticket.id) if isinstance(c, TicketAssigneeChange)]
            assert (assigned.old_assignee_id, assigned.new_assignee_id) == (None, ticket.assignee_id)
        for someone in (agent, lead):
            assert desk.inbox.counts(someone)["my_teams"] > 0
        # The demo's agents are at work; a light agent is never assigned, never available.
        assert [a.id for a in desk.accounts.everyone() if not a.available] == [light.id]
        # A few demo customers have customer fields (content/_customer_fields.yml), every key one of the file's.
        first_customer = desk.tickets.inbox(status=None, limit=100)[0]
        by_ref = {t.external_id: t.customer_id for t in first_customer}
        assert customer_values(desk.db, by_ref["T-1001"]) == {"plan": "business", "account_id": "AC-20417",
                                                               "vip": "true"}
        fields = CustomerFields.load(CONTENT)
        for values in CUSTOMER_FIELDS.values():
            assert all(fields.get(key).normalise(value) == value for key, value in values.items())  # type: ignore[union-attr]
    finally:
        desk.close()


def test_a_demo_seeded_before_any_agent_has_no_copilot_events_without_an_agent(tmp_path: Path) -> None:
    """Seeded with no working agent yet (`kb demo seed` right after the import), the demo wrote suggestions shown,
    inserted and sent by nobody: a blank row in the dashboard's "Copilot adoption by agent". The copilot is an agent's
    tool: a ticket without an agent has no copilot events."""
    desk = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    try:
        import_file(desk.tickets, CONTENT / "_demo" / "tickets.jsonl")
        assert seed(desk.db, BusinessHours.load(CONTENT), NOW).tickets == 80
        with desk.db.session() as session:
            assert session.scalar(select(func.count()).select_from(SuggestionEvent)
                                  .where(SuggestionEvent.agent_id.is_(None))) == 0
    finally:
        desk.close()
