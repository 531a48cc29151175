"""Organizations (desk.organizations): joining by email domain, by hand, domains one organization's, erasure, merge,
the audit log, the inbox filter and the migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from desk.audit import CLI
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import AuditEvent, Customer
from desk.organizations import AUTO
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def ticket(desk: Desk, email: str, subject: str = "Invoice") -> int:
    return desk.tickets.create(NewTicket(email=email, subject=subject, body="Where is our invoice?")).id


def org_of(desk: Desk, email: str) -> int | None:
    with desk.db.session() as session:
        return session.scalar(select(Customer.organization_id).where(Customer.email == email))


def test_a_new_customer_of_a_domain_joins_and_the_tickets_take_its_tags(desk: Desk) -> None:
    acme = desk.organizations.create("Acme", ["acme.sa", "@ACME.example."], "Pays yearly", "VIP, enterprise", by=CLI)
    assert [d.domain for d in desk.organizations.get(acme.id).domains] == ["acme.example", "acme.sa"]
    first = ticket(desk, "sara@acme.sa")
    ticket(desk, "omar@mail.acme.sa")  # matched whole: a subdomain is not the domain
    ticket(desk, "lina@example.com")
    assert org_of(desk, "sara@acme.sa") == acme.id
    assert org_of(desk, "omar@mail.acme.sa") is None and org_of(desk, "lina@example.com") is None
    assert {t.tag for t in desk.tickets.get(first).tags} == {"vip", "enterprise"}
    row = desk.organizations.page("acme").rows[0]
    assert (row.name, row.members, row.open) == ("Acme", 1, 1)
    assert desk.organizations.page("nothing-like-it").total == 0
    summary = desk.organizations.summary(desk.tickets.get(first).customer_id)
    assert summary is not None and (summary.name, summary.open, summary.notes) == ("Acme", 1, "Pays yearly")


def test_a_domain_added_later_brings_its_existing_customers_and_one_removed_takes_them_out(desk: Desk) -> None:
    ticket(desk, "sara@acme.sa")
    ticket(desk, "omar@acme.sa")
    ticket(desk, "lina@example.com")
    acme = desk.organizations.create("Acme", [], by=CLI)
    assert org_of(desk, "sara@acme.sa") is None
    desk.organizations.edit(acme.id, "Acme", "acme.sa", None, "", by=CLI)
    assert org_of(desk, "sara@acme.sa") == org_of(desk, "omar@acme.sa") == acme.id
    assert org_of(desk, "lina@example.com") is None
    detail = desk.organizations.detail(acme.id)
    assert detail is not None and detail.member_count == 2 and detail.open_count == 2
    with desk.db.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "organization_edited")).one()
        assert event.after["domains"] == ["acme.sa"] and event.after["joined"] == 2
    desk.organizations.edit(acme.id, "Acme", "", None, "", by=CLI)
    assert org_of(desk, "sara@acme.sa") is None


def test_a_hand_made_choice_is_kept_when_domains_change(desk: Desk) -> None:
    acme = desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    other = desk.organizations.create("Other Co", [], by=CLI)
    ticket(desk, "sara@acme.sa")
    ticket(desk, "omar@acme.sa")
    sara = desk.customers.page("sara").rows[0].id
    omar = desk.customers.page("omar").rows[0].id
    desk.organizations.set_customer(sara, other.id, by=CLI)
    desk.organizations.set_customer(omar, None, by=CLI)  # "no organization", by hand
    desk.organizations.edit(acme.id, "Acme", "", None, "", by=CLI)
    desk.organizations.edit(acme.id, "Acme", "acme.sa", None, "", by=CLI)
    ticket(desk, "omar@acme.sa", "Again")  # a new ticket does not re-match a hand-made choice
    assert org_of(desk, "sara@acme.sa") == other.id and org_of(desk, "omar@acme.sa") is None
    desk.organizations.set_customer(omar, AUTO, by=CLI)
    assert org_of(desk, "omar@acme.sa") == acme.id
    with desk.db.session() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "organization_member_changed")))
    assert [(e.subject, e.after["organization"], e.after["manual"]) for e in events] == [
        (str(sara), other.id, True), (str(omar), None, True), (str(omar), acme.id, False)]
    with pytest.raises(InputError) as refused:
        desk.organizations.set_customer(omar, 999_999, by=CLI)
    assert refused.value.field == "organization"


def test_a_domain_or_name_taken_is_refused_naming_the_field_and_nothing_is_written(desk: Desk) -> None:
    desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    with pytest.raises(InputError) as taken:
        desk.organizations.create("Beta", ["beta.sa", "ACME.sa"], by=CLI)
    assert taken.value.field == "domains" and "Acme" in str(taken.value)
    with pytest.raises(InputError) as named:
        desk.organizations.create(" ACME ", ["acme2.sa"], by=CLI)
    assert named.value.field == "name"
    for bad, field in ((["not a domain"], "domains"), (["a..b"], "domains"), ("", "name")):
        with pytest.raises(InputError) as refused:
            desk.organizations.create("Gamma" if field != "name" else bad, bad if field == "domains" else [], by=CLI)
        assert refused.value.field == field
    with pytest.raises(InputError) as tag:
        desk.organizations.create("Delta", [], None, "two words!", by=CLI)
    assert tag.value.field == "tags"
    assert [r.name for r in desk.organizations.page().rows] == ["Acme"]
    beta = desk.organizations.create("Beta", ["beta.sa"], by=CLI)
    with pytest.raises(InputError) as edit:
        desk.organizations.edit(beta.id, "Beta", "beta.sa acme.sa", None, "", by=CLI)
    assert edit.value.field == "domains"
    assert [d.domain for d in desk.organizations.get(beta.id).domains] == ["beta.sa"]


def test_erasure_takes_the_customer_out_and_a_merge_keeps_the_kept_ones(desk: Desk) -> None:
    acme = desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    beta = desk.organizations.create("Beta", ["beta.sa"], by=CLI)
    ticket(desk, "sara@acme.sa")
    ticket(desk, "sara@beta.sa")
    ticket(desk, "gone@acme.sa")
    kept = desk.customers.page("sara@acme.sa").rows[0].id
    duplicate = desk.customers.page("sara@beta.sa").rows[0].id
    desk.customers.merge(duplicate, kept, by=CLI)
    assert org_of(desk, "sara@acme.sa") == acme.id and org_of(desk, "sara@beta.sa") is None
    assert desk.organizations.detail(beta.id).member_count == 0
    gone = desk.customers.page("gone@acme.sa").rows[0].id
    desk.erasure.erase(gone, "gone@acme.sa", by=CLI)
    with desk.db.session() as session:
        assert session.get(Customer, gone).organization_id is None
    assert desk.organizations.detail(acme.id).member_count == 1


def test_the_inbox_filters_by_organization_and_delete_leaves_members_without(desk: Desk) -> None:
    acme = desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    mine = ticket(desk, "sara@acme.sa")
    ticket(desk, "lina@example.com")
    found = desk.inbox.page(InboxQuery(view="all", organization=acme.id), 0)
    assert [row.ticket.id for row in found.rows] == [mine]
    assert desk.organizations.delete(acme.id, by=CLI) == 1
    assert org_of(desk, "sara@acme.sa") is None and desk.organizations.get(acme.id) is None
    with desk.db.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "org")
                                                     .order_by(AuditEvent.id))]
    assert actions == ["organization_created", "organization_deleted"]


def test_the_migration_adds_the_tables_and_columns_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "saved_view_fields")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO customers (email, name, created_at, version) "
                                   "VALUES ('sara@acme.sa', 'Sara', CURRENT_TIMESTAMP, 0)")
    migrate(db, command.upgrade, "organizations")
    columns = {c["name"] for c in inspect(db.engine).get_columns("customers")}
    assert {"organization_id", "organization_manual"} <= columns
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    acme = opened.organizations.create("Acme", ["acme.sa"], by=CLI)
    assert org_of(opened, "sara@acme.sa") == acme.id  # the old row joins when the domain comes
    migrate(opened.db, command.downgrade, "saved_view_fields")
    names = inspect(opened.db.engine).get_table_names()
    assert "organizations" not in names and "organization_domains" not in names
    assert "organization_id" not in {c["name"] for c in inspect(opened.db.engine).get_columns("customers")}
    opened.close()


ORG_RULES = """\
- name: Acme is gold
  on: created
  if: {organization: "  ACME   Trading "}
  then: {priority: high}
