"""Agents' passkeys (WebAuthn), as GitHub, Google and Zendesk offer them: made on the profile, then used at sign-in as
the second step in place of the app's code, or alone from the login page (a discoverable credential names the agent:
passwordless). Every WebAuthn step (options, CBOR, attestation, signatures) is py_webauthn's; this module keeps the
records and the policy.

- The relying party: KB_PASSKEY_ORIGINS (kb.settings.passkey_origins), the first origin's host its id. Never taken from
  the request's Host header: a proxy or a forged header would otherwise choose which origin the server accepts. Empty,
  passkeys are off. A response whose clientDataJSON names an origin not in the list is refused (py_webauthn checks it
  against the list given).
- Challenges: 32 random bytes (py_webauthn's), stored as their SHA-256 with the ceremony's purpose and agent, for
  CHALLENGE_AGE; a response is checked only after a DELETE of its row succeeds, so a challenge is used once (two
  responses at once: one DELETE wins) and a stale one is refused.
- User verification is required (a PIN or biometric on the authenticator: a passkey then stands for two factors, as
  passwordless sign-in needs), user presence too (py_webauthn's default).
- The sign counter: an authenticator that counts (not every one: synced passkeys report 0) must report more than the
  stored count; a signature that verifies with a count not above it is a cloned key: refused and audited
  (`passkey_failed`, `"reason": "counter"`). Checked here after the signature, so a forgery is not taken for a clone.
- Audited: `passkey_registered`, `passkey_renamed`, `passkey_removed`, `passkey_used` (a sign-in with one) and
  `passkey_failed` (a response refused for a known passkey or agent), never with the key. A failed passkey at the
  second step is a failed sign-in too (desk.audit.record_sign_in, step "passkey").
- A deactivated agent's passkeys sign nobody in; an admin's two-factor reset removes them (desk.two_factor.reset).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from desk.audit import Actor, record, record_sign_in
from desk.database import Database, lock_row
from desk.models import Agent, Passkey, PasskeyChallenge, utcnow
from desk.tickets import InputError, agent_row, plain_text
from desk.translatable import N_

CHALLENGE_AGE = timedelta(minutes=5)  # as the password's second step (webapp.two_factor_pages.MARKER_AGE)
TIMEOUT_MS = 120_000  # what the browser's prompt is given (WebAuthn's recommended range is 5 to 10 minutes)
MAX_PASSKEYS = 20  # per agent: far above a phone, a laptop and two security keys
NAME_CHARS = 100
PURPOSES = ("register", "second_step", "sign_in")


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: `rp_id` (a host) and the origins a response may come from."""

    rp_id: str
    name: str
    origins: tuple[str, ...]

    @classmethod
    def from_origins(cls, origins: tuple[str, ...], name: str) -> RelyingParty | None:
        """None when no origin is configured (passkeys off)."""
        if not origins:
            return None
        host = origins[0].split("://", 1)[1]
        return cls(host.rsplit(":", 1)[0] if ":" in host and not host.endswith("]") else host, name, origins)


@dataclass(frozen=True)
class PasskeyInfo:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


class PasskeyRefused(Exception):
    """A response that signs nobody in or registers nothing: `reason` is what failed (logged and audited, never
    shown beyond a plain "not accepted")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _credential_dict(response: object) -> dict[str, Any]:
    """The browser's PublicKeyCredential (its JSON) as py_webauthn reads it; anything else is refused."""
    if isinstance(response, str):
        try:
            response = json.loads(response)
        except ValueError:
            raise PasskeyRefused("malformed") from None
    if not isinstance(response, dict):
        raise PasskeyRefused("malformed")
    return response


