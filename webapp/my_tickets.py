""""My tickets": a customer sees all their tickets without keeping any URL.

They give their email address; if it has tickets, a signed link (itsdangerous, valid for
`LINK_MAX_AGE`) is mailed to it. The page says the same whether or not the address is known, so it
cannot be used to find out who wrote to the help center.

Opening the link also remembers it in the browser's session (`SESSION_KEY`, until it expires): a reply posted from a
ticket's page in that browser is then known to come from the link's address, so a CC's words on a ticket they are
copied on are stored as theirs (`reader_email`; desk.ccs), not as the requester's.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired

from desk.tickets import InputError, clean_email
from webapp import state
from webapp.help import page
from webapp.security import CONTACT_LIMIT, limiter, signer

bp = Blueprint("my_tickets", __name__)

LINK_MAX_AGE = 24 * 3600
SALT = "my-tickets"
SESSION_KEY = "my_tickets_link"


def _lang(lang: str) -> None:
    if lang not in state.settings().languages:
        abort(404)


@bp.get("/<lang>/my-tickets")
def ask(lang: str) -> str:
    _lang(lang)
    return page("my_tickets.html", lang, tickets=None, expired=False)


@bp.post("/<lang>/my-tickets")
@limiter.limit(CONTACT_LIMIT)
def send_link(lang: str):
    _lang(lang)
    try:
        email = clean_email(request.form.get("email", ""))
    except InputError:
        flash(_("Please enter a valid email address."), "error")
        return page("my_tickets.html", lang, tickets=None, expired=False), 400
    signed = signer(SALT).dumps(email)
    state.desk().outbox.queue_magic_link(email, lang, url_for(".tickets", lang=lang, signed=signed))
    flash(_("If we have tickets for this address, we have emailed it a link to them. It works for 24 hours."),
          "ok")
    return redirect(url_for(".ask", lang=lang))


@bp.get("/<lang>/my-tickets/<signed>")
def tickets(lang: str, signed: str):
    _lang(lang)
    try:
        email = signer(SALT).loads(signed, max_age=LINK_MAX_AGE)
    except SignatureExpired:
        return page("my_tickets.html", lang, tickets=None, expired=True), 410
    except BadSignature:
        abort(404)
    session[SESSION_KEY] = signed  # the cookie only: nothing is written to the database
    return page("my_tickets.html", lang, tickets=state.desk().tickets.by_customer_email(email), email=email,
                expired=False)


def reader_email() -> str | None:
    """The address whose "My tickets" link this browser opened, while the link is valid; else None."""
    signed = session.get(SESSION_KEY)
    if not isinstance(signed, str):
        return None
    try:
        email = signer(SALT).loads(signed, max_age=LINK_MAX_AGE)
    except BadSignature:  # SignatureExpired too
        return None
    return email if isinstance(email, str) else None
