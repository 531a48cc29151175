"""Organizations: the companies customers belong to (Zendesk's organizations, Intercom's and Chatwoot's companies).

An organization has a name (unique, compared folded as names are: `name_key`), one or more email domains, the agents'
notes about it (internal, as a customer's notes: the workspace and an operator's API token show them, no customer
page or mail does) and tags, folded as ticket tags and added to every new ticket of its members, so routing and the
triggers' `tag` conditions treat a company's tier ("vip", "enterprise") as they treat any tag.

Membership is a customer's `organization_id`:
- automatic: a customer whose email domain is one of an organization's domains, matched whole as routing's `domain`
  is ("acme.sa" is not "mail.acme.sa"), joins it when their row is written (`TicketStore._customer`: the first ticket,
  mail, the forms, the API), and when the domain is added to the organization every existing customer with that
  domain and no organization joins in the same transaction: one set-based UPDATE, no row read into Python (a
  domain's customers are bounded by the customer table; no worker pass is needed). A domain taken away takes its
  automatic members out the same way.
- by hand: an agent sets the organization (or "none") on the customer's profile (`set_customer`); it is then kept
  whatever the domains become (`organization_manual`), until the agent sets it back to automatic.

A domain belongs to at most one organization (a unique index; a clash is refused naming the field "domains" and the
organization that has it). Creating, editing and deleting organizations is for leads and admins (the workspace
decides; Zendesk: admins); every change is an audit event in its own transaction ("organization_created",
"organization_edited", "organization_deleted", and "organization_member_changed" for a hand-made membership), the
notes' text never in it. Erasing a customer (desk.erasure) takes them out of their organization; the organization
holds no personal data but its notes. A merge keeps the kept customer's organization. Reads write nothing.

A public mail domain (BROAD_DOMAINS: gmail.com, outlook.com, ...) is refused as a new domain unless the caller
confirms it (`confirm_broad`; the page's checkbox, the CLI's --broad, the API's `confirm_broad`), naming "domains":
otherwise every customer who writes from Gmail joins one company. No package in the environment holds a list of
such domains, so BROAD_DOMAINS is a short constant list of the big providers and a few of the Gulf's ISP mail
domains, not every free mail service: a domain outside it is taken as typed.

A saved view may keep an organization filter (desk.saved_views); deleting the organization marks those views (their
`organization` becomes minus its id, in the same transaction): they still open, say "organization N (deleted)" and
match nothing, even when SQLite gives a later organization the deleted one's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from desk.audit import SYSTEM, Actor, record
from desk.database import Database, lock_row
from desk.models import Customer, Organization, OrganizationDomain, SavedView, Ticket, utcnow
from desk.name_keys import name_key, tidy_name
from desk.tags import clean_tag
from desk.tickets import MAX_ROW_ID, InputError, clean_text, row_by_id
from desk.translatable import N_
from kb.message_text import CONTROL_CHARACTERS

MAX_NAME = 200
MAX_NOTES = 5_000  # as a customer's notes (desk.customers.MAX_NOTES)
MAX_DOMAINS = 20  # Zendesk allows more; twenty covers a company's brands and country domains
MAX_TAGS = 10
MAX_TAGS_TEXT = 500  # the column
MAX_QUERY = 200
MEMBERS_SHOWN = 100  # the page's member list; the count says how many in all
OPEN_SHOWN = 25  # the page's open tickets, newest first
DONE = ("solved", "closed")
# An email domain as `clean_email` stores the part after "@": labels of letters, digits and hyphens (any script: IDN
# domains are stored as typed), dots between them, no empty label.
DOMAIN = re.compile(r"^(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]{0,62}$")
# Public mail domains: an organization with one of them would take in every customer who writes from it. A short
# list kept by hand (no package in the environment has one): the big free providers, then ISP mail used across the
# Gulf (Etisalat's emirates.net.ae and eim.ae, Yahoo's Arabic Maktoob). Not exhaustive.
BROAD_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "mail.com", "yandex.com",
    "zoho.com", "maktoob.com", "emirates.net.ae", "eim.ae",
})


@dataclass(frozen=True)
class OrganizationRow:
    """One organization as the list shows it."""

    id: int
    name: str
    domains: list[str]
    tags: list[str]
    members: int
    open: int  # members' tickets not solved or closed


@dataclass(frozen=True)
class OrganizationPage:
    rows: list[OrganizationRow]
    total: int


@dataclass(frozen=True)
class OrganizationDetail:
    """An organization's page: the row (domains loaded), its members (MEMBERS_SHOWN, by name) and how many, and its
    members' open tickets (OPEN_SHOWN, newest first, customer loaded) and how many."""

    organization: Organization
    members: list[Customer]
    member_count: int
    open_tickets: list[Ticket]
    open_count: int


