"""Saved inbox views on a real database (`--postgresql` runs them on PostgreSQL): an agent saves the inbox's filters
under a name, and each view's count is its page's total (the same clauses, for the agent reading it); bad names and
unknown filter values are refused naming the field, with nothing written; an agent keeps at most
`KB_SAVED_VIEWS_PER_AGENT`; a lead shares a view with everyone, and only the owner, a lead or an admin changes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import SavedView
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests
from tests.desk.test_teams import hours_file

PASSWORD = "a long enough password"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    content = hours_file(tmp_path / "content", routing=[{"domain": "acme.ae", "team": "uae"}])
    opened = Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=database_url_for_tests(),
                           saved_views_per_agent=8))
    yield opened
    opened.close()


def stored(desk: Desk) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count(SavedView.id))) or 0


def fill(desk: Desk) -> tuple[int, int]:
    """Two agents and tickets across languages, teams, statuses, tags and assignees: (sara, omar)."""
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara").id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
    made = []
    for number in range(12):
        made.append(desk.tickets.create(NewTicket(
            email="lina@acme.ae" if number % 3 == 0 else f"c{number}@example.com", name=f"Customer {number}",
            subject="استرجاع المبلغ" if number % 2 else f"Refund late {number}",
            body="لم يصلني المبلغ" if number % 2 else "Where is my refund?", lang="ar" if number % 2 else "en")))
    desk.tickets.bulk_update([t.id for t in made[:5]], assignee_id=sara, agent_id=sara)
    desk.tickets.bulk_update([t.id for t in made[5:8]], assignee_id=omar, agent_id=omar)
    desk.tickets.bulk_update([made[1].id, made[6].id], status="solved", agent_id=sara)
    desk.tickets.update(made[2].id, status="pending", agent_id=sara)
    desk.tags.add([t.id for t in made[::2]], ["refund"])
    return sara, omar


FILTERS = [
    {"view": "mine", "sort": "due"},
    {"view": "unsolved", "lang": "ar", "team": "uae"},
    {"view": "all", "tag": "Refund", "sort": "priority"},
    {"view": "unassigned", "q": "المبلغ"},
    {"view": "mine", "status": "pending"},
    {"view": "all", "status": "solved", "lang": "en"},
]


def test_a_saved_views_count_is_its_pages_total_for_whoever_reads_it(desk: Desk) -> None:
    sara, omar = fill(desk)
    lead = desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead").id
    saved = [desk.saved_views.save(lead, f"view {n}", filters, shared=True) for n, filters in enumerate(FILTERS)]
    assert saved[2].query.tag == "refund"  # folded as every tag is
    for reader in (sara, omar, lead):
        views = desk.saved_views.visible(reader)
        assert [v.id for v in views] == [v.id for v in saved]
        counts = desk.inbox.query_counts({v.id: v.query for v in views}, reader)
        for view in views:
            page = desk.inbox.page(view.query, reader, limit=100)
            assert counts[view.id] == page.total == len(page.rows), (reader, view.name)
    # "Mine" is the reader's: Sara's four unsolved, Omar's two, the lead's none.
    mine = {v.id: v.query for v in saved[:1]}
    assert [desk.inbox.query_counts(mine, reader)[saved[0].id] for reader in (sara, omar, lead)] == [4, 2, 0]
    # A saved view with no filters counts what its built-in view counts.
    plain = desk.saved_views.save(sara, "just mine", {"view": "mine"})
    assert desk.inbox.query_counts({plain.id: plain.query}, sara)[plain.id] == desk.inbox.counts(sara)["mine"]


@pytest.mark.parametrize(("filters", "field", "named"), [
    ({"view": "starred"}, "view", "'starred' is not one of unsolved, mine, my_teams"),
    ({"sort": "oldest"}, "sort", "'oldest' is not one of updated, created, due, priority"),
    ({"status": "archived"}, "status", "'archived' is not one of new, open, pending, on_hold, solved, closed"),
    ({"lang": "fr"}, "lang", "'fr' is not one of en, ar"),
    ({"team": "qatar"}, "team", "'qatar' is not one of ksa, uae"),
    ({"tag": "not a tag!"}, "tag", "cannot be a tag"),
    ({"q": "x" * 201}, "q", "at most 200 characters"),
])
def test_an_unknown_filter_value_is_refused_naming_its_field(desk: Desk, filters: dict[str, str], field: str,
                                                            named: str) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    with pytest.raises(InputError) as refused:
        desk.saved_views.save(sara, "mine", filters)
    assert refused.value.field == field and named in str(refused.value)
    assert stored(desk) == 0


def test_names_are_checked_and_an_agent_keeps_at_most_the_settings_number(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD).id
    for name, error in [("   ", "name: is empty"), ("x" * 61, "name: at most 60 characters")]:
        with pytest.raises(InputError, match=error):
            desk.saved_views.save(sara, name, {})
    first = desk.saved_views.save(sara, "  Arabic   refunds ", {"lang": "ar"})
    assert first.name == "Arabic refunds"
    with pytest.raises(InputError, match="name: you have a view named “arabic REFUNDS” already"):
        desk.saved_views.save(sara, "arabic REFUNDS", {})
    assert desk.saved_views.save(omar, "Arabic refunds", {}).name == "Arabic refunds"  # names are per agent
    for number in range(2, 9):
        desk.saved_views.save(sara, f"view {number}", {})
    with pytest.raises(InputError, match="views: you have 8 saved views, the most an agent keeps; delete one first"):
        desk.saved_views.save(sara, "four", {})
    assert stored(desk) == 9
    assert desk.saved_views.delete(first.id, sara) == "Arabic refunds"
    desk.saved_views.save(sara, "four", {})
    by_name = {v.name: v.id for v in desk.saved_views.visible(sara)}
    renamed = desk.saved_views.rename(by_name["four"], sara, "مستردات")
    assert renamed.name == "مستردات"
    assert desk.saved_views.rename(renamed.id, sara, " مستردات ").name == "مستردات"  # its own name is no clash
    assert desk.saved_views.rename(by_name["view 3"], sara, "VIEW 3").name == "VIEW 3"  # a change of case only
    with pytest.raises(InputError, match="name: you have a view named “VIEW 2” already"):
        desk.saved_views.rename(renamed.id, sara, "VIEW 2")


def test_a_name_taken_between_the_check_and_the_write_is_the_names_error_not_a_500(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A double click on Save: both requests find the name free, the second's insert meets the unique index."""
    agent = desk.accounts.create_agent("race@example.com", PASSWORD).id
    first = desk.saved_views.save(agent, "Refunds", {"view": "unsolved"})
    other = desk.saved_views.save(agent, "Other", {"view": "unsolved"})
    before = stored(desk)
    free = staticmethod(lambda session, agent_id, name, exclude=None: name)  # the other request's check saw it free
    monkeypatch.setattr(type(desk.saved_views), "_free_name", free)
    with pytest.raises(InputError) as saved:
        desk.saved_views.save(agent, "Refunds", {"view": "mine"})
    with pytest.raises(InputError) as renamed:
        desk.saved_views.rename(other.id, agent, "Refunds")
    assert saved.value.field == renamed.value.field == "name"
    assert stored(desk) == before
    assert desk.saved_views.get(other.id, agent).name == "Other"
    assert desk.saved_views.get(first.id, agent).query.view == "unsolved"


