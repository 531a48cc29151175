"""Passkeys in the desk (desk.passkeys) with a software authenticator (tests/soft_authenticator.py): registered and
used both ways; a replayed or stale challenge, another origin, a counter going back (a clone: refused and audited),
no user verification, another agent's passkey at the second step, a deactivated agent: each refused; an admin's
two-factor reset removes the passkeys; the migration upgrades the previous head and goes down. The real database:
SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

from desk.audit import CLI, Actor
from desk.desk import Desk
from desk.models import AuditEvent, PasskeyChallenge
from desk.passkeys import PasskeyRefused
from desk.tickets import InputError
from kb.settings import Settings, SettingsError, passkey_origins
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.soft_authenticator import SoftPasskey

ORIGIN = "https://help.example.com"
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path_factory.mktemp("passkeys"), database_url=database_url_for_tests(),
                           passkey_origins=(ORIGIN, "https://agents.help.example.com")))
    yield opened
    opened.close()


_made = iter(range(10_000))


def new_agent(desk: Desk) -> int:
    return desk.accounts.create_agent(f"agent{next(_made)}@example.com", PASSWORD, name="Lina").id


def registered(desk: Desk, agent_id: int, name: str = "Laptop") -> SoftPasskey:
    key = SoftPasskey("help.example.com", ORIGIN)
    options, challenge = desk.passkeys.registration_options(agent_id)
    desk.passkeys.register(agent_id, challenge, key.register(options), name, Actor.agent(agent_id))
    return key


def events(desk: Desk, action: str, agent_id: int) -> list[AuditEvent]:
    with desk.db.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                             AuditEvent.subject == str(agent_id))
                                    .order_by(AuditEvent.id)))


def test_a_passkey_registers_and_signs_in_both_ways(desk: Desk) -> None:
    agent_id = new_agent(desk)
    key = registered(desk, agent_id, "  My   laptop ")
    [info] = desk.passkeys.list(agent_id)
    assert info.name == "My laptop" and info.last_used_at is None
    options, challenge = desk.passkeys.sign_in_options(agent_id)  # the second step
    assert key.credential_id and '"userVerification": "required"' in options
    assert desk.passkeys.sign_in(challenge, key.assert_(options), agent_id=agent_id).id == agent_id
    options, challenge = desk.passkeys.sign_in_options(None)  # passwordless: the passkey names the agent
    assert '"allowCredentials": []' in options
    assert desk.passkeys.sign_in(challenge, key.assert_(options, origin="https://agents.help.example.com")).id \
        == agent_id
    [info] = desk.passkeys.list(agent_id)
    assert info.last_used_at is not None
    assert len(events(desk, "passkey_registered", agent_id)) == 1 and len(events(desk, "passkey_used", agent_id)) == 2


def test_a_replayed_or_stale_challenge_is_refused(desk: Desk) -> None:
    agent_id = new_agent(desk)
    key = registered(desk, agent_id)
    options, challenge = desk.passkeys.sign_in_options(None)
    answer = key.assert_(options)
    desk.passkeys.sign_in(challenge, answer)
    with pytest.raises(PasskeyRefused) as replayed:
        desk.passkeys.sign_in(challenge, key.assert_(options))  # a fresh signature, the challenge used up
    assert replayed.value.reason == "challenge"
    options, challenge = desk.passkeys.sign_in_options(None)
    with desk.db.session() as session:  # 6 minutes later: past CHALLENGE_AGE
        session.execute(update(PasskeyChallenge).values(expires_at=PasskeyChallenge.expires_at - timedelta(minutes=6)))
    with pytest.raises(PasskeyRefused):
        desk.passkeys.sign_in(challenge, key.assert_(options))
    # A registration challenge does not sign in; a second-step one is another agent's only.
    options, challenge = desk.passkeys.registration_options(agent_id)
    with pytest.raises(PasskeyRefused):
        desk.passkeys.sign_in(challenge, key.assert_(options))


def test_another_origin_or_no_user_verification_is_refused_and_audited(desk: Desk) -> None:
    agent_id = new_agent(desk)
    key = registered(desk, agent_id)
    for answer in (lambda o: key.assert_(o, origin="https://evil.example.net"),
                   lambda o: key.assert_(o, origin="http://help.example.com"),
                   lambda o: key.assert_(o, verified=False)):
        options, challenge = desk.passkeys.sign_in_options(agent_id)
        with pytest.raises(PasskeyRefused):
            desk.passkeys.sign_in(challenge, answer(options), agent_id=agent_id)
    assert [e.after["reason"].split(":")[0] for e in events(desk, "passkey_failed", agent_id)] == ["verification"] * 3
    assert [e.after.get("step") for e in events(desk, "sign_in_failed", agent_id)] == ["passkey"]  # folded: 3
    assert events(desk, "sign_in_failed", agent_id)[0].count == 3
    # Registering from another origin: refused, nothing stored.
    options, challenge = desk.passkeys.registration_options(agent_id)
    with pytest.raises(PasskeyRefused):
        desk.passkeys.register(agent_id, challenge, SoftPasskey("help.example.com", "https://evil.example.net")
                               .register(options), "Phone", Actor.agent(agent_id))
    assert len(desk.passkeys.list(agent_id)) == 1


def test_a_counter_going_back_is_a_clone_refused_and_audited(desk: Desk) -> None:
    agent_id = new_agent(desk)
    key = registered(desk, agent_id)
    options, challenge = desk.passkeys.sign_in_options(None)
    desk.passkeys.sign_in(challenge, key.assert_(options, count=7))
    for count in (7, 3):  # the same count again, then a lower one: a copy of the key that signed less
        options, challenge = desk.passkeys.sign_in_options(None)
        with pytest.raises(PasskeyRefused) as refused:
            desk.passkeys.sign_in(challenge, key.assert_(options, count=count))
        assert refused.value.reason == "counter"
    failed = events(desk, "passkey_failed", agent_id)
    assert [(e.after["reason"], e.after["stored"], e.after["reported"]) for e in failed] == [("counter", 7, 7),
                                                                                            ("counter", 7, 3)]
    options, challenge = desk.passkeys.sign_in_options(None)
    assert desk.passkeys.sign_in(challenge, key.assert_(options, count=8)).id == agent_id


def test_another_agents_passkey_at_the_second_step_and_a_deactivated_agent_are_refused(desk: Desk) -> None:
    owner, other = new_agent(desk), new_agent(desk)
    key = registered(desk, owner)
    registered(desk, other)
    options, challenge = desk.passkeys.sign_in_options(other)
    with pytest.raises(PasskeyRefused):
        desk.passkeys.sign_in(challenge, key.assert_(options), agent_id=other)
    desk.accounts.manage(owner, active=False, by=CLI)
    options, challenge = desk.passkeys.sign_in_options(None)
    with pytest.raises(PasskeyRefused):
        desk.passkeys.sign_in(challenge, key.assert_(options))


def test_names_rename_remove_and_the_admins_reset(desk: Desk) -> None:
    agent_id = new_agent(desk)
    registered(desk, agent_id, "Laptop")
    with pytest.raises(InputError) as unnamed:
        registered(desk, agent_id, "   ")
    assert unnamed.value.field == "name"
    [info] = desk.passkeys.list(agent_id)
    with pytest.raises(InputError):
        desk.passkeys.rename(agent_id, info.id, "x" * 101, Actor.agent(agent_id))
    desk.passkeys.rename(agent_id, info.id, "Work laptop", Actor.agent(agent_id))
    with pytest.raises(InputError):
        desk.passkeys.remove(new_agent(desk), info.id, Actor.agent(agent_id))  # not theirs
    registered(desk, agent_id, "Phone")
    desk.passkeys.remove(agent_id, info.id, Actor.agent(agent_id))
    assert [p.name for p in desk.passkeys.list(agent_id)] == ["Phone"]
    desk.two_factor.reset(agent_id, by=CLI)  # no app code, a passkey: the reset removes it
    assert desk.passkeys.list(agent_id) == []
    [reset] = events(desk, "two_factor_reset", agent_id)
    assert reset.after == {"passkeys_removed": 1}
    assert [e.action for e in events(desk, "passkey_renamed", agent_id) + events(desk, "passkey_removed", agent_id)] \
        == ["passkey_renamed", "passkey_removed"]


def test_the_origins_setting(tmp_path: Path) -> None:
    assert passkey_origins("https://Help.Example.com/, https://a.help.example.com:8443") == (
        "https://help.example.com", "https://a.help.example.com:8443")
    for bad in ("*", "https://help.example.com,https://evil.example.net", "help.example.com"):
        with pytest.raises(SettingsError, match="KB_PASSKEY_ORIGINS"):
            passkey_origins(bad)
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))  # no origins: passkeys off
    with pytest.raises(InputError):
        opened.passkeys.sign_in_options(None)
    opened.close()


def test_the_migration_upgrades_the_previous_head_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "saved_view_organization")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at, "
                                   "two_factor_secret, two_factor_enabled_at) VALUES ('old@example.com', 'Old', 'x', "
                                   "'agent', true, CURRENT_TIMESTAMP, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', "
                                   "CURRENT_TIMESTAMP)")
    # Up to the head, not to `passkeys` alone: the desk opened next maps today's models, whose later columns
    # (agents.signatures, agent_signatures) a database stopped at `passkeys` lacks.
    migrate(db, command.upgrade, "head")
    assert {"passkeys", "passkey_challenges"} <= set(inspect(db.engine).get_table_names())
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url, passkey_origins=(ORIGIN,)))
    old = opened.accounts.find("old@example.com")
    assert old is not None and old.two_factor and opened.two_factor.seal_stored() == 1
    registered(opened, old.id)
    migrate(opened.db, command.downgrade, "saved_view_organization")
    assert "passkeys" not in inspect(opened.db.engine).get_table_names()
    with opened.db.engine.connect() as connection:  # read by hand: today's model has columns this revision lacks
        row = connection.exec_driver_sql("SELECT two_factor_secret, two_factor_enabled_at FROM agents "
                                         "WHERE email = 'old@example.com'").one()
    assert tuple(row) == (None, None)  # sealed: off on the way down
    opened.close()
