"""The audit log in the desk (desk.audit): each audited change (agents created, roles, deactivation, reactivation,
password resets, API tokens created and revoked, team members added and removed) writes exactly one event with its
before and after, in the change's own transaction: a change failed at any of its statements or its COMMIT leaves
neither the change nor its event (tests/faults.py), and a change that changes nothing records nothing. Failed
sign-ins fold into one row per account and hour; a success after them says how many. No password, password hash,
token or token hash is ever in an event. Retention purges what is older than `KB_AUDIT_KEEP_DAYS`; the migration
upgrades a database at the previous head. The real database: SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, func, select, update

from desk.audit import CLI, FOLD_FAILURES, Actor, AuditQuery
from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.models import Agent, ApiToken, AuditEvent, utcnow
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_teams import hours_file
from tests.faults import every_fault, rows

PASSWORD = "a long enough password"
NEW_PASSWORD = "another long password"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk over the demo's teams (KSA, UAE), with an admin."""
    opened = Desk(Settings(content_dir=hours_file(tmp_path / "content"), data_dir=tmp_path / "data",
                           database_url=database_url_for_tests(), audit_keep_days=30))
    opened.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    yield opened
    opened.close()


def events(desk: Desk) -> list[AuditEvent]:
    with desk.db.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def admin(desk: Desk) -> Actor:
    found = desk.accounts.find("admin@example.com")
    assert found is not None
    return Actor.agent(found.id, "203.0.113.7")


def new_agent(desk: Desk, email: str, role: str = "agent") -> int:
    return desk.accounts.create_agent(email, PASSWORD, name=email.split("@")[0], role=role).id


def shape(event: AuditEvent) -> tuple[Any, ...]:
    return (event.actor, event.actor_id, event.action, event.subject_type, event.subject, event.before, event.after,
            event.ip, event.count)


def test_each_change_writes_exactly_one_event_with_its_before_and_after(desk: Desk) -> None:
    by = admin(desk)
    me = by.agent_id
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara", by=by).id
    token = desk.accounts.create_token("zendesk", by=by, scopes=["suggest", "tickets:write"])
    token_id = desk.accounts.verify_token(token).id  # type: ignore[union-attr]
    steps: list[tuple[Callable[[], object], tuple[Any, ...]]] = [
        (lambda: desk.accounts.manage(sara, by=by, role="lead"),
         ("agent", me, "role_changed", "agent", str(sara), {"role": "agent"}, {"role": "lead"}, by.ip, 1)),
        (lambda: desk.accounts.manage(sara, by=by, active=False),
         ("agent", me, "deactivated", "agent", str(sara), {"active": True}, {"active": False}, by.ip, 1)),
        (lambda: desk.accounts.manage(sara, by=by, active=True),
         ("agent", me, "reactivated", "agent", str(sara), {"active": False}, {"active": True}, by.ip, 1)),
        (lambda: desk.accounts.manage(sara, by=by, password=NEW_PASSWORD),
         ("agent", me, "password_reset", "agent", str(sara), None, None, by.ip, 1)),
        (lambda: desk.accounts.manage(me, by=by, password=NEW_PASSWORD),  # an admin's own: changed, not reset
         ("agent", me, "password_changed", "agent", str(me), None, None, by.ip, 1)),
        (lambda: desk.accounts.set_password(sara, PASSWORD, by=CLI),
         ("cli", None, "password_reset", "agent", str(sara), None, None, None, 1)),
        (lambda: desk.accounts.revoke_token(token_id, by=by),
         ("agent", me, "token_revoked", "token", str(token_id), {"name": "zendesk", "revoked": False},
          {"name": "zendesk", "revoked": True}, by.ip, 1)),
        (lambda: desk.teams.set_teams(sara, ["ksa"], by=by),
         ("agent", me, "team_member_added", "team", "ksa", None, {"agent": sara}, by.ip, 1)),
        (lambda: desk.teams.set_teams(sara, [], by=CLI),
         ("cli", None, "team_member_removed", "team", "ksa", {"agent": sara}, None, None, 1)),
    ]
    first = events(desk)
    assert [shape(e) for e in first[-2:]] == [
        ("agent", me, "agent_created", "agent", str(sara), None,
         {"email": "sara@example.com", "name": "Sara", "role": "agent"}, by.ip, 1),
        ("agent", me, "token_created", "token", str(token_id), None,
         {"name": "zendesk", "scopes": "tickets:write suggest", "expires_at": None}, by.ip, 1),
    ]
    for change, expected in steps:
        before = len(events(desk))
        change()
        after = events(desk)
        assert len(after) == before + 1, expected
        assert shape(after[-1]) == expected
    # Moving between teams at once: one event per team joined and left.
    desk.teams.set_teams(sara, ["ksa"], by=by)
    before = len(events(desk))
    desk.teams.set_teams(sara, ["uae"], by=by)
    assert [(e.action, e.subject) for e in events(desk)[before:]] == [("team_member_removed", "ksa"),
                                                                      ("team_member_added", "uae")]


