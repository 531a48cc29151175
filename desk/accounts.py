"""Agents (who may log in, and as what) and API tokens (what other help desks call the API with).

Passwords are hashed with werkzeug's scrypt; tokens are random 32-byte secrets shown once and
stored as SHA-256 (a token has far more entropy than a password, so a slow hash buys nothing).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cache
from typing import TypeGuard
from zoneinfo import available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from desk.audit import SYSTEM, Actor, record, record_changed, record_sign_in
from desk.database import Database, StorageUnavailableError, lock_row
from desk.mail.outbox import queue_mail
from desk.models import LEAD_ROLES, ROLES, WORKING_ROLES, Agent, ApiToken, OutboxMail, Ticket, as_utc, utcnow
from desk.signatures import clean_signatures
from desk.tickets import (
    MAX_NAME,
    InputError,
    agent_row,
    clean_email,
    clean_text,
    record_assignee,
    replier,
    row_by_id,
)
from desk.token_scopes import SCOPES, clean_expires_days, clean_scopes
from desk.translatable import N_
from kb.bidi_text import plain_name

MIN_PASSWORD = 10
RESET_MAILS_PER_HOUR = 3  # "Forgot your password?" links mailed to one agent an hour, whoever asks from wherever
MAX_PASSWORD = 200  # the login form's bound (webapp.forms.LoginForm): a longer one could never sign in
TOKEN_PREFIX = "kb_"
LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is for spotting dead tokens: minutes are precise enough
log = logging.getLogger(__name__)


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone name zoneinfo can load here, sorted: the choices of an agent's time zone. Not
    "localtime" (this server's zone under another name) nor "Factory" (tzdata's placeholder)."""
    return tuple(sorted(available_timezones() - {"localtime", "Factory"}))


def clean_time_zone(value: object) -> str | None:
    """An agent's time zone: an IANA name zoneinfo knows ("Asia/Riyadh"), or None for "" (the team's zone)."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in zone_names():
        raise InputError("time_zone", N_("%(value)s is not a time zone name such as Asia/Riyadh"),
                         value=repr(str(value)[:40]))
    return value


@cache
def _stand_in_hash() -> str:
    """A password hash checked when no account can sign in with the email, made once: checking against it is the
    one scrypt a real account's check is, where hashing a stand-in on each try made it two (an unknown email took
    about twice as long as a wrong password, which told which emails have accounts)."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_password(session: Session, agent: Agent, password: str, by: Actor) -> None:
    """The one way a password is replaced (the CLI's `set_password`, the admin page's reset): hashed, every session
    of the agent ended (whoever knew the old one, or holds a cookie from it, is logged out), and audited as
    "password_changed" when the agent sets their own, else "password_reset" (never the password or its hash). A
    lock of the two-factor second step (desk.two_factor) is cleared with its count: whoever guessed codes knew the old
    password, and the agent signs in with the new one and their code."""
    agent.password_hash = generate_password_hash(password)
    agent.session_token = secrets.token_urlsafe(32)
    agent.two_factor_failures = 0
    agent.two_factor_locked_until = None
    record(session, by, "password_changed" if by.is_agent(agent.id) else "password_reset", "agent", agent.id)


def _check_password(password: str) -> None:
    """The one rule every password meets (added, reset, set through a link), its length counted as the login form
    counts it: without the blanks at its ends. A password of blanks alone was set (an invitation used up by it),
    and the login form takes it as none: it could never sign in (hostile42)."""
    if len(password.strip()) < MIN_PASSWORD:
        raise InputError("password", N_("must be at least %(min)s characters"), min=MIN_PASSWORD)
    if len(password.strip()) > MAX_PASSWORD:  # as the login form counts it
        raise InputError("password", N_("at most %(limit)d characters"), limit=MAX_PASSWORD)


def _new_agent_fields(email: str, name: str, role: str) -> tuple[str, str]:
    """A new agent's email and name cleaned, its role checked: added with a password or invited."""
    email = clean_email(email)
    name = clean_text("name", name, MAX_NAME, required=False)  # a column of 200; PostgreSQL refuses NUL
    name = plain_name(name)  # it signs replies, plain text in a mail: a U+202E there reverses the lines after it
    if role not in ROLES:
        raise InputError("role", N_("must be one of %(allowed)s"), allowed=", ".join(ROLES))
    return email, name