@dataclass(frozen=True)
class Summary:
    """What the ticket page shows beside the requester: the organization and its open tickets."""

    id: int
    name: str
    notes: str | None
    open: int


AUTO = "auto"  # `set_customer`'s "by the email domain again"


class BroadDomainError(InputError):
    """A public mail domain (BROAD_DOMAINS) added without `confirm_broad`; the page offers the checkbox."""

    def __init__(self, domain: str) -> None:
        super().__init__("domains", N_("%(domain)s is a public mail domain: every customer who writes from it would "
                                       "join this organization; confirm to add it anyway"), domain=domain)
        self.domain = domain


def refuse_broad(domains: list[str], had: list[str], confirm_broad: bool) -> None:
    """A BroadDomainError for the first public mail domain in `domains` not already in `had`, unless confirmed."""
    if not confirm_broad:
        for domain in domains:
            if domain in BROAD_DOMAINS and domain not in had:
                raise BroadDomainError(domain)


def clean_domain(value: str) -> str:
    """A domain as stored: lower case, without a leading "@" or the root's trailing dot; else an InputError naming
    "domains"."""
    domain = value.strip().lower().lstrip("@").removesuffix(".")
    if not domain or len(domain) > 253 or not DOMAIN.match(domain):
        raise InputError("domains", N_("%(value)s is not an email domain (such as example.com)"),
                         value=repr(value.strip()[:60]))
    return domain


def clean_domains(value: object) -> list[str]:
    """Domains from a list or from text (separated by spaces, commas or lines), each `clean_domain`, in the order
    given without repeats; at most MAX_DOMAINS."""
    if value is None:
        return []
    if isinstance(value, str):
        items = [item for item in re.split(r"[\s,;]+", value) if item]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        raise InputError("domains", N_("must be a list of email domains"))
    domains = list(dict.fromkeys(clean_domain(item) for item in items))
    if len(domains) > MAX_DOMAINS:
        raise InputError("domains", N_("at most %(limit)s domains"), limit=MAX_DOMAINS)
    return domains


def clean_org_tags(value: object) -> list[str]:
    """Tags from a list or from text (spaces or commas between), each folded as a ticket tag (`clean_tag`, refused
    naming "tags"); at most MAX_TAGS."""
    if value is None:
        return []
    if isinstance(value, str):
        items = [item for item in re.split(r"[\s,]+", value) if item]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        raise InputError("tags", N_("must be a list of tags"))
    tags = []
    for item in items:
        try:
            tags.append(clean_tag(item))
        except InputError as error:
            raise InputError("tags", error.message, plural=error.plural, **error.params) from None
    tags = list(dict.fromkeys(tags))
    if len(tags) > MAX_TAGS or len(" ".join(tags)) > MAX_TAGS_TEXT:
        raise InputError("tags", N_("at most %(limit)s tags"), limit=MAX_TAGS)
    return tags


def clean_name(value: object) -> str:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value.replace("\n", " ").replace("\r", " ")):
        raise InputError("name", N_("contains a control character"))
    name = tidy_name(clean_text("name", value, MAX_NAME, required=True))
    if not name:
        raise InputError("name", N_("is required"))
    return name