def test_a_change_that_changes_nothing_or_is_refused_records_nothing(desk: Desk) -> None:
    by = admin(desk)
    sara = new_agent(desk, "sara@example.com")
    token_id = desk.accounts.verify_token(desk.accounts.create_token("zendesk")).id  # type: ignore[union-attr]
    desk.accounts.revoke_token(token_id, by=by)
    desk.teams.set_teams(sara, ["ksa"], by=by)
    before = len(events(desk))
    desk.accounts.manage(sara, by=by, role="agent")  # already an agent
    desk.accounts.manage(sara, by=by, active=True)  # already active
    desk.accounts.revoke_token(token_id, by=by)  # already revoked
    desk.teams.set_teams(sara, ["ksa"], by=by)  # already in KSA
    for refused in (lambda: desk.accounts.manage(sara, by=by, role="owner"),
                    lambda: desk.accounts.manage(by.agent_id or 0, by=by, role="agent"),  # demoting oneself
                    lambda: desk.accounts.create_agent("sara@example.com", PASSWORD, by=by),  # exists
                    lambda: desk.accounts.create_token("", by=by),
                    lambda: desk.teams.set_teams(sara, ["qatar"], by=by)):
        with pytest.raises(InputError):
            refused()
    assert len(events(desk)) == before


def test_a_change_failed_at_any_statement_or_its_commit_leaves_neither_it_nor_its_event(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each audited path run again and again with one fault armed (the driver's own disk-full error at its Nth
    statement, then at its COMMIT): every table, audit_events included, is exactly as before each failed run; the
    run that meets no fault writes the change and its one event."""
    by = admin(desk)
    made = iter(range(1000))

    def fresh_agent() -> int:
        return new_agent(desk, f"agent{next(made)}@example.com")

    def fresh_token() -> int:
        return desk.accounts.verify_token(desk.accounts.create_token(f"partner {next(made)}")).id  # type: ignore

    def arm(call: Callable[[int], object], setup: Callable[[], int]) -> Callable[[], Callable[[], object]]:
        def fresh() -> Callable[[], object]:
            target = setup()
            return lambda: call(target)
        return fresh

    paths: dict[str, Callable[[], Callable[[], object]]] = {
        "agent_created": lambda: (lambda: desk.accounts.create_agent(f"new{next(made)}@example.com", PASSWORD,
                                                                     by=by)),
        "role_changed": arm(lambda a: desk.accounts.manage(a, by=by, role="lead"), fresh_agent),
        "deactivated": arm(lambda a: desk.accounts.manage(a, by=by, active=False), fresh_agent),
        "password_reset": arm(lambda a: desk.accounts.manage(a, by=by, password=NEW_PASSWORD), fresh_agent),
        "token_created": lambda: (lambda: desk.accounts.create_token(f"new {next(made)}", by=by)),
        "token_revoked": arm(lambda t: desk.accounts.revoke_token(t, by=by), fresh_token),
        "team_member_added": arm(lambda a: desk.teams.set_teams(a, ["uae"], by=by), fresh_agent),
    }
    for action, fresh in paths.items():
        before = len(events(desk))
        covered = every_fault(desk.db, tmp_path / "data", fresh, StorageUnavailableError, monkeypatch)
        assert covered.statements >= 2, action  # the change and its event at least
        written = [e for e in events(desk)[before:] if e.action == action]
        assert len(written) == 2, action  # the retry after the statements' faults, and the one after the commit's


def test_no_password_hash_or_token_secret_is_ever_in_an_event(desk: Desk) -> None:
    by = admin(desk)
    hashes: list[str] = []

    def kept_hash() -> None:  # each password's hash as stored, taken before the next one replaces it
        with desk.db.session() as session:
            hashes.append(session.get(Agent, sara).password_hash)  # type: ignore[union-attr]

    secret_password = "sesame open please 4711"
    sara = desk.accounts.create_agent("sara@example.com", secret_password, by=by).id
    kept_hash()
    desk.accounts.manage(sara, by=by, password="reset to this secret 99")
    kept_hash()
    desk.accounts.set_password(sara, "cli sets this secret 42", by=CLI)
    kept_hash()
    token = desk.accounts.create_token("zendesk", by=by)
    found = desk.accounts.verify_token(token)
    assert found is not None
    desk.accounts.revoke_token(found.id, by=by)
    desk.accounts.authenticate("sara@example.com", "a wrong guess of hers")
    with desk.db.session() as session:
        token_hash = session.get(ApiToken, found.id).token_hash  # type: ignore[union-attr]
    dumped = repr(rows(desk.db)["audit_events"])
    assert len(rows(desk.db)["audit_events"]) >= 6 and len(set(hashes)) == 3
    for secret in (secret_password, "reset to this secret 99", "cli sets this secret 42", "a wrong guess of hers",
                   token, token.removeprefix("kb_"), token_hash, *hashes, *(h.split("$")[-1] for h in hashes)):
        assert secret not in dumped, secret


def test_failed_sign_ins_fold_per_account_and_hour_and_a_success_after_them_is_recorded(desk: Desk) -> None:
    sara = new_agent(desk, "sara@example.com")
    omar = new_agent(desk, "omar@example.com")
    before = len(events(desk))
    assert desk.accounts.authenticate("sara@example.com", PASSWORD, ip="198.51.100.1") is not None
    assert desk.accounts.authenticate("nobody@example.com", "anything at all", ip="198.51.100.1") is None
    assert len(events(desk)) == before  # a success after none, and an email no account has: nothing
    for attempt in range(10):
        assert desk.accounts.authenticate("sara@example.com", f"guess number {attempt}", ip="198.51.100.2") is None
    desk.accounts.authenticate("omar@example.com", "not his password", ip="198.51.100.3")
    folded = events(desk)[before:]
    assert [(e.action, e.subject, e.count, e.ip, e.actor) for e in folded] == [
        ("sign_in_failed", str(sara), 10, "198.51.100.2", "system"),
        ("sign_in_failed", str(omar), 1, "198.51.100.3", "system"),
    ]
    assert set(folded[0].after or {}) == {"last"}
    assert desk.accounts.authenticate("sara@example.com", PASSWORD, ip="198.51.100.4") is not None
    succeeded = events(desk)[-1]
    assert shape(succeeded) == ("agent", sara, "sign_in_succeeded", "agent", str(sara), {"failures": 10}, None,
                                "198.51.100.4", 1)
    # After the success, a failure starts a new row; so does one more than an hour after the row's first.
    desk.accounts.authenticate("sara@example.com", "wrong again", ip="198.51.100.2")
    desk.accounts.authenticate("sara@example.com", PASSWORD)  # success: the next row starts afresh
    desk.accounts.authenticate("sara@example.com", "wrong once more")
    with desk.db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == events(desk)[-1].id)
                        .values(created_at=utcnow() - FOLD_FAILURES - timedelta(minutes=1)))
    desk.accounts.authenticate("sara@example.com", "and wrong an hour later")
    desk.accounts.manage(sara, by=admin(desk), active=False)
    desk.accounts.authenticate("sara@example.com", PASSWORD)  # deactivated: a failure, folded into the hour's row
    desk.accounts.manage(sara, by=admin(desk), active=True)
    desk.accounts.authenticate("sara@example.com", PASSWORD)  # the success counts both hours' failures
    mine = [(e.action, e.count, e.before) for e in events(desk)
            if e.subject == str(sara) and e.action.startswith("sign_in")]
    assert mine == [("sign_in_failed", 10, None), ("sign_in_succeeded", 1, {"failures": 10}),
                    ("sign_in_failed", 1, None), ("sign_in_succeeded", 1, {"failures": 1}),
                    ("sign_in_failed", 1, None), ("sign_in_failed", 2, None), ("sign_in_succeeded", 1, {"failures": 3})]


def test_an_unknown_email_costs_the_one_scrypt_a_wrong_password_does(desk: Desk,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Response time must not tell which emails have accounts: every failed sign-in runs scrypt exactly once (an
    unknown or deactivated account used to hash a stand-in and check it, twice). Counted, not timed."""
    import hashlib

    new_agent(desk, "sara@example.com")
    desk.accounts.authenticate("warm@example.com", "warming the stand-in")  # made once per process
    calls: list[int] = []
    scrypt = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or scrypt(*a, **k))
    for email in ("nobody@example.com", "sara@example.com"):
        calls.clear()
        assert desk.accounts.authenticate(email, "a wrong password") is None
        assert len(calls) == 1, email


