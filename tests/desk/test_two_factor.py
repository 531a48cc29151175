"""Two-factor sign-in in the desk (desk.two_factor): enrolment only with a right code, a code accepted once (replay in
its window refused), one step of drift, recovery codes used once and void when regenerated, the admin's reset ending
sessions, a wrong second step audited as a failed sign-in saying so, the secret never in an event; the migration
upgrading the previous head. The real database: SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from alembic import command
from sqlalchemy import inspect, select

import desk.two_factor as two_factor_module
from desk.audit import CLI, Actor
from desk.desk import Desk
from desk.models import Agent, AuditEvent, RecoveryCode
from desk.secret_box import SecretNotOpened
from desk.tickets import InputError
from desk.two_factor import MAX_FAILURES, STEP, SecondStepLocked, clean_code, lock_period, provisioning_uri
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.races import at_once, refused

PASSWORD = "a long enough password"
NOW = 1_800_000_000.0  # a fixed moment: every code below is computed for its steps, no clock read


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    opened.accounts.create_agent("lina@example.com", PASSWORD, name="Lina")
    opened.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    yield opened
    opened.close()


def code(secret: str, at: float = NOW) -> str:
    return pyotp.TOTP(secret, interval=STEP).at(at)


def agent_row(desk: Desk, email: str = "lina@example.com") -> Agent:
    found = desk.accounts.find(email)
    assert found is not None
    return found


def enrolled(desk: Desk) -> tuple[int, str, list[str]]:
    agent_id = agent_row(desk).id
    secret = desk.two_factor.start(agent_id)
    codes = desk.two_factor.confirm(agent_id, code(secret), Actor.agent(agent_id, None), now=NOW)
    return agent_id, secret, codes


def opened_secret(desk: Desk, email: str = "lina@example.com") -> str | None:
    """The agent's stored secret, opened with the desk's key (what is stored is sealed: desk.secret_box)."""
    row = agent_row(desk, email)
    return desk.two_factor.box.open(row.id, row.two_factor_secret) if row.two_factor_secret else None


def events(desk: Desk, action: str) -> list[AuditEvent]:
    with desk.db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_wrong_code_enables_nothing_and_a_right_one_enables_with_ten_codes(desk: Desk) -> None:
    agent_id = agent_row(desk).id
    secret = desk.two_factor.start(agent_id)
    assert not agent_row(desk).two_factor and opened_secret(desk) == secret
    wrong = f"{(int(code(secret)) + 1) % 1_000_000:06d}"
    with pytest.raises(InputError) as refused:
        desk.two_factor.confirm(agent_id, wrong, Actor.agent(agent_id, None), now=NOW)
    assert refused.value.field == "code"
    assert not agent_row(desk).two_factor and events(desk, "two_factor_enabled") == []
    codes = desk.two_factor.confirm(agent_id, code(secret), Actor.agent(agent_id, None), now=NOW)
    assert len(codes) == 10 and len(set(codes)) == 10 and agent_row(desk).two_factor
    assert desk.two_factor.codes_left(agent_id) == 10
    with desk.db.session() as session:  # hashed, as API tokens are
        stored = set(session.scalars(select(RecoveryCode.code_hash)))
    assert not stored & {clean_code(c) for c in codes} and len(stored) == 10
    [event] = events(desk, "two_factor_enabled")
    assert secret not in repr((event.before, event.after)) and not any(c in repr(event.after) for c in codes)
    with pytest.raises(InputError):
        desk.two_factor.start(agent_id)  # already on: no new secret over the confirmed one
    assert opened_secret(desk) == secret


def test_a_code_is_accepted_once_within_one_step_of_drift(desk: Desk) -> None:
    agent_id, secret, _ = enrolled(desk)
    assert not desk.two_factor.verify(agent_id, code(secret), now=NOW)  # the enrolment's own code: used
    later = NOW + 4 * STEP
    assert desk.two_factor.verify(agent_id, code(secret, later + STEP), now=later)  # the phone 30 s ahead
    assert not desk.two_factor.verify(agent_id, code(secret, later), now=later + 1)  # an older step after a newer
    after = later + 5 * STEP
    assert desk.two_factor.verify(agent_id, code(secret, after - STEP), now=after)  # 30 s behind
    assert not desk.two_factor.verify(agent_id, code(secret, after - STEP), now=after + 2)  # the same code again
    far = after + 10 * STEP
    assert not desk.two_factor.verify(agent_id, code(secret, far - 2 * STEP), now=far)  # 60 s off: refused
    assert not desk.two_factor.verify(agent_id, code(secret, far + 2 * STEP), now=far)
    digits = code(secret, far).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert desk.two_factor.verify(agent_id, f" {digits[:3]} {digits[3:]} ", now=far)  # Arabic-Indic, spaced


def test_a_recovery_code_signs_in_once_and_regenerating_voids_the_old_ones(desk: Desk) -> None:
    agent_id, _, codes = enrolled(desk)
    assert desk.two_factor.sign_in(agent_id, codes[0].upper(), now=NOW) is not None
    assert desk.two_factor.sign_in(agent_id, codes[0], now=NOW) is None
    assert desk.two_factor.codes_left(agent_id) == 9
    new = desk.two_factor.regenerate(agent_id, Actor.agent(agent_id, None))
    assert not desk.two_factor.verify(agent_id, codes[1], now=NOW)
    assert desk.two_factor.verify(agent_id, new[1].replace("-", " "), now=NOW)
    assert len(events(desk, "recovery_codes_regenerated")) == 1


def test_a_wrong_second_step_is_a_failed_sign_in_saying_so(desk: Desk) -> None:
    agent_id, secret, _ = enrolled(desk)
    # The right password alone records no success: the agent is not signed in yet.
    assert desk.accounts.authenticate("lina@example.com", PASSWORD) is not None
    assert events(desk, "sign_in_succeeded") == [] and events(desk, "sign_in_failed") == []
    assert desk.two_factor.sign_in(agent_id, "000000", ip="10.0.0.1", now=NOW + 3 * STEP) is None
    assert desk.two_factor.sign_in(agent_id, "not a code", ip="10.0.0.1", now=NOW + 3 * STEP) is None
    [failed] = events(desk, "sign_in_failed")
    assert failed.count == 2 and failed.after is not None and failed.after["step"] == "two_factor"
    assert desk.two_factor.sign_in(agent_id, code(secret, NOW + 3 * STEP), now=NOW + 3 * STEP) is not None
    [succeeded] = events(desk, "sign_in_succeeded")
    assert succeeded.before == {"failures": 2}
    # Deactivated between the password and the code: the right code does not sign in.
    admin = agent_row(desk, "admin@example.com").id
    desk.accounts.manage(agent_id, by=Actor.agent(admin, None), active=False)
    assert desk.two_factor.sign_in(agent_id, code(secret, NOW + 5 * STEP), now=NOW + 5 * STEP) is None


def test_turning_off_needs_the_password_or_a_code_and_erases_the_secret(desk: Desk) -> None:
    agent_id, secret, _ = enrolled(desk)
    with pytest.raises(InputError) as refused:
        desk.two_factor.disable(agent_id, Actor.agent(agent_id, None), "wrong password", now=NOW + STEP)
    assert refused.value.field == "proof" and agent_row(desk).two_factor
    desk.two_factor.disable(agent_id, Actor.agent(agent_id, None), code(secret, NOW + STEP), now=NOW + STEP)
    row = agent_row(desk)
    assert (row.two_factor_secret, row.two_factor_enabled_at, row.two_factor_last_step) == (None, None, None)
    assert desk.two_factor.codes_left(agent_id) == 0 and len(events(desk, "two_factor_disabled")) == 1
    enrolled(desk)
    desk.two_factor.disable(agent_id, Actor.agent(agent_id, None), PASSWORD)
    assert not agent_row(desk).two_factor


def test_an_admins_reset_ends_the_agents_sessions_and_a_password_reset_keeps_2fa(desk: Desk) -> None:
    agent_id, _, _ = enrolled(desk)
    admin = agent_row(desk, "admin@example.com").id
    desk.accounts.manage(agent_id, by=Actor.agent(admin, None), password="a brand new password")
    assert agent_row(desk).two_factor  # Zendesk keeps it: the new password still needs the code
    token = desk.accounts.session_token(agent_id)
    desk.two_factor.reset(agent_id, Actor.agent(admin, "10.0.0.2"))
    row = agent_row(desk)
    assert not row.two_factor and row.two_factor_secret is None and row.session_token != token
    [event] = events(desk, "two_factor_reset")
    assert (event.actor_id, event.subject) == (admin, str(agent_id))
    with pytest.raises(InputError, match="has no two-factor"):
        desk.two_factor.reset(agent_id, CLI)
    assert len(events(desk, "two_factor_reset")) == 1


def test_the_uri_names_the_site_and_the_agent() -> None:
    uri = provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "lina@example.com", "Acme Help")
    assert uri.startswith("otpauth://totp/Acme%20Help:lina%40example.com?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=Acme%20Help" in uri


def test_the_migration_upgrades_the_previous_head(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "search_text_refold")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('old@example.com', 'Old', 'x', 'agent', true, CURRENT_TIMESTAMP)")
    migrate(db, command.upgrade, "two_factor")
    columns = {column["name"] for column in inspect(db.engine).get_columns("agents")}
    assert {"two_factor_secret", "two_factor_enabled_at", "two_factor_last_step"} <= columns
    assert "recovery_codes" in inspect(db.engine).get_table_names()
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    old = desk.accounts.find("old@example.com")
    assert old is not None and not old.two_factor
    migrate(desk.db, command.downgrade, "search_text_refold")
    assert "two_factor_secret" not in {column["name"] for column in inspect(desk.db.engine).get_columns("agents")}
    desk.close()


# --- the second step locked per agent after too many wrong codes (task tfalock32) ---------------------------------


def wrong(secret: str, at: float) -> str:
    return f"{(int(code(secret, at)) + 500_000) % 1_000_000:06d}"  # not the code of any step near `at`


def counted(desk: Desk, agent_id: int) -> tuple[int, object]:
    row = desk.accounts.agent(agent_id)
    assert row is not None
    return row.two_factor_failures, row.two_factor_locked_until


def lock_now(desk: Desk, agent_id: int, secret: str, at: float) -> datetime:
    """Wrong codes until the lock: the one that starts it raises SecondStepLocked, the others pass as None."""
    for _ in range(MAX_FAILURES - 1):
        assert desk.two_factor.sign_in(agent_id, wrong(secret, at), ip="10.0.0.9", now=at) is None
    with pytest.raises(SecondStepLocked) as locked:
        desk.two_factor.sign_in(agent_id, wrong(secret, at), ip="10.0.0.9", now=at)
    return locked.value.until


def test_five_wrong_codes_lock_the_agent_and_a_right_code_is_refused_until_it_ends(desk: Desk) -> None:
    agent_id, secret, codes = enrolled(desk)
    at = NOW + 10 * STEP
    until = lock_now(desk, agent_id, secret, at)
    assert until == datetime.fromtimestamp(at, UTC) + timedelta(minutes=15)
    assert counted(desk, agent_id)[0] == MAX_FAILURES and desk.two_factor.locked_until(agent_id, at) == until
    [locked] = events(desk, "two_factor_locked")
    assert (locked.actor, locked.ip, locked.subject) == ("system", "10.0.0.9", str(agent_id))
    assert locked.after == {"failures": 5, "minutes": 15, "until": until.isoformat(timespec="seconds")}
    # During the lock a right code and a recovery code are refused (not even checked: neither is used up).
    later = at + 5 * 60
    for right in (code(secret, later), codes[0]):
        with pytest.raises(SecondStepLocked):
            desk.two_factor.sign_in(agent_id, right, now=later)
    assert desk.two_factor.codes_left(agent_id) == 10 and len(events(desk, "two_factor_locked")) == 1
    [failed] = events(desk, "sign_in_failed")  # each refused attempt a failed sign-in of the second step
    assert failed.count == MAX_FAILURES + 2 and failed.after is not None and failed.after["step"] == "two_factor"
    assert counted(desk, agent_id)[0] == MAX_FAILURES  # attempts during the lock are not counted again
    # The lock ends on its own: the right code signs in and the count is back at 0.
    after = until.timestamp() + 1
    assert desk.two_factor.locked_until(agent_id, after) is None
    assert desk.two_factor.sign_in(agent_id, code(secret, after), now=after) is not None
    assert counted(desk, agent_id) == (0, None)


def test_each_further_lock_doubles_up_to_a_day_and_a_right_code_resets_the_count(desk: Desk) -> None:
    agent_id, secret, _ = enrolled(desk)
    at = NOW + 10 * STEP
    periods = []
    for _ in range(3):
        until = lock_now(desk, agent_id, secret, at)
        periods.append(until - datetime.fromtimestamp(at, UTC))
        at = until.timestamp() + 1
    assert periods == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    assert [lock_period(n) for n in (4, 7, 8, 40)] == [timedelta(hours=2), timedelta(hours=16), timedelta(hours=24),
                                                       timedelta(hours=24)]
    # A right code resets the count: four wrong codes, a right one, four more lock nothing; the next lock is 15 min.
    assert desk.two_factor.sign_in(agent_id, code(secret, at), now=at) is not None
    for _ in range(MAX_FAILURES - 1):
        assert desk.two_factor.sign_in(agent_id, wrong(secret, at), now=at) is None
    at += 2 * STEP
    assert desk.two_factor.sign_in(agent_id, code(secret, at), now=at) is not None
    for _ in range(MAX_FAILURES - 1):
        assert desk.two_factor.sign_in(agent_id, wrong(secret, at), now=at) is None
    assert counted(desk, agent_id) == (MAX_FAILURES - 1, None)
    with pytest.raises(SecondStepLocked) as locked:
        desk.two_factor.sign_in(agent_id, wrong(secret, at), now=at)
    assert locked.value.until == datetime.fromtimestamp(at, UTC) + timedelta(minutes=15)


def test_recovery_codes_count_and_an_admins_reset_or_password_reset_clears_the_lock(desk: Desk) -> None:
    agent_id, secret, _ = enrolled(desk)
    at = NOW + 10 * STEP
    for _ in range(MAX_FAILURES - 1):  # wrong recovery codes are wrong second steps too
        assert desk.two_factor.sign_in(agent_id, "abcde-fghjk", now=at) is None
    with pytest.raises(SecondStepLocked):
        desk.two_factor.sign_in(agent_id, "zzzzz-zzzzz", now=at)
    admin = Actor.agent(agent_row(desk, "admin@example.com").id, None)
    desk.accounts.manage(agent_id, by=admin, password="a brand new password")  # an admin's password reset
    assert counted(desk, agent_id) == (0, None) and agent_row(desk).two_factor
    assert desk.two_factor.sign_in(agent_id, code(secret, at), now=at) is not None
    lock_now(desk, agent_id, secret, at + 2 * STEP)
    desk.two_factor.reset(agent_id, admin)  # an admin's 2FA reset
    assert counted(desk, agent_id) == (0, None)
    secret = desk.two_factor.start(agent_id)  # enrolled again: no lock carried over
    desk.two_factor.confirm(agent_id, code(secret, at + 4 * STEP), Actor.agent(agent_id, None), now=at + 4 * STEP)
    assert desk.two_factor.sign_in(agent_id, code(secret, at + 5 * STEP), now=at + 5 * STEP) is not None


def test_the_settings_number_of_failures_locks(tmp_path: Path) -> None:
    with Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests(), two_factor_max_failures=2)) as two:
        two.accounts.create_agent("lina@example.com", PASSWORD, name="Lina")
        agent_id, secret, _ = enrolled(two)
        assert two.two_factor.sign_in(agent_id, wrong(secret, NOW), now=NOW) is None
        with pytest.raises(SecondStepLocked):
            two.two_factor.sign_in(agent_id, wrong(secret, NOW), now=NOW)


def test_two_wrong_codes_at_once_both_count(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    agent_id, secret, _ = enrolled(desk)
    at = NOW + 10 * STEP
    results = at_once([lambda: desk.two_factor.sign_in(agent_id, wrong(secret, at), now=at)] * 2,
                      [(two_factor_module, "matching_step")], monkeypatch)
    counted_ones = [result for result in results if not refused(result)]
    assert all(result is None for result in counted_ones), results
    if desk.db.engine.dialect.name == "postgresql":
        assert len(counted_ones) == 2  # one waits on the other's row lock, then counts too
    assert counted(desk, agent_id)[0] == len(counted_ones) >= 1


def test_the_lock_migration_upgrades_auto_assign_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "auto_assign")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('old@example.com', 'Old', 'x', 'agent', true, CURRENT_TIMESTAMP)")
    migrate(db, command.upgrade, "two_factor_lock")
    columns = {column["name"] for column in inspect(db.engine).get_columns("agents")}
    assert {"two_factor_failures", "two_factor_locked_until"} <= columns
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    old = opened.accounts.find("old@example.com")
    assert old is not None and old.two_factor_failures == 0 and old.two_factor_locked_until is None
    migrate(opened.db, command.downgrade, "auto_assign")
    columns = {column["name"] for column in inspect(opened.db.engine).get_columns("agents")}
    assert not {"two_factor_failures", "two_factor_locked_until"} & columns and "available" in columns
    opened.close()


# --- the secret sealed at rest (task passkeys34) ------------------------------------------------------------------


def stored_secret_of(desk: Desk, email: str = "lina@example.com") -> str:
    with desk.db.session() as session:
        return session.scalar(select(Agent.two_factor_secret).where(Agent.email == email)) or ""


def test_a_dump_of_the_database_alone_yields_no_codes(desk: Desk, tmp_path: Path) -> None:
    agent_id, secret, _ = enrolled(desk)
    stored = stored_secret_of(desk)
    assert stored.startswith("siv1:") and len(stored) <= 64 and secret not in stored
    dumped = stored.removeprefix("siv1:")
    # Whatever the dump holds, read as a TOTP secret, makes none of the agent's codes.
    for candidate in (stored, dumped, dumped.upper()):
        try:
            made = {pyotp.TOTP(candidate, interval=STEP).at(NOW + d * STEP) for d in (-1, 0, 1)}
        except (ValueError, TypeError):
            continue  # not even base32
        assert code(secret, NOW + STEP) not in made
    # The same database under another secret key (a thief's app without KB_SECRET_KEY): no code passes.
    other = Desk(Settings(data_dir=tmp_path / "elsewhere", database_url=desk.settings.database_url,
                          secret_key="not the key"))
    try:
        assert not other.two_factor.verify(agent_id, code(secret, NOW + STEP), now=NOW + STEP)
    finally:
        other.close()
    assert desk.two_factor.verify(agent_id, code(secret, NOW + STEP), now=NOW + STEP)


def test_a_plain_secret_keeps_working_and_is_sealed_at_start_and_on_rotation(desk: Desk, tmp_path: Path) -> None:
    agent_id, secret, _ = enrolled(desk)
    with desk.db.session() as session:  # as a release before this one stored it
        session.get_one(Agent, agent_id).two_factor_secret = secret
    assert desk.two_factor.verify(agent_id, code(secret, NOW + STEP), now=NOW + STEP)
    assert desk.two_factor.seal_stored() == 1 and desk.two_factor.seal_stored() == 0
    assert stored_secret_of(desk).startswith("siv1:") and desk.two_factor.box.open(agent_id, stored_secret_of(desk)) \
        == secret
    assert desk.two_factor.verify(agent_id, code(secret, NOW + 2 * STEP), now=NOW + 2 * STEP)
    # A new KB_SECRET_KEY with the old one in KB_PREVIOUS_SECRET_KEYS: opens, and the sweep seals it under the new.
    old_key = (tmp_path / "secret_key").read_text("utf-8").strip()
    rotated = Desk(Settings(data_dir=tmp_path, database_url=desk.settings.database_url, secret_key="the new key",
                            previous_secret_keys=(old_key,)))
    try:
        assert rotated.two_factor.verify(agent_id, code(secret, NOW + 3 * STEP), now=NOW + 3 * STEP)
        before = stored_secret_of(rotated)
        assert rotated.two_factor.seal_stored() == 1 and stored_secret_of(rotated) != before
        only_new = Desk(Settings(data_dir=tmp_path, database_url=desk.settings.database_url,
                                 secret_key="the new key"))
        assert only_new.two_factor.verify(agent_id, code(secret, NOW + 4 * STEP), now=NOW + 4 * STEP)
        only_new.close()
    finally:
        rotated.close()
    # The old key alone no longer opens it; a sealed secret moved to another agent's row opens for nobody.
    assert not desk.two_factor.verify(agent_id, code(secret, NOW + 5 * STEP), now=NOW + 5 * STEP)
    with pytest.raises(SecretNotOpened):
        desk.two_factor.box.open(agent_id + 1, desk.two_factor.box.seal(agent_id, secret))
