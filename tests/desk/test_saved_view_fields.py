"""Saved views with custom ticket field filters (task fieldviews33), on a real database (`--postgresql` runs them on
PostgreSQL): a view keeps its `field.<key>` filters normalised as stored and counts what its page lists; a key that is
no dropdown or checkbox field of the file, or a value the field does not have, is refused naming `field.<key>` with
nothing written; a view whose field later left the file still opens and still narrows; the migration adds and drops
`saved_views.fields`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import SavedView
from desk.ticket_fields import write_values
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.webapp.test_api_ticket_fields import FIELDS

PASSWORD = "a long enough password"


def open_desk(tmp_path: Path, fields: str, url: str | None) -> Desk:
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    (content / FIELDS_FILE).write_text(fields, encoding="utf-8")
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url))


@pytest.fixture
def url() -> str | None:
    return database_url_for_tests()


@pytest.fixture
def desk(tmp_path: Path, url: str | None) -> Iterator[Desk]:
    opened = open_desk(tmp_path, FIELDS, url)
    yield opened
    opened.close()


def stored(desk: Desk) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count(SavedView.id))) or 0


def fill(desk: Desk) -> dict[str, int]:
    """Five tickets: two refunds (one of them VIP), a delivery, a VIP with no reason, one with no values."""
    values = {"refund_vip": {"reason": "refund", "vip": "true"}, "refund": {"reason": "refund", "vip": "false"},
              "delivery": {"reason": "delivery"}, "vip": {"vip": "true"}, "none": {}}
    made = {}
    for name, fields in values.items():
        ticket = desk.tickets.create(NewTicket(email=f"{name}@example.com", subject=name, body="Hello", lang="en"))
        with desk.db.session() as session:
            write_values(session, ticket.id, fields)
        made[name] = ticket.id
    return made


def listed(desk: Desk, agent: int, view_id: int) -> set[int]:
    view = desk.saved_views.get(view_id, agent)
    assert view is not None
    page = desk.inbox.page(view.query, agent, limit=100)
    assert desk.inbox.query_counts({view.id: view.query}, agent)[view.id] == page.total == len(page.rows)
    return {row.ticket.id for row in page.rows}


def test_a_view_keeps_its_field_filters_and_counts_its_page(desk: Desk) -> None:
    made = fill(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    lead = desk.accounts.create_agent("lead@example.com", PASSWORD, role="lead").id
    refunds = desk.saved_views.save(sara, "Refunds", {"view": "all", "field.reason": "refund"})
    vip_refunds = desk.saved_views.save(lead, "VIP refunds", {"view": "all", "field.reason": "refund",
                                                             "field.vip": "1"}, shared=True)  # "1" kept as "true"
    blank = desk.saved_views.save(sara, "Everything", {"view": "all", "field.reason": "", "field.vip": "  "})
    assert vip_refunds.query.fields == (("reason", "refund"), ("vip", "true"))
    assert blank.query.fields == ()
    assert listed(desk, sara, refunds.id) == {made["refund_vip"], made["refund"]}
    assert listed(desk, sara, vip_refunds.id) == {made["refund_vip"]}  # shared: read by another agent
    assert listed(desk, sara, blank.id) == set(made.values())
    # Read back from the database (not the object save returned), and renamed or shared without losing them.
    assert desk.saved_views.rename(refunds.id, sara, "All refunds").query.fields == (("reason", "refund"),)
    assert desk.saved_views.share(vip_refunds.id, lead, False).query.fields == vip_refunds.query.fields
    assert {v.name: v.query.fields for v in desk.saved_views.visible(sara)}["All refunds"] == (("reason", "refund"),)


@pytest.mark.parametrize(("filters", "field", "named"), [
    ({"field.reason": "warranty"}, "field.reason", "'warranty' is not one of refund, delivery"),
    ({"field.vip": "maybe"}, "field.vip", "'maybe' is not one of true, false"),
    ({"field.colour": "red"}, "field.colour", "no dropdown or checkbox field 'colour'; a view filters by reason, vip"),
    ({"field.amount": "12"}, "field.amount", "no dropdown or checkbox field 'amount'"),  # a number: no inbox select
])
def test_a_bad_field_filter_is_refused_naming_it(desk: Desk, filters: dict[str, str], field: str,
                                                 named: str) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    with pytest.raises(InputError) as refused:
        desk.saved_views.save(sara, "bad", {"view": "all", **filters})
    assert refused.value.field == field and named in str(refused.value)
    assert stored(desk) == 0


def test_a_view_whose_field_left_the_file_still_opens_and_narrows(tmp_path: Path, url: str | None) -> None:
    desk = open_desk(tmp_path, FIELDS, url)
    made = fill(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    view = desk.saved_views.save(sara, "VIP", {"view": "all", "field.vip": "true"})
    desk.close()
    reopened = open_desk(tmp_path, FIELDS.split("- key: vip")[0], url)  # the file without vip
    try:
        kept = reopened.saved_views.get(view.id, sara)
        assert kept is not None and kept.query.fields == (("vip", "true"),)
        assert listed(reopened, sara, view.id) == {made["refund_vip"], made["vip"]}
        with pytest.raises(InputError, match=r"field\.vip: no dropdown or checkbox field 'vip'"):  # not for a new one
            reopened.saved_views.save(sara, "VIP again", {"view": "all", "field.vip": "true"})
    finally:
        reopened.close()


def test_the_migration_adds_the_fields_column_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "automation_runs")
    with db.engine.begin() as connection:  # a view saved before: no field filters
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('old@example.com', 'Old', 'x', 'agent', true, CURRENT_TIMESTAMP)")
        connection.exec_driver_sql("INSERT INTO saved_views (agent_id, name, name_key, shared, view, q, sort, "
                                   "created_at) SELECT id, 'Old', 'old', false, 'all', '', 'updated', "
                                   "CURRENT_TIMESTAMP FROM agents")
    migrate(db, command.upgrade, "saved_view_fields")
    assert {"fields", "columns"} <= {column["name"] for column in inspect(db.engine).get_columns("saved_views")}
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    try:
        agent = opened.accounts.find("old@example.com")
        assert agent is not None
        assert [(v.name, v.query.fields) for v in opened.saved_views.visible(agent.id)] == [("Old", ())]
        with opened.db.engine.begin() as connection:  # a sort by a field: 46 characters, past the old String(20)
            connection.exec_driver_sql("UPDATE saved_views SET sort = 'field." + "k" * 40 + "'")
        migrate(opened.db, command.downgrade, "automation_runs")
        assert "fields" not in {column["name"] for column in inspect(opened.db.engine).get_columns("saved_views")}
        with opened.db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT name, sort FROM saved_views").all() == [("Old", "updated")]
    finally:
        opened.close()


def test_a_view_keeps_its_columns_and_sorts_by_a_field(desk: Desk) -> None:
    made = fill(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    amounts = {"refund_vip": "100", "refund": "9.5", "delivery": "25"}  # as text "9.5" > "25" > "100"
    with desk.db.session() as session:
        for name, amount in amounts.items():
            write_values(session, made[name], {"amount": amount})
    view = desk.saved_views.save(sara, "By amount", {"view": "all", "sort": "field.amount",
                                                     "columns": "reason, amount,reason"})
    kept = desk.saved_views.get(view.id, sara)
    assert kept is not None and kept.query.columns == ("reason", "amount") and kept.query.sort == "field.amount"
    page = desk.inbox.page(kept.query, sara, limit=100)
    order = [row.ticket.id for row in page.rows]
    assert order[:3] == [made["refund"], made["delivery"], made["refund_vip"]]  # as numbers; no value last
    assert page.rows[0].fields == {"reason": "refund", "amount": "9.5"}  # only the columns' values
    by_reason = desk.inbox.page(InboxQuery(view="all", sort="field.reason"), sara, limit=100)
    assert [row.ticket.id for row in by_reason.rows][:3] == [made["delivery"], made["refund_vip"], made["refund"]]
    with pytest.raises(InputError, match="columns: no ticket field 'colour'"):
        desk.saved_views.save(sara, "Bad", {"view": "all", "columns": "reason,colour"})
    with pytest.raises(InputError, match=r"sort: 'field\.colour' is not one of"):
        desk.saved_views.save(sara, "Bad", {"view": "all", "sort": "field.colour"})
