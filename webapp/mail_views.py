"""Wiring of the mail-related pages into the app: the survey, "My tickets", attachment downloads,
and the template helpers the ticket pages use for delivery states, attachments and the survey offer."""

from __future__ import annotations

from flask import Flask, g

from desk.mail.outbox import DeliveryState
from desk.models import Attachment, CsatSurvey
from desk.surveys import answerable
from webapp import state


def delivery_states(ticket_id: int) -> dict[int, DeliveryState]:
    """Per message id; read once per request however many messages the page shows."""
    cache = g.setdefault("mail_delivery_states", {})
    if ticket_id not in cache:
        cache[ticket_id] = state.desk().outbox.states_for_ticket(ticket_id)
    return cache[ticket_id]


def ticket_attachments(ticket_id: int, public: bool = False) -> list[Attachment]:
    return state.desk().attachments.for_ticket(ticket_id, public)


def message_attachments(ticket_id: int, public: bool = False) -> dict[int, list[Attachment]]:
    """Per message id (the files listed under each message); read once per request and audience."""
    cache = g.setdefault("message_attachments", {})
    if (ticket_id, public) not in cache:
        cache[ticket_id, public] = state.desk().attachments.by_message(ticket_id, public)
    return cache[ticket_id, public]  # type: ignore[no-any-return]


def survey_offer(ticket_id: int) -> CsatSurvey | None:
    """The solved ticket's survey, while it can still be answered or changed."""
    found = state.desk().surveys.latest_for_ticket(ticket_id)
    return found if found is not None and answerable(found) else None


def init_mail_views(app: Flask) -> None:
    from webapp import attachments, my_tickets, suggested_pages, survey

    app.register_blueprint(survey.bp)
    app.register_blueprint(suggested_pages.bp)
    app.register_blueprint(my_tickets.bp)
    app.register_blueprint(attachments.bp)
    app.jinja_env.globals.update(
        mail_delivery_states=delivery_states, mail_attachments=ticket_attachments, mail_survey_offer=survey_offer,
        message_attachments=message_attachments,
    )