def clean_notes(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise InputError("notes", N_("contains a control character"))
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return clean_text("notes", value, MAX_NOTES, required=False) or None


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def domain_organization(session: Session, email: str) -> int | None:
    """The organization whose domains hold the email's domain (whole), or None."""
    return session.scalar(select(OrganizationDomain.organization_id)
                          .where(OrganizationDomain.domain == email_domain(email)))


def join_by_domain(session: Session, customer: Customer) -> None:
    """The customer's organization by their email domain, unless an agent chose it by hand, they were merged away
    or erased (`TicketStore._customer` on every customer it reaches; unchanged: no UPDATE)."""
    if customer.organization_manual or customer.merged_into_id is not None or customer.erased_at is not None:
        return
    if customer.organization_id is None:
        found = domain_organization(session, customer.email)
        if found is not None:
            customer.organization_id = found


def _automatic(domain: str) -> Any:
    """The customers a domain's change moves: not chosen by hand, not merged away or erased, of that domain."""
    escaped = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return and_(Customer.organization_manual.is_(False), Customer.merged_into_id.is_(None),
                Customer.erased_at.is_(None), Customer.email.like(f"%@{escaped}", escape="\\"))


def tags_of(organization: Organization) -> list[str]:
    return organization.tags.split() if organization.tags else []


class Organizations:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, organization_id: int) -> Organization | None:
        if not 0 < organization_id <= MAX_ROW_ID:
            return None
        with self.db.session() as session:
            return session.scalar(select(Organization).options(selectinload(Organization.domains))
                                  .where(Organization.id == organization_id))

    def by_name(self, name: str) -> Organization | None:
        """The organization of this name (compared folded, as names are kept unique), or None (the CLI's way in)."""
        with self.db.session() as session:
            return session.scalar(select(Organization).where(Organization.name_key == name_key(name[:MAX_NAME * 2])))

    def choices(self) -> list[tuple[int, str]]:
        """Every organization's id and name, by name (the profile's select)."""
        with self.db.session() as session:
            return [(i, n) for i, n in session.execute(
                select(Organization.id, Organization.name).order_by(Organization.name_key).limit(1000))]

    def page(self, query: str = "", limit: int = 25, offset: int = 0) -> OrganizationPage:
        """The organizations whose name or a domain holds every word of `query` (folded), by name, with their
        member and open ticket counts, and how many match in all."""
        limit, offset = max(0, min(limit, 1000)), max(0, min(offset, MAX_ROW_ID))
        clauses = []
        for term in name_key(query[:MAX_QUERY].replace("\x00", "")).split():
            clauses.append(or_(Organization.name_key.contains(term, autoescape=True),
                               Organization.id.in_(select(OrganizationDomain.organization_id).where(
                                   OrganizationDomain.domain.contains(term, autoescape=True)))))
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(Organization).where(*clauses)) or 0
            found = list(session.scalars(select(Organization).options(selectinload(Organization.domains))
                                         .where(*clauses).order_by(Organization.name_key, Organization.id)
                                         .limit(limit).offset(offset)))
            ids = [o.id for o in found]
            members = dict(session.execute(
                select(Customer.organization_id, func.count()).where(Customer.organization_id.in_(ids))
                .group_by(Customer.organization_id)).all()) if ids else {}
            open_ = dict(session.execute(
                select(Customer.organization_id, func.count()).join(Ticket, Ticket.customer_id == Customer.id)
                .where(Customer.organization_id.in_(ids), Ticket.status.not_in(DONE))
                .group_by(Customer.organization_id)).all()) if ids else {}
        return OrganizationPage([OrganizationRow(o.id, o.name, [d.domain for d in o.domains], tags_of(o),
                                                 int(members.get(o.id, 0)), int(open_.get(o.id, 0)))
                                 for o in found], total)

    def detail(self, organization_id: int, offset: int = 0) -> OrganizationDetail | None:
        """The organization's page (members MEMBERS_SHOWN from `offset`), or None for no such organization."""
        with self.db.session() as session:
            org = session.scalar(select(Organization).options(selectinload(Organization.domains))
                                 .where(Organization.id == organization_id)) if 0 < organization_id <= MAX_ROW_ID \
                else None
            if org is None:
                return None
            mine = Customer.organization_id == org.id
            member_count = session.scalar(select(func.count()).select_from(Customer).where(mine)) or 0
            members = list(session.scalars(
                select(Customer).where(mine)
                .order_by(func.lower(func.coalesce(func.nullif(Customer.name, ""), Customer.email)), Customer.id)
                .limit(MEMBERS_SHOWN).offset(max(0, min(offset, MAX_ROW_ID)))))
            theirs = and_(Ticket.customer_id.in_(select(Customer.id).where(mine)), Ticket.status.not_in(DONE))
            open_count = session.scalar(select(func.count()).select_from(Ticket).where(theirs)) or 0
            open_tickets = list(session.scalars(
                select(Ticket).options(selectinload(Ticket.customer)).where(theirs)
                .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(OPEN_SHOWN)))
        return OrganizationDetail(org, members, member_count, open_tickets, open_count)

    def summary(self, customer_id: int) -> Summary | None:
        """The customer's organization as the ticket page shows it, or None."""
        with self.db.session() as session:
            org = session.scalar(select(Organization).join(Customer, Customer.organization_id == Organization.id)
                                 .where(Customer.id == customer_id))
            if org is None:
                return None
            open_ = session.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.customer_id.in_(select(Customer.id).where(Customer.organization_id == org.id)),
                Ticket.status.not_in(DONE))) or 0
        return Summary(org.id, org.name, org.notes, open_)

    @staticmethod
    def of_customers(session: Session, customer_ids: list[int]) -> dict[int, int | None]:
        """Each customer's organization id (the API's ticket items), in one query."""
        if not customer_ids:
            return {}
        return dict(session.execute(select(Customer.id, Customer.organization_id)
                                    .where(Customer.id.in_(set(customer_ids)))).all())

    def members_of(self, organization_id: int) -> list[tuple[int, str, str]]:
        """Every member's (id, name, email), by id (the API's organization)."""
        with self.db.session() as session:
            return [tuple(row) for row in session.execute(  # type: ignore[misc]
                select(Customer.id, Customer.name, Customer.email)
                .where(Customer.organization_id == organization_id).order_by(Customer.id).limit(10_000))]

    def _refuse_taken(self, session: Session, domains: list[str], organization_id: int | None) -> None:
        if not domains:
            return
        for domain, holder in session.execute(
                select(OrganizationDomain.domain, Organization.name).join(Organization)
                .where(OrganizationDomain.domain.in_(domains),
                       Organization.id != (organization_id or 0))):
            raise InputError("domains", N_("%(domain)s is a domain of %(name)s already"), domain=domain, name=holder)

    def _refuse_name(self, session: Session, key: str, organization_id: int | None) -> None:
        if session.scalar(select(Organization.id).where(Organization.name_key == key,
                                                        Organization.id != (organization_id or 0))) is not None:
            raise InputError("name", N_("another organization has this name"))

    def _set_domains(self, session: Session, org: Organization, domains: list[str]) -> tuple[int, int]:
        """The organization's domains become `domains`; the automatic members of a domain taken away leave and the
        customers of one added without an organization join (set-based: one UPDATE a domain, not synchronised with
        the session, which holds no customer row: the ORM's default read the matched ids back first). How many
        joined and left. Over 50,000 customers, 5,000 of them the domain's, adding it takes about half a second on
        SQLite (bench/organization_domain_bench.py, bench/RESULTS.md)."""
        had = {d.domain for d in org.domains}
        joined = left = 0
        for row in list(org.domains):
            if row.domain not in domains:
                org.domains.remove(row)
                left += session.execute(update(Customer).where(Customer.organization_id == org.id,
                                                               _automatic(row.domain))
                                        .values(organization_id=None)
                                        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        for domain in domains:
            if domain not in had:
                org.domains.append(OrganizationDomain(domain=domain))
        session.flush()  # the unique index on domains speaks here, before any customer joins
        for domain in domains:
            if domain not in had:
                joined += session.execute(update(Customer).where(Customer.organization_id.is_(None),
                                                                 _automatic(domain))
                                          .values(organization_id=org.id)
                                          .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        return joined, left

    def create(self, name: object, domains: object = None, notes: object = None, tags: object = None,
               by: Actor = SYSTEM, confirm_broad: bool = False) -> Organization:
        """A new organization, every field checked before anything is written (a public mail domain only when
        `confirm_broad`); its domains' customers without an organization join it. One "organization_created" audit
        event (name, domains, tags, how many joined)."""
        clean = clean_name(name)
        wanted, text, labels = clean_domains(domains), clean_notes(notes), clean_org_tags(tags)
        refuse_broad(wanted, [], confirm_broad)
        try:
            def write(session: Session) -> Organization:
                self._refuse_name(session, name_key(clean), None)
                self._refuse_taken(session, wanted, None)
                now = utcnow()
                org = Organization(name=clean, name_key=name_key(clean), notes=text, tags=" ".join(labels),
                                   created_at=now, updated_at=now)
                session.add(org)
                session.flush()
                joined, _ = self._set_domains(session, org, wanted)
                record(session, by, "organization_created", "org", org.id,
                       after={"name": clean, "domains": wanted, "tags": labels, "notes": bool(text),
                              "joined": joined})
                return org

            return self.db.write(write)  # again while the database is busy
        except IntegrityError:  # another save took the name or a domain meanwhile: named as if found first
            with self.db.session() as session:
                self._refuse_name(session, name_key(clean), None)
                self._refuse_taken(session, wanted, None)
            raise

    def edit(self, organization_id: int, name: object, domains: object, notes: object, tags: object,
             by: Actor = SYSTEM, confirm_broad: bool = False) -> Organization:
        """Set every field (checked first, nothing written on a refusal; a public mail domain it did not have only
        when `confirm_broad`). One "organization_edited" audit event with what changed (the notes: that they did) and
        how many customers joined or left by a domain's change; nothing changed, no event."""
        clean = clean_name(name)
        wanted, text, labels = clean_domains(domains), clean_notes(notes), clean_org_tags(tags)
        try:
            def write(session: Session) -> Organization:
                if not (0 < organization_id <= MAX_ROW_ID and lock_row(session, Organization, organization_id)):
                    raise InputError("organization", N_("no organization #%(id)s"), id=organization_id)
                org = session.scalar(select(Organization).options(selectinload(Organization.domains))
                                     .where(Organization.id == organization_id))
                assert org is not None  # locked above
                self._refuse_name(session, name_key(clean), org.id)
                self._refuse_taken(session, wanted, org.id)
                before: dict[str, Any] = {}
                after: dict[str, Any] = {}
                old_domains = sorted(d.domain for d in org.domains)
                refuse_broad(wanted, old_domains, confirm_broad)
                if org.name != clean:
                    before["name"], after["name"] = org.name, clean
                    org.name, org.name_key = clean, name_key(clean)
                if tags_of(org) != labels:
                    before["tags"], after["tags"] = tags_of(org), labels
                    org.tags = " ".join(labels)
                if org.notes != text:
                    after["notes"] = "added" if org.notes is None else "cleared" if text is None else "changed"
                    org.notes = text
                if old_domains != sorted(wanted):
                    joined, left = self._set_domains(session, org, wanted)
                    before["domains"], after["domains"] = old_domains, sorted(wanted)
                    after["joined"], after["left"] = joined, left
                if after:
                    org.updated_at = utcnow()
                    record(session, by, "organization_edited", "org", org.id, before=before, after=after)
                session.flush()
                return org

            return self.db.write(write)  # again while the database is busy
        except IntegrityError:
            with self.db.session() as session:
                self._refuse_name(session, name_key(clean), organization_id)
                self._refuse_taken(session, wanted, organization_id)
            raise

    def delete(self, organization_id: int, by: Actor = SYSTEM) -> int:
        """Delete the organization and its domains; its members (hand-made ones too) have none after, and the saved
        views filtering by it keep minus its id (they match nothing, named as deleted). One "organization_deleted"
        audit event (its name, how many members, how many views). How many members it had."""

        def write(session: Session) -> int:
            org = row_by_id(session, Organization, organization_id)
            if org is None:
                raise InputError("organization", N_("no organization #%(id)s"), id=organization_id)
            lock_row(session, Organization, organization_id)
            members = session.execute(update(Customer).where(Customer.organization_id == org.id)
                                      .values(organization_id=None, organization_manual=False)).rowcount  # type: ignore[attr-defined]
            session.execute(delete(OrganizationDomain).where(OrganizationDomain.organization_id == org.id))
            views = session.execute(update(SavedView).where(SavedView.organization == org.id)
                                    .values(organization=-org.id)).rowcount  # type: ignore[attr-defined]
            record(session, by, "organization_deleted", "org", org.id, before={"name": org.name},
                   after={"members": members, "views": views})
            session.delete(org)
            return int(members)

        return self.db.write(write)  # again while the database is busy

    def set_customer(self, customer_id: int, choice: int | str | None, by: Actor = SYSTEM) -> Customer:
        """The customer's organization chosen by hand: an organization's id, None for none (both kept whatever the
        domains become), or AUTO (by their email domain again). One "organization_member_changed" audit event on the
        customer when it changed. Refused naming "organization": no such organization; "customer": no such customer,
        merged away or erased."""

        def write(session: Session) -> Customer:
            customer = row_by_id(session, Customer, customer_id)
            if customer is None:
                raise InputError("customer", N_("no such customer"))
            lock_row(session, Customer, customer_id)
            session.refresh(customer)
            if customer.merged_into_id is not None or customer.erased_at is not None:
                raise InputError("customer", N_("customer #%(id)s was merged or erased"), id=customer_id)
            if choice == AUTO:
                manual, org_id = False, domain_organization(session, customer.email)
            elif choice is None:
                manual, org_id = True, None
            elif isinstance(choice, int) and not isinstance(choice, bool):
                if row_by_id(session, Organization, choice) is None:
                    raise InputError("organization", N_("no organization #%(id)s"), id=choice)
                manual, org_id = True, choice
            else:
                raise InputError("organization", N_("must be an organization, none or automatic"))
            if (customer.organization_id, customer.organization_manual) != (org_id, manual):
                record(session, by, "organization_member_changed", "customer", customer.id,
                       before={"organization": customer.organization_id, "manual": customer.organization_manual},
                       after={"organization": org_id, "manual": manual})
                customer.organization_id, customer.organization_manual = org_id, manual
            return customer

        return self.db.write(write)  # again while the database is busy

