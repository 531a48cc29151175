"""The support desk assembled from `Settings`: database, tickets, accounts and events, wired once.

The counterpart of `copilot.engine.Engine` for everything stored in SQL; the CLI and the web app
both open it here, and opening it brings the schema up to date. A context manager:
`with Desk(settings) as desk:` closes the database on the way out.
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType

from sqlalchemy import select

from desk.accounts import Accounts
from desk.advice import AdviceStore
from desk.audit import AuditLog
from desk.automations import Automations
from desk.business_hours import BusinessHours
from desk.ccs import TicketCcs
from desk.customers import Customers
from desk.database import Database
from desk.erasure import Erasure
from desk.events import Events
from desk.idempotency import IdempotencyStore
from desk.inbox import Inbox
from desk.mail.attachments import Attachments, FileLimits
from desk.mail.held import HeldMailStore
from desk.mail.outbox import Outbox
from desk.mail.receive import MailReceiver
from desk.models import Agent, WebhookEndpoint
from desk.notes import Notes
from desk.notices import Notices
from desk.organizations import Organizations
from desk.presence import Presence
from desk.saved_views import SavedViews
from desk.side_conversations import SideConversations
from desk.snooze import Snoozes
from desk.surveys import Surveys
from desk.tags import Tags
from desk.teams import Teams
from desk.tickets import TicketStore
from desk.triggers import Triggers, load_triggers
from desk.two_factor import TwoFactor
from desk.webhooks import Webhooks, capture
from kb.settings import Settings
from kb.ticket_fields import TicketFields


class Desk:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        self.db.upgrade()
        capture(self.db)  # every ticket change of this desk, whoever makes it, feeds the outbound webhooks

    @cached_property
    def hours(self) -> BusinessHours:
        return BusinessHours.load(self.settings.content_dir)

    @cached_property
    def triggers(self) -> Triggers:
        """content/_triggers.yml checked against this desk's teams, macros and agents: a wrong file stops the desk at
        start (TriggerError naming the file, line and field), since building `tickets` builds this."""
        with self.db.session() as session:
            emails = set(session.scalars(select(Agent.email)))
            hooks = set(session.scalars(select(WebhookEndpoint.name)))
        rules = load_triggers(self.settings.content_dir, self.hours, self.settings.languages, emails, hooks,
                              self.fields)
        return Triggers(rules, self.hours, self.settings.content_dir)

    @cached_property
    def automations(self) -> Automations:
        """The file's `on: schedule` rules (desk.automations), run by the worker's `automations` job."""
        return Automations(self.db, self.triggers.rules, self.triggers, self.hours, self.tickets)

    @cached_property
    def tickets(self) -> TicketStore:
        store = TicketStore(self.db, self.settings.languages, self.hours, self.settings.data_dir,
                            FileLimits.from_settings(self.settings), FileLimits.for_customers(self.settings),
                            self.triggers, self.fields)
        store.max_ccs, store.mail_from = self.settings.max_ccs, self.settings.mail_from  # a PATCH's ccs (desk.ccs)
        return store

    @cached_property
    def ccs(self) -> TicketCcs:
        return TicketCcs(self.db, self.settings.max_ccs, self.settings.mail_from)

    @cached_property
    def side_conversations(self) -> SideConversations:
        return SideConversations(self.db, self.settings.data_dir, self.settings.mail_from,
                                 self.settings.side_conversation_max_recipients)

    @cached_property
    def fields(self) -> TicketFields:
        """content/_ticket_fields.yml; a wrong file stops the desk at start (TicketFieldsError: file, line, field)."""
        return TicketFields.load(self.settings.content_dir, self.settings.languages)

    @cached_property
    def customers(self) -> Customers:
        return Customers(self.db)

    @cached_property
    def organizations(self) -> Organizations:
        return Organizations(self.db)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.db, self.hours, (f.key for f in self.fields.fields if f.type == "number"))

    @cached_property
    def saved_views(self) -> SavedViews:
        return SavedViews(self.db, self.hours, self.settings.languages, self.settings.saved_views_per_agent,
                          self.fields)

    @cached_property
    def snoozes(self) -> Snoozes:
        return Snoozes(self.db)

    @cached_property
    def notes(self) -> Notes:
        return Notes(self.db, self.settings.data_dir, FileLimits.from_settings(self.settings))

    @cached_property
    def tags(self) -> Tags:
        return Tags(self.db)

    @cached_property
    def teams(self) -> Teams:
        return Teams(self.db, self.hours)

    @cached_property
    def presence(self) -> Presence:
        return Presence(self.db)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.db)

    @cached_property
    def two_factor(self) -> TwoFactor:
        return TwoFactor(self.db, self.settings.two_factor_max_failures)

    @cached_property
    def advice(self) -> AdviceStore:
        return AdviceStore(self.db)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.db, self.settings.audit_keep_days)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        return IdempotencyStore(self.db, self.settings.idempotency_key_hours)

    @cached_property
    def events(self) -> Events:
        return Events(self.db)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self.db)

    @cached_property
    def mail_in(self) -> MailReceiver:
        return MailReceiver(self.db, self.tickets, self.settings)

    @cached_property
    def held_mail(self) -> HeldMailStore:
        return HeldMailStore(self.db, self.mail_in)

    @cached_property
    def erasure(self) -> Erasure:
        return Erasure(self.db, self.held_mail, self.settings.data_dir, self.fields)

    @cached_property
    def attachments(self) -> Attachments:
        return Attachments(self.db, self.settings.data_dir)

    @cached_property
    def surveys(self) -> Surveys:
        return Surveys(self.db)

    @cached_property
    def notices(self) -> Notices:
        return Notices(self.db)

    @cached_property
    def webhooks(self) -> Webhooks:
        s = self.settings
        return Webhooks(self.db, s.webhook_allow_private, s.webhook_max_attempts, s.webhook_disable_after,
                        s.webhook_keep_days)

    def wire(self) -> Desk:
        """Build every part now: the app factory does, so that no request builds (or races to build) one."""
        _ = (self.tickets, self.accounts, self.events, self.idempotency, self.audit, self.webhooks)
        return self

    def close(self) -> None:
        """Write the queued analytics, end their thread, and close the database's connections."""
        if "events" in self.__dict__:
            self.events.close()
        self.db.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
