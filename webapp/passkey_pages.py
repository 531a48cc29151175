"""Passkeys in the workspace (desk.passkeys): the profile's list (register, rename, remove) and the two sign-ins, as
the second step after the password ("Use a passkey" on `/agent/login/code`) and alone from the login page ("Sign in
with a passkey": passwordless, the passkey names the agent).

Each ceremony is two POSTs: the options (a challenge stored in the desk, single-use and 5 minutes long, and kept in
the signed session for the answer), then the browser's credential as JSON (static/passkeys.js calls
`navigator.credentials` with them). Every POST carries the CSRF token; the sign-in ones are under the login's rate
limit. A refused response says only "not accepted" (the reason is audited, desk.passkeys). Removing a passkey asks for
the password or a current code, as turning two-factor sign-in off does; naming one does not.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from werkzeug.security import check_password_hash

from desk.passkeys import CHALLENGE_AGE, PasskeyRefused
from desk.tickets import InputError
from desk.translatable import N_
from desk.two_factor import session_mark
from webapp import state
from webapp.agent import acting, bp, profile_page, sign_in_session
from webapp.desk_errors import desk_error
from webapp.security import LOGIN_LIMIT, limiter, safe_next
from webapp.two_factor_pages import MARKER, _marker

CEREMONY = "passkey_ceremony"  # the session's key for the challenge a ceremony's answer must carry


def _begin(purpose: str, options: tuple[str, bytes]) -> Any:
    text, challenge = options
    session[CEREMONY] = {"purpose": purpose, "challenge": bytes_to_base64url(challenge), "at": int(time.time())}
    return text, 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _challenge(purpose: str) -> bytes | None:
    """The challenge of this session's ceremony for `purpose` (used up: popped), or None."""
    ceremony = session.pop(CEREMONY, None)
    if not isinstance(ceremony, dict) or ceremony.get("purpose") != purpose:
        return None
    if not 0 <= time.time() - float(ceremony.get("at", 0)) < CHALLENGE_AGE.total_seconds():
        return None
    try:
        return base64url_to_bytes(str(ceremony.get("challenge", "")))
    except ValueError:
        return None


def _refused(status: int = 400) -> Any:
    return jsonify(error=gettext("The passkey was not accepted. Try again, or sign in another way.")), status


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def profile_context(agent_id: int) -> dict[str, Any]:
    desk = state.desk()
    return {"passkeys_on": desk.passkeys.on, "passkeys": desk.passkeys.list(agent_id) if desk.passkeys.on else []}


# The profile --------------------------------------------------------------------------------------------------------


@bp.post("/profile/passkeys/options")
@login_required
def passkey_register_options():
    try:
        return _begin("register", state.desk().passkeys.registration_options(current_user.id))
    except InputError as error:
        return jsonify(error=desk_error(error), field=error.field), 400


@bp.post("/profile/passkeys")
@login_required
def passkey_register():
    """The browser's new credential (`credential`) and its `name`: stored, or the error on its field (400)."""
    body, desk = _body(), state.desk()
    challenge = _challenge("register")
    if challenge is None:
        return _refused()
    try:
        desk.passkeys.register(current_user.id, challenge, body.get("credential"), body.get("name"), acting())
    except InputError as error:
        return jsonify(error=desk_error(error), field=error.field), 400
    except PasskeyRefused:
        return _refused()
    flash(gettext("Passkey added."), "ok")
    return jsonify(redirect=url_for(".profile"))


@bp.post("/profile/passkeys/<int:passkey_id>")
@login_required
def passkey_edit(passkey_id: int):
    """Rename (`name`) or remove (`proof`: the password or a current code) one of the agent's passkeys."""
    action, desk = request.form.get("action", ""), state.desk()
    try:
        if action == "rename":
            desk.passkeys.rename(current_user.id, passkey_id, request.form.get("name", "")[:200], acting())
            flash(gettext("Passkey renamed."), "ok")
        elif action == "remove":
            proof = request.form.get("proof", "")[:200]
            agent = desk.accounts.agent(current_user.id)
            if not (proof and agent is not None and (check_password_hash(agent.password_hash, proof)
                                                     or desk.two_factor.verify(current_user.id, proof))):
                raise InputError("proof", N_("neither your password nor a current code"))
            desk.passkeys.remove(current_user.id, passkey_id, acting())
            flash(gettext("Passkey removed."), "ok")
        else:
            raise InputError("action", N_("must be one of %(allowed)s"), allowed="rename, remove")
    except InputError as error:
        return profile_page(passkey_error={"id": passkey_id, "field": error.field,
                                           "message": desk_error(error)}), 400
    return redirect(url_for(".profile"))


# Sign-in ------------------------------------------------------------------------------------------------------------


@bp.post("/login/passkey/options")
@limiter.limit(LOGIN_LIMIT)
def passkey_sign_in_options():
    """Options for the second step (a fresh marker: the password passed) or, without one, a passwordless sign-in."""
    desk, marker = state.desk(), _marker()
    if not desk.passkeys.on:
        return _refused(404)
    agent_id = marker["agent"] if marker is not None and _body().get("step") == "second" else None
    return _begin("second_step" if agent_id else "sign_in", desk.passkeys.sign_in_options(agent_id))


@bp.post("/login/passkey")
@limiter.limit(LOGIN_LIMIT)
def passkey_sign_in():
    """The browser's assertion (`credential`): the agent signed in and where to go next (JSON), or 401."""
    desk, marker = state.desk(), _marker()
    second = marker is not None and _body().get("step") == "second"
    challenge = _challenge("second_step" if second else "sign_in")
    if challenge is None or not desk.passkeys.on:
        return _refused(400)  # no ceremony begun in this session (or it is over 5 minutes old)
    agent_id = marker["agent"] if second and marker is not None else None
    if marker is not None and second and not hmac.compare_digest(
            str(marker.get("mark", "")), session_mark(desk.accounts.session_token(marker["agent"]))):
        return _refused(401)  # the password changed (or every session ended) since this sign-in's password
    try:
        agent = desk.passkeys.sign_in(challenge, _body().get("credential"), agent_id=agent_id, ip=request.remote_addr)
    except PasskeyRefused:
        return _refused(401)
    session.pop(MARKER, None)
    sign_in_session(agent, bool(marker.get("remember")) if second and marker is not None else False)
    next_path = safe_next(marker.get("next")) if second and marker is not None else safe_next(_body().get("next"))
    return jsonify(redirect=next_path or url_for(".inbox"))
