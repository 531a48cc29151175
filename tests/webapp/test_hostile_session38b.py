"""The writes hostile38 left bare (hostile38b): each failed after one busy timeout while another process held
SQLite's write lock, and now waits it out (`Database.write`) and writes once, though its work ran again after a
rolled-back try.

hostile38's pattern and helpers (tests/webapp/test_hostile_session38.py, test_hostile_session37.py): the other writer
holds the lock until the write met it (its "database busy, trying again" said), no timed waits. The busy cases run on
an SQLite file under both engines (on PostgreSQL a write waits on the row it needs, never on a busy timeout); the
writes sharing an app are one test, whose answer lists every write's outcome at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from flask import Flask

from desk.audit import CLI, Actor
from desk.desk import Desk
from desk.models import AuditEvent, ContentGap, Passkey, RecoveryCode, SuggestionEvent, TicketAdvice
from desk.passkeys import RelyingParty
from desk.two_factor import STEP
from tests.desk.test_passkeys import ORIGIN
from tests.desk.test_two_factor import NOW
from tests.soft_authenticator import SoftPasskey
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from tests.webapp.test_hostile_session37 import busy_app, new_ticket, while_busy  # noqa: F401
from tests.webapp.test_hostile_session38 import audited, count


def busy_outcomes(app: Flask, caplog: pytest.LogCaptureFixture,
                  works: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Each work, in order, run while another process holds the database's write lock: what it returned (or raised),
    marked when it never met the lock (then it proves nothing)."""
    found: dict[str, object] = {}
    for name, work in works.items():
        caplog.clear()
        done = while_busy(app, work, caplog)
        found[name] = done if "database busy" in caplog.text else ("never met the lock", done)
    return found


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret, interval=STEP).at(moment)


def test_the_ticket_pages_advice_and_suggestions_and_the_sign_in_steps_wait_out_a_busy_database_and_write_once(
        busy_app: Flask, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """User-facing writes: the ticket page's advice saved and content gap noted, a suggestion's event (inserted,
    "shown" once per version), two-factor sign-in's start, confirm, cancel, a code used, the recovery codes
    regenerated, turned off and an admin's reset, and a passkey's registration (its challenge and the key), sign-in
    (challenge and use), rename and removal were bare transactions: while another write held SQLite's lock past one
    busy timeout each failed (a 503 page; a confirm's codes lost). Before the fix each failed."""
    desk: Desk = busy_app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id  # type: ignore[union-attr]
    lina = desk.accounts.create_agent("lina@example.com", PASSWORD, name="Lina").id
    ticket = new_ticket(desk)
    desk.passkeys.party = RelyingParty.from_origins((ORIGIN,), "help.example.com")
    key = SoftPasskey("help.example.com", ORIGIN)
    kept: dict[str, object] = {}

    def start() -> bool:
        kept["secret"] = desk.two_factor.start(sara)
        return True

    def register() -> str:
        options, challenge = desk.passkeys.registration_options(lina)
        kept["challenge"], kept["options"] = challenge, options
        return "options"

    def sign_in_options() -> str:
        kept["options"], kept["challenge"] = desk.passkeys.sign_in_options(lina)
        return "options"

    def passkey_id() -> int:
        return desk.passkeys.list(lina)[0].id

    works: dict[str, Callable[[], object]] = {
        "advice": lambda: desk.advice.save(ticket, 1, "v1", {"summary": "Lost parcel"}),
        "content_gap": lambda: desk.events.content_gap("where is my parcel", "en", ticket_id=ticket),
        "suggestion": lambda: desk.events.suggestion(ticket, "inserted", agent_id=sara, article_key="en/returns"),
        "shown": lambda: desk.events.suggestion_shown(ticket, sara, "v1", {"query": "parcel"}),
        "start": start,
        "confirm": lambda: len(desk.two_factor.confirm(sara, code_at(str(kept["secret"]), NOW), Actor.agent(sara),
                                                       now=NOW)),
        "verify": lambda: desk.two_factor.verify(sara, code_at(str(kept["secret"]), NOW + 60), now=NOW + 60),
        "regenerate": lambda: len(desk.two_factor.regenerate(sara, Actor.agent(sara))),
        "disable": lambda: desk.two_factor.disable(sara, Actor.agent(sara), PASSWORD),
        "start_again": start,
        "cancel": lambda: desk.two_factor.cancel(sara),
        "passkey_options": register,
        "passkey_register": lambda: desk.passkeys.register(
            lina, kept["challenge"], key.register(str(kept["options"])), "Laptop", Actor.agent(lina)).name,
        "passkey_sign_in_options": sign_in_options,
        "passkey_sign_in": lambda: desk.passkeys.sign_in(
            kept["challenge"], key.assert_(str(kept["options"])), agent_id=lina).id,  # type: ignore[arg-type]
        "passkey_rename": lambda: desk.passkeys.rename(lina, passkey_id(), "Work laptop", Actor.agent(lina)),
        "passkey_remove": lambda: desk.passkeys.remove(lina, passkey_id(), Actor.agent(lina)),
    }
    found = busy_outcomes(busy_app, caplog, works)
    registered_again = SoftPasskey("help.example.com", ORIGIN)  # the reset removes an agent's passkeys
    options, challenge = desk.passkeys.registration_options(sara)
    desk.passkeys.register(sara, challenge, registered_again.register(options), "Phone", Actor.agent(sara))
    found.update(busy_outcomes(busy_app, caplog, {"reset": lambda: desk.two_factor.reset(sara, CLI)}))
    assert found == {
        "advice": None, "content_gap": None, "suggestion": None, "shown": True, "start": True, "confirm": 10,
        "verify": True, "regenerate": 10, "disable": None, "start_again": True, "cancel": None,
        "passkey_options": "options", "passkey_register": "Laptop", "passkey_sign_in_options": "options",
        "passkey_sign_in": lina, "passkey_rename": None, "passkey_remove": None, "reset": None}
    written = {  # each once
        "advice": count(desk, TicketAdvice), "content_gap": count(desk, ContentGap),
        "suggestion": count(desk, SuggestionEvent, SuggestionEvent.kind == "inserted"),
        "shown": count(desk, SuggestionEvent, SuggestionEvent.kind == "shown"),
        **{action: audited(desk, action) for action in (
            "two_factor_enabled", "recovery_codes_regenerated", "two_factor_disabled", "two_factor_reset",
            "passkey_used", "passkey_renamed", "passkey_removed")},
        "passkey_registered": count(desk, AuditEvent, AuditEvent.action == "passkey_registered",
                                    AuditEvent.subject == str(lina)),
    }
    assert set(written.values()) == {1}, written
    assert count(desk, RecoveryCode) == 0 and count(desk, Passkey) == 0
    assert desk.accounts.find("sara@example.com").two_factor_secret is None  # type: ignore[union-attr]
    assert count(desk, AuditEvent, AuditEvent.action == "passkey_failed") == 0
