"""The support desk's records: customers, tickets and their threads, agents, API tokens, and the
events the team learns from (searches, clicks, helpful votes, suggestion outcomes).

Plain SQLAlchemy 2 types only (no SQLite- or PostgreSQL-only columns), so the same models and
migrations run on the embedded SQLite file and on PostgreSQL. The schema itself is owned by the
alembic migrations in `copilot/migrations`; these classes must match them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    relationship,
    validates,
    with_loader_criteria,
)
from sqlalchemy.types import TypeDecorator

from desk.name_keys import MAX_EXPANSION, name_key
from desk.query_text import normalise_query
from kb.triggers import MAX_SKILL

# new: not yet touched by an agent; pending: waiting on the customer; on_hold: waiting on a third
# party; closed: solved and no longer reopenable by a reply (a reply then starts a follow-up).
# Why a ticket was deleted (Ticket.deleted_reason), and its history's kinds (TicketDeletionChange.kind).
DELETED_REASONS = ("deleted", "spam")
DELETION_CHANGES = ("deleted", "spam", "restored", "not_spam")
# The execution option that lets a query see deleted tickets (`_live_tickets_only`): the Deleted tickets page, restore
# and purge, and the checks that must not be fooled by a deleted row (a unique key's owner).
WITH_DELETED = "with_deleted_tickets"
TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
# A ticket's problem/incident history (desk.problems, TicketProblemChange.kind).
PROBLEM_CHANGES = ("marked", "unmarked", "linked", "unlinked", "incident_linked", "incident_unlinked")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("web", "email", "chat", "api", "phone")
# A team key of content/_business_hours.yml, as tickets, moves and memberships store it.
MAX_TEAM_KEY = 40
SAVED_VIEW_NAME = 60  # a saved view's name, in characters (desk.saved_views.MAX_NAME)
# lead: sees reports and the dashboard, does not manage agents. light: a light agent (Zendesk's, Freshdesk's
# collaborator): reads every ticket and adds internal notes, nothing else (WORKING_ROLES and `Agent.works_tickets`).
ROLES = ("agent", "lead", "admin", "light")
# The roles that answer customers and change tickets: every role but light. A light agent is never assigned a ticket
# (desk.auto_assign, the pickers, desk.tickets' assignee check), never counted in a team's capacity (desk.team_status),
# and the workspace refuses them its ticket-changing routes (webapp.roles.works_tickets_required).
WORKING_ROLES = ("agent", "lead", "admin")
LEAD_ROLES = ("lead", "admin")  # see reports and the dashboard, change anyone's time entry
# How often a lead's KPI digest is mailed (Agent.digest, desk.digests); None is off.
DIGEST_FREQUENCIES = ("daily", "weekly")
# applied: a macro put into the reply box (its edits and sending are "edited"/"sent" like a draft's).
SUGGESTION_EVENTS = ("shown", "inserted", "edited", "sent", "rejected", "applied")
# What went wrong, a customer's optional answer after "no" on an article or an answer card.
VOTE_REASONS = ("unanswered", "unclear", "outdated", "other")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _normalised(context: Any) -> str | None:
    """The `normalised_query` column's default: the row's `query` folded as every report folds it, computed by the one
    function (desk.query_text.normalise_query) on each insert, the ORM's and Core's `insert(...)` alike."""
    query = context.get_current_parameters().get("query")
    return None if query is None else normalise_query(query)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime: SQLite hands back naive ones (stored as UTC), PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Every desk datetime column (`Base.type_annotation_map`): a time is stored as its instant in UTC. An aware
    time in another zone (an import's `NewTicket(created=...)` at 14:22 in Riyadh) is converted on the way in, in a
    row and in a query's bound value alike: SQLite keeps a datetime's wall time and drops its zone, so 14:22+03:00
    was stored, and compared, as 14:22 UTC. A naive time is UTC (what SQLite hands back, `as_utc`), said as such to
    PostgreSQL rather than read in its session's zone. Read back as each engine gives it (naive UTC on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if isinstance(value, datetime) else value

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        """A timedelta beside a column (`expires_at - timedelta(minutes=6)`) is bound as an interval, as plain
        DateTime binds it: bound as this type, PostgreSQL refused to cast the interval to a timestamp."""
        if isinstance(value, timedelta):
            return self.impl.coerce_compared_value(op, value)
        return self


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {datetime: UtcDateTime(), dict[str, Any]: JSON}


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The agents' notes about this customer (Zendesk's user notes; desk.customers): internal, never on a customer's
    # page or in mail. None: no notes.
    notes: Mapped[str | None] = mapped_column(Text)
    # The name and email folded as the inbox search folds (desk.ticket_search.customer_search_text), for the customer
    # list's search (desk.customers); written with the name and email. None: a row an older release wrote.
    search_text: Mapped[str | None] = mapped_column(String(600))
    # Their newest message (the profile's "last contact"), kept by `_stamp_last_contact` on every flush that adds one,
    # so the customer list sorts by it from an index instead of grouping every message (bench/RESULTS.md, session
    # 29). None: no message yet (the list falls back to the row's creation, as the profile does without tickets).
    last_contact_at: Mapped[datetime | None] = mapped_column(index=True)
    # The customer this one was merged into (desk.customers.Customers.merge; Zendesk's "merge users"): their tickets
    # moved there, and this row stays only so its email keeps mapping to the kept customer (mail, the forms, "My
    # tickets") and its old profile URL redirects. Always the final customer (a later merge of the kept one re-points
    # these rows), never a chain. None: a customer of their own, in the list and its search. No foreign key, as the
    # tickets' merged_into_id has none: adding one on SQLite copies and drops `customers`, which tickets reference.
    merged_into_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Counts the profile's saved changes (an edit that changed something, a merge into it): the profile form carries
    # the version it was read at and a save made from an older one is refused naming what changed since
    # (desk.customers.StaleEditError), where it used to overwrite the other agent's save.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When an admin erased this customer's personal data (desk.erasure, the GDPR's right to erasure): the row stays
    # as an anonymous skeleton ("Erased customer #N": no name, an email no address can be) that their anonymous
    # tickets keep pointing at. None: a customer whose data is there.
    erased_at: Mapped[datetime | None]
    # The company this customer belongs to (desk.organizations; Zendesk's organizations, Intercom's companies): set
    # when their email's domain is one of an organization's, or by an agent on the profile (`organization_manual`:
    # then kept whatever the domains become, "no organization" included). No foreign key, as `merged_into_id` has
    # none (on SQLite adding one copies `customers`). None: no organization.
    organization_id: Mapped[int | None] = mapped_column(Integer, index=True)
    organization_manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    tickets: Mapped[list[Ticket]] = relationship(back_populates="customer", order_by="Ticket.created_at")


class Organization(Base):
    """A company whose people write in (desk.organizations): its name (unique, compared folded by `name_key`), the
    agents' notes about it (internal, as a customer's), and its tags, added to every new ticket of its members."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(500), default="", server_default="")  # folded tags, space-separated
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    domains: Mapped[list[OrganizationDomain]] = relationship(
        back_populates="organization", order_by="OrganizationDomain.domain", cascade="all, delete-orphan")


