"""Managing tags on a real database (`--postgresql` runs it on PostgreSQL): counts, rename, merge and delete on every
ticket (closed ones too), one audit event each, saved views following a rename, two renames at once, the refusals
naming their field, and the migration refolding stored tags."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.audit import Actor, AuditQuery
from desk.desk import Desk
from desk.models import TicketTag
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests

PASSWORD = "a long enough password"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


def tickets(desk: Desk, count: int) -> list[int]:
    return [desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"Refund {n}", body="Where is it?",
                                          lang="en", notify=False)).id for n in range(count)]


def tags_of(desk: Desk) -> dict[int, list[str]]:
    with desk.db.session() as session:
        rows = session.execute(select(TicketTag.ticket_id, TicketTag.tag).order_by(TicketTag.ticket_id,
                                                                                   TicketTag.tag)).all()
    found: dict[int, list[str]] = {}
    for ticket_id, tag in rows:
        found.setdefault(ticket_id, []).append(tag)
    return found


def test_tags_typed_in_any_form_are_one_tag_and_homoglyphs_are_refused(desk: Desk) -> None:
    [one] = tickets(desk, 1)
    assert desk.tags.add([one], ["ＲＥＦＵＮＤ", "Refund", "refund", "ﬁle"]) == 2
    assert tags_of(desk) == {one: ["file", "refund"]}
    with pytest.raises(InputError, match="tag: “r\u0435fund” mixes Latin, Cyrillic or Greek letters in one word"):
        desk.tags.add([one], ["r\u0435fund"])
    assert tags_of(desk) == {one: ["file", "refund"]}


def test_counts_are_unsolved_and_all_most_used_first_closed_included(desk: Desk) -> None:
    ids = tickets(desk, 4)
    desk.tags.add(ids, ["refund"])
    desk.tags.add(ids[:2], ["vip"])
    desk.tags.add(ids[2:], ["billing"])
    desk.tickets.update(ids[0], status="solved")
    desk.tickets.update(ids[3], status="closed")
    assert [(c.tag, c.unsolved, c.total) for c in desk.tags.counts()] == [
        ("refund", 2, 4), ("billing", 1, 2), ("vip", 1, 2)]  # equal counts by name


def test_a_rename_onto_an_existing_tag_merges_and_keeps_one_on_tickets_with_both(desk: Desk) -> None:
    lead = desk.accounts.create_agent("lead@example.com", PASSWORD, role="lead").id
    ids = tickets(desk, 4)
    desk.tags.add(ids[:3], ["refunds"])
    desk.tags.add(ids[1:], ["refund"])
    desk.tickets.update(ids[2], status="closed")  # closed: renamed too, as the counts say
    view = desk.saved_views.save(lead, "Refunds", {"view": "all", "tag": "refunds"})
    planned = desk.tags.change("refunds", "Refund")
    assert (planned.new, planned.tickets, planned.both, planned.views, planned.merge) == ("refund", 3, 2, 1, True)
    done = desk.tags.rename("refunds", "Refund", by=Actor.agent(lead, "10.0.0.1"))
    assert done == planned
    assert tags_of(desk) == {i: ["refund"] for i in ids}
    assert desk.saved_views.get(view.id, lead).query.tag == "refund"  # the view follows the tag
    [event] = desk.audit.page(AuditQuery(action="tag_renamed"), 0, 10).events
    assert (event.actor_id, event.subject_type, event.subject, event.before, event.after) == (
        lead, "tag", "refunds", {"tag": "refunds"}, {"tag": "refund", "tickets": 3, "merged": 2, "views": 1})
    assert [(c.tag, c.total) for c in desk.tags.counts()] == [("refund", 4)]


def test_a_rename_onto_a_new_name_and_a_delete_change_every_ticket_with_one_event(desk: Desk) -> None:
    ids = tickets(desk, 3)
    desk.tags.add(ids[:2], ["shiping"])
    desk.tags.add(ids, ["vip"])
    planned = desk.tags.change("shiping", "shipping")
    assert (planned.tickets, planned.both, planned.merge) == (2, 0, False)
    assert desk.tags.rename("shiping", "shipping", by=Actor("cli")).tickets == 2
    assert tags_of(desk) == {ids[0]: ["shipping", "vip"], ids[1]: ["shipping", "vip"], ids[2]: ["vip"]}
    assert desk.tags.change("vip", None).tickets == 3
    assert desk.tags.delete("vip", by=Actor("cli")).tickets == 3
    assert tags_of(desk) == {ids[0]: ["shipping"], ids[1]: ["shipping"]}
    [event] = desk.audit.page(AuditQuery(action="tag_deleted", subject="tag:vip"), 0, 10).events
    assert (event.actor, event.after) == ("cli", {"tickets": 3})


@pytest.mark.parametrize(("old", "new", "error"), [
    ("", "x", "tag: is empty"),
    ("nobody-has-it", "x", "tag: no ticket has the tag “nobody-has-it”"),
    ("refund", "", "new_tag: is empty"),
    ("refund", "   ", "new_tag: is empty"),
    ("refund", "<b>", "new_tag: “<b>” cannot be a tag"),
    ("refund", "r\u0435fund", "new_tag: “r\u0435fund” mixes Latin, Cyrillic or Greek letters"),
    ("refund", "ＲＥＦＵＮＤ", "new_tag: is the tag's name already"),
])
def test_refusals_name_their_field_and_change_nothing(desk: Desk, old: str, new: str, error: str) -> None:
    ids = tickets(desk, 2)
    desk.tags.add(ids, ["refund"])
    with pytest.raises(InputError, match=error):
        desk.tags.change(old, new)
    with pytest.raises(InputError, match=error):
        desk.tags.rename(old, new, by=Actor("cli"))
    assert tags_of(desk) == {i: ["refund"] for i in ids}
    assert desk.audit.page(AuditQuery(action="tag_renamed"), 0, 10).events == []
    with pytest.raises(InputError, match="tag: no ticket has the tag"):
        desk.tags.delete("nobody-has-it", by=Actor("cli"))


def test_two_renames_at_once_a_to_b_and_b_to_a_lose_no_tag(desk: Desk) -> None:
    """Both lock the tickets holding either tag, in id order: one waits for the other, then renames what the first
    left (no deadlock on PostgreSQL; every ticket ends with exactly one of the two tags)."""
    ids = tickets(desk, 6)
    desk.tags.add(ids[:4], ["alpha"])
    desk.tags.add(ids[2:], ["beta"])
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def rename(old: str, new: str) -> None:
        start.wait()
        try:
            outcomes.append(desk.tags.rename(old, new, by=Actor("cli")).new or "")
        except InputError as refused:
            outcomes.append(refused.field)

    threads = [threading.Thread(target=rename, args=pair) for pair in (("alpha", "beta"), ("beta", "alpha"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["alpha", "beta"]
    found = tags_of(desk)
    assert set(found) == set(ids) and len({tuple(t) for t in found.values()}) == 1  # one tag, the same on all
    assert all(len(t) == 1 for t in found.values())
    assert len(desk.audit.page(AuditQuery(action="tag_renamed"), 0, 10).events) == 2


def test_the_tag_migration_refolds_and_keeps_one_of_tags_that_now_fold_alike(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from alembic import command
    from sqlalchemy import text

    from desk.database import Database
    from tests.conftest import migrate

    db, url = database_at(tmp_path, "saved_view_keys")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # the rows written at head, the tags below as before
    agent = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    first, second, third = tickets(desk, 3)
    desk.saved_views.save(agent, "R", {"view": "all"})
    desk.close()
    db = Database.from_settings(Settings(data_dir=tmp_path, database_url=url))
    migrate(db, command.downgrade, "saved_view_keys")  # tag_folds changes no schema: rows written as before it
    with db.engine.begin() as connection:
        for ticket, tag in ((first, "ｒｅｆｕｎｄ"), (first, "refund"), (second, "ｒｅｆｕｎｄ"), (second, "ﬁle"),
                            (second, "file"), (third, "vip"), (third, "ﻣﺴﺘﺮﺩﺍﺕ")):
            connection.execute(text("INSERT INTO ticket_tags (ticket_id, tag) VALUES (:t, :tag)"),
                               {"t": ticket, "tag": tag})
        connection.execute(text("UPDATE saved_views SET tag = 'ｒｅｆｕｎｄ'"))
    with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
        migrate(db, command.upgrade, "tag_folds")
    with db.engine.connect() as connection:
        rows = sorted(connection.execute(text("SELECT ticket_id, tag FROM ticket_tags")).all())
        view_tag = connection.execute(text("SELECT tag FROM saved_views")).scalar()
    assert [tuple(r) for r in rows] == [(first, "refund"), (second, "file"), (second, "refund"),
                                        (third, "vip"), (third, "مستردات")]
    assert view_tag == "refund"
    said = [r.getMessage() for r in caplog.records]
    assert f"ticket {first}: tag 'ｒｅｆｕｎｄ' folds like 'refund'; one kept, as 'refund'" in said
    assert "tag 'ｒｅｆｕｎｄ' is now 'refund' on 1 tickets" in said
    migrate(db, command.downgrade, "saved_view_keys")
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # at head again
    assert [(c.tag, c.total) for c in desk.tags.counts()] == [("refund", 2), ("file", 1), ("vip", 1), ("مستردات", 1)]
    desk.close()