def test_a_lead_shares_a_view_and_only_the_owner_a_lead_or_an_admin_change_it(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    omar = desk.accounts.create_agent("omar@example.com", PASSWORD).id
    lead = desk.accounts.create_agent("lead@example.com", PASSWORD, role="lead").id
    admin = desk.accounts.create_agent("admin@example.com", PASSWORD, role="admin").id
    with pytest.raises(InputError, match="shared: only a lead or an admin shares a view with everyone"):
        desk.saved_views.save(sara, "team", {}, shared=True)
    own = desk.saved_views.save(sara, "mine only", {"view": "mine"})
    with pytest.raises(InputError, match="shared: only a lead"):
        desk.saved_views.share(own.id, sara, True)
    assert stored(desk) == 1 and not desk.saved_views.get(own.id, sara).shared  # type: ignore[union-attr]
    assert desk.saved_views.get(own.id, omar) is None and desk.saved_views.visible(omar) == []
    with pytest.raises(InputError, match="view: no saved view"):  # another agent's personal view: not even named
        desk.saved_views.delete(own.id, omar)
    shared = desk.saved_views.save(lead, "UAE Arabic", {"lang": "ar", "team": "uae"}, shared=True)
    assert [v.name for v in desk.saved_views.visible(omar)] == ["UAE Arabic"]
    assert [v.name for v in desk.saved_views.visible(sara)] == ["mine only", "UAE Arabic"]  # own first
    with pytest.raises(InputError, match="view: “UAE Arabic” is shared with you: only its owner, a lead or an admin"):
        desk.saved_views.rename(shared.id, omar, "Mine now")
    with pytest.raises(InputError, match="is shared with you"):
        desk.saved_views.delete(shared.id, omar)
    assert desk.saved_views.rename(shared.id, admin, "UAE, Arabic").name == "UAE, Arabic"
    assert not desk.saved_views.share(shared.id, admin, False).shared
    assert desk.saved_views.visible(omar) == []
    assert desk.saved_views.get(shared.id, lead) is not None  # the owner keeps it
    with pytest.raises(InputError, match="view: no saved view 99999999999999999999"):
        desk.saved_views.delete(99999999999999999999, lead)


def test_the_saved_views_migration_upgrades_the_previous_head(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "audit_events")
    assert "saved_views" not in inspect(db.engine).get_table_names()
    migrate(db, command.upgrade, "saved_views")
    assert "saved_views" in inspect(db.engine).get_table_names()
    migrate(db, command.downgrade, "audit_events")
    assert "saved_views" not in inspect(db.engine).get_table_names()
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    agent = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    assert desk.saved_views.save(agent, "due", {"view": "due_today"}).query.view == "due_today"
    desk.close()


# Task fold30: one rule for "the same name" on both engines (desk.name_keys), and homoglyph names refused.

@pytest.mark.parametrize(("first", "second"), [
    ("ÉCOLE", "école"),  # SQLite's lower() folds ASCII only: two views there, one on PostgreSQL
    ("Refunds", "Ｒｅｆｕｎｄｓ"),  # full-width letters
    ("files", "ﬁles"),  # a ligature
    ("مستردات", "ﻣﺴﺘﺮﺩﺍﺕ"),  # Arabic presentation forms
    ("straße", "STRASSE"),  # case folding, not lower()
])
def test_names_that_fold_alike_are_one_name_on_both_engines(desk: Desk, first: str, second: str) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    kept = desk.saved_views.save(sara, first, {})
    with pytest.raises(InputError, match=f"name: you have a view named “{second}” already"):
        desk.saved_views.save(sara, second, {})
    other = desk.saved_views.save(sara, "other", {})
    with pytest.raises(InputError, match="name: you have a view named"):
        desk.saved_views.rename(other.id, sara, second)
    assert desk.saved_views.rename(kept.id, sara, second).name == second  # its own name in another form
    assert stored(desk) == 2


def test_the_folded_key_is_the_databases_rule_too(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the check skipped (a second request that found the name free), the unique key refuses "ÉCOLE" beside
    "école" on SQLite as on PostgreSQL."""
    agent = desk.accounts.create_agent("race@example.com", PASSWORD).id
    desk.saved_views.save(agent, "école", {})
    monkeypatch.setattr(type(desk.saved_views), "_free_name", staticmethod(lambda session, agent_id, name,
                                                                               exclude=None: name))
    with pytest.raises(InputError, match="name: you have a view named “ÉCOLE” already"):
        desk.saved_views.save(agent, "ÉCOLE", {})
    assert stored(desk) == 1


def test_views_are_listed_in_one_order_on_both_engines(desk: Desk) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    for name in ("Zebra", "École", "alpha", "Ｂｅｔａ"):
        desk.saved_views.save(sara, name, {})
    assert [v.name for v in desk.saved_views.visible(sara)] == ["alpha", "Ｂｅｔａ", "Zebra", "École"]  # by key


@pytest.mark.parametrize("name", ["Rеfunds", "VIP\u0441lients", "Ｒеfunds", "οrders"])  # Cyrillic е, с; Greek ο
def test_a_word_mixing_latin_cyrillic_or_greek_letters_is_refused(desk: Desk, name: str) -> None:
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD).id
    with pytest.raises(InputError, match=f"name: “{name}” mixes Latin, Cyrillic or Greek letters in one word"):
        desk.saved_views.save(sara, name, {})
    assert stored(desk) == 0
    for fine in ("Refunds", "Возвраты", "VIP-клиенты", "iPhone المستردات", "10µs"):  # one alphabet a word
        desk.saved_views.save(sara, fine, {})
    assert stored(desk) == 5


def test_the_keys_migration_keeps_both_views_that_now_fold_alike(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from alembic import command
    from sqlalchemy import inspect, text

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "customer_merge")
    with db.engine.begin() as connection:
        for email in ("sara@example.com", "omar@example.com"):
            connection.exec_driver_sql(f"INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                       f"VALUES ('{email}', 'A', 'x', 'agent', true, '2026-12-01')")
        sara, omar = connection.exec_driver_sql("SELECT id FROM agents ORDER BY id").scalars().all()
        for agent, name in ((sara, "École"), (sara, "refunds (2)"), (sara, "ÉCOLE"), (sara, "Refunds"),
                            (sara, "Ｒｅｆｕｎｄｓ"), (omar, "école"), (sara, "x" * 60), (sara, "X" * 60)):
            connection.execute(text("INSERT INTO saved_views (agent_id, name, shared, view, q, sort, created_at) "
                                    "VALUES (:agent, :name, false, 'unsolved', '', 'updated', '2026-12-01')"),
                               {"agent": agent, "name": name})
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        migrate(db, command.upgrade, "saved_view_keys")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT agent_id, name, name_key FROM saved_views ORDER BY id")).all()
    assert [(agent, name) for agent, name, _ in rows] == [
        (sara, "École"), (sara, "refunds (2)"), (sara, "ÉCOLE (2)"), (sara, "Refunds"), (sara, "Ｒｅｆｕｎｄｓ (3)"),
        (omar, "école"), (sara, "x" * 60), (sara, "X" * 56 + " (2)")]  # cut to fit 60 characters
    assert [key for _, _, key in rows][:2] == ["école", "refunds (2)"]
    said = [r.getMessage() for r in caplog.records if "renamed" in r.getMessage()]
    assert len(said) == 3
    assert "'ÉCOLE' is named like an earlier view of theirs once folded; renamed 'ÉCOLE (2)'" in said[0]
    migrate(db, command.downgrade, "customer_merge")
    assert "name_key" not in [c["name"] for c in inspect(db.engine).get_columns("saved_views")]
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))  # at head again
    with pytest.raises(InputError, match="name: you have a view named “REFUNDS” already"):
        desk.saved_views.save(sara, "REFUNDS", {})
    desk.close()