class OrganizationDomain(Base):
    """An email domain of an organization, matched whole ("acme.sa" is not "mail.acme.sa"); one organization's."""

    __tablename__ = "organization_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="domains")


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The workspace's interface language chosen by the agent; None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    # The IANA zone the agent reads and types times in (desk.accounts.clean_time_zone); None: the team's zone.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Part of every session and remember-me cookie; a new one on logout or password change makes
    # every copy of the old cookies worthless, server-side (cookies alone cannot be recalled).
    session_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-factor sign-in (desk.two_factor): the TOTP secret (base32; set when enrolment starts, erased when 2FA is
    # turned off or reset), when a code confirmed it (None: 2FA off, the secret only a pending enrolment's), and the
    # last time step a code was accepted for (a code is accepted once: replay in its 30 s window is refused).
    two_factor_secret: Mapped[str | None] = mapped_column(String(64))  # sealed (desk.secret_box: 53 characters)
    two_factor_enabled_at: Mapped[datetime | None]
    two_factor_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Wrong second-step codes in a row (desk.two_factor: counted on the server, so a replayed sign-in cookie resets
    # nothing; 0 after a right code or an admin's reset), and until when the second step is locked after too many.
    # (server_default only, as `available`: a row an older schema inserts, without the column, stays valid)
    two_factor_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    two_factor_locked_until: Mapped[datetime | None]

    @property
    def two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None
    # "Available" or "Away" (desk.auto_assign): only an available, active agent is handed tickets automatically. A new
    # agent starts away, so nothing lands on someone who never opened the workspace; when it last changed (None: never).
    # (server_default only: a row written as an older release wrote it, without the column, stays valid)
    available: Mapped[bool] = mapped_column(Boolean, server_default=false())
    available_changed_at: Mapped[datetime | None]
    # The agent's signature per site language (desk.signatures: plain text, a few lines), under their public replies
    # when they choose (Zendesk's agent signature, Chatwoot's message signature): {"en": "...", "ar": "..."}; None or a
    # language missing: none.
    signatures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The KPI digest by email a lead or admin chose on their profile (desk.digests; Zendesk Explore's scheduled
    # delivery): "daily" or "weekly" (DIGEST_FREQUENCIES), None: off. `digest_sent_for` is the first day of the last
    # period claimed for it (a conditional update in the transaction that queues the mail: one mail per period).
    digest: Mapped[str | None] = mapped_column(String(10))
    digest_sent_for: Mapped[date | None] = mapped_column(Date)
    # The site languages the agent answers customers in (desk.auto_assign gives them only tickets in one of these,
    # Zendesk's language skills): ["ar"], ["en", "ar"]; None: every language (an agent nobody set, as before).
    languages: Mapped[list[str] | None] = mapped_column(JSON)
    # Whether the agent is mailed when someone else assigns them a ticket, and when a note @mentions them
    # (desk.agent_notices; Zendesk's "Notify assignee of assignment" trigger, Chatwoot's per-agent email notification
    # preferences): on unless the agent turned it off on their profile.
    notify_assigned: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_mentioned: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # When an admin last emailed the agent an invitation (desk.accounts.invite_agent: Zendesk's and Chatwoot's agent
    # invitation); None once the agent set their password through it, or the admin revoked it, and for every agent
    # added with a password. While set, the agent is "invited, not yet accepted" and has no password anyone knows.
    invited_at: Mapped[datetime | None]
    # When the agent last completed a sign-in (desk.accounts.signed_in: the password, its second step, a passkey,
    # single sign-on or a password link that signs them in; never a refused or half-done one). An admin reads it to
    # find unused seats and a sign-in they did not expect, as Zendesk's and Chatwoot's agent lists show it; None: never.
    last_sign_in_at: Mapped[datetime | None]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_lead(self) -> bool:
        """Leads and admins see reports and the dashboard."""
        return self.role in LEAD_ROLES

    @property
    def works_tickets(self) -> bool:
        """Answers customers, changes tickets and may be assigned them: every role but light (WORKING_ROLES)."""
        return self.role in WORKING_ROLES


class Passkey(Base):
    """An agent's passkey (desk.passkeys, WebAuthn): the credential's id (base64url, as the browser names it), its
    COSE public key, the authenticator's sign counter as last seen (a count that does not go up is a cloned key,
    refused), the agent's name for it, when it was made and last used."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # up to 1023 bytes, base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(Base):
    """A WebAuthn ceremony's challenge (desk.passkeys), stored as its SHA-256 so one use deletes it: single-use by a
    DELETE only one request can win, short-lived by `expires_at`. `agent_id`: the agent it was made for (registration,
    the second step); None for a passwordless sign-in (the passkey names the agent)."""

    __tablename__ = "passkey_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class RecoveryCode(Base):
    """One of an agent's two-factor recovery codes, stored as SHA-256 as API tokens are (desk.two_factor): a row each,
    so using one is a conditional UPDATE (`used_at IS NULL`) that two sign-ins at once cannot both pass."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # What it may do (desk.token_scopes): space-separated, as OAuth writes them; "" grants nothing. Server default
    # only, as agents' newer columns: a test inserting through this table into an older schema names no column of it.
    scopes: Mapped[str] = mapped_column(Text, server_default="")
    expires_at: Mapped[datetime | None]  # None: never

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and as_utc(self.expires_at) <= now


# The audit log's closed set of actions (desk.audit): who changed an account, a token or a team's members, and sign-ins
# that failed (folded per account and hour) or succeeded after failures. Time zone and language changes are not here.
AUDIT_ACTIONS = (
    "agent_created", "role_changed", "deactivated", "reactivated", "password_reset", "password_changed",
    "token_created", "token_revoked", "team_member_added", "team_member_removed", "sign_in_failed",
    "sign_in_succeeded", "customer_edited", "customer_merged", "tag_renamed", "tag_deleted",
    "customer_erased", "two_factor_enabled", "two_factor_disabled", "recovery_codes_regenerated", "two_factor_reset",
    "ticket_updated", "availability_changed", "two_factor_locked", "ticket_ccs_changed",
    "ticket_fields_changed", "customer_fields_changed",
    "webhook_created", "webhook_updated", "webhook_deleted", "webhook_rotated", "webhook_disabled",
    "webhook_replayed",
    "organization_created", "organization_edited", "organization_deleted", "organization_member_changed",
    "passkey_registered", "passkey_renamed", "passkey_removed", "passkey_used", "passkey_failed",
    "side_conversation_started", "side_conversation_replied", "side_conversation_closed", "side_conversation_reopened",
    "side_conversation_participants", "time_entry_edited", "time_entry_deleted",
    "ticket_deleted", "ticket_restored", "ticket_purged", "sender_blocked", "sender_unblocked",
    "languages_changed", "signature_changed",
    "skill_created", "skill_renamed", "skill_deleted", "skills_changed",
    "agent_invited", "invitation_resent", "invitation_revoked", "invitation_accepted", "password_reset_requested",
    "note_by_mail",
    "notifications_changed", "agent_edited",
)
AUDIT_ACTORS = ("agent", "cli", "system", "api")  # "api": an API token's request (the token named in `after`)
# A team and a tag by key, the rest by id; "org": an organization (desk.organizations; the column holds 8).
AUDIT_SUBJECTS = ("agent", "token", "team", "customer", "tag", "ticket", "webhook", "org", "sender", "skill")


class AuditEvent(Base):
    """One audited change (desk.audit), written in the transaction of the change itself: `actor` is "agent" (then
    `actor_id` names them), "cli" or "system"; the subject is an agent or token id, or a team key, as text; `before`
    and `after` hold the changed fields only, never a password or a token's secret. A folded "sign_in_failed" row
    counts its failures in `count` (the last one's time in `after`)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject_type: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    count: Mapped[int] = mapped_column(Integer, default=1)


class IdempotencyKey(Base):
    """An API client's `Idempotency-Key` (desk.idempotency): the request it first came with (a fingerprint) and,
    once answered, the answer a retry with the same key gets back. `answer_status` NULL: the first request is still
    running (its claim, `claim`, is what the write that answers it must still hold)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_idempotency_keys_token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    claim: Mapped[str] = mapped_column(String(32))
    # When the first request came: the key answers for `KB_IDEMPOTENCY_KEY_HOURS` from then, and is purged after.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answer_status: Mapped[int | None] = mapped_column(Integer)
    answer_body: Mapped[dict[str, Any] | None]


class Ticket(Base):
    __tablename__ = "tickets"
    # "My teams' tickets" counts unsolved tickets by team on every inbox page: answered from this index alone
    # (12-17 ms instead of 70 on 50,000 tickets, bench/RESULTS.md "Session 27, teams27"); with snoozed_until in it,
    # every view's "not snoozed" rule is too (without it, "unsolved" took 20 ms instead of 3: "Session 28, views28").
    # The second: a team's balanced assignment counts each member's unsolved tickets from the index alone.
    # Both end with deleted_at: every query on tickets asks "not deleted" (`_live_tickets_only`), from the index too.
    __table_args__ = (Index("ix_tickets_status_team_snooze", "status", "team", "snoozed_until", "deleted_at"),
                      Index("ix_tickets_assignee_status", "assignee_id", "status", "deleted_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable: the customer's only key to read their ticket, so never a sequence number.
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    lang: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    channel: Mapped[str] = mapped_column(String(20), default="web")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    # What the customer did on the help center before writing: searches, articles viewed.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    visit_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # The team that works the ticket and whose business hours count for it: a key of content/_business_hours.yml's
    # `teams` (routed on create, desk.business_hours.BusinessHours.route; moved by agents); None = the default team.
    team: Mapped[str | None] = mapped_column(String(MAX_TEAM_KEY))
    # When the next agent reply is due, in the team's business hours by priority, or as an agent set it.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    # due_at was set by an agent (TicketStore.set_due): a priority change or a reply leaves it; clearing it
    # goes back to the business-hours one.
    due_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A duplicate merged into another ticket: its messages moved there, it is closed and points on.
    # A plain id, not a foreign key: SQLite cannot add one to a table other tables reference
    # (migration workspace_desk); TicketStore.merge is the only writer and checks the target exists.
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    # Snoozed by an agent until then (Chatwoot's, Intercom's snooze): out of the working views, in "snoozed", and
    # back (open, updated) when the time passes (the worker) or the customer writes (desk.snooze).
    snoozed_until: Mapped[datetime | None] = mapped_column(index=True)
    # Problem and incident tickets (desk.problems; Zendesk's ticket types "problem" and "incident"): `kind` is
    # "problem" for a ticket agents work on behalf of the reports linked to it, else None; `problem_id` the problem
    # this ticket is an incident of (a report of the same thing), else None. A problem is never an incident (no
    # chains, no cycles: desk.problems checks it with both rows locked). Indexed, with its foreign key (migration
    # problem_foreign_key): a problem purged for good leaves its incidents unlinked (ON DELETE SET NULL), never
    # pointing at no ticket; desk.problems is the only writer.
    kind: Mapped[str | None] = mapped_column(String(20))
    problem_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL", name="fk_tickets_problem_id"), index=True)
    # The help-center category the ticket is about (the contact form's or the import's); filters the dashboard.
    category: Mapped[str | None] = mapped_column(String(80), index=True)
    # Deleted (Zendesk's "Delete" and "Mark as spam"; desk.trash): when, by whom (a plain id, as merged_into_id; None:
    # the desk itself, a form ticket from a blocked sender), and why (DELETED_REASONS). A deleted ticket is in no query
    # of the desk's (`_live_tickets_only`) but the Deleted tickets page's, until restored or purged after
    # KB_DELETED_TICKET_RETENTION_DAYS; its other columns stay as they were, so a restore puts it back exactly.
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(Integer)
    deleted_reason: Mapped[str | None] = mapped_column(String(20))

    customer: Mapped[Customer] = relationship(back_populates="tickets")
    assignee: Mapped[Agent | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    tags: Mapped[list[TicketTag]] = relationship(order_by="TicketTag.tag", cascade="all, delete-orphan")
    # Who is copied (desk.ccs), loaded with the ticket for the API's item; written through desk.ccs only.
    cc_rows: Mapped[list[TicketCc]] = relationship(order_by="(TicketCc.added_at, TicketCc.customer_id)",
                                                   lazy="selectin", viewonly=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_ticket_author", "ticket_id", "author"),
        # The dashboard's public replies by agent in a period, from the index alone (migration dashboard_indexes).
        Index("ix_messages_created_author", "created_at", "author", "internal", "agent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))  # customer | agent
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    body: Mapped[str] = mapped_column(Text)
    # An internal note: agents only, never emailed or shown to the customer, not a reply.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    # The channel this message came or went by (web, email, api, ...); None = the ticket's.
    channel: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The page that sent it (a customer's reply form: its key within the visit), unique, so the same page
    # posted twice at once stores one message (as a contact page's key does for tickets.external_id).
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)
    # A customer message written by someone other than the ticket's customer: a CC's mail on the thread (ticket_ccs).
    # None: the ticket's customer (every customer message before CCs). No foreign key, as merged_into_id: SQLite cannot
    # add one to a table in place, and copying `messages` copies what references it.
    cc_customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The agent's signature a public reply was sent with (desk.signatures), as it was then: shown under the body after
    # a separator on the customer's page, in the mail and in the workspace alike. None: unsigned (notes, a rule's
    # reply, an API reply that did not ask, an agent without one).
    signature: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    agent: Mapped[Agent | None] = relationship()
    cc_customer: Mapped[Customer | None] = relationship(
        primaryjoin="foreign(Message.cc_customer_id) == Customer.id", viewonly=True, lazy="joined")


class TicketCc(Base):
    """A person copied on a ticket (Zendesk's CCs): a customer record who gets every public reply in `Cc:` and whose
    mail on the thread is a message of theirs (desk.ccs)."""

    __tablename__ = "ticket_ccs"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # None: the mail that copied them

    customer: Mapped[Customer] = relationship(lazy="joined")


class TicketCcChange(Base):
    """A CC added or removed (by an agent, the API or a mail): the ticket's history. The address is kept as it was,
    so the history reads after the customer is merged; an erasure blanks it (desk.erasure)."""

    __tablename__ = "ticket_cc_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # added | removed
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# What a time entry was recorded with (desk.time_tracking): an agent's reply, internal note or ticket update (the
# ticket page's timer or its "Time spent" field), or an entry made by hand (the page's form, the API).
TIME_ENTRY_KINDS = ("reply", "note", "update", "manual")


class TimeEntry(Base):
    """Time an agent spent on a ticket (Zendesk's Time Tracking app, Freshdesk's timesheets; desk.time_tracking):
    whole seconds, 1 to a day. `form_key` is the ticket page's key for the post that carried it (one per page drawn):
    the same post again records nothing (unique per agent). `note` is the agent's optional words, the one personal
    text here (an erasure empties it, desk.erasure)."""

    __tablename__ = "time_entries"
    __table_args__ = (UniqueConstraint("agent_id", "form_key", name="uq_time_entries_agent_form_key"),
                      # the ticket's total and each solved ticket's (the dashboard), read from the index alone
                      Index("ix_time_entries_ticket_seconds", "ticket_id", "seconds"),
                      # the period's entries by agent (the dashboard), read from the index alone
                      Index("ix_time_entries_created_agent", "created_at", "agent_id", "ticket_id", "seconds"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    seconds: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10))  # TIME_ENTRY_KINDS
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    form_key: Mapped[str | None] = mapped_column(String(64))


class TimeEntryChange(Base):
    """A time entry edited or deleted: the ticket's history (the audit log has it too, `time_entry_edited`,
    `time_entry_deleted`). The seconds before and after; of the note only whether it changed."""

    __tablename__ = "time_entry_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    entry_id: Mapped[int] = mapped_column(Integer)  # no foreign key: a deleted entry's row is gone
    entry_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # whose time it was
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))  # who changed it (None: an API token)
    actor: Mapped[str] = mapped_column(String(8), default="agent")  # AUDIT_ACTORS
    kind: Mapped[str] = mapped_column(String(10))  # edited | deleted
    old_seconds: Mapped[int] = mapped_column(Integer)
    new_seconds: Mapped[int | None] = mapped_column(Integer)
    note_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestionEvent(Base):
    """One thing an agent did with the copilot's output; the team's measure of what works."""

    __tablename__ = "suggestion_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(20), index=True)  # SUGGESTION_EVENTS
    # The passage or draft acted on: article key "lang/id" plus the section's URL, as shown then.
    article_key: Mapped[str | None] = mapped_column(String(300), index=True)
    url: Mapped[str | None] = mapped_column(String(500))
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SearchEvent(Base):
    """A customer's search. No personal data: a random visit id, never an IP or a user agent."""

    __tablename__ = "search_events"
    __table_args__ = (Index("ix_search_events_lang_created", "lang", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, made before the row is written (analytics are written in the background), so the
    # results page can hand it to the click that follows.
    token: Mapped[str | None] = mapped_column(String(32), unique=True)
    visit_id: Mapped[str | None] = mapped_column(String(40), index=True)
    query: Mapped[str] = mapped_column(String(600))
    lang: Mapped[str] = mapped_column(String(8))
    result_count: Mapped[int] = mapped_column(Integer)
    abstained: Mapped[bool] = mapped_column(Boolean)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="page")  # page | instant | widget | contact
    clicked_article: Mapped[str | None] = mapped_column(String(300))
    clicked_position: Mapped[int | None] = mapped_column(Integer)
    # The shadow log (issue #18): the floats the abstention floors compared (`SearchResult.signals`, rounded,
    # `desk.events.shadow_signals`) and the article key ("lang/id") of the first result as ranked before abstention,
    # kept when the search abstained and showed nothing, so floors can be fitted and false abstentions found from
    # the help center's own traffic. NULL on searches recorded before the migration search_shadow_log.
    signals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_article: Mapped[str | None] = mapped_column(String(300))
    # Which floors decided it (copilot.tuning.SearchTuning.floors_fingerprint of the engine that searched), so floors
    # are judged only on the searches they decided; NULL before the migration search_floors (unknown floors).
    floors: Mapped[str | None] = mapped_column(String(16))
    # What the customer typed, when search read it as typed with the wrong keyboard layout and searched the other
    # layout's reading ("hgfhs,v]" for الباسورد, copilot.keyboard_layout): `query` is what was searched, so reports
    # and content gaps count what customers meant. NULL when the query was searched as typed.
    typed_query: Mapped[str | None] = mapped_column(String(600))
    # `query` folded by desk.query_text.normalise_query, written with the row (`_normalised`): the content gaps
    # report groups, ranks and pages by it in SQL (desk.reports). NULL on a row an older release wrote during a
    # rolling deploy; `kb worker` fills those (desk.query_keys), and the report folds any left in Python.
    normalised_query: Mapped[str | None] = mapped_column(String(600), default=lambda ctx: _normalised(ctx))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# A search that left the customer with nothing: no result, or an answer abstained; what the content gaps report counts.
# Spelled with literals (not bound values) so that SQLite, which matches a partial index's WHERE by its terms, uses
# ix_search_events_gap_key for the report's queries as PostgreSQL does.
GAP_SEARCH = or_(SearchEvent.result_count == literal_column("0"), SearchEvent.abstained.is_(true()))
# The report's GROUP BY reads the gap searches' keys, languages and times from this index alone (no table row is
# visited: SQLite counts a column as covered only when the index lists it, hence the last two); it holds only the gap
# searches, a fifth of the log on the bench. The language first: with ?lang= SQLite (no ANALYZE) otherwise picked
# ix_search_events_lang_created and visited every row of the language (0.11 s of CPU at 100,000 searches, not 0.03).
Index("ix_search_events_gap_key", SearchEvent.lang, SearchEvent.normalised_query, SearchEvent.created_at,
      SearchEvent.result_count, SearchEvent.abstained, sqlite_where=GAP_SEARCH, postgresql_where=GAP_SEARCH)
# The rows not folded yet (written by an older release): empty once filled, so it costs the writes nothing.
Index("ix_search_events_unfolded", SearchEvent.id, sqlite_where=SearchEvent.normalised_query.is_(None),
      postgresql_where=SearchEvent.normalised_query.is_(None))


class ArticleFeedback(Base):
    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_key: Mapped[str] = mapped_column(String(300), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(20))  # VOTE_REASONS, after a "no"
    visit_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AnswerFeedback(Base):
    """A customer's "Did this answer your question?" on an answer card: which section answered which
    query, and whether it did. Like article votes, no personal data: a random visit id only."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_key: Mapped[str] = mapped_column(String(300), index=True)
    anchor: Mapped[str] = mapped_column(String(300), default="")
    query: Mapped[str] = mapped_column(String(600))
    lang: Mapped[str] = mapped_column(String(8))
    helpful: Mapped[bool] = mapped_column(Boolean)
    generated_by: Mapped[str] = mapped_column(String(40), default="extractive")  # or the model drafter's name
    source: Mapped[str] = mapped_column(String(20), default="search")  # search | contact | widget
    reason: Mapped[str | None] = mapped_column(String(20))  # VOTE_REASONS, after a "no"
    comment: Mapped[str | None] = mapped_column(Text)
    visit_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArticleView(Base):
    """An article page shown to a customer; feeds "most viewed" and the ticket's visit context."""

    __tablename__ = "article_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_key: Mapped[str] = mapped_column(String(300), index=True)
    visit_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Deflection(Base):
    """An article a visitor opened from the contact form's suggestions (before any ticket)."""

    __tablename__ = "deflections"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(40), index=True)
    article_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ContentGap(Base):
    """A ticket the copilot could not answer from the help center: the content team's to-do list."""

    __tablename__ = "content_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    query: Mapped[str] = mapped_column(String(600))
    lang: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # As SearchEvent.normalised_query: the gaps report counts these tickets beside the searches by it.
    normalised_query: Mapped[str | None] = mapped_column(String(600), default=lambda ctx: _normalised(ctx))


Index("ix_content_gaps_key", ContentGap.normalised_query, ContentGap.lang, ContentGap.created_at)


class TicketStatusChange(Base):
    """Every status change of a ticket, so solves, reopens and resolution times can be counted."""

    __tablename__ = "ticket_status_changes"
    __table_args__ = (Index("ix_ticket_status_changes_ticket_status", "ticket_id", "new_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The trigger (content/_triggers.yml, desk.triggers) that made the change, by name; None: an agent or the desk.
    trigger_name: Mapped[str | None] = mapped_column(String(100))


class DuePolicyState(Base):
    """The due policy (the business hours and due hours, desk.business_hours.BusinessHours.due_fingerprint) the open
    tickets' due times were last counted under: one row, id 1, added by the worker's first pass after the upgrade,
    which records the policy in force without recounting; `recount_after`: while a recount after a change is under
    way, the ticket id it goes on after (None: done). In the database, not in a worker's memory, so a worker started
    after a change recounts once, and two workers share one recount, page by page (TicketStore.claim_due_recount)."""

    __tablename__ = "due_policy_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    recount_after: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime | None] = mapped_column()  # when the stored policy last changed


class TicketDueChange(Base):
    """An agent setting or clearing a ticket's due time by hand, or the desk counting it again under a changed policy
    (`reason`): who, when, from and to (the ticket's history)."""

    __tablename__ = "ticket_due_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    old_due_at: Mapped[datetime | None]
    new_due_at: Mapped[datetime | None]
    # True: the new due time was set by hand; False: cleared, back to the business-hours one (new_due_at).
    by_hand: Mapped[bool] = mapped_column(Boolean)
    # Why, when no one set or cleared it: "policy" (the business hours or due hours changed and the desk
    # counted the due time again, desk.tickets' `recount_due`); None: an agent's (or an API client's) change.
    reason: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TicketTeamChange(Base):
    """An agent moving a ticket to another team: who, when, from and to (the ticket's history)."""

    __tablename__ = "ticket_team_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    old_team: Mapped[str | None] = mapped_column(String(MAX_TEAM_KEY))
    new_team: Mapped[str] = mapped_column(String(MAX_TEAM_KEY))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The trigger (content/_triggers.yml, desk.triggers) that made the change, by name; None: an agent or the desk.
    trigger_name: Mapped[str | None] = mapped_column(String(100))


class TicketProblemChange(Base):
    """A ticket marked or unmarked a problem, or linked to or unlinked from one (desk.problems), on each ticket it
    concerns: the incident's row (`kind` "linked"/"unlinked", `other_id` the problem) and the problem's
    ("incident_linked"/"incident_unlinked", `other_id` the incident), so both tickets' histories show it."""

    __tablename__ = "ticket_problem_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(20))  # PROBLEM_CHANGES
    other_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TicketAssigneeChange(Base):
    """A ticket's assignee changing: who changed it (None: the desk itself), when, from and to (None: unassigned).
    Every way an assignee changes writes one (desk.tickets.record_assignee): by hand, in bulk, by a reply taking
    an unassigned ticket, by a move to a team the assignee is not in, as Zendesk's ticket events list them."""

    __tablename__ = "ticket_assignee_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    old_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    new_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # An automatic assignment's rule (desk.auto_assign: "balanced", "round_robin") and the team whose rule it was;
    # None: by hand or by another rule of the desk.
    auto_rule: Mapped[str | None] = mapped_column(String(20))
    auto_team: Mapped[str | None] = mapped_column(String(MAX_TEAM_KEY))
    # The trigger (content/_triggers.yml, desk.triggers) that made the change, by name; None: an agent or the desk.
    trigger_name: Mapped[str | None] = mapped_column(String(100))
    # An automatic assignment made without the ticket's language (desk.auto_assign's fallback): the language nobody
    # answering was available in, and the minutes it had waited for one (KB_ROUTING_LANGUAGE_FALLBACK_MINUTES then).
    auto_without_lang: Mapped[str | None] = mapped_column(String(8))
    auto_waited_minutes: Mapped[int | None]
    # ... and the required skills (desk.skills) the agent lacked, by name, comma-separated (None: none lacked).
    auto_without_skills: Mapped[str | None] = mapped_column(String(1000))


class TicketTriggerChange(Base):
    """A change a trigger made that has no history table of its own (desk.triggers): tags added or removed, the
    priority, a note or a reply sent, an assignee skipped. `action` is the trigger's action key (or
    "assignee_skipped"); `old_value`/`new_value` what it changed from and to (tags: the tags, comma-separated)."""

    __tablename__ = "ticket_trigger_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    trigger_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(String(400))
    new_value: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AutomationRun(Base):
    """An automation (content/_triggers.yml, `on: schedule`; desk.automations) that fired on a ticket, once per
    spell of the state it waits in: `spell_start` is the moment its time condition counts from (the status change,
    the customer's last message ...). The same moment never fires it again; a new one (the ticket pending again
    later) does. Written in the transaction of the rule's changes; the unique key stops a second worker or cron run."""

    __tablename__ = "automation_runs"
    __table_args__ = (UniqueConstraint("ticket_id", "rule_name", "spell_start", name="uq_automation_runs_spell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    rule_name: Mapped[str] = mapped_column(String(100))
    spell_start: Mapped[datetime]
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketDeletionChange(Base):
    """A ticket deleted or marked as spam, restored or found not spam (desk.trash): who (None: the desk) and when, in
    the ticket's history."""

    __tablename__ = "ticket_deletion_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(20))  # DELETION_CHANGES
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockedSender(Base):
    """An address ("name@example.com") or a whole domain ("@example.com") whose mail is held (reason "blocked
    sender") and whose tickets from a form, the widget or the API are stored deleted as spam (desk.trash), folded as
    customers' addresses are (`desk.tickets.clean_email`)."""

    __tablename__ = "blocked_senders"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketSnoozeChange(Base):
    """A ticket snoozed (until when), unsnoozed by an agent, or its snooze ended (the time passed or the customer
    wrote, `reason`): the ticket's history."""

    __tablename__ = "ticket_snooze_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(20))  # snoozed, unsnoozed, ended
    until: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(20))  # an end's: time, customer, solved
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AgentTeam(Base):
    """An agent's membership of a team. Teams are defined only in content/_business_hours.yml; `team` is a key
    there, kept as it was when the team leaves the file (shown as unknown, never an error)."""

    __tablename__ = "agent_teams"
    __table_args__ = (UniqueConstraint("agent_id", "team", name="uq_agent_teams_agent_team"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    team: Mapped[str] = mapped_column(String(MAX_TEAM_KEY), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the team's round robin last handed this member a ticket (desk.auto_assign; None: never, first in line).
    last_auto_assigned_at: Mapped[datetime | None]



class Skill(Base):
    """A skill an admin defines (desk.skills; Zendesk's skills-based routing): agents have skills (`AgentSkill`),
    tickets require them (`TicketSkill`, by a trigger's `require_skills` or by hand), and automatic assignment hands
    a ticket only to a member with all of them until the routing fallback (desk.auto_assign). `name_key` is the name
    folded (desk.name_keys.name_key), unique: "VIP" and "vip" are one skill on both engines."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_SKILL))
    name_key: Mapped[str] = mapped_column(String(MAX_SKILL * MAX_EXPANSION), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentSkill(Base):
    """An agent having a skill (the admin page); deleting the skill or the agent deletes it."""

    __tablename__ = "agent_skills"
    __table_args__ = (UniqueConstraint("agent_id", "skill_id", name="uq_agent_skills_agent_skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)


class TicketSkill(Base):
    """A skill a ticket requires (a trigger or an agent put it there); deleting the skill deletes it."""

    __tablename__ = "ticket_skills"
    __table_args__ = (UniqueConstraint("ticket_id", "skill_id", name="uq_ticket_skills_ticket_skill"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)


def stored_names(names: list[str], limit: int = 1000) -> str | None:
    """Names (skills') as one history column: a JSON list, so a name with a comma stays one name ("Billing, VIP"
    joined with commas read as two); the last names left out until it fits `limit` characters; None for none."""
    while names and len(text := json.dumps(names, ensure_ascii=False)) > limit:
        names = names[:-1]
    return text if names else None


def read_names(text: str | None) -> list[str]:
    """`stored_names`' list back; a row written before it (the names joined with ", ") read as it was joined."""
    if not text:
        return []
    if text.startswith("["):
        try:
            names = json.loads(text)
        except ValueError:
            names = None
        if isinstance(names, list) and all(isinstance(name, str) for name in names):
            return names
    return text.split(", ")


class TicketSkillChange(Base):
    """A ticket's required skills changing (desk.skills): by an agent (`agent_id`), a trigger or automation
    (`trigger_name`) or the API (neither; the audit log names the token); the skills added and removed by name as
    they were called then (`stored_names`: a JSON list; rows of before it comma-separated)."""

    __tablename__ = "ticket_skill_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    trigger_name: Mapped[str | None] = mapped_column(String(100))
    added: Mapped[str | None] = mapped_column(String(1000))
    removed: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def added_names(self) -> list[str]:
        return read_names(self.added)

    @property
    def removed_names(self) -> list[str]:
        return read_names(self.removed)


class TicketFollowUpStart(Base):
    """What a follow-up started with from the closed ticket it continues (`from_ticket_id`; desk.tickets.follow_up_in):
    the required skills (desk.skills; `stored_names`, a JSON list: a skill's name may hold a comma) and tags it carried
    (comma-separated: a tag has none), by name as they were then (None: none), the agent who started it (None: the
    customer wrote). One history row, written only when it carried either."""

    __tablename__ = "ticket_follow_up_starts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    from_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    skills: Mapped[str | None] = mapped_column(String(1000))
    tags: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def skill_names(self) -> list[str]:
        return read_names(self.skills)


class SavedView(Base):
    """An agent's own inbox view (Zendesk's personal views, Chatwoot's custom views): a name and the inbox filters
    it keeps (desk.saved_views); `shared` puts it in every agent's list (a lead or an admin shares one). `name_key` is
    the name folded (desk.name_keys.name_key, set with the name), unique per owner: "ÉCOLE" and "école" are one name
    on both engines."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("agent_id", "name_key", name="uq_saved_views_agent_name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)  # who saved it (its owner)
    name: Mapped[str] = mapped_column(String(SAVED_VIEW_NAME))
    name_key: Mapped[str] = mapped_column(String(SAVED_VIEW_NAME * MAX_EXPANSION))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    # The filters, as desk.inbox.InboxQuery has them: the built-in view it narrows, then status ... sort.
    view: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    lang: Mapped[str | None] = mapped_column(String(8))
    team: Mapped[str | None] = mapped_column(String(40))
    tag: Mapped[str | None] = mapped_column(String(60))
    q: Mapped[str] = mapped_column(String(200), default="")
    sort: Mapped[str] = mapped_column(String(60), default="updated")  # or "field.<key>" (a key is at most 40)
    # Custom ticket field filters (desk.inbox.InboxQuery.fields): key -> value as stored; None or {} for none. A key the
    # fields file lost is kept (and still applied): the view shows it as "key (not in the fields file)".
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Custom fields shown as columns, by key ("customer.<key>" a customer field), in order.
    columns: Mapped[list[str] | None] = mapped_column(JSON)
    # Only tickets with a third party's side conversation reply nobody read (desk.inbox.InboxQuery.side_replied).
    side_replied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Only problem tickets (desk.problems), and only the incidents of this problem (a ticket's id; the view outlives
    # it, then matching nothing).
    problems: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    incidents_of: Mapped[int | None] = mapped_column(Integer)
    # An organization's id (desk.organizations; no foreign key: the view outlives it). Deleting the organization
    # stores minus its id: the view matches nothing and says the organization was deleted.
    organization: Mapped[int | None] = mapped_column(Integer)
    # A skill's id (desk.skills; no foreign key either): the tickets requiring it. Deleting the skill stores minus
    # its id, as for an organization.
    skill: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("name")
    def _keyed(self, _field: str, name: str) -> str:
        """Every write of a name writes its key: the rule cannot be skipped by a writer that forgets it."""
        self.name_key = name_key(name)
        return name


class CsatSurvey(Base):
    """The satisfaction survey sent when a ticket is solved: one per solve, answered 1-5 with an
    optional comment through an unguessable token, changeable for a week after the first answer."""

    __tablename__ = "csat_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # The ticket's assignee when it was solved: whose CSAT this counts toward.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(index=True)


# The mails to an agent about a ticket (desk.agent_notices): about the ticket (its `ticket_id`), never part of the
# customer's thread.
AGENT_NOTICE_KINDS = ("assigned", "mentioned")
MAIL_KINDS = ("confirmation", "reply", "solved", "magic_link", "side_conversation", "digest", *AGENT_NOTICE_KINDS,
              "agent_invitation", "password_reset")
OUTBOX_STATES = ("queued", "sent", "failed")


class MailThread(Base):
    """A ticket's email identity: the unguessable token in its reply address and subject tag.

    Lower-case base32, because mail servers may fold the case of an address's local part; separate
    from `Ticket.reference` (mixed case) so a mailed token never opens the ticket's web page.
    """

    __tablename__ = "mail_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMail(Base):
    """One email to send, queued in the transaction that made it necessary (nothing lost if SMTP is
    down); composed once (`raw`) so every retry sends the same bytes that agents can inspect."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # MAIL_KINDS
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("csat_surveys.id"))
    to_address: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(8))
    # The RFC 5322 Message-ID this mail carries, so a customer's reply threads back to the ticket.
    mail_message_id: Mapped[str] = mapped_column(String(300), unique=True)
    # What the composer needs beyond the rows above (e.g. the signed link of a magic-link mail).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # OUTBOX_STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # A side conversation's message this mail carries (desk.side_conversations): then `ticket_id` is None, so the mail
    # never joins the ticket's thread (its References, the replies matched to the ticket). No foreign key: SQLite adds
    # the column in place.
    side_message_id: Mapped[int | None] = mapped_column(Integer, index=True)


MAIL_SUGGESTION_ANSWERS = ("yes", "no")


class MailSuggestion(Base):
    """A help-center article the acknowledgement of a new ticket suggested (desk.mail_suggestions): its link carries
    `token` (unguessable, as a survey's), and the customer's answer to "Did this answer your question?" is kept here:
    "yes" solved the ticket as self-service, "no" left it in the queue. The article as the mail named it (its
    title, section and snippet), so the agent's page shows what the customer read even after the article changes.
    Plain ids, no foreign keys: SQLite adds the table in place, and the outbox row may be pruned."""

    __tablename__ = "mail_suggestions"
    # The dashboard's "Solved by suggested articles" (desk.mail_suggestions.suggestion_figures) counts a period's
    # tickets and "yes" answers, by language, from this index alone: 0.20 s to 0.04 s at 90,000 rows in 90 days
    # (bench/RESULTS.md "Session 36, dash36").
    __table_args__ = (Index("ix_mail_suggestions_created_answer", "created_at", "ticket_id", "answer", "article_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    outbox_id: Mapped[int] = mapped_column(Integer, index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1 = the first the mail lists
    token: Mapped[str] = mapped_column(String(64), unique=True)
    article_key: Mapped[str] = mapped_column(String(300))  # "lang/id"
    title: Mapped[str] = mapped_column(String(300))
    anchor: Mapped[str] = mapped_column(String(200), default="")  # the section's, "" for the article's top
    snippet: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(8))  # MAIL_SUGGESTION_ANSWERS; None: not answered
    answered_at: Mapped[datetime | None]


class SideConversation(Base):
    """A conversation an agent starts from a ticket with people outside it (a vendor, another team; Zendesk's side
    conversations; desk.side_conversations): internal, never shown to the ticket's customer. Its mail has its own
    token (reply address and subject tag) and Message-IDs, never the ticket's thread, so the third party's replies
    come back here. `participants`: the addresses it is with (folded to lower case), not customers."""

    __tablename__ = "side_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    token: Mapped[str] = mapped_column(String(40), unique=True)
    participants: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A third party's reply not yet read on the ticket page by its assignee (cleared when they open the ticket).
    unread: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Participants an agent added or removed, oldest first: {"at": ISO time, "agent_id", "added": [...],
    # "removed": [...]} (the ticket's history shows them; the audit log has them too). None: none.
    participant_changes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    messages: Mapped[list[SideMessage]] = relationship(
        back_populates="conversation", order_by="SideMessage.id", cascade="all, delete-orphan")


class SideMessage(Base):
    """One message of a side conversation: an agent's (mailed to the participants through the outbox) or a third
    party's mail (its quoted history stripped as a ticket reply's is). `files`: what it carries, each a dict
    (`filename`, `content_type`, `size`, and `path` under the data directory, or `attachment_id` for a ticket's
    file the agent forwarded, or `skipped_reason` for one of a mail that was not kept)."""

    __tablename__ = "side_conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    side_conversation_id: Mapped[int] = mapped_column(ForeignKey("side_conversations.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))  # agent | third_party
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    from_address: Mapped[str] = mapped_column(String(320), default="")
    body: Mapped[str] = mapped_column(Text)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # An inbound mail's Message-ID (a retried delivery is stored once; a later mail's References find it).
    mail_message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[SideConversation] = relationship(back_populates="messages")
    agent: Mapped[Agent | None] = relationship()


class InboundMail(Base):
    """Every email received, whatever became of it: the full original is kept on disk (`raw_path`)."""

    __tablename__ = "mail_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    # created | continued | follow_up | automatic | loop | rejected; indexed: each inbox view counts the held ones
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(String(500))  # in English (the CLI's); rows before codes have only it
    # Why, as desk.mail.reasons.MailReason: a code and its values, which the held-mail page translates.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_params: Mapped[dict[str, Any] | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    channel: Mapped[str] = mapped_column(String(20), default="email")  # stdin | smtp | imap transport
    # The SMTP/LMTP envelope's recipients (RCPT TO), None where the transport has none (a pipe, IMAP): a recovered
    # held mail finds its thread by them as a live one does (desk.mail.receive.find_ticket).
    envelope_recipients: Mapped[list[str] | None] = mapped_column(JSON)
    # Under the data directory; "" once a deleted or purged held mail's original is removed (desk.mail.held).
    # Indexed: before removing a file the desk asks whether another row still keeps the same bytes.
    raw_path: Mapped[str] = mapped_column(String(500), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A held mail (rejected, a loop, an auto-reply with no ticket: desk.mail.held) an agent dealt with:
    # recovered | deleted, by whom and when, or purged (by the retention rule, no one); None while it is held (or was
    # never held).
    settled: Mapped[str | None] = mapped_column(String(20))
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    settled_at: Mapped[datetime | None]
    # When removing a deleted or purged held mail's original last failed (None: never tried, or never failed): each
    # purge pass tries the leftovers tried longest ago first, so files that keep failing cannot fill every pass.
    removal_failed_at: Mapped[datetime | None]


class Attachment(Base):
    """A file that came with a customer's email, stored under the data directory."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    # Relative to the data directory; None when the file was refused (`skipped_reason` says why).
    path: Mapped[str | None] = mapped_column(String(500))
    skipped_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketTag(Base):
    """A free-form label on a ticket ("refund", "vip"); the inbox filters by it."""

    __tablename__ = "ticket_tags"
    __table_args__ = (UniqueConstraint("ticket_id", "tag", name="uq_ticket_tags_ticket_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    tag: Mapped[str] = mapped_column(String(60), index=True)


class TicketFieldValue(Base):
    """A custom field's value on a ticket (kb.ticket_fields defines the fields, desk.ticket_fields writes these):
    the text normalised per type, so the inbox's and API's filters compare it as stored."""

    __tablename__ = "ticket_field_values"
    __table_args__ = (UniqueConstraint("ticket_id", "key", name="uq_ticket_field_values_ticket_key"),
                      Index("ix_ticket_field_values_key_value", "key", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)


class CustomerFieldValue(Base):
    """A customer field's value (kb.customer_fields defines the fields, desk.customer_fields writes these), stored
    as a ticket field's is (normalised text, one row per customer and key)."""

    __tablename__ = "customer_field_values"
    __table_args__ = (UniqueConstraint("customer_id", "key", name="uq_customer_field_values_customer_key"),
                      Index("ix_customer_field_values_key_value", "key", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)


class Mention(Base):
    """An agent @mentioned in an internal note: shown in that agent's inbox until they open the ticket."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]


class TicketAdvice(Base):
    """The copilot's suggestions and draft for a ticket, computed in the background once per thread
    and index version (plain JSON: the desk knows nothing of the copilot's types)."""

    __tablename__ = "ticket_advice"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    # The id of the last customer message the advice read: a new customer message makes it stale.
    thread_version: Mapped[int] = mapped_column(Integer)
    # The vector store's version it searched: a re-index makes it stale.
    index_version: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketSearchText(Base):
    """The inbox search's text of a ticket: subject, every message and the customer, folded (lower
    case, Arabic spelling variants normalized) once on write so a search is one LIKE per term."""

    __tablename__ = "ticket_search"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class TicketPresence(Base):
    """Who has a ticket open right now, and whether they are typing a reply (the collision warning).
    One row per agent and ticket, refreshed by the page's polling; stale rows simply stop counting."""

    __tablename__ = "ticket_presence"
    __table_args__ = (UniqueConstraint("ticket_id", "agent_id", name="uq_ticket_presence_ticket_agent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    replying: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Notice(Base):
    """A lead's announcement of a known issue, shown on the help-center home and above the results
    of searches that contain one of its terms, until `ends_at`. One or both languages."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_en: Mapped[str | None] = mapped_column(Text)
    text_ar: Mapped[str | None] = mapped_column(Text)
    # Comma-separated words or phrases; a search containing any of them shows the notice.
    terms: Mapped[str] = mapped_column(String(500), default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def text(self, lang: str) -> str | None:
        return self.text_ar if lang == "ar" else self.text_en


def reached_customer(session: Session, email: str) -> Customer | None:
    """The customer an address (as stored: `clean_email`) reaches: mail from it, a form or API ticket, "My tickets"
    and its magic link. A merged duplicate's address reaches the customer it was merged into (desk.customers: its row
    stays only to map the address; a later merge re-points it, so one hop)."""
    found = session.scalar(select(Customer).where(Customer.email == email))
    if found is not None and found.merged_into_id is not None:
        return session.get(Customer, found.merged_into_id) or found
    return found


@event.listens_for(Session, "after_flush")
def _stamp_last_contact(session: Session, context: UOWTransaction) -> None:
    """A customer's message just written moves their `last_contact_at` forward, in the same transaction, whichever
    path wrote it (a ticket, a reply on their page, mail, the API, an import): one UPDATE per ticket flushed."""
    newest: dict[int, datetime] = {}
    for added in session.new:
        if isinstance(added, Message) and added.author == "customer" and added.ticket_id is not None:
            when = as_utc(added.created_at or utcnow())
            newest[added.ticket_id] = max(when, newest.get(added.ticket_id, when))
    for ticket_id, when in newest.items():
        owner = select(Ticket.customer_id).where(Ticket.id == ticket_id).scalar_subquery()
        session.connection().execute(
            update(Customer).where(Customer.id == owner, or_(Customer.last_contact_at.is_(None),
                                                            Customer.last_contact_at < when))
            .values(last_contact_at=when))


@event.listens_for(Session, "do_orm_execute")
def _live_tickets_only(state: ORMExecuteState) -> None:
    """Every ORM query of the desk reads tickets that are not deleted, wherever Ticket appears in it (a FROM, a join,
    a subquery, a relationship's load): one place says "not deleted" (Zendesk's deleted tickets are in no view,
    search, report or list) rather than each of the queries that read tickets. Only a query run with the execution
    option WITH_DELETED, or in a session marked with it (`session.info[WITH_DELETED]`: an erase, a purge), sees them
    (desk.trash)."""
    if (state.is_select and not state.is_column_load and not state.execution_options.get(WITH_DELETED, False)
            and not state.session.info.get(WITH_DELETED, False)):
        state.statement = state.statement.options(
            with_loader_criteria(Ticket, Ticket.deleted_at.is_(None), include_aliases=True))


# What an outbound webhook can subscribe to (desk.webhooks); "note.created" (internal notes) only when asked for.
WEBHOOK_EVENTS = ("ticket.created", "ticket.updated", "message.created", "note.created", "csat.rated",
                  "ticket.merged", "side_conversation.created", "side_conversation.replied", "time_entry.created",
                  "time_entry.updated", "time_entry.deleted", "ticket.deleted", "ticket.restored")
WEBHOOK_STATES = ("pending", "delivered", "failed")


class WebhookEndpoint(Base):
    """An admin's receiver of outbound events (desk.webhooks): where to POST, which events, and the secret that
    signs them (Standard Webhooks' `whsec_...`, shown once). Turned off by an admin or after
    KB_WEBHOOK_DISABLE_AFTER events in a row failed for good (`disabled_reason` says why)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))  # the admin's own words (what it feeds, who owns it)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failures_in_row: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint, written in the transaction of the change it reports (an outbox: nothing sent
    for a change rolled back, nothing lost while the receiver is down). `data` is what the desk knows then (ids,
    what changed, and the ticket as the API gives it, taken in that transaction); the worker freezes the body
    (`body`) on the first try, so every retry (and a replay) sends the same bytes under the same `event_id`."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # WEBHOOK_STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A worker's claim (desk.webhooks.Webhooks.claim): until then no other worker takes it; one that died mid-send
    # leaves it to expire, and the delivery is tried again.
    claimed_until: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
