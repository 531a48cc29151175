"""The migration search_text_refold: rows written before session 31's folding rules, upgraded, read as rows written
after them (an address merged away before hostile31, a name with a U+200F, a saved view name with a ZWSP)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from desk.database import Database
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_at, migrate

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_the_refold_migration_brings_rows_written_before_to_todays_rules(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db, url = database_at(tmp_path, "customer_erasure")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # the rows written at head, changed below as before

    def new(email: str, number: int, name: str = "") -> int:
        return desk.tickets.create(NewTicket(email=email, name=name, subject=f"Refund {number}", body="Where is it?",
                                             lang="en", created=START + timedelta(days=number), notify=False)).id

    kept, moved = new("lina@example.com", 1, "Lina"), new("lina.h@work.example", 2)
    sara = new("sk@example.com", 3, "Sa\u200fra")
    gone = new("gone@example.com", 4, "Gone")
    agent = desk.accounts.create_agent("omar@example.com", "a-long-password-1").id
    view = {name: desk.saved_views.save(agent, name, {"view": "all"}).id
            for name in ("Refunds", "Other", "Third", "Billing")}
    with desk.db.engine.connect() as connection:
        ids = dict(connection.execute(text("SELECT t.id, t.customer_id FROM tickets t")).all())
    desk.erasure.erase(ids[gone], "gone@example.com")
    desk.close()
    db = Database.from_settings(Settings(data_dir=tmp_path, database_url=url))
    migrate(db, command.downgrade, "customer_erasure")  # search_text_refold changes no schema: rows as before it
    with db.engine.begin() as connection:
        # A merge as it was before hostile31: the duplicate's ticket moved, no ticket's text naming its address.
        connection.execute(text("UPDATE customers SET merged_into_id = :kept WHERE id = :dup"),
                           {"kept": ids[kept], "dup": ids[moved]})
        connection.execute(text("UPDATE tickets SET customer_id = :kept WHERE id = :moved"),
                           {"kept": ids[kept], "moved": moved})
        for ticket, folded in ((kept, "refund 1 lina lina@example.com where is it?"),
                               (moved, "refund 2 lina lina@example.com where is it?"),
                               (sara, "refund 3 sa\u200fra sk@example.com where is it?")):
            connection.execute(text("UPDATE ticket_search SET text = :t WHERE ticket_id = :id"),
                               {"t": folded, "id": ticket})
        connection.execute(text("UPDATE customers SET search_text = :t WHERE id = :id"),
                           {"t": "sa\u200fra sk@example.com", "id": ids[sara]})
        for old, name in (("Other", "Refunds\u200b"), ("Third", "\u200b"), ("Billing", "Billing\u2060")):
            connection.execute(text("UPDATE saved_views SET name = :name, name_key = :key WHERE name = :old"),
                               {"name": name, "key": name.casefold(), "old": old})
    with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
        migrate(db, command.upgrade, "search_text_refold")
    with db.engine.connect() as connection:
        erased = connection.execute(text("SELECT c.search_text, s.text FROM customers c JOIN tickets t ON "
                                         "t.customer_id = c.id JOIN ticket_search s ON s.ticket_id = t.id "
                                         "WHERE t.id = :id"), {"id": gone}).one()
    assert tuple(erased) == (None, "")  # the erase's emptying kept
    said = [r.getMessage() for r in caplog.records]
    assert (f"saved view {view['Other']} of agent {agent}: 'Refunds\\u200b' is named like "
            f"another of theirs once invisible characters are dropped; renamed 'Refunds (2)'") in said
    assert f"saved view {view['Billing']} of agent {agent}: 'Billing\\u2060' is now 'Billing'" \
        in said
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # at head again

    def inbox(q: str) -> list[int]:
        return sorted(row.ticket.id for row in desk.inbox.page(InboxQuery(view="all", q=q), agent_id=0).rows)

    assert inbox("lina.h@work.example") == sorted([kept, moved])  # the merged-away address finds both
    assert inbox("sara") == [sara] and [row.id for row in desk.customers.page("sara").rows] == [ids[sara]]
    views = desk.saved_views.visible(agent)
    assert [v.name for v in views] == ["Billing", "Refunds", "Refunds (2)", "View (2)"]
    desk.saved_views.rename(views[0].id, agent, "Billing")  # its key is the visible name's: a rename to it is free
    with pytest.raises(Exception, match="already"):
        desk.saved_views.save(agent, "refunds\u200b", {"view": "all"})
    desk.close()
