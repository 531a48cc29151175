"""Two-factor sign-in for agents (Zendesk's, Intercom's and Chatwoot's): a TOTP authenticator app (RFC 6238, pyotp)
and ten single-use recovery codes.

Enrolment is two steps: `start` stores a new secret with 2FA still off (a pending enrolment, shown to the agent as a
QR code and as text), and only `confirm` with a code the app made from it turns 2FA on, returning the recovery codes
(the one time anyone sees them; stored as SHA-256, as API tokens are). A code is accepted once: the last accepted time
step is stored and a code for it or an earlier one is refused (replay in its 30 s window), by a conditional UPDATE two
sign-ins at once cannot both pass; one step of clock drift either way is allowed. A recovery code is likewise used by
a conditional UPDATE of its row.

The secret must be readable to check codes (as Zendesk's is): it sits in the agents table sealed with AES-GCM under a
key derived from the app's secret key (desk.secret_box: a dump of the database alone yields no codes; a plain secret an
older release stored still works and is sealed when the app starts), is never logged, never audited, never shown after
enrolment, and is erased when 2FA is turned off or reset. Turning on and off, regenerating
codes and an admin's reset are audited (`two_factor_enabled`, `two_factor_disabled`, `recovery_codes_regenerated`,
`two_factor_reset`), never with the secret or a code. A failed second step is a failed sign-in (desk.audit's
`sign_in_failed`, its `after` saying `"step": "two_factor"`).

Wrong codes at the second step are counted per agent in the database (`agents.two_factor_failures`), not in the
sign-in's cookie: a copy of an earlier cookie, replayed, reset a cookie's count, and someone holding the password
was bounded only by the login's per-address rate limit. After `max_failures` wrong codes in a row
(KB_TWO_FACTOR_MAX_FAILURES, 5) the second step is locked for that agent, whatever browser or address: 15 minutes,
doubling with each further lock (30, 60, ...) up to 24 hours (`lock_period`), as GitHub, Google and Zendesk lock the
account's second step.
Doubling rather than a fixed period: a fixed 15 minutes still lets a patient guesser try 480 codes a day, forever; with
doubling the first lock costs a mistyping agent 15 minutes and a guesser is down to 5 codes a day within a day. A
right code during a lock is refused too (else the guessing goes on, only its answers held back). The count is a
conditional UPDATE under the agent's row lock, so two wrong codes at once both count; a right code sets it to 0;
an admin's reset of 2FA or of the password clears it and the lock. The lock is audited once when it starts
(`two_factor_locked`, with its end); every refused attempt, during it too, is a failed sign-in. Someone with the
password can so lock the real agent out of signing in (GitHub's trade: they already have the password); an admin's
reset ends it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from desk.audit import Actor, record, record_sign_in
from desk.database import Database, lock_row
from desk.models import Agent, Passkey, RecoveryCode, as_utc, utcnow
from desk.secret_box import SecretBox, SecretNotOpened
from desk.tickets import InputError, agent_row, row_by_id
from desk.translatable import N_
from kb.arabic import typed_digits

STEP = 30  # seconds a code lives (RFC 6238's default, what every authenticator app uses)
DRIFT = 1  # steps either side accepted: a phone's clock 30 s off still signs in
DIGITS = 6
RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a printout
_CODE_HALF = 5  # "abcde-fghjk": 50 bits, far beyond guessing at the sign-in's rate limit
MAX_FAILURES = 5  # wrong codes in a row before a lock (Settings.two_factor_max_failures; GitHub's and Zendesk's few)
LOCK_FIRST = timedelta(minutes=15)  # the first lock; each further one (without a right code between) doubles it
LOCK_MOST = timedelta(hours=24)  # no lock longer: the agent can always sign in again the next day


def lock_period(locks: int) -> timedelta:
    """How long the `locks`-th lock in a row (1, 2, ...) holds: 15 min, 30, 60, ... at most 24 h."""
    return min(LOCK_FIRST * 2 ** min(max(locks, 1) - 1, 16), LOCK_MOST)


@dataclass
class SecondStepLocked(Exception):
    """The agent's second step is locked (too many wrong codes) until `until` (UTC): no code is checked before."""

    until: datetime


def clean_code(value: object) -> str:
    """A typed code as compared: full-width forms (a CJK keyboard's "１２３") and Arabic-Indic digits as ASCII, spaces
    and dashes out, lower case ("١٢٣ ٤٥٦" -> "123456", "ABCDE-FGHJK" -> "abcdefghjk")."""
    text = typed_digits((value if isinstance(value, str) else "")[:64])[:64]
    return "".join(ch for ch in text.lower() if not ch.isspace() and ch != "-")