def _invited(session: Session, agent_id: int) -> Agent:
    """The agent row of an invitation not yet accepted, locked; refused naming "agent" otherwise."""
    lock_row(session, Agent, agent_id)  # a resend and a revoke at once: one after the other (SQLite too)
    agent = row_by_id(session, Agent, agent_id)
    if agent is None or agent.invited_at is None or not agent.active:
        raise InputError("agent", N_("this agent has no invitation waiting"))
    return agent


def _send_invitation(session: Session, agent: Agent, lang: str, link: Callable[[Agent], str], by: Actor,
                     action: str) -> None:
    """`invited_at` now (a link mailed before stops working), the invitation queued with its link, audited."""
    agent.invited_at = utcnow()
    queue_mail(session, "agent_invitation", None, agent.email, lang, payload={"path": link(agent), "name": agent.name})
    record(session, by, action, "agent", agent.id, after={"lang": lang})


def _light(session: Session, agent: Agent, by: Actor) -> int:
    """An agent made a light agent (Accounts.manage): their tickets that are not closed unassigned, each a row of its
    history by `by` (back in their team's queue for its rule or an agent), and set away; how many were unassigned."""
    now = utcnow()
    tickets = list(session.scalars(select(Ticket).where(Ticket.assignee_id == agent.id, Ticket.status != "closed")
                                   .order_by(Ticket.id).with_for_update()))
    for ticket in tickets:
        record_assignee(session, ticket, None, by.agent_id, now)
    if agent.available:
        agent.available, agent.available_changed_at = False, now
    return len(tickets)


def link_state(agent: Agent) -> str:
    """What a password link (an invitation's, a "forgot your password?" one: webapp.agent_password) is signed with
    besides the agent's id: a digest of the password's hash and of when the last invitation was sent. Setting a
    password through the link changes the hash (a new salt each time), so the link works once; a resent invitation
    changes the time, so the one before it stops working; a revoked one clears it. Never the hash itself."""
    invited = as_utc(agent.invited_at).isoformat() if agent.invited_at else ""  # naive from SQLite, aware from PG
    return hashlib.sha256(f"{agent.password_hash}\0{invited}".encode()).hexdigest()[:32]


def _session_token(agent: Agent) -> str:
    """The agent's session token, made on their first sign-in: part of every session cookie (Accounts.session_token)."""
    if not agent.session_token:
        agent.session_token = secrets.token_urlsafe(32)
    return agent.session_token


def _link_is_theirs(agent: Agent | None, state: str) -> TypeGuard[Agent]:
    """Whether a password link signed with `state` still works for `agent`: active, the link not used or replaced."""
    return agent is not None and agent.active and secrets.compare_digest(link_state(agent), state)


class AgentExists(InputError):
    """An agent with this email exists already (the API's 409; the admin page names the field as any refusal)."""


class PasswordLinkGone(Exception):
    """A password link whose agent is deactivated or gone, or that was used or replaced since it was mailed."""


class PasswordSignInOff(Exception):
    """A right password of an agent who is not an admin while KB_PASSWORD_SIGN_IN is off."""


class SignInRefused(Exception):
    """A single sign-on the desk refuses after the identity provider's: `reason` is "unknown_email" or
    "deactivated" (webapp.single_sign_on adds the token's own: "state", "token", "email_not_verified", "domain")."""

    def __init__(self, reason: str, email: str = "") -> None:
        super().__init__(f"{reason}: {email}")
        self.reason = reason
        self.email = email


@dataclass(frozen=True)
class AgentPage:
    rows: list[Agent]
    total: int


class Accounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_agent(self, email: str, password: str, name: str = "", role: str = "agent", by: Actor = SYSTEM) -> Agent:
        """A new agent, audited as `by`'s "agent_created" (email, name and role; never the password)."""
        email, name = _new_agent_fields(email, name, role)
        _check_password(password)
        return self._add_agent(email, name, role, generate_password_hash(password), by)  # hashed once, not per try

    def _add_agent(self, email: str, name: str, role: str, password_hash: str, by: Actor,
                   invite: Callable[[Session, Agent], None] | None = None) -> Agent:
        def write(session: Session) -> Agent:
            if session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
                raise AgentExists("email", N_("an agent %(email)s already exists"), email=email)
            agent = Agent(email=email, name=name or email.split("@")[0], role=role,
                          password_hash=password_hash, available=False)  # away until they say

            session.add(agent)
            session.flush()  # its id, the event's subject
            record(session, by, "agent_created", "agent", agent.id,
                   after={"email": agent.email, "name": agent.name, "role": agent.role})
            if invite is not None:
                invite(session, agent)
            return agent

        return self.db.write(write)  # again while the database is busy

    def invite_agent(self, email: str, name: str, role: str, lang: str, link: Callable[[Agent], str],
                     by: Actor = SYSTEM) -> Agent:
        """A new agent invited by email (Zendesk's and Chatwoot's agent invitation): no password anyone knows (a
        random one, hashed), `invited_at` now, and the invitation mail queued in `lang` in the same transaction,
        carrying `link(agent)` (webapp.agent_password signs it with `link_state`). The agent also reads the
        workspace in `lang`. Audited as "agent_created" then "agent_invited" (the language)."""
        email, name = _new_agent_fields(email, name, role)
        unknown = generate_password_hash(secrets.token_urlsafe(32))

        def invite(session: Session, agent: Agent) -> None:
            agent.locale = lang
            _send_invitation(session, agent, lang, link, by, "agent_invited")

        return self._add_agent(email, name, role, unknown, by, invite)

    def resend_invitation(self, agent_id: int, lang: str, link: Callable[[Agent], str], by: Actor = SYSTEM) -> None:
        """The invitation mailed again with a new link (the one before stops working), audited "invitation_resent";
        refused naming "agent" for an agent not invited (accepted meanwhile, revoked) or deactivated."""
        def write(session: Session) -> None:
            agent = _invited(session, agent_id)
            _send_invitation(session, agent, lang, link, by, "invitation_resent")

        self.db.write(write)  # again while the database is busy

    def revoke_invitation(self, agent_id: int, by: Actor = SYSTEM) -> None:
        """The invitation's link stops working and the agent is deactivated (their account kept for the audit log; a
        reactivated one signs in once an admin sets a password or through "Forgot your password?"); audited
        "invitation_revoked". Refused naming "agent" for an agent not invited or deactivated."""
        def write(session: Session) -> None:
            agent = _invited(session, agent_id)
            agent.invited_at = None
            agent.active = False
            agent.session_token = secrets.token_urlsafe(32)
            record(session, by, "invitation_revoked", "agent", agent.id)

        self.db.write(write)  # again while the database is busy

    def request_password_reset(self, email: str, link: Callable[[Agent], str], lang: str, ip: str | None = None,
                               admins_only: bool = False) -> bool:
        """"Forgot your password?": a reset link mailed to the active agent with this email (in their interface
        language, else `lang`), audited "password_reset_requested" (by the system, with the request's IP). Nothing
        for an email no agent has, a deactivated agent, or (`admins_only`: KB_PASSWORD_SIGN_IN off) an agent who is
        not an admin. Whether one was sent is for tests: the page says the same either way."""
        try:
            wanted = clean_email(email)  # as stored: lower case, no trailing dot
        except InputError:
            return False

        def write(session: Session) -> bool:
            agent = session.scalar(select(Agent).where(Agent.email == wanted))
            if agent is None or not agent.active or (admins_only and not agent.is_admin):
                return False
            # The form's rate limit is a client address's: from many, one agent's mailbox would fill with links.
            lock_row(session, Agent, agent.id)  # two requests at once count one after the other
            mailed = session.scalar(select(func.count()).select_from(OutboxMail).where(
                OutboxMail.kind == "password_reset", OutboxMail.to_address == agent.email,
                OutboxMail.created_at > utcnow() - timedelta(hours=1))) or 0
            if mailed >= RESET_MAILS_PER_HOUR:
                return False
            queue_mail(session, "password_reset", None, agent.email, agent.locale or lang,
                       payload={"path": link(agent), "name": agent.name})
            record(session, Actor.system(ip), "password_reset_requested", "agent",
                   agent.id)
            return True

        return self.db.write(write)  # again while the database is busy

    def link_agent(self, agent_id: int, state: str) -> Agent | None:
        """The active agent a password link names, while the link is still theirs (`link_state`); else None."""
        agent = self.agent(agent_id)
        return agent if _link_is_theirs(agent, state) else None

    def set_password_by_link(self, agent_id: int, state: str, password: str, ip: str | None = None) -> Agent:
        """The password the agent chose through an invitation or reset link: checked as every password is, then
        `_new_password` (their other sessions end; audited "password_changed" as the agent's own), and an
        invitation accepted ("invitation_accepted", `invited_at` cleared). The row is locked and the link checked
        again in the transaction, so two submissions of one link set one password: the other raises
        PasswordLinkGone, as a deactivated agent's or a used link does."""
        _check_password(password)

        def write(session: Session) -> Agent:
            lock_row(session, Agent, agent_id)  # a row lock; SQLite's write lock (FOR UPDATE: a no-op)
            agent = row_by_id(session, Agent, agent_id)
            if not _link_is_theirs(agent, state):
                raise PasswordLinkGone(agent_id)
            by = Actor.agent(agent.id, ip)
            _new_password(session, agent, password, by)
            if agent.invited_at is not None:
                agent.invited_at = None
                record(session, by, "invitation_accepted", "agent", agent.id)
            return agent

        return self.db.write(write)  # again while the database is busy

    def authenticate(self, email: str, password: str, ip: str | None = None, admins_only: bool = False) -> Agent | None:
        """The agent whose email and password these are, or None. A failure on an account that exists is audited
        (folded per hour, desk.audit.record_sign_in), as is the first success after failures; an email no account
        has is not (nothing to fold it into, and anyone may type anything). An agent with two-factor sign-in
        (`agent.two_factor`) is not signed in yet: the caller asks for the second step (desk.two_factor).
        `admins_only` (KB_PASSWORD_SIGN_IN off): a right password of an agent who is not an admin raises
        PasswordSignInOff (audited as a failure, reason "password_off"): they sign in through the identity provider."""
        agent = self.find(email)
        if agent is None or not agent.active:
            # Same work either way, so response time does not tell which emails exist.
            check_password_hash(_stand_in_hash(), password)
            if agent is not None:
                record_sign_in(self.db, agent.id, succeeded=False, ip=ip)
            return None
        succeeded = check_password_hash(agent.password_hash, password)
        if succeeded and admins_only and not agent.is_admin:
            record_sign_in(self.db, agent.id, succeeded=False, ip=ip, method="password", reason="password_off")
            raise PasswordSignInOff(agent.email)
        if not (succeeded and agent.two_factor):  # with 2FA, the second step (desk.two_factor.sign_in) records it
            record_sign_in(self.db, agent.id, succeeded=succeeded, ip=ip)
        return agent if succeeded else None

    def single_sign_on(self, email: str, name: str = "", *, create: bool = False, ip: str | None = None,
                       two_factor_follows: bool = False) -> Agent:
        """The active agent whose email an identity provider vouched for (webapp.single_sign_on checked the ID token:
        its signature, issuer, audience, expiry, nonce, the email verified and of an allowed domain), found as
        `find` finds one (the address lower-cased). An unknown email raises SignInRefused("unknown_email"), or with
        `create` makes an agent (role agent, away, a random password nobody knows: audited as `agent_created` by the
        system, method "oidc"); a deactivated agent raises SignInRefused("deactivated"), audited as a failed
        sign-in. A success is audited (method "oidc") unless the desk's own second step follows
        (`two_factor_follows`: desk.two_factor.sign_in records it)."""
        agent = self.find(email)
        if agent is None and create:
            try:
                agent = self._create_from_sign_on(email, name, ip)
            except (InputError, IntegrityError):  # made meanwhile by the same person's other tab: theirs
                agent = self.find(email)
        if agent is None:
            raise SignInRefused("unknown_email", email)
        if not agent.active:
            record_sign_in(self.db, agent.id, succeeded=False, ip=ip, method="oidc", reason="deactivated")
            raise SignInRefused("deactivated", email)
        if not two_factor_follows:
            record_sign_in(self.db, agent.id, succeeded=True, ip=ip, method="oidc")
        return agent

    def refuse_sign_on(self, email: str, reason: str, ip: str | None = None) -> None:
        """A single sign-on the identity provider signed but the desk refuses before `single_sign_on` (the email not
        verified, or of a domain KB_OIDC_DOMAINS does not list): a failed sign-in of the agent with that email, if
        there is one (method "oidc", the `reason`); nothing for an email no agent has."""
        agent = self.find(email)
        if agent is not None:
            record_sign_in(self.db, agent.id, succeeded=False, ip=ip, method="oidc", reason=reason)

    def _create_from_sign_on(self, email: str, name: str, ip: str | None) -> Agent:
        email = clean_email(email)
        name = plain_name(clean_text("name", name[:MAX_NAME], MAX_NAME, required=False))
        password_hash = generate_password_hash(secrets.token_urlsafe(32))

        def write(session: Session) -> Agent:
            if session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
                raise InputError("email", N_("an agent %(email)s already exists"), email=email)
            agent = Agent(email=email, name=name or email.split("@")[0], role="agent",
                          password_hash=password_hash, available=False)
            session.add(agent)
            session.flush()
            record(session, Actor.system(ip), "agent_created", "agent", agent.id,
                   after={"email": agent.email, "name": agent.name, "role": agent.role, "method": "oidc"})
            return agent

        return self.db.write(write)  # again while the database is busy

    def agent(self, agent_id: int) -> Agent | None:
        with self.db.session() as session:
            return row_by_id(session, Agent, agent_id)

    def find(self, email: str) -> Agent | None:
        """The agent with this email (any case), or None; None too for an email no agent's can be: one holding NUL,
        which PostgreSQL refuses in a parameter (an ID token's email claim with one was a 500 there: hostile34)."""
        if "\x00" in email:
            return None
        with self.db.session() as session:
            return session.scalar(select(Agent).where(Agent.email == email.strip().lower()))

    def session_token(self, agent_id: int) -> str:
        """The agent's current session token (made on first login): part of every session cookie."""
        return self.db.write(lambda session: _session_token(agent_row(session, agent_id)))  # again while busy

    def signed_in(self, agent_id: int) -> str:
        """A sign-in completed (webapp.agent.sign_in_session, on every way in, once the last step passed): the agent's
        `last_sign_in_at` now, and their session token (`session_token`, made on the first) for the new session's
        cookie, in one write. Never for a refused or half-done sign-in (a right password, the second step to come)."""

        def write(session: Session) -> str:
            agent = agent_row(session, agent_id)
            agent.last_sign_in_at = utcnow()
            return _session_token(agent)

        return self.db.write(write)  # again while the database is busy

    def end_sessions(self, agent_id: int) -> None:
        """Log the agent out everywhere: every session and remember-me cookie issued so far stops working."""

        def write(session: Session) -> None:
            agent = row_by_id(session, Agent, agent_id)
            if agent is not None:
                agent.session_token = secrets.token_urlsafe(32)

        self.db.write(write)  # again while the database is busy

    def set_password(self, agent_id: int, password: str, by: Actor = SYSTEM) -> None:
        """A new password (`_new_password`: it also ends the agent's sessions, and is audited). Two-factor sign-in is
        kept, as Zendesk keeps it: the new password still needs the agent's code."""
        _check_password(password)

        self.db.write(lambda session: _new_password(session, agent_row(session, agent_id), password, by))  # again

    def agents(self) -> list[Agent]:
        """Active agents who work tickets, by name: the assignee pickers, the inbox's and the dashboard's agent
        filters. Light agents are left out (never assigned a ticket); `everyone` has them."""
        with self.db.session() as session:
            return list(session.scalars(select(Agent).where(Agent.active, Agent.role.in_(WORKING_ROLES))
                                        .order_by(Agent.name)))

    def create_token(self, name: str, by: Actor = SYSTEM, scopes: Iterable[str] = SCOPES,
                     expires_days: object = None) -> str:
        """Returns the token; only its hash is kept, so this is the one time anyone sees it. `scopes`: what it may do
        (desk.token_scopes; at least one: every one unless chosen, as `kb tokens create` gives); `expires_days`: it
        stops working that many days from now (None: never). Audited as "token_created" with its name, scopes and
        expiry (neither the secret nor its hash). A bad name, scope or expiry is an InputError naming the field."""
        name = clean_text("name", name, MAX_NAME)  # "is empty", too long, controls dropped, as a ticket's name
        chosen = clean_scopes(scopes)
        days = clean_expires_days(expires_days)
        expires_at = utcnow() + timedelta(days=days) if days is not None else None
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)

        def write(session: Session) -> None:
            row = ApiToken(name=name, token_hash=_token_hash(token), scopes=" ".join(chosen), expires_at=expires_at)
            session.add(row)
            session.flush()
            record(session, by, "token_created", "token", row.id, after={
                "name": name, "scopes": " ".join(chosen),
                "expires_at": expires_at.isoformat(timespec="seconds") if expires_at is not None else None,
            })

        self.db.write(write)  # again while the database is busy
        return token

    def lookup_token(self, token: str) -> ApiToken | None:
        """The token's record when it exists and is not revoked, expired or not (the API says which it is: an expired
        token's 401 says so). `last_used_at` is stamped only for a token that still works, at most once a minute and
        only as far as the database allows: a busy database must not turn a partner's valid request into an error.
        Best effort by design, not `Database.write`: the stamp is bookkeeping on a read (the API's GETs write
        nothing else), so a request waits at most one busy timeout for it rather than the write deadline, and a stamp
        lost to a busy moment is written by the token's next request (it is still unstamped, or a minute old)."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.db.session() as session:
            found = session.scalar(
                select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked.is_(False))
            )
        if found is None:
            return None
        now = utcnow()
        if found.expired(now):
            return found
        last = found.last_used_at
        if last is None or now - (last if last.tzinfo else last.replace(tzinfo=UTC)) > LAST_USED_EVERY:
            try:
                with self.db.session() as session:
                    session.execute(update(ApiToken).where(ApiToken.id == found.id).values(last_used_at=now))
                found.last_used_at = now
            except StorageUnavailableError as error:
                log.warning("token %s: last use not recorded (%s)", found.name, error)
        return found

    def verify_token(self, token: str) -> ApiToken | None:
        """The token's record when it works: known, not revoked, not expired (its scopes are the caller's to check)."""
        found = self.lookup_token(token)
        return found if found is not None and not found.expired(utcnow()) else None

    # Agent management (the admin page): nothing is deleted, so an agent's history keeps its author.

    def everyone(self) -> list[Agent]:
        """All agents, deactivated ones included (the admin page)."""
        with self.db.session() as session:
            return list(session.scalars(select(Agent).order_by(Agent.active.desc(), Agent.name)))

    def page(self, limit: int, offset: int, role: str | None = None) -> AgentPage:
        """One page of every agent (deactivated ones too; `role` one role only), by id: the API's list, whose pages
        stay put while agents are added (a new one comes last)."""
        chosen = select(Agent).where(Agent.role == role) if role is not None else select(Agent)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
            rows = list(session.scalars(chosen.order_by(Agent.id).limit(limit).offset(offset)))
        return AgentPage(rows, total)

    def manage(
        self,
        agent_id: int,
        by: Actor,
        active: bool | None = None,
        role: str | None = None,
        password: str | None = None,
    ) -> Agent:
        """Deactivate/reactivate, change the role or reset the password of an agent, as admin `by`.

        An admin cannot lock themselves out (deactivate or demote their own account), so the desk
        always keeps an admin who can undo a mistake. A password reset ends the agent's sessions, as `set_password`
        does (it used not to: a reset after a stolen password left the thief signed in). Each change is audited
        ("deactivated", "reactivated", "role_changed", "password_reset"); setting what already is records nothing.
        Made a light agent, the agent's tickets that are not closed are unassigned (Zendesk's downgrade since April
        2026: a light agent cannot be assigned one; each a row of its ticket's history by `by`, the count in the
        audit event's `after`) and the agent is set away; closed tickets keep them (their record). Made an agent or a
        light agent, a lead's or admin's KPI digest choice is cleared (in the role change's audit line: `digest`).
        """
        if role is not None and role not in ROLES:
            raise InputError("role", N_("must be one of %(allowed)s"), allowed=", ".join(ROLES))
        if password is not None:
            _check_password(password)
        if by.is_agent(agent_id) and (active is False or (role is not None and role != "admin")):
            raise InputError("agent", N_("you cannot deactivate or demote your own account"))

        def write(session: Session) -> Agent:
            agent = agent_row(session, agent_id, lock=True)  # as set_availability: each decides on what the other wrote
            if active is not None and active != agent.active:
                agent.active = active
                if not active and agent.available:  # never available while deactivated; back as away
                    agent.available, agent.available_changed_at = False, utcnow()
                record(session, by, "reactivated" if active else "deactivated", "agent", agent_id,
                       before={"active": not active}, after={"active": active})
            if role is not None and role != agent.role:
                unassigned = _light(session, agent, by) if role not in WORKING_ROLES else 0
                # Below lead, the KPI digest (desk.digests) is cleared with the role: promoted again, it is off until
                # chosen, never the team's figures mailed on a choice made in another role.
                digest = agent.digest if role not in LEAD_ROLES else None
                record(session, by, "role_changed", "agent", agent_id,
                       before={"role": agent.role, **({"digest": digest} if digest else {})},
                       after={"role": role, **({"unassigned": unassigned} if unassigned else {}),
                              **({"digest": None} if digest else {})})
                agent.role = role
                if digest:
                    agent.digest, agent.digest_sent_for = None, None
            if password is not None:
                _new_password(session, agent, password, by)
            return agent

        return self.db.write(write)  # again while the database is busy

    def set_identity(self, agent_id: int, email: str, name: str, by: Actor) -> Agent:
        """An agent's email and name as an admin corrects them (the agent's admin page): cleaned as a new agent's (an
        empty name: the email's name part); an email another agent has is refused (AgentExists, naming "email"),
        nothing written. Audited `agent_edited` with what changed; the same again records nothing. Their password,
        sessions and sign-in links stay as they are (a link is signed with the agent's id, not the email)."""
        email, name = _new_agent_fields(email, name, "agent")

        def write(session: Session) -> Agent:
            agent = agent_row(session, agent_id, lock=True)
            if email != agent.email and session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
                raise AgentExists("email", N_("an agent %(email)s already exists"), email=email)
            now = {"email": email, "name": name or email.split("@")[0]}
            if record_changed(session, by, "agent_edited", "agent", agent_id,
                              {"email": agent.email, "name": agent.name}, now):
                agent.email, agent.name = now["email"], now["name"]
            return agent

        return self.db.write(write)  # again while the database is busy

    def set_availability(self, agent_id: int, available: bool, by: Actor) -> bool:
        """"Available" (True) or "Away" for automatic assignment (desk.auto_assign). The agent's own toggle is not
        audited (not an account change); someone else (an admin on the admin page, a lead or an admin on the team status
        page: the pages decide who may) may only set an agent away (someone on leave who forgot), audited as
        `availability_changed`. A deactivated agent cannot be made available. Returns
        whether it changed (the same state again writes nothing)."""

        def write(session: Session) -> bool:
            # The row held first, as manage holds it: "Available" read the agent active while a deactivation set them
            # away, then wrote available over it (a deactivated agent available, back so on reactivation).
            agent = agent_row(session, agent_id, lock=True)
            own = by.is_agent(agent_id)
            if available and not own:
                raise InputError("available", N_("only the agent can make themselves available"))
            if available and not agent.active:
                raise InputError("available", N_("a deactivated agent cannot be available"))
            if available and not agent.works_tickets:  # never assigned a ticket: "Available" would promise work
                raise InputError("available", N_("a light agent is never assigned tickets"))
            if available == agent.available:
                return False
            agent.available, agent.available_changed_at = available, utcnow()
            if not own:
                record(session, by, "availability_changed", "agent", agent_id, before={"available": not available},
                       after={"available": available})
            return True

        return self.db.write(write)  # again while the database is busy

    def set_locale(self, agent_id: int, locale: str | None) -> None:
        """The agent's interface language; None follows the browser."""

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id)
            agent.locale = locale

        self.db.write(write)  # again while the database is busy

    def set_time_zone(self, agent_id: int, time_zone: object) -> None:
        """The zone the agent reads and types times in ("" or None: the team's zone). A name zoneinfo does
        not know is refused, naming the field, before anything is written."""
        zone = clean_time_zone(time_zone)

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id)
            agent.time_zone = zone

        self.db.write(write)  # again while the database is busy

    def replier(self, agent_id: object) -> int:
        """The id of an agent who may reply to customers as `agent_id` names them (the token API's reply): an active
        agent who works tickets (`desk.tickets.replier`, which the send checks again). Else refused naming "agent".
        Its row is held (a write lock on SQLite): again while the database is busy, as the send is."""
        return self.db.write(lambda session: replier(session, agent_id).id)

    def set_signatures(self, agent_id: int, raw: Mapping[str, object], languages: tuple[str, ...],
                       by: Actor = SYSTEM) -> dict[str, str]:
        """The agent's signature in each site language (desk.signatures; `raw`: language -> text, one not sent or
        empty: none), every one checked before any is kept (a refused one names its field, signature_<lang>, and
        nothing is written). A light agent never replies publicly: refused naming "agent". Returns what is kept.
        Someone else's edit (an admin's) is audited as `signature_changed`, as a customer's notes are: which
        language's was added, changed or cleared, never the text; the agent's own is not (as their availability)."""
        cleaned = clean_signatures(raw, languages)

        def write(session: Session) -> None:
            agent = agent_row(session, agent_id, lock=True)  # as manage: a demotion meanwhile is seen
            if not agent.works_tickets:
                raise InputError("agent", N_("a light agent does not reply to customers: no signature"))
            kept = dict(agent.signatures or {})
            changed = {f"signature_{lang}": "added" if lang not in kept else "cleared" if lang not in cleaned
                       else "changed"
                       for lang in dict.fromkeys([*kept, *cleaned]) if kept.get(lang) != cleaned.get(lang)}
            agent.signatures = cleaned or None
            if changed and not by.is_agent(agent_id):
                record(session, by, "signature_changed", "agent", agent_id, after=changed)

        self.db.write(write)  # again while the database is busy
        return cleaned

    def set_languages(self, agent_id: int, raw: Iterable[object], languages: tuple[str, ...], by: Actor) -> list[str]:
        """The site languages the agent answers customers in (desk.auto_assign hands them only tickets in these; none
        ticked: every language, stored as None). A value the site does not have is refused naming "languages" before
        anything is written; a light agent (never assigned a ticket) naming "agent". The agent's own change (the
        profile) is not audited, as their time zone; someone else's (an admin) is, as `languages_changed`. Returns
        what is kept, in the site's order."""
        chosen = [str(value).strip() for value in raw]
        for value in chosen:  # every one (a list cut short let a bad value past it through), quoted escaped
            if value not in languages:
                raise InputError("languages", N_("must be one of %(allowed)s, not %(value)s"),
                                 allowed=", ".join(languages), value=repr(value[:20]))
        kept = [lang for lang in languages if lang in chosen]

        def write(session: Session) -> list[str]:
            agent = agent_row(session, agent_id, lock=True)  # as manage: a demotion meanwhile is seen
            if not agent.works_tickets:
                raise InputError("agent", N_("a light agent is never assigned tickets"))
            before = list(agent.languages or [])
            if before == kept:
                return kept
            agent.languages = kept or None
            if not by.is_agent(agent_id):
                record(session, by, "languages_changed", "agent", agent_id, before={"languages": before},
                       after={"languages": kept})
            return kept

        return self.db.write(write)  # again while the database is busy

    def set_notifications(self, agent_id: int, assigned: object, mentioned: object,
                          by: Actor = SYSTEM) -> tuple[bool, bool]:
        """The agent's "email me when" choices (desk.agent_notices): each "1" or True (on), absent, "", None or False
        (off), as a checkbox or the API sends it; anything else is refused naming its field before anything is
        written. A light agent is never assigned a ticket: their `assigned` is kept as it was, whatever is sent. The
        agent's own change (the profile) is not audited, as their time zone; someone else's (an admin's page, an API
        token) is, as `notifications_changed` with what changed. Returns what is kept (assigned, mentioned)."""
        chosen = {}
        for field, value in (("notify_assigned", assigned), ("notify_mentioned", mentioned)):
            if not (value is None or isinstance(value, bool) or (isinstance(value, str) and value in ("", "1"))):
                raise InputError(field, N_("must be 1 (on) or empty (off), not %(value)s"), value=repr(str(value)[:20]))
            chosen[field] = value is True or value == "1"

        def write(session: Session) -> tuple[bool, bool]:
            agent = agent_row(session, agent_id, lock=True)  # a demotion to light meanwhile is seen
            before = {"notify_assigned": agent.notify_assigned, "notify_mentioned": agent.notify_mentioned}
            if agent.works_tickets:
                agent.notify_assigned = chosen["notify_assigned"]
            agent.notify_mentioned = chosen["notify_mentioned"]
            if not by.is_agent(agent_id):
                record_changed(session, by, "notifications_changed", "agent", agent_id, before,
                               {"notify_assigned": agent.notify_assigned, "notify_mentioned": agent.notify_mentioned})
            return agent.notify_assigned, agent.notify_mentioned

        return self.db.write(write)  # again while the database is busy

    def tokens(self) -> list[ApiToken]:
        """Every API token with its last use, newest first (the secrets themselves are not kept)."""
        with self.db.session() as session:
            return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))

    def revoke_token(self, token_id: int, by: Actor = SYSTEM) -> None:
        """Revoke a token (audited as "token_revoked"; revoking a revoked one changes and records nothing)."""

        def write(session: Session) -> None:
            token = row_by_id(session, ApiToken, token_id)
            if token is None:
                raise InputError("token", N_("no token %(token)s"), token=token_id)
            if not token.revoked:
                token.revoked = True
                record(session, by, "token_revoked", "token", token_id, before={"name": token.name, "revoked": False},
                       after={"name": token.name, "revoked": True})

        self.db.write(write)  # again while the database is busy
