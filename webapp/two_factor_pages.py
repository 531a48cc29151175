"""Two-factor sign-in in the workspace (desk.two_factor): the sign-in's second step and the profile's enrolment.

The second step is bound to the password's success: `agent.login` puts a marker in the session (Flask's session
cookie, signed with the app's secret key, so it cannot be made or altered in the browser) holding the agent and when
the password passed; `/agent/login/code` answers only with a marker under MARKER_AGE old, and five wrong codes drop it
(the password again). A wrong code is a failed sign-in (audited as the second step's, under the login's rate limit).

On the profile, "Turn on" (a POST) stores a pending secret; the GET shows it as a QR code (segno's inline SVG: no
script, no request elsewhere) and as text, until a code from the app confirms it. The recovery codes are in the page
the confirming POST answers with, once. After enrolment the secret is in no page.
"""

from __future__ import annotations

import time
from typing import Any

import segno
from flask import flash, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from desk.tickets import InputError
from desk.two_factor import grouped_secret, provisioning_uri, session_mark
from webapp import state
from webapp.agent import AgentUser, _page, acting, bp, interface_lang, profile_page
from webapp.desk_errors import desk_error
from webapp.security import LOGIN_LIMIT, limiter, safe_next
from webapp.theme import current_theme

MARKER = "sign_in_step"
MARKER_AGE = 300  # seconds between the password and the code: 5 minutes, as the brief and Zendesk's prompt
MAX_TRIES = 5  # wrong codes on one marker before the password is asked again


def start_second_step(agent_id: int, remember: bool, next_path: str | None) -> None:
    """After a right password for an agent with 2FA: the session's marker for `/agent/login/code`, bound to the
    agent's session token as it is now (a password changed meanwhile ends it: desk.two_factor.session_mark)."""
    mark = session_mark(state.desk().accounts.session_token(agent_id))
    session[MARKER] = {"agent": agent_id, "at": int(time.time()), "remember": remember, "next": next_path or "",
                       "tries": 0, "mark": mark}


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
    error = None
    if request.method == "POST":
        agent = state.desk().two_factor.sign_in(marker["agent"], request.form.get("code", "")[:64],
                                                ip=request.remote_addr, mark=str(marker.get("mark", "")))
        if agent is not None:
            session.pop(MARKER, None)
            login_user(AgentUser.of(agent, state.desk().accounts.session_token(agent.id)),
                       remember=bool(marker.get("remember")))
            return redirect(safe_next(marker.get("next")) or url_for(".inbox"))
        marker["tries"] = int(marker.get("tries", 0)) + 1
        if marker["tries"] >= MAX_TRIES:
            session.pop(MARKER, None)
            flash(gettext("Too many wrong codes: sign in with your password again."), "error")
            return redirect(url_for(".login"))
        session[MARKER] = marker
        error = gettext("That code is not right, or it was used already. Try the code your app shows now.")
    return _page("agent/login_code.html", error=error), (401 if error else 200)


def profile_context(agent_id: int, email: str) -> dict[str, Any]:
    """What the profile's two-factor section shows: on (with the recovery codes left), a pending enrolment (the QR
    code and the secret as text), or off."""
    desk = state.desk()
    agent = desk.accounts.agent(agent_id)
    if agent is None:
        return {"two_factor": "off"}
    if agent.two_factor:
        return {"two_factor": "on", "codes_left": desk.two_factor.codes_left(agent_id)}
    if agent.two_factor_secret:
        issuer = current_theme(state.settings().content_dir).name(interface_lang())
        uri = provisioning_uri(agent.two_factor_secret, email, issuer)
        qr = segno.make(uri, error="m").svg_inline(scale=4, title=gettext("QR code for your authenticator app"),
                                                    dark="#000", light="#fff")
        return {"two_factor": "pending", "qr": Markup(qr), "secret": grouped_secret(agent.two_factor_secret)}
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