def _code_hash(code: str) -> str:
    return hashlib.sha256(clean_code(code).encode("utf-8")).hexdigest()


def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_HALF)) + "-"
            + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_HALF)) for _ in range(RECOVERY_CODES)]


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app without a camera ("ABCD EFGH ...")."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// URI the QR code holds: the site's name as issuer, the agent's email as the account."""
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=email, issuer_name=issuer)


def session_mark(session_token: str | None) -> str:
    """What the sign-in's second step is bound to besides the agent: a digest of their session token when the
    password passed. A new password, a sign-out everywhere or an admin's reset replaces the token, so a second step
    begun before it no longer signs in (the token itself never goes into the browser's cookie)."""
    return hashlib.sha256((session_token or "").encode("utf-8")).hexdigest()[:32]


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (within DRIFT of now) whose code `code` is, or None."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp, moment = pyotp.TOTP(secret, interval=STEP), time.time() if now is None else now
    current = int(moment // STEP)
    for step in range(current - DRIFT, current + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


class TwoFactor:
    def __init__(self, db: Database, box: SecretBox, max_failures: int = MAX_FAILURES) -> None:
        self.db = db
        self.box = box
        self.max_failures = max_failures

    def _secret(self, agent: Agent) -> str | None:
        """The agent's secret opened (None: none stored, or no configured key opens it: then no code passes)."""
        if not agent.two_factor_secret:
            return None
        try:
            return self.box.open(agent.id, agent.two_factor_secret)
        except SecretNotOpened:
            return None

    def pending_secret(self, agent_id: int) -> str | None:
        """A pending enrolment's secret, for its QR code (None with 2FA on: after enrolment it is in no page)."""
        with self.db.session() as session:
            agent = row_by_id(session, Agent, agent_id)
            return self._secret(agent) if agent is not None and not agent.two_factor else None

    def seal_stored(self) -> int:
        """Seal every plain secret (an older release's) and seal again any under a previous key, each by a conditional
        UPDATE of the value read (a start elsewhere at once changes nothing twice); the number sealed. At the app's
        start (desk.secret_box says why not in a migration)."""
        sealed = 0
        with self.db.session() as session:
            rows = session.execute(select(Agent.id, Agent.two_factor_secret)
                                   .where(Agent.two_factor_secret.is_not(None))).all()
            for agent_id, stored in rows:
                if not stored or self.box.current(agent_id, stored):
                    continue
                try:
                    secret = self.box.open(agent_id, stored)
                except SecretNotOpened:
                    continue  # no key opens it: left as it is (its agent's codes fail until an admin's reset)
                sealed += session.execute(update(Agent).where(Agent.id == agent_id, Agent.two_factor_secret == stored)
                                          .values(two_factor_secret=self.box.seal(agent_id, secret))
                                          ).rowcount  # type: ignore[attr-defined]
        return sealed

    def start(self, agent_id: int) -> str:
        """A new pending secret for the agent (2FA stays off until `confirm`); refused when 2FA is already on."""

        def write(session: Session) -> str:
            # Locked as confirm locks: a start read before a confirm committed (another tab) wrote its new secret over
            # the one just confirmed, and 2FA was on with a secret no app held.
            agent = agent_row(session, agent_id, lock=True)
            if agent.two_factor:
                raise InputError("two_factor", N_("two-factor sign-in is already on"))
            secret = pyotp.random_base32()  # a try rolled back drew one no app holds: the committed one is returned
            agent.two_factor_secret = self.box.seal(agent_id, secret)
            agent.two_factor_last_step = None
            return secret

        return self.db.write(write)  # again while the database is busy

    def cancel(self, agent_id: int) -> None:
        """Drop a pending enrolment's secret (2FA on: nothing changes)."""

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id, lock=True)  # else it erased a secret a confirm had just turned on
            if not agent.two_factor:
                agent.two_factor_secret = None

        self.db.write(write)  # again while the database is busy

    def confirm(self, agent_id: int, code: object, by: Actor, now: float | None = None) -> list[str]:
        """Turn 2FA on with a code from the app, returning the recovery codes (shown once). A wrong code is refused,
        naming the field, with nothing stored as enabled."""

        def write(session: Session) -> list[str]:
            agent = agent_row(session, agent_id, lock=True)
            if agent.two_factor:
                raise InputError("two_factor", N_("two-factor sign-in is already on"))
            if not agent.two_factor_secret:
                raise InputError("two_factor", N_("turn two-factor sign-in on first"))
            step = matching_step(self._secret(agent) or "", clean_code(code), now)
            if step is None:
                raise InputError("code", N_("that code is not the one your app shows now"))
            agent.two_factor_enabled_at = utcnow()
            agent.two_factor_last_step = step
            codes = self._new_codes(session, agent_id)
            record(session, by, "two_factor_enabled", "agent", agent_id)
            return codes

        return self.db.write(write)  # again while the database is busy

    def verify(self, agent_id: int, code: object, now: float | None = None, mark: str | None = None) -> bool:
        """Whether `code` is the agent's current app code (not used before) or an unused recovery code, using it up.
        With `mark` (the sign-in's second step), only while the agent's session token is the one it was made from."""
        typed = clean_code(code)
        if not typed:
            return False

        def write(session: Session) -> bool:
            agent = row_by_id(session, Agent, agent_id)
            if agent is None or not agent.active or not agent.two_factor or not agent.two_factor_secret:
                return False  # deactivated between the password and the code: no code passes
            if mark is not None and not hmac.compare_digest(mark, session_mark(agent.session_token)):
                return False  # the password changed (or every session ended) since this sign-in's password
            return self._use(session, agent, typed, now)

        return self.db.write(write)  # again while the database is busy

    def _use(self, session: Session, agent: Agent, typed: str, now: float | None) -> bool:
        secret = self._secret(agent)
        step = matching_step(secret, typed, now) if secret else None
        if step is not None:
            # Only a later step than the last accepted one: the same code twice (or an older one) is refused,
            # and of two requests at once with one code only one UPDATE finds the row still older.
            return session.execute(update(Agent).where(
                Agent.id == agent.id, or_(Agent.two_factor_last_step.is_(None), Agent.two_factor_last_step < step),
            ).values(two_factor_last_step=step)).rowcount == 1  # type: ignore[attr-defined]
        return session.execute(update(RecoveryCode).where(
            RecoveryCode.agent_id == agent.id, RecoveryCode.code_hash == _code_hash(typed),
            RecoveryCode.used_at.is_(None),
        ).values(used_at=utcnow())).rowcount == 1  # type: ignore[attr-defined]

    def locked_until(self, agent_id: int, now: float | None = None) -> datetime | None:
        """When the agent's second step unlocks (UTC), or None when it is not locked. Reads only."""
        with self.db.session() as session:
            agent = row_by_id(session, Agent, agent_id)
            until = as_utc(agent.two_factor_locked_until) if agent and agent.two_factor_locked_until else None
        return until if until is not None and until > _moment(now) else None

    def sign_in(self, agent_id: int, code: object, ip: str | None = None, now: float | None = None,
                mark: str | None = None) -> Agent | None:
        """The sign-in's second step: the agent when the code passes and `mark` (`session_mark` when the password
        passed; None: not checked) still holds (a success after failures audited, as desk.accounts' first step
        does), else None with a failed sign-in audited as the second step's. A wrong code counts towards the
        agent's lock; SecondStepLocked when this one started it or the step was locked already (no code checked)."""
        passed, until = self._attempt(agent_id, clean_code(code), now, mark, ip)
        record_sign_in(self.db, agent_id, succeeded=passed, ip=ip, step=None if passed else "two_factor")
        if until is not None:
            raise SecondStepLocked(until)
        return self._signed_in(agent_id) if passed else None

    def _attempt(self, agent_id: int, typed: str, now: float | None, mark: str | None,
                 ip: str | None) -> tuple[bool, datetime | None]:
        """Whether the code passed, and the lock's end when the step is locked (before, or by this wrong code)."""
        moment = _moment(now)

        def write(session: Session) -> tuple[bool, datetime | None]:
            # The agent's row held first (PostgreSQL's row lock, SQLite's write lock): the lock's check, the code and
            # the count are one step, so a code checked at once with the failure that locks cannot slip past it.
            lock_row(session, Agent, agent_id)
            agent = row_by_id(session, Agent, agent_id)
            if agent is None or not agent.active or not agent.two_factor or not agent.two_factor_secret:
                return False, None  # deactivated between the password and the code: no code passes
            locked = as_utc(agent.two_factor_locked_until) if agent.two_factor_locked_until else None
            if locked is not None and locked > moment:
                return False, locked  # a right code too: else the guessing goes on, only its answers held back
            if mark is not None and not hmac.compare_digest(mark, session_mark(agent.session_token)):
                return False, None  # the password changed since this sign-in's password: not a guess at the code
            if not typed:
                return False, None  # an empty form guesses nothing
            if self._use(session, agent, typed, now):
                session.execute(update(Agent).where(Agent.id == agent_id)
                                .values(two_factor_failures=0, two_factor_locked_until=None))
                return True, None
            # Counted in the database by one UPDATE (not read, added to and written back): two wrong codes at once
            # both count.
            failures = session.scalar(update(Agent).where(Agent.id == agent_id)
                                      .values(two_factor_failures=Agent.two_factor_failures + 1)
                                      .returning(Agent.two_factor_failures)) or 0
            if failures % self.max_failures:
                return False, None
            period = lock_period(failures // self.max_failures)
            until = moment + period
            session.execute(update(Agent).where(Agent.id == agent_id).values(two_factor_locked_until=until))
            record(session, Actor.system(ip), "two_factor_locked", "agent", agent_id,
                   after={"failures": failures, "minutes": int(period.total_seconds() // 60),
                          "until": until.isoformat(timespec="seconds")})
            return False, until

        return self.db.write(write)  # again while the database is busy

    def _signed_in(self, agent_id: int) -> Agent | None:
        with self.db.session() as session:
            return row_by_id(session, Agent, agent_id)

    def regenerate(self, agent_id: int, by: Actor) -> list[str]:
        """Ten new recovery codes; the old ones stop working. Audited as `recovery_codes_regenerated`."""

        def write(session: Session) -> list[str]:
            agent = agent_row(session, agent_id, lock=True)
            if not agent.two_factor:
                raise InputError("two_factor", N_("two-factor sign-in is off"))
            codes = self._new_codes(session, agent_id)
            record(session, by, "recovery_codes_regenerated", "agent", agent_id)
            return codes

        return self.db.write(write)  # again while the database is busy

    def disable(self, agent_id: int, by: Actor, proof: object, now: float | None = None) -> None:
        """Turn 2FA off, given the agent's password or a current code (`proof`): the secret and the recovery codes
        are erased. Audited as `two_factor_disabled`. A wrong proof is refused, naming the field."""
        typed = proof if isinstance(proof, str) else ""

        with self.db.session() as session:
            agent = agent_row(session, agent_id)  # read only: the erase below locks
            if not agent.two_factor:
                raise InputError("two_factor", N_("two-factor sign-in is off"))
            password_hash = agent.password_hash
        if not (typed and (check_password_hash(password_hash, typed[:200]) or self.verify(agent_id, typed, now))):
            raise InputError("proof", N_("neither your password nor a current code"))

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id, lock=True)
            self._erase(session, agent)
            record(session, by, "two_factor_disabled", "agent", agent_id)

        self.db.write(write)  # again while the database is busy

    def reset(self, agent_id: int, by: Actor) -> None:
        """An admin's reset (a lost phone): 2FA off, secret and codes erased, the agent's passkeys removed too (a lost
        laptop holds them), every session of the agent ended. Audited as `two_factor_reset` (with the passkeys
        removed); an agent with neither 2FA nor a passkey is refused."""

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id, lock=True)
            passkeys = session.scalar(select(func.count()).select_from(Passkey)
                                      .where(Passkey.agent_id == agent_id)) or 0
            if not agent.two_factor and not passkeys:
                raise InputError("agent", N_("%(email)s has no two-factor sign-in"), email=agent.email)
            self._erase(session, agent)
            session.execute(delete(Passkey).where(Passkey.agent_id == agent_id))
            agent.session_token = secrets.token_urlsafe(32)
            record(session, by, "two_factor_reset", "agent", agent_id,
                   after={"passkeys_removed": passkeys} if passkeys else None)

        self.db.write(write)  # again while the database is busy

    def codes_left(self, agent_id: int) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(RecoveryCode).where(
                RecoveryCode.agent_id == agent_id, RecoveryCode.used_at.is_(None))) or 0


    @staticmethod
    def _new_codes(session: Session, agent_id: int) -> list[str]:
        session.execute(delete(RecoveryCode).where(RecoveryCode.agent_id == agent_id))
        codes = new_recovery_codes()
        session.add_all(RecoveryCode(agent_id=agent_id, code_hash=_code_hash(code)) for code in codes)
        return codes

    @staticmethod
    def _erase(session: Session, agent: Agent) -> None:
        agent.two_factor_secret = None
        agent.two_factor_enabled_at = None
        agent.two_factor_last_step = None
        agent.two_factor_failures = 0
        agent.two_factor_locked_until = None
        session.execute(delete(RecoveryCode).where(RecoveryCode.agent_id == agent.id))


def _moment(now: float | None) -> datetime:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC)
