"""The support desk assembled from `Settings`: database, tickets, accounts and events, wired once.

The counterpart of `copilot.engine.Engine` for everything stored in SQL; the CLI and the web app
both open it here, and opening it brings the schema up to date. A context manager:
`with Desk(settings) as desk:` closes the database on the way out.

The desk's rules are content files (RULE_FILES: business hours and teams, ticket and customer fields, triggers and
automations, and the macros the triggers name). A wrong one stops the desk at start, as a wrong setting does: nothing
has run on it yet, and the operator is there to read the error. After that they follow the content as the index does:
the web app before a request and the worker before a job call `follow_rules`, which at most every
`KB_RULES_CHECK_SECONDS` compares the files' stamp and, when it changed, reads and checks them all
(desk.rule_check's `read_rules`, the check `kb doctor` and the admin page make of the files as they are now), then
swaps the new rules and everything built from them in at once (`RULE_PARTS`, one update of the desk's attributes).
A wrong file then keeps the last good rules running: the errors are logged with their file, line and field and the
first kept in `rules_problem` (this process's refusal), until a later change reads well. Each process follows on
its own; the stamp is taken before the files are read, so a change landing during a read is read again at the next
check, and the last of quick changes is what stays.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Iterable
from functools import cached_property
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from desk.accounts import Accounts
from desk.advice import AdviceStore
from desk.audit import AuditLog
from desk.automations import Automations
from desk.business_hours import CONFIG_FILE, BusinessHours
from desk.ccs import TicketCcs
from desk.customers import Customers
from desk.database import Database
from desk.digests import Digests
from desk.erasure import Erasure
from desk.events import Events
from desk.idempotency import IdempotencyStore
from desk.inbox import CUSTOMER_SORT, FIELD_SORT, Inbox
from desk.mail.attachments import Attachments, FileLimits
from desk.mail.held import HeldMailStore
from desk.mail.outbox import Outbox
from desk.mail.receive import MailReceiver
from desk.mail_suggestions import MailSuggestions
from desk.notes import Notes
from desk.notices import Notices
from desk.organizations import Organizations
from desk.passkeys import Passkeys, RelyingParty
from desk.presence import Presence
from desk.problems import Problems
from desk.rule_check import desk_names, read_rules
from desk.saved_views import SavedViews
from desk.secret_box import SecretBox
from desk.side_conversations import SideConversations
from desk.skills import Skills
from desk.snooze import Snoozes
from desk.surveys import Surveys
from desk.tags import Tags
from desk.teams import Teams
from desk.ticket_json import snapshots
from desk.tickets import RECOUNT_PER_PASS, TicketStore
from desk.time_tracking import TimeEntries
from desk.trash import Trash
from desk.triggers import Triggers, load_triggers
from desk.two_factor import TwoFactor
from desk.webhooks import Webhooks, capture
from kb.customer_fields import CUSTOMER_FIELDS_FILE, CustomerFields
from kb.macros import FilesStamp, files_stamp, iter_macro_paths
from kb.settings import Settings, passkey_origins, stored_secret
from kb.ticket_fields import FIELDS_FILE, TicketFields
from kb.triggers import TRIGGERS_FILE, Trigger
from kb.yaml_lines import rule_file_bytes

log = logging.getLogger(__name__)

RULE_FILES = (CONFIG_FILE, FIELDS_FILE, CUSTOMER_FIELDS_FILE, TRIGGERS_FILE)
# What is built from the rules (and rebuilt when they change): the four read (RULES_READ), then every part that holds
# one of them.
RULE_PARTS = ("hours", "fields", "customer_fields", "triggers", "automations", "tickets", "inbox", "saved_views",
              "teams", "erasure", "mail_in", "held_mail", "digests")
RULES_READ = 4


RulesStamp = tuple[tuple[tuple[str, str], ...], FilesStamp]


def rules_stamp(settings: Settings) -> RulesStamp:
    """The rule files' digests (small files, read whole: two saves within the file system's clock tick, of the same
    size, still differ) and the macros' stamp (kb.macros.files_stamp): a changed one means the rules are read again."""
    content = settings.content_dir
    digests = []
    for name in RULE_FILES:
        try:
            digests.append((name, hashlib.blake2b(rule_file_bytes(content / name), digest_size=16).hexdigest()))
        except OSError as error:  # absent (none of its rules), or unreadable: reading it says why
            digests.append((name, type(error).__name__))
    return tuple(digests), files_stamp(iter_macro_paths(content))