def test_a_busy_database_does_not_turn_a_sign_in_into_an_error(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.faults import failing_commit

    new_agent(desk, "sara@example.com")
    before = len(events(desk))
    with failing_commit(desk.db, 2, monkeypatch, reason="full") as armed:  # the 1st: finding the account
        assert desk.accounts.authenticate("sara@example.com", "a wrong password") is None
    assert armed.fired and len(events(desk)) == before
    # Busy once: tried again (Database.write, hostile38), the failure recorded rather than dropped.
    with failing_commit(desk.db, 2, monkeypatch, reason="busy") as armed:
        assert desk.accounts.authenticate("sara@example.com", "a wrong password") is None
    assert armed.fired and [e.action for e in events(desk)][before:] == ["sign_in_failed"]


def test_the_log_is_filtered_paged_newest_first_and_bad_filters_name_their_field(desk: Desk) -> None:
    by = admin(desk)
    sara = new_agent(desk, "sara@example.com")
    for role in ("lead", "agent", "lead"):
        desk.accounts.manage(sara, by=by, role=role)
    desk.teams.set_teams(sara, ["ksa"], by=CLI)
    found, total = desk.audit.page(AuditQuery.parse("role_changed", f"agent:{by.agent_id}", f"agent:{sara}"), 0, 2)
    assert total == 3 and [e.after for e in found] == [{"role": "lead"}, {"role": "agent"}]
    rest, _ = desk.audit.page(AuditQuery.parse("role_changed", None, None), 2, 2)
    assert [e.after for e in rest] == [{"role": "lead"}]
    assert [e.action for e in desk.audit.page(AuditQuery.parse("", "cli", "team:ksa"), 0, 10)[0]] == [
        "team_member_added"]
    assert desk.audit.page(AuditQuery.parse(None, str(by.agent_id), None), 0, 10)[1] == 3
    streamed = list(desk.audit.stream(AuditQuery(), batch=2))
    assert [e.id for e in streamed] == sorted((e.id for e in events(desk)), reverse=True)
    for field, args in (("action", ("promoted", None, None)), ("actor", (None, "root", None)),
                        ("actor", (None, "agent:99999999999999999999", None)), ("subject", (None, None, "message:4")),
                        ("subject", (None, None, "agent:x"))):
        with pytest.raises(InputError) as refused:
            AuditQuery.parse(*args)
        assert refused.value.field == field


def test_events_past_the_kept_days_are_purged_by_the_worker(desk: Desk) -> None:
    from webapp.worker import JOBS, WorkerContext, run_pass

    by = admin(desk)
    sara = new_agent(desk, "sara@example.com")
    desk.accounts.manage(sara, by=by, role="lead")
    desk.accounts.manage(sara, by=by, role="agent")
    old, recent = events(desk)[-2:]
    with desk.db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == old.id)
                        .values(created_at=utcnow() - timedelta(days=31)))
        session.execute(update(AuditEvent).where(AuditEvent.id == recent.id)
                        .values(created_at=utcnow() - timedelta(days=29)))
    ctx = WorkerContext(desk.settings)
    ctx.__dict__["desk"] = desk
    assert run_pass(ctx, [job for job in JOBS if job.name == "audit"]) == {"audit": 1}
    assert old.id not in {e.id for e in events(desk)} and recent.id in {e.id for e in events(desk)}
    assert desk.audit.purge() == 0


def test_the_migration_adds_the_log_to_a_database_at_the_previous_head(tmp_path: Path) -> None:
    from alembic import command

    db, url = database_at(tmp_path, "assignee_changes")
    with db.engine.begin() as connection:
        # The table as it was at that revision, not the model's (which adds later columns' defaults to an insert).
        agents = Table("agents", MetaData(), autoload_with=connection)
        connection.execute(agents.insert().values(email="old@example.com", name="Old", role="agent",
                                                  password_hash="x", active=True, created_at=utcnow()))
    migrate(db, command.upgrade, "audit_events")
    with Desk(Settings(data_dir=tmp_path, database_url=url)) as desk:
        old = desk.accounts.find("old@example.com")
        assert old is not None
        desk.accounts.manage(old.id, by=CLI, role="lead")
        with desk.db.session() as session:
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    migrate(db, command.downgrade, "assignee_changes")
    migrate(db, command.upgrade, "audit_events")  # down and up again: the table and its indexes come back whole
    db.close()
