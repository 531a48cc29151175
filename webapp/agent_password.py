"""An agent's own password by email: an admin's invitation (Zendesk's and Chatwoot's agent invitation) and "Forgot
your password?" on the login page (their "reset password" mail). Routes on the agent blueprint.

A link is signed (itsdangerous, with the app's secret key, as the customers' "My tickets" links: nothing stored but
the mail) and names the agent, what it is for, the page's language and `desk.accounts.link_state`: a digest that
changes once a password is set through it (the link works once), once an invitation is resent or revoked (the one
before stops working). An invitation works for INVITATION_MAX_AGE, a reset link for RESET_MAX_AGE. The link's GET
shows the form and writes nothing; its POST sets the password (the rule every password meets, refused naming the
field), ends the agent's other sessions (desk.accounts._new_password) and signs in, two-factor as at the login.
A link that is not one, has expired, was used or replaced, or whose agent is deactivated is a page saying so (404 or
410), in the link's language when it can be read.

"Forgot your password?" answers the same whether or not the address is an agent's (no account enumeration), under the
contact form's rate limit; a deactivated agent, or one who is not an admin while password sign-in is for admins only
(KB_PASSWORD_SIGN_IN off), gets nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext, refresh
from itsdangerous import BadSignature
from werkzeug.wrappers import Response

from desk.accounts import PasswordLinkGone, link_state
from desk.models import Agent
from desk.tickets import InputError, clean_email
from webapp import single_sign_on, state
from webapp.agent import _page, bp, interface_lang, password_signed_in
from webapp.desk_errors import desk_error
from webapp.security import CONTACT_LIMIT, LOGIN_LIMIT, limiter, signer

SALT = "agent-password"
INVITE, RESET = "invite", "reset"
INVITATION_MAX_AGE = 7 * 24 * 3600  # a week, as Zendesk's invitation
RESET_MAX_AGE = 3600  # an hour: a reset link in a mailbox is a password for whoever reads it
MAX_AGE = {INVITE: INVITATION_MAX_AGE, RESET: RESET_MAX_AGE}


def link_maker(purpose: str, lang: str) -> Callable[[Agent], str]:
    """How desk.accounts makes the link it mails to `agent` (its id known once the row is flushed)."""
    def link(agent: Agent) -> str:
        shown = agent.locale if agent.locale in state.settings().languages else lang  # the mail's language too
        token = signer(SALT).dumps([agent.id, purpose, link_state(agent), shown])
        return url_for("agent.password_link", token=token)

    return link


def _read(token: str) -> tuple[Agent | None, str, str]:
    """The link's agent (None: not a link, expired, used, replaced, deactivated), its purpose and language, and why
    it does not work: "" when it does, "bad" (not a link of ours) or "gone" (expired, used, replaced)."""
    try:
        payload, signed_at = signer(SALT).loads(token[:2000], return_timestamp=True)
    except BadSignature:
        return None, "", "bad"
    if not (isinstance(payload, list) and len(payload) == 4 and isinstance(payload[0], int)
            and payload[1] in MAX_AGE and all(isinstance(part, str) for part in payload[2:])):
        return None, "", "bad"
    agent_id, purpose, link, lang = payload
    if lang in state.settings().languages:
        g.interface_lang = lang  # the page in the mail's language (webapp.i18n.select_locale)
        refresh()
    if not 0 <= time.time() - signed_at.timestamp() < MAX_AGE[purpose] or not 0 < agent_id < 2**63:
        return None, purpose, "gone"
    agent = state.desk().accounts.link_agent(agent_id, link)
    return agent, purpose, "" if agent is not None else "gone"


def _link_page(agent: Agent | None, purpose: str, why: str, error: str = "") -> tuple[str, int]:
    status = {"bad": 404, "gone": 410}.get(why, 400 if error else 200)
    return _page("agent/password_link.html", who=agent, purpose=purpose, why=why, error=error,
                 invite_days=INVITATION_MAX_AGE // 86400), status


@bp.route("/password/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def password_link(token: str):
    """The invitation's or reset link's page: the GET shows the form (nothing written), the POST sets the password
    and signs in (or says why the link no longer works)."""
    agent, purpose, why = _read(token)
    if agent is None or request.method == "GET":
        return _link_page(agent, purpose, why)
    password = request.form.get("password", "")[:4000]  # past MAX_PASSWORD: refused whole, never cut to fit
    accounts = state.desk().accounts
    try:
        agent = accounts.set_password_by_link(agent.id, link_state(agent), password, ip=request.remote_addr)
    except InputError as error:
        return _link_page(agent, purpose, "", desk_error(error))
    except PasswordLinkGone:  # used meanwhile (another tab), or the agent deactivated
        return _link_page(None, purpose, "gone")
    if single_sign_on.passwords_for_admins_only() and not agent.is_admin:
        flash(gettext("Your password is set. Agents sign in with %(name)s: password sign-in is kept for admins "
                      "only.", name=state.settings().oidc_name), "ok")
        return redirect(url_for(".login"))
    flash(gettext("Your password is set."), "ok")
    return password_signed_in(agent, False, None)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(CONTACT_LIMIT, methods=["POST"])
def forgot_password() -> Response | tuple[str, int] | str:
    """"Forgot your password?": an address, then the same answer whoever it belongs to."""
    if request.method == "GET":
        return _page("agent/forgot_password.html", email="")
    email = request.form.get("email", "")[:400]
    try:
        clean_email(email)  # a typing mistake is said; whether the address is an agent's never is
    except InputError as error:
        return _page("agent/forgot_password.html", email=email, error=desk_error(error)), 400
    lang = interface_lang()
    state.desk().accounts.request_password_reset(email, link_maker(RESET, lang), lang, ip=request.remote_addr,
                                                 admins_only=single_sign_on.passwords_for_admins_only())
    flash(gettext("If this address belongs to an agent, we have emailed it a link to set a new password. It works "
                  "for an hour."), "ok")
    return redirect(url_for(".login"))


def invite_lang(chosen: str | None) -> str:
    """The invitation's language: the one the admin picked if the site has it, else the desk's default (first)."""
    languages = state.settings().languages
    return chosen if chosen in languages else languages[0]
