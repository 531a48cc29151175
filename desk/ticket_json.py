"""A ticket as the API answers it without its thread (GET /api/v1/tickets/<id>'s fields, each item of GET /tickets):
one serializer for the API's answers (webapp.api.ticket_fields) and the outbound webhooks' `data.ticket`, which
desk.webhooks takes in the transaction of the change it reports (`snapshots`), so an event describes the ticket as
that change left it. Never the customer's help-center context, never an internal article."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from desk.business_hours import BusinessHours
from desk.models import WITH_DELETED, Ticket, TicketCc, as_utc
from desk.organizations import Organizations
from desk.problems import kind_of
from desk.skills import names_of_many
from desk.ticket_fields import values_of_many
from desk.time_tracking import time_spent_of_many
from kb.ticket_fields import FieldSet, TicketFields


def snoozed_until(ticket: Ticket) -> str | None:
    """The ticket's snooze end in the API's form (ISO 8601, UTC), None when it is awake."""
    return as_utc(ticket.snoozed_until).isoformat() if ticket.snoozed_until is not None else None


def field_values_json(values: dict[str, str], fields: FieldSet) -> dict[str, object]:
    """Stored values as JSON: a checkbox's as true/false, a number's as its decimal text (no float rounding)."""
    out: dict[str, object] = {}
    for key, value in sorted(values.items()):
        field = fields.get(key)
        out[key] = (value == "true") if field is not None and field.type == "checkbox" else value
    return out


def ticket_json(ticket: Ticket, hours: BusinessHours, fields: TicketFields, organization: int | None,
                values: dict[str, str], time_spent: int = 0, skills: list[str] | None = None) -> dict[str, object]:
    """The ticket's fields (`ticket.tags` and `ticket.cc_rows` loaded); `organization` its customer's, `values` its
    custom fields' stored values, `time_spent` its time entries' seconds (desk.time_tracking), `skills` the names of
    the skills it requires (desk.skills)."""
    return {
        "id": ticket.id, "reference": ticket.reference, "subject": ticket.subject, "lang": ticket.lang,
        "status": ticket.status, "priority": ticket.priority, "channel": ticket.channel,
        "team": hours.team_key(ticket.team), "category": ticket.category,
        "created_at": as_utc(ticket.created_at).isoformat(), "updated_at": as_utc(ticket.updated_at).isoformat(),
        "due_at": as_utc(ticket.due_at).isoformat() if ticket.due_at is not None else None,
        "assignee": ticket.assignee_id, "customer": ticket.customer_id,
        "organization": organization,
        "tags": sorted(t.tag for t in ticket.tags), "merged_into": ticket.merged_into_id,
        "snoozed_until": snoozed_until(ticket),
        # Zendesk's `type` ("problem", "incident") and `problem_id`: desk.problems.
        "kind": kind_of(ticket),
        "problem_id": ticket.problem_id,
        "ccs": [{"email": row.customer.email, "name": row.customer.name or ""} for row in ticket.cc_rows],
        "fields": field_values_json(values, fields),
        "time_spent_seconds": time_spent,
        "skills": skills or [],
    }


def snapshots(session: Session, ticket_ids: Iterable[int], hours: BusinessHours,
              fields: TicketFields) -> dict[int, dict[str, Any]]:
    """Each ticket as the caller's transaction sees it now (flushed), read afresh (tags and CCs included, whatever
    the session had loaded before the change): ticket id -> `ticket_json`. Six queries for any number."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    tickets = list(session.scalars(
        select(Ticket).where(Ticket.id.in_(ids))
        .options(selectinload(Ticket.tags), selectinload(Ticket.cc_rows).selectinload(TicketCc.customer))
        .execution_options(populate_existing=True, **{WITH_DELETED: True})))  # a ticket.deleted event's too
    values = values_of_many(session, ids)
    organizations = Organizations.of_customers(session, [t.customer_id for t in tickets])
    spent = time_spent_of_many(session, ids)
    skills = names_of_many(session, ids)
    return {t.id: ticket_json(t, hours, fields, organizations.get(t.customer_id), values.get(t.id, {}),
                              spent.get(t.id, 0), skills.get(t.id))
            for t in tickets}