class Passkeys:
    def __init__(self, db: Database, party: RelyingParty | None) -> None:
        self.db = db
        self.party = party

    @property
    def on(self) -> bool:
        return self.party is not None

    def _party(self) -> RelyingParty:
        if self.party is None:
            raise InputError("passkey", N_("passkeys are not set up on this site (KB_PASSKEY_ORIGINS)"))
        return self.party

    # Challenges ---------------------------------------------------------------------------------------------------

    def _store_challenge(self, session: Any, challenge: bytes, purpose: str, agent_id: int | None) -> None:
        now = utcnow()
        session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))  # the stale ones go
        session.add(PasskeyChallenge(challenge_hash=_digest(challenge), purpose=purpose, agent_id=agent_id,
                                     expires_at=now + CHALLENGE_AGE))

    def _take_challenge(self, challenge: bytes, purpose: str, agent_id: int | None) -> None:
        """Use the challenge up: one DELETE of its row, fresh and for this purpose and agent; PasskeyRefused when
        none (used already, expired, or never made here)."""
        taken = self.db.write(lambda session: session.execute(delete(PasskeyChallenge).where(  # again while busy
            PasskeyChallenge.challenge_hash == _digest(challenge), PasskeyChallenge.purpose == purpose,
            PasskeyChallenge.agent_id.is_(None) if agent_id is None else PasskeyChallenge.agent_id == agent_id,
            PasskeyChallenge.expires_at >= utcnow(),
        )).rowcount)  # type: ignore[attr-defined]
        if taken != 1:
            raise PasskeyRefused("challenge")

    # Registration -------------------------------------------------------------------------------------------------

    def registration_options(self, agent_id: int) -> tuple[str, bytes]:
        """The options for `navigator.credentials.create` (JSON) and their challenge (the caller keeps it for the
        response: webapp.passkey_pages keeps it in the signed session). A discoverable credential, user
        verification required; the agent's passkeys excluded (one authenticator, one passkey)."""
        party = self._party()

        def write(session: Session) -> tuple[str, bytes]:
            agent = agent_row(session, agent_id)
            have = session.scalars(select(Passkey.credential_id).where(Passkey.agent_id == agent_id)).all()
            if len(have) >= MAX_PASSKEYS:
                raise InputError("passkey", N_("at most %(count)d passkeys"), count=MAX_PASSKEYS)
            options = generate_registration_options(
                rp_id=party.rp_id, rp_name=party.name, user_name=agent.email,
                user_display_name=agent.name or agent.email, user_id=str(agent_id).encode("ascii"), timeout=TIMEOUT_MS,
                authenticator_selection=AuthenticatorSelectionCriteria(
                    resident_key=ResidentKeyRequirement.REQUIRED,
                    user_verification=UserVerificationRequirement.REQUIRED),
                exclude_credentials=[PublicKeyCredentialDescriptor(id=_b64(cid)) for cid in have],
            )
            self._store_challenge(session, options.challenge, "register", agent_id)
            return options_to_json(options), options.challenge  # the committed try's challenge

        return self.db.write(write)  # again while the database is busy

    def register(self, agent_id: int, challenge: bytes, response: object, name: object, by: Actor) -> PasskeyInfo:
        """Store the passkey the browser made for `challenge` under `name` (required, at most 100 characters).
        PasskeyRefused when the response does not verify (the challenge is used up either way)."""
        party = self._party()
        label = _clean_name(name)
        self._take_challenge(challenge, "register", agent_id)
        try:
            verified = verify_registration_response(
                credential=_credential_dict(response), expected_challenge=challenge, expected_rp_id=party.rp_id,
                expected_origin=list(party.origins), require_user_verification=True)
        except WebAuthnException as error:
            raise PasskeyRefused(f"registration: {error}") from None
        credential_id = bytes_to_base64url(verified.credential_id)

        def write(session: Session) -> PasskeyInfo:
            lock_row(session, Agent, agent_id)
            agent = agent_row(session, agent_id)
            if not agent.active:
                raise PasskeyRefused("deactivated")
            if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
                raise InputError("passkey", N_("this passkey is registered already"))
            row = Passkey(agent_id=agent_id, credential_id=credential_id, public_key=verified.credential_public_key,
                          sign_count=verified.sign_count, name=label, created_at=utcnow())
            session.add(row)
            session.flush()
            record(session, by, "passkey_registered", "agent", agent_id, after={"passkey": row.id, "name": label})
            return _info(row)

        return self.db.write(write)  # again while the database is busy

    # Sign-in ------------------------------------------------------------------------------------------------------

    def sign_in_options(self, agent_id: int | None) -> tuple[str, bytes]:
        """The options for `navigator.credentials.get`: for the second step (`agent_id`), the agent's passkeys
        allowed; for a passwordless sign-in (None), any of this site's discoverable passkeys."""
        party = self._party()

        def write(session: Session) -> tuple[str, bytes]:
            allowed = None
            if agent_id is not None:
                allowed = [PublicKeyCredentialDescriptor(id=_b64(cid)) for cid in session.scalars(
                    select(Passkey.credential_id).where(Passkey.agent_id == agent_id)).all()]
            options = generate_authentication_options(
                rp_id=party.rp_id, timeout=TIMEOUT_MS, allow_credentials=allowed,
                user_verification=UserVerificationRequirement.REQUIRED)
            self._store_challenge(session, options.challenge, "second_step" if agent_id else "sign_in", agent_id)
            return options_to_json(options), options.challenge  # the committed try's challenge

        return self.db.write(write)  # again while the database is busy

    def sign_in(self, challenge: bytes, response: object, agent_id: int | None = None,
                ip: str | None = None) -> Agent:
        """The agent the passkey signs in: at the second step (`agent_id`: it must be theirs) or alone (the passkey
        names its agent). Its counter and last use are updated and `passkey_used` audited. PasskeyRefused (audited
        as `passkey_failed` when the passkey or agent is known; a failed sign-in at the second step) otherwise."""
        party = self._party()
        purpose = "second_step" if agent_id is not None else "sign_in"
        system = Actor.system(ip)
        try:
            self._take_challenge(challenge, purpose, agent_id)
            credential = _credential_dict(response)
            try:
                parsed = parse_authentication_credential_json(credential)
            except (WebAuthnException, ValueError):  # a part that is not base64url: binascii's ValueError
                raise PasskeyRefused("malformed") from None
            credential_id = bytes_to_base64url(parsed.raw_id)
            with self.db.session() as session:
                row = session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
                if row is None:
                    raise PasskeyRefused("unknown passkey")
                passkey_id, owner, stored_count = row.id, row.agent_id, row.sign_count
                public_key = row.public_key
            try:
                # The stored count is checked below, after the signature: py_webauthn would refuse a count not above
                # it before the signature, and a forgery would look like a clone.
                verified = verify_authentication_response(
                    credential=parsed, expected_challenge=challenge, expected_rp_id=party.rp_id,
                    expected_origin=list(party.origins), credential_public_key=public_key,
                    credential_current_sign_count=0, require_user_verification=True)
            except WebAuthnException as error:
                self._failed(system, owner, passkey_id, f"verification: {error}")
                raise PasskeyRefused("verification") from None
            if agent_id is not None and owner != agent_id:
                self._failed(system, agent_id, passkey_id, "another agent's passkey")
                raise PasskeyRefused("another agent's passkey")
            count = verified.new_sign_count

            def used(session: Session) -> Agent:
                lock_row(session, Passkey, passkey_id)
                agent = agent_row(session, owner)
                if not agent.active:
                    raise PasskeyRefused("deactivated")
                if (count or stored_count) and session.execute(update(Passkey).where(
                        Passkey.id == passkey_id, Passkey.sign_count < count)
                        .values(sign_count=count, last_used_at=utcnow())).rowcount != 1:  # type: ignore[attr-defined]
                    raise _Clone(owner, passkey_id, stored_count, count)
                if not (count or stored_count):
                    session.execute(update(Passkey).where(Passkey.id == passkey_id).values(last_used_at=utcnow()))
                record(session, Actor("agent", owner, system.ip), "passkey_used", "agent", owner,
                       after={"passkey": passkey_id})
                return agent

            agent = self.db.write(used)  # again while the database is busy
        except _Clone as clone:
            self._failed(system, clone.owner, clone.passkey_id, "counter",
                         {"stored": clone.stored, "reported": clone.reported})
            if agent_id is not None:
                record_sign_in(self.db, agent_id, succeeded=False, ip=ip, step="passkey")
            raise PasskeyRefused("counter") from None
        except PasskeyRefused:
            if agent_id is not None:
                record_sign_in(self.db, agent_id, succeeded=False, ip=ip, step="passkey")
            raise
        if agent_id is not None:
            record_sign_in(self.db, agent_id, succeeded=True, ip=ip)
        return agent

    def _failed(self, by: Actor, agent_id: int, passkey_id: int, reason: str,
                extra: dict[str, Any] | None = None) -> None:
        self.db.write(lambda session: record(  # again while the database is busy: a guess not to go unrecorded
            session, by, "passkey_failed", "agent", agent_id,
            after={"passkey": passkey_id, "reason": reason[:200], **(extra or {})}))

    # The profile --------------------------------------------------------------------------------------------------

    def list(self, agent_id: int) -> list[PasskeyInfo]:
        with self.db.session() as session:
            return [_info(row) for row in session.scalars(
                select(Passkey).where(Passkey.agent_id == agent_id).order_by(Passkey.created_at, Passkey.id))]

    def count(self, agent_id: int) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Passkey).where(Passkey.agent_id == agent_id)) or 0

    def holders(self) -> set[int]:
        """The agents with a passkey (the admin page's "Reset" removes them)."""
        with self.db.session() as session:
            return set(session.scalars(select(Passkey.agent_id).distinct()))

    def counts(self) -> dict[int, int]:
        """How many passkeys each agent who has one has, in one query (the API's agent list: not one count each)."""
        with self.db.session() as session:
            return {agent_id: count for agent_id, count in session.execute(
                select(Passkey.agent_id, func.count()).group_by(Passkey.agent_id))}

    def rename(self, agent_id: int, passkey_id: int, name: object, by: Actor) -> None:
        label = _clean_name(name)

        def write(session: Session) -> None:
            row = self._own(session, agent_id, passkey_id)
            before, row.name = row.name, label
            record(session, by, "passkey_renamed", "agent", agent_id,
                   before={"passkey": passkey_id, "name": before}, after={"passkey": passkey_id, "name": label})

        self.db.write(write)  # again while the database is busy

    def remove(self, agent_id: int, passkey_id: int, by: Actor) -> None:
        """Remove one of the agent's passkeys (the caller has checked the password or a current code)."""

        def write(session: Session) -> None:
            row = self._own(session, agent_id, passkey_id)
            session.delete(row)
            record(session, by, "passkey_removed", "agent", agent_id, before={"passkey": passkey_id, "name": row.name})

        self.db.write(write)  # again while the database is busy

    @staticmethod
    def _own(session: Any, agent_id: int, passkey_id: int) -> Passkey:
        row = session.scalar(select(Passkey).where(Passkey.id == passkey_id, Passkey.agent_id == agent_id)
                             .with_for_update())
        if row is None:
            raise InputError("passkey", N_("no such passkey"))
        return row


class _Clone(Exception):
    def __init__(self, owner: int, passkey_id: int, stored: int, reported: int) -> None:
        self.owner, self.passkey_id, self.stored, self.reported = owner, passkey_id, stored, reported


def _clean_name(name: object) -> str:
    # Control characters dropped, as every stored text's (desk.tickets.plain_text): a name "\x00" was a 500 on
    # PostgreSQL, whose text holds no NUL (hostile34).
    text = " ".join(plain_text(name).split()) if isinstance(name, str) else ""
    if not text:
        raise InputError("name", N_("give the passkey a name (e.g. the device it is on)"))
    if len(text) > NAME_CHARS:
        raise InputError("name", N_("at most %(limit)d characters"), limit=NAME_CHARS)
    return text


def _b64(credential_id: str) -> bytes:
    return base64url_to_bytes(credential_id)


def _info(row: Passkey) -> PasskeyInfo:
    return PasskeyInfo(row.id, row.name, row.created_at, row.last_used_at)
