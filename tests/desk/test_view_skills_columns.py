"""Saved views with customer fields as columns and a skill filter (task views40), on a real database (`--postgresql`
runs them on PostgreSQL): a view's `columns` may name `customer.<key>` (checked against the customer fields file, kept
in order, each once), its page carries the ticket's customer's value, and it sorts by one (no value last, a number as
a number, ties by id); a field the file later loses still shows and sorts. A view keeps `skill` (a skill's id, checked
to exist): its page and count are the tickets requiring it; deleting the skill marks the view, which then matches
nothing even when a later skill gets the same id; the migration adds and drops `saved_views.skill`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from desk import customer_fields
from desk.audit import CLI
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import AuditEvent, SavedView
from desk.tickets import InputError, NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from tests.conftest import database_at, migrate
from tests.desk.test_saved_view_fields import stored, url  # noqa: F401
from tests.webapp.test_api_ticket_fields import FIELDS
from tests.webapp.test_customer_fields import FIELDS as CUSTOMER_FIELDS

PASSWORD = "a long enough password"


def open_desk(tmp_path: Path, url: str | None, customer: str = CUSTOMER_FIELDS) -> Desk:  # noqa: F811
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    (content / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    (content / CUSTOMER_FIELDS_FILE).write_text(customer, encoding="utf-8")
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url))


@pytest.fixture
def desk(tmp_path: Path, url: str | None) -> Iterator[Desk]:  # noqa: F811
    opened = open_desk(tmp_path, url)
    yield opened
    opened.close()


def listed(desk: Desk, agent: int, view_id: int) -> list[int]:
    view = desk.saved_views.get(view_id, agent)
    assert view is not None
    page = desk.inbox.page(view.query, agent, limit=100)
    assert desk.inbox.query_counts({view.id: view.query}, agent)[view.id] == page.total == len(page.rows)
    return [row.ticket.id for row in page.rows]


def customers(desk: Desk) -> dict[str, int]:
    """Four customers' tickets: business with 40 seats, free with 9, business with 100, and one with no values (and
    a second ticket of the first customer)."""
    values = {"b40": {"plan": "business", "seats": "40"}, "f9": {"plan": "free", "seats": "9"},
              "b100": {"plan": "business", "seats": "100"}, "none": {}}
    made = {}
    for name, fields in values.items():
        ticket = desk.tickets.create(NewTicket(email=f"{name}@example.com", subject=name, body="Hello", lang="en"))
        if fields:
            customer_fields.set_values(desk.db, desk.customer_fields, ticket.customer_id, fields, "en", CLI)
        made[name] = ticket.id
    made["b40_again"] = desk.tickets.create(NewTicket(email="b40@example.com", subject="again", body="Hi",
                                                      lang="en")).id
    return made


def test_a_view_shows_customer_fields_as_columns_and_sorts_by_one(desk: Desk) -> None:
    made = customers(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    view = desk.saved_views.save(sara, "By seats", {"view": "all", "sort": "customer.seats",
                                                    "columns": "customer.plan, reason,customer.seats,customer.plan"})
    kept = desk.saved_views.get(view.id, sara)  # read back from the database
    assert kept is not None and kept.query.columns == ("customer.plan", "reason", "customer.seats")
    assert kept.query.sort == "customer.seats"
    # As numbers (as text "100" < "40" < "9"), the customer with none last, ties by id.
    assert listed(desk, sara, view.id) == [made["f9"], made["b40"], made["b40_again"], made["b100"], made["none"]]
    rows = {row.ticket.id: row.fields for row in desk.inbox.page(kept.query, sara, limit=100).rows}
    assert rows[made["b40_again"]] == {"customer.plan": "business", "customer.seats": "40"}
    assert rows[made["none"]] == {}
    by_plan = desk.inbox.page(InboxQuery(view="all", sort="customer.plan"), sara, limit=100)
    assert [row.ticket.id for row in by_plan.rows] == [made["b40"], made["b100"], made["b40_again"], made["f9"],
                                                       made["none"]]


def test_the_page_reads_the_customer_columns_in_one_statement(desk: Desk) -> None:
    customers(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    statements: list[str] = []
    from sqlalchemy import event

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(desk.db.engine, "before_cursor_execute", seen)
    try:
        desk.inbox.page(InboxQuery(view="all", columns=("customer.plan", "customer.seats", "reason")), sara)
    finally:
        event.remove(desk.db.engine, "before_cursor_execute", seen)
    assert sum("customer_field_values" in s for s in statements) == 1  # not one per row, nor per column


@pytest.mark.parametrize(("filters", "field", "named"), [
    ({"columns": "reason,customer.colour"}, "columns", "no customer field 'colour'; the fields are plan, vip"),
    ({"columns": "customer."}, "columns", "no customer field ''"),
    ({"sort": "customer.colour"}, "sort", "'customer.colour' is not one of"),
    ({"skill": "999999"}, "skill", "no skill 999999"),
    ({"skill": "vip"}, "skill", "'vip' is not a skill's number"),
    ({"skill": "-2"}, "skill", "'-2' is not a skill's number"),
    ({"skill": "³"}, "skill", "'³' is not a skill's number"),  # superscript: no digit a keyboard types in a number
    ({"skill": "३"}, "skill", "'३' is not a skill's number"),  # Devanagari: read as the desk's other ids are (not)
])
def test_a_bad_column_sort_or_skill_is_refused_naming_it(desk: Desk, filters: dict[str, str], field: str,
                                                         named: str) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    with pytest.raises(InputError) as refused:
        desk.saved_views.save(sara, "Bad", {"view": "all", **filters})
    assert refused.value.field == field and named in str(refused.value)
    assert stored(desk) == 0


def test_a_view_whose_customer_field_left_the_file_still_shows_and_sorts_by_it(tmp_path: Path,
                                                                              url: str | None) -> None:  # noqa: F811
    desk = open_desk(tmp_path, url)
    made = customers(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    view = desk.saved_views.save(sara, "Seats", {"view": "all", "sort": "customer.seats",
                                                 "columns": "customer.seats"})
    desk.close()
    reopened = open_desk(tmp_path, url, CUSTOMER_FIELDS.split("- key: seats")[0])  # the file without seats
    try:
        kept = reopened.saved_views.get(view.id, sara)
        assert kept is not None and kept.query.columns == ("customer.seats",)
        order = listed(reopened, sara, view.id)  # now as text: the file no longer says it is a number
        assert order[:3] == [made["b100"], made["b40"], made["b40_again"]] and order[-1] == made["none"]
        with pytest.raises(InputError, match="columns: no customer field 'seats'"):  # not for a new view
            reopened.saved_views.save(sara, "Seats again", {"view": "all", "columns": "customer.seats"})
    finally:
        reopened.close()


def skill_tickets(desk: Desk) -> tuple[int, dict[str, int]]:
    vip = desk.skills.create("VIP", by=CLI)
    desk.skills.create("Billing", by=CLI)
    made = {name: desk.tickets.create(NewTicket(email=f"{name}@example.com", subject=name, body="Hello")).id
            for name in ("vip", "plain")}
    desk.skills.set_ticket(made["vip"], [str(vip)], None)
    return vip, made


def test_a_view_keeps_the_skill_filter_and_counts_its_page(desk: Desk) -> None:
    vip, made = skill_tickets(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    view = desk.saved_views.save(sara, "VIP", {"view": "all", "skill": f" {vip} "})
    kept = desk.saved_views.get(view.id, sara)
    assert kept is not None and kept.query.skill == vip and kept.deleted_skill is None
    assert listed(desk, sara, view.id) == [made["vip"]]
    assert desk.saved_views.rename(view.id, sara, "VIP tickets").query.skill == vip
    blank = desk.saved_views.save(sara, "All", {"view": "all", "skill": ""})
    assert blank.query.skill is None and len(listed(desk, sara, blank.id)) == 2
    assert desk.inbox.page(InboxQuery(view="all", skill=vip + 100), sara).total == 0  # the inbox URL's: no such skill


def test_a_views_skill_and_organization_read_arabic_indic_persian_and_full_width_digits(desk: Desk) -> None:
    """`skill=١` is skill 1, as every ticket-number field reads an Arabic phone's digits (README): it was refused."""
    vip, made = skill_tickets(desk)
    acme = desk.organizations.create("Acme", by=CLI).id
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    for n, digits in enumerate(("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "０１２３４５６７８９")):
        typed = str.maketrans("0123456789", digits)
        view = desk.saved_views.save(sara, f"VIP {n}", {"view": "all", "skill": str(vip).translate(typed),
                                                         "organization": f" {str(acme).translate(typed)} "})
        assert (view.query.skill, view.query.organization) == (vip, acme), digits
        assert listed(desk, sara, view.id) == []  # VIP's ticket is no Acme customer's
        alone = desk.saved_views.save(sara, f"Only VIP {n}", {"view": "all", "skill": str(vip).translate(typed)})
        assert listed(desk, sara, alone.id) == [made["vip"]]


def test_a_view_whose_skill_was_deleted_opens_and_matches_nothing(desk: Desk) -> None:
    vip, made = skill_tickets(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    view = desk.saved_views.save(sara, "VIP", {"view": "all", "skill": str(vip)})
    desk.skills.delete(vip, by=CLI)
    later = desk.skills.create("Later", by=CLI)
    desk.skills.set_ticket(made["plain"], [str(later)], None)
    kept = desk.saved_views.get(view.id, sara)
    assert kept is not None and kept.deleted_skill == vip and kept.query.skill == -vip
    assert listed(desk, sara, view.id) == []  # not Later's tickets, even when Later has the same id
    assert [v.name for v in desk.saved_views.visible(sara)] == ["VIP"]
    with desk.db.session() as session:
        deleted = session.scalar(select(AuditEvent).where(AuditEvent.action == "skill_deleted"))
        assert deleted is not None and deleted.after == {"agents": 0, "tickets": 1, "views": 1}


def test_the_migration_adds_the_skill_column_and_goes_down(tmp_path: Path) -> None:
    db, db_url = database_at(tmp_path, "skills")
    with db.engine.begin() as connection:  # a view saved before: no skill filter
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('old@example.com', 'Old', 'x', 'agent', true, CURRENT_TIMESTAMP)")
        connection.exec_driver_sql("INSERT INTO saved_views (agent_id, name, name_key, shared, view, q, sort, "
                                   "created_at) SELECT id, 'Old', 'old', false, 'all', '', 'updated', "
                                   "CURRENT_TIMESTAMP FROM agents")
    migrate(db, command.upgrade, "saved_view_skill")
    assert "skill" in {column["name"] for column in inspect(db.engine).get_columns("saved_views")}
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=db_url))
    try:
        agent = opened.accounts.find("old@example.com")
        assert agent is not None
        assert [(v.name, v.query.skill) for v in opened.saved_views.visible(agent.id)] == [("Old", None)]
        vip = opened.skills.create("VIP", by=CLI)
        opened.saved_views.save(agent.id, "VIP", {"view": "all", "skill": str(vip)})
        migrate(opened.db, command.downgrade, "skills")
        assert "skill" not in {c["name"] for c in inspect(opened.db.engine).get_columns("saved_views")}
        with opened.db.engine.connect() as connection:
            assert sorted(connection.exec_driver_sql("SELECT name FROM saved_views").scalars()) == ["Old", "VIP"]
    finally:
        opened.close()


def test_a_view_saved_while_its_skill_is_deleted_is_refused_or_marked(desk: Desk,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import desk.skills as skills_module
    from desk.saved_views import SavedViews
    from tests.races import at_once, refused

    vip, _ = skill_tickets(desk)
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    # Each meets the other after its first read: the view's name checked, the skill found.
    saved, deleted = at_once([lambda: desk.saved_views.save(sara, "VIP", {"view": "all", "skill": str(vip)}),
                              lambda: desk.skills.delete(vip, by=CLI)],
                             [(SavedViews, "_free_name"), (skills_module, "row_by_id")], monkeypatch)
    assert deleted == "VIP"
    if refused(saved):
        assert stored(desk) == 0
    else:
        with desk.db.session() as session:  # never a view naming the deleted skill as if it were there
            assert session.scalars(select(SavedView.skill)).all() == [-vip]
