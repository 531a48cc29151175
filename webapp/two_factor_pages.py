"""Two-factor sign-in in the workspace (desk.two_factor): the sign-in's second step and the profile's enrolment.

The second step is bound to the password's success: `agent.login` puts a marker in the session (Flask's session
cookie, signed with the app's secret key, so it cannot be made or altered in the browser) holding the agent and when
the password passed; `/agent/login/code` answers only with a marker under MARKER_AGE old. Wrong codes are counted
per agent in the database (desk.two_factor), not in this cookie (a replayed copy of it reset a count kept there): after
KB_TWO_FACTOR_MAX_FAILURES of them the second step is locked for the agent, and the page says until when, in the
agent's time zone (429, with Retry-After). A wrong code is a failed sign-in (audited as the second step's, under the
login's rate limit).

On the profile, "Turn on" (a POST) stores a pending secret; the GET shows it as a QR code (segno's inline SVG: no
script, no request elsewhere) and as text, until a code from the app confirms it. The recovery codes are in the page
the confirming POST answers with, once. After enrolment the secret is in no page.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup

from desk.tickets import InputError
from desk.two_factor import SecondStepLocked, grouped_secret, provisioning_uri, session_mark
from webapp import state
from webapp.agent import _page, acting, bp, interface_lang, profile_page, sign_in_session
from webapp.desk_errors import desk_error
from webapp.formatting import datetime_text
from webapp.security import LOGIN_LIMIT, limiter, safe_next
from webapp.theme import current_theme

MARKER = "sign_in_step"
MARKER_AGE = 300  # seconds between the password and the code: 5 minutes, as the brief and Zendesk's prompt


def start_second_step(agent_id: int, remember: bool, next_path: str | None) -> None:
    """After a right password for an agent with 2FA: the session's marker for `/agent/login/code`, bound to the
    agent's session token as it is now (a password changed meanwhile ends it: desk.two_factor.session_mark)."""
    mark = session_mark(state.desk().accounts.session_token(agent_id))
    session[MARKER] = {"agent": agent_id, "at": int(time.time()), "remember": remember, "next": next_path or "",
                       "mark": mark}


def _marker() -> dict[str, Any] | None:
    marker = session.get(MARKER)
    if not isinstance(marker, dict) or not isinstance(marker.get("agent"), int):
        return None
    if not 0 <= time.time() - float(marker.get("at", 0)) < MARKER_AGE:
        return None
    return marker


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login_code():
    """The sign-in's second step: the app's 6-digit code or a recovery code. Without a fresh marker (no password
    given, or over 5 minutes ago) it sends the agent to the login page; a GET writes nothing."""
    marker = _marker()
    if marker is None:
        session.pop(MARKER, None)
        flash(gettext("Sign in with your password first."), "error")
        return redirect(url_for(".login"))
    g.interface_zone = _agent_zone(marker["agent"]).key  # the lock's end in the agent's zone, as once signed in
    error, two = None, state.desk().two_factor
    if request.method == "POST":
        try:
            agent = two.sign_in(marker["agent"], request.form.get("code", "")[:64], ip=request.remote_addr,
                                mark=str(marker.get("mark", "")))
        except SecondStepLocked as locked:
            return _locked(locked.until)
        if agent is not None:
            session.pop(MARKER, None)
            session.pop("sign_in_method", None)  # webapp.single_sign_on.METHOD: this session passed the desk's code
            sign_in_session(agent, bool(marker.get("remember")))
            return redirect(safe_next(marker.get("next")) or url_for(".inbox"))
        error = gettext("That code is not right, or it was used already. Try the code your app shows now.")
    else:
        until = two.locked_until(marker["agent"])  # read only: a GET writes nothing
        if until is not None:
            return _locked(until)
    return _page("agent/login_code.html", error=error, **_steps(marker["agent"])), (401 if error else 200)


def _steps(agent_id: int) -> dict[str, bool]:
    """Which second steps the agent has: the app's code (2FA on), a passkey (webapp.passkey_pages), or both."""
    desk = state.desk()
    agent = desk.accounts.agent(agent_id)
    return {"code_on": bool(agent and agent.two_factor),
            "passkey_on": desk.passkeys.on and desk.passkeys.count(agent_id) > 0}


def _locked(until: datetime) -> Any:
    """The second step locked for this agent: when to try again (429, Retry-After in seconds)."""
    error = gettext("Too many wrong codes: two-factor sign-in is locked for your account until %(time)s. Try again "
                    "then, or ask an admin to reset your two-factor sign-in.", time=datetime_text(until))
    wait = max(1, math.ceil(until.timestamp() - time.time()))
    return _page("agent/login_code.html", error=error, code_on=True, passkey_on=False), 429, \
        {"Retry-After": str(wait)}


def _agent_zone(agent_id: int) -> ZoneInfo:
    """The zone of the agent signing in (not signed in yet, so not `reader_zone`'s): their own, else the default
    team's (BusinessHours.agent_zone)."""
    desk = state.desk()
    agent = desk.accounts.agent(agent_id)
    return desk.hours.agent_zone(agent.time_zone if agent is not None else None)


def profile_context(agent_id: int, email: str) -> dict[str, Any]:
    """What the profile's two-factor section shows: on (with the recovery codes left), a pending enrolment (the QR
    code and the secret as text), or off."""
    desk = state.desk()
    agent = desk.accounts.agent(agent_id)
    if agent is None:
        return {"two_factor": "off"}
    if agent.two_factor:
        return {"two_factor": "on", "codes_left": desk.two_factor.codes_left(agent_id)}
    secret = desk.two_factor.pending_secret(agent_id)
    if secret:
        issuer = current_theme(state.settings().content_dir).name(interface_lang())
        uri = provisioning_uri(secret, email, issuer)
        qr = segno.make(uri, error="m").svg_inline(scale=4, title=gettext("QR code for your authenticator app"),
                                                    dark="#000", light="#fff")
        return {"two_factor": "pending", "qr": Markup(qr), "secret": grouped_secret(secret)}
    return {"two_factor": "off"}


@bp.post("/profile/two-factor")
@login_required
def two_factor():
    """The profile's two-factor forms (`action`): start, confirm (a code from the app; the recovery codes shown once
    in the answer), cancel a pending enrolment, regenerate the codes, turn off (password or a current code). A wrong
    code or password is the profile again with the error on its field (400), nothing changed."""
    action, desk = request.form.get("action", ""), state.desk()
    try:
        if action == "start":
            desk.two_factor.start(current_user.id)
        elif action == "cancel":
            desk.two_factor.cancel(current_user.id)
        elif action == "confirm":
            codes = desk.two_factor.confirm(current_user.id, request.form.get("code", "")[:64], acting())
            flash(gettext("Two-factor sign-in is on."), "ok")
            return profile_page(recovery_codes=codes)
        elif action == "codes":
            codes = desk.two_factor.regenerate(current_user.id, acting())
            return profile_page(recovery_codes=codes)
        elif action == "disable":
            desk.two_factor.disable(current_user.id, acting(), request.form.get("proof", "")[:200])
            flash(gettext("Two-factor sign-in is off."), "ok")
    except InputError as error:
        return profile_page(two_factor_error={"field": error.field, "message": desk_error(error)}), 400
    return redirect(url_for(".profile"))