- name: Enterprise tier
  on: created
  if: {tags: enterprise}
  then: {add_tags: tier-handled}
"""


def test_a_trigger_names_the_organization_and_sees_its_tags(tmp_path: Path) -> None:
    from tests.desk.test_triggers import open_desk

    desk = open_desk(tmp_path, ORG_RULES)
    try:
        desk.organizations.create("Acme Trading", ["acme.sa"], None, ["enterprise"], by=CLI)
        member = desk.tickets.get(ticket(desk, "sara@acme.sa"))
        other = desk.tickets.get(ticket(desk, "lina@example.com"))
        assert member is not None and other is not None
        assert member.priority == "high" and {t.tag for t in member.tags} == {"enterprise", "tier-handled"}
        assert other.priority == "normal" and not other.tags
    finally:
        desk.close()


def test_an_email_changed_to_another_domain_follows_it_unless_chosen_by_hand(desk: Desk) -> None:
    acme = desk.organizations.create("Acme", ["acme.sa"], by=CLI)
    beta = desk.organizations.create("Beta", ["beta.sa"], by=CLI)
    ticket(desk, "sara@acme.sa")
    sara = desk.customers.page("sara").rows[0].id
    desk.customers.edit(sara, "Sara", "", email="sara@beta.sa", by=CLI)
    assert org_of(desk, "sara@beta.sa") == beta.id
    desk.organizations.set_customer(sara, acme.id, by=CLI)
    desk.customers.edit(sara, "Sara", "", email="sara@example.com", by=CLI)
    assert org_of(desk, "sara@example.com") == acme.id