class Desk:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database.from_settings(settings)
        self.db.upgrade()
        # Every ticket change of this desk, whoever makes it, feeds the outbound webhooks, each event with the ticket
        # as the change left it (the API's serializer, in the change's transaction). The listener holds the desk
        # weakly: SQLAlchemy's event registry outlives the desk, and a strong hold kept every closed desk, its
        # database and its open files alive (test_analytics_writer); a desk gone leaves the ticket to the worker.
        desk = weakref.ref(self)

        def snapshot(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
            found = desk()
            return {} if found is None else snapshots(session, ids, found.hours, found.fields)

        capture(self.db, snapshot)
        # Taken before the rules are first read: a change after this is seen by the first `follow_rules`.
        self._rules_stamp = rules_stamp(settings)
        self._rules_checked = time.monotonic()
        self._rules_lock = threading.Lock()
        self.rules_problem: Exception | None = None  # the last change's refusal, while the last good rules run
        # The due policy (BusinessHours.due_fingerprint) this process saw recounted in full: the worker's "due-times"
        # job asks the database nothing while the file's policy is this one (`recount_due`).
        self._due_counted: str | None = None

    def follow_rules(self) -> bool:
        """Between requests and jobs: if KB_RULES_CHECK_SECONDS have passed and a rule file or macro changed, read
        the rules again (`reload_rules`). Whether new rules were swapped in."""
        if time.monotonic() - self._rules_checked < self.settings.rules_check_seconds:
            return False
        self._rules_checked = time.monotonic()
        stamp = rules_stamp(self.settings)
        return stamp != self._rules_stamp and self.reload_rules(stamp)

    def reload_rules(self, stamp: RulesStamp | None = None) -> bool:
        """Read and check every rule file (`read_rules`); all good: build every part that holds them (RULE_PARTS)
        anew on a copy of this desk, then swap them all in with one update of its attributes, so a reader in another
        thread gets the old parts or the new, never a mix. One wrong: keep the running rules, log the refusals and
        keep the first (`rules_problem`). Whether the new rules were swapped in."""
        stamp = rules_stamp(self.settings) if stamp is None else stamp
        with self._rules_lock:
            read = read_rules(self.settings, desk_names(self.db))
            if read.hours is None or read.fields is None or read.customer_fields is None or read.triggers is None:
                self._rules_stamp = stamp  # said once per change, not at every check
                self.rules_problem = read.problems[0]
                log.error("the desk's rules were not reloaded, the last good ones stay in use: %s",
                          "; ".join(map(str, read.problems)))
                return False
            hours, fields = read.hours, read.fields
            triggers = Triggers(read.triggers, hours, self.settings.content_dir, read.customer_fields)
            fresh = copy.copy(self)  # the same database and parts, but its own attributes
            fresh.__dict__.update(hours=hours, fields=fields, customer_fields=read.customer_fields, triggers=triggers)
            for name in RULE_PARTS[RULES_READ:]:
                fresh.__dict__.pop(name, None)
            self.__dict__.update({name: getattr(fresh, name) for name in RULE_PARTS})
            self._rules_stamp, self.rules_problem = stamp, None
        log.info("the desk's rules were reloaded from %s", self.settings.content_dir)
        return True

    def recount_due(self, limit: int = RECOUNT_PER_PASS) -> int:
        """One bounded pass of the due times' recount after the business or due hours changed: the page claimed
        against the policy stored in the database (TicketStore.claim_due_recount: a change made while no worker ran
        is recounted by the next one to start, and two workers never take the same page), then counted again
        (TicketStore.recount_due); a policy changed again meanwhile starts it over. No query while this process saw
        the file's policy recounted in full. How many changed."""
        fingerprint = self.hours.due_fingerprint()
        if fingerprint == self._due_counted:
            return 0
        ids = self.tickets.claim_due_recount(fingerprint, limit)
        if ids is None:
            self._due_counted = fingerprint
            return 0
        changed = self.tickets.recount_due(ids)
        if len(ids) < limit:
            log.info("the open tickets' due times were counted again under the changed business hours")
        return changed

    @cached_property
    def hours(self) -> BusinessHours:
        return BusinessHours.load(self.settings.content_dir)

    @cached_property
    def triggers(self) -> Triggers:
        """content/_triggers.yml checked against this desk's teams, macros and agents: a wrong file stops the desk at
        start (TriggerError naming the file, line and field), since building `tickets` builds this."""
        return self._triggers(self.hours, self.fields, self.customer_fields)

    def _triggers(self, hours: BusinessHours, fields: TicketFields, customer_fields: CustomerFields) -> Triggers:
        """The triggers file checked against `hours`' teams, the ticket and customer fields, the macros and (read
        now) the agents and webhooks."""
        emails, hooks, skills = desk_names(self.db)
        rules: tuple[Trigger, ...] = load_triggers(self.settings.content_dir, hours, self.settings.languages, emails,
                                                   hooks, fields, customer_fields, skills)
        return Triggers(rules, hours, self.settings.content_dir, customer_fields)

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
        store.language_fallback_minutes = self.settings.routing_language_fallback_minutes
        return store

    @cached_property
    def trash(self) -> Trash:
        return Trash(self.db, self.erasure, self.settings.mail_from)

    @cached_property
    def ccs(self) -> TicketCcs:
        return TicketCcs(self.db, self.settings.max_ccs, self.settings.mail_from)

    @cached_property
    def problems(self) -> Problems:
        return Problems(self.tickets)

    @cached_property
    def side_conversations(self) -> SideConversations:
        return SideConversations(self.db, self.settings.data_dir, self.settings.mail_from,
                                 self.settings.side_conversation_max_recipients)

    @cached_property
    def fields(self) -> TicketFields:
        """content/_ticket_fields.yml; a wrong file stops the desk at start (TicketFieldsError: file, line, field)."""
        return TicketFields.load(self.settings.content_dir, self.settings.languages)

    @cached_property
    def customer_fields(self) -> CustomerFields:
        """content/_customer_fields.yml (kb.customer_fields); a wrong file stops the desk at start, as the ticket
        fields' does."""
        return CustomerFields.load(self.settings.content_dir, self.settings.languages)

    @cached_property
    def customers(self) -> Customers:
        return Customers(self.db)

    @cached_property
    def organizations(self) -> Organizations:
        return Organizations(self.db)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.db, self.hours, (*(FIELD_SORT + f.key for f in self.fields.fields if f.type == "number"),
                                           *(CUSTOMER_SORT + f.key for f in self.customer_fields.fields
                                             if f.type == "number")))

    @cached_property
    def saved_views(self) -> SavedViews:
        return SavedViews(self.db, self.hours, self.settings.languages, self.settings.saved_views_per_agent,
                          self.fields, self.customer_fields)

    @cached_property
    def snoozes(self) -> Snoozes:
        return Snoozes(self.db)

    @cached_property
    def digests(self) -> Digests:
        """The leads' KPI digests by email (desk.digests): their business hours are the desk's, so a rule part."""
        return Digests(self.db, self.hours, self.settings.languages)

    @cached_property
    def notes(self) -> Notes:
        return Notes(self.db, self.settings.data_dir, FileLimits.from_settings(self.settings))

    @cached_property
    def time_entries(self) -> TimeEntries:
        return TimeEntries(self.db)

    @cached_property
    def tags(self) -> Tags:
        return Tags(self.db)

    @cached_property
    def teams(self) -> Teams:
        return Teams(self.db, self.hours)

    @cached_property
    def skills(self) -> Skills:
        """The skills agents have and tickets require (desk.skills; routed by desk.auto_assign)."""
        return Skills(self.db)

    @cached_property
    def presence(self) -> Presence:
        return Presence(self.db)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.db)

    @cached_property
    def two_factor(self) -> TwoFactor:
        return TwoFactor(self.db, SecretBox.from_secret_keys(
            self.settings.secret_key or stored_secret(self.settings.data_dir), self.settings.previous_secret_keys),
            self.settings.two_factor_max_failures)

    @cached_property
    def passkeys(self) -> Passkeys:
        origins = passkey_origins(self.settings.passkey_origins)  # checked here too: settings made in code
        return Passkeys(self.db, RelyingParty.from_origins(origins, origins[0].split("://", 1)[1] if origins else ""))

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
    def mail_suggestions(self) -> MailSuggestions:
        return MailSuggestions(self.db)

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
        _ = (self.tickets, self.customer_fields, self.accounts, self.events, self.idempotency, self.audit,
             self.webhooks)
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
