"""API token scopes and expiry in the desk (desk.token_scopes, desk.accounts; task scopes33): scopes stored as chosen,
none or an unknown one refused naming "scopes", expiry in days checked and honoured by verify_token, the audit event
naming scopes and expiry; the migration giving every existing token every scope. SQLite and (`--postgresql`)
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from desk.audit import CLI
from desk.desk import Desk
from desk.models import ApiToken, AuditEvent, utcnow
from desk.tickets import InputError
from desk.token_scopes import SCOPES, parse_scopes
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def test_a_token_keeps_the_scopes_chosen_and_the_event_names_them(desk: Desk) -> None:
    token = desk.accounts.create_token("bi tool", by=CLI, scopes=["metrics:read", "tickets:read"], expires_days=30)
    found = desk.accounts.verify_token(token)
    assert found is not None and parse_scopes(found.scopes) == {"tickets:read", "metrics:read"}
    assert found.scopes == "tickets:read metrics:read"  # SCOPES' order, space-separated as OAuth writes them
    assert found.expires_at is not None
    assert timedelta(days=29, hours=23) < found.expires_at.replace(tzinfo=utcnow().tzinfo) - utcnow() <= timedelta(
        days=30)
    with desk.db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "token_created"))
    assert event is not None and event.after is not None
    assert event.after["scopes"] == "tickets:read metrics:read" and event.after["expires_at"].startswith(
        found.expires_at.date().isoformat())
    assert token not in str(event.after)


def test_without_scopes_chosen_a_token_gets_every_one_and_never_expires(desk: Desk) -> None:
    found = desk.accounts.verify_token(desk.accounts.create_token("old script"))
    assert found is not None and parse_scopes(found.scopes) == set(SCOPES) and found.expires_at is None


@pytest.mark.parametrize(("scopes", "days", "field"), [
    ([], None, "scopes"), (["tickets:delete"], None, "scopes"), (["tickets:read", "admin"], None, "scopes"),
    (["suggest"], 0, "expires_days"), (["suggest"], "-3", "expires_days"), (["suggest"], "3650000", "expires_days"),
    (["suggest"], "soon", "expires_days"), (["suggest"], True, "expires_days"),
])
def test_bad_scopes_or_expiry_are_refused_naming_the_field_and_nothing_is_stored(
    desk: Desk, scopes: list[str], days: object, field: str,
) -> None:
    with pytest.raises(InputError) as refused:
        desk.accounts.create_token("partner", scopes=scopes, expires_days=days)
    assert refused.value.field == field
    assert desk.accounts.tokens() == []


def test_an_expired_token_no_longer_verifies_and_its_use_is_not_stamped(desk: Desk) -> None:
    token = desk.accounts.create_token("short", scopes=["suggest"], expires_days=1)
    with desk.db.session() as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1), last_used_at=None))
    assert desk.accounts.verify_token(token) is None
    found = desk.accounts.lookup_token(token)  # the API's guard: it says "expired", not "unknown"
    assert found is not None and found.expired(utcnow()) and found.last_used_at is None
    assert desk.accounts.tokens()[0].last_used_at is None


def test_the_migration_gives_existing_tokens_every_scope_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "webhooks")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO api_tokens (name, token_hash, created_at, revoked) "
                                   "VALUES ('zendesk', 'abc', CURRENT_TIMESTAMP, false)")
    migrate(db, command.upgrade, "api_token_scopes")
    assert {"scopes", "expires_at"} <= {c["name"] for c in inspect(db.engine).get_columns("api_tokens")}
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    [old] = opened.accounts.tokens()
    # Every scope there was then; one added later (organizations:*, task orgs33; tickets:deleted, trash36; agents:*,
    # agentadmin42) is granted to no existing token.
    assert parse_scopes(old.scopes) == set(SCOPES) - {"organizations:read", "organizations:write", "tickets:deleted",
                                                      "agents:read", "agents:write"}
    assert old.expires_at is None
    made = opened.accounts.verify_token(opened.accounts.create_token("new", scopes=["search"]))
    assert made is not None and made.scopes == "search"
    migrate(opened.db, command.downgrade, "webhooks")
    assert not {"scopes", "expires_at"} & {c["name"] for c in inspect(opened.db.engine).get_columns("api_tokens")}
    opened.close()
