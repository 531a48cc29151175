"""desk.webhooks without the web app: the migration, what a change set gathers, the address rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from desk.desk import Desk
from desk.models import WebhookDelivery
from desk.tickets import InputError, NewTicket
from desk.webhooks import Outcome, backoff, public_addresses
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate


def test_the_webhooks_migration_upgrades_ticket_ccs_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "ticket_ccs")
    migrate(db, command.upgrade, "webhooks")
    tables = set(inspect(db.engine).get_table_names())
    assert {"webhook_endpoints", "webhook_deliveries"} <= tables
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url, webhook_allow_private=True))
    opened.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.created"])
    opened.tickets.create(NewTicket(email="c@example.com", subject="s", body="b", notify=False))
    with opened.db.session() as session:
        assert [d.event_type for d in session.scalars(select(WebhookDelivery))] == ["ticket.created"]
    migrate(opened.db, command.downgrade, "ticket_ccs")
    assert not {"webhook_endpoints", "webhook_deliveries"} & set(inspect(opened.db.engine).get_table_names())
    opened.close()


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    found = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), webhook_allow_private=True))
    yield found  # type: ignore[misc]
    found.close()


def test_one_update_per_change_set_and_a_change_undone_is_no_event(desk: Desk) -> None:
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.updated"])
    ticket_id = desk.tickets.create(NewTicket(email="c@example.com", subject="s", body="b", notify=False)).id
    desk.tickets.update(ticket_id, status="pending", priority="urgent")
    desk.tickets.update(ticket_id, priority="urgent")  # no change: no event
    desk.tags.add([ticket_id], ["vip"])
    desk.tags.remove(ticket_id, "vip")
    with desk.db.session() as session:
        rows = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
    first = rows[0].data["changes"]
    assert (first["status"], first["priority"]) == ({"old": "open", "new": "pending"},
                                                   {"old": "normal", "new": "urgent"})
    assert first["due_at"]["old"] != first["due_at"]["new"]  # an urgent ticket is due sooner: said in the same event
    assert [r.data["changes"] for r in rows[1:]] == [
        {"tags": {"old": [], "new": ["vip"]}},
        {"tags": {"old": ["vip"], "new": []}},
    ]


def test_no_endpoint_no_rows_and_the_address_rule(desk: Desk) -> None:
    desk.tickets.create(NewTicket(email="c@example.com", subject="s", body="b", notify=False))
    with desk.db.session() as session:
        assert session.scalars(select(WebhookDelivery)).all() == []
    for url in ("https://127.0.0.1/", "https://192.168.1.1/", "https://169.254.169.254/", "https://[fe80::1]/",
                "https://[::ffff:10.0.0.1]/", "http://93.184.215.14/", "ftp://93.184.215.14/",
                "https://user:pw@93.184.215.14/"):
        with pytest.raises(InputError) as refused:
            public_addresses(url, allow_private=False)
        assert refused.value.field == "url", url
    assert public_addresses("http://127.0.0.1:8080/x", allow_private=True) == ("127.0.0.1", 8080, ["127.0.0.1"])
    with pytest.raises(InputError) as events:
        desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.deleted"])
    assert events.value.field == "events"


def test_what_is_retried_and_the_backoff() -> None:
    assert [Outcome(s).retryable for s in (500, 503, 408, 429, 400, 404, 410, 302)] == [True] * 4 + [False] * 4
    assert Outcome(None).retryable and not Outcome(None, final=True).retryable
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 11, 20)] == [1, 2, 4, 720, 720]


def test_erasing_a_customer_drops_the_webhook_events_about_their_tickets(desk: Desk) -> None:
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.created", "message.created"])
    gone = desk.tickets.create(NewTicket(email="gone@example.com", subject="s", body="my address is ...",
                                         notify=False))
    desk.tickets.create(NewTicket(email="kept@example.com", subject="s", body="b", notify=False))
    desk.erasure.erase(gone.customer_id, "gone@example.com")
    with desk.db.session() as session:
        left = list(session.scalars(select(WebhookDelivery.ticket_id)))
    assert left and gone.id not in left
