"""Agents' single sign-on through OpenID Connect (Google Workspace, Microsoft Entra ID, Okta): the authorization code
flow with PKCE, by Authlib's Flask client (authlib.integrations.flask_client). Authlib does the protocol: discovery
(`ISSUER/.well-known/openid-configuration`), the state, nonce and PKCE verifier kept in the signed session cookie
and used once, the code's exchange at the token endpoint, and the ID token's checks: its RS256 (or whatever the
provider lists) signature against the provider's JWKS (fetched again when a key id is new: key rotation), the issuer
(the configured one, not only the discovery document's), the audience (our client id: Authlib checks only `azp` by
default, so it is asked for here), expiry, issue time and nonce. This module adds only the desk's policy: the email
must be verified (`email_verified`, or Microsoft's `xms_edov`) and of an allowed domain (KB_OIDC_DOMAINS), and belong to
an active agent (desk.accounts.single_sign_on, which may create one when KB_OIDC_CREATE_AGENTS allows).

The session is the one a password sign-in makes (flask-login with the agent's session token, so a sign-out ends it
everywhere). The desk's own two-factor step is skipped: the identity provider owns multi-factor sign-in
(KB_OIDC_TWO_FACTOR asks for the desk's code too). A refusal is the login page with a reason a person can act on,
audited on the agent when the provider's signed token names one (desk.audit, method "oidc"), and logged with its reason
in any case. Both routes
are under the login's rate limit. The start is a GET (a link, not a form): the site's CSP allows forms to post only
to itself, and Chromium applies that to a form's redirect too; it writes only the session cookie. The callback is
the one GET that writes (the sign-in's audit row, an agent KB_OIDC_CREATE_AGENTS creates): it is the provider's
redirect, and the alternative (`response_mode=form_post`) is a cross-site POST, which the SameSite=Lax session cookie
holding the state is not sent with. It writes only for a token that passed every check, whose state was this
browser's, once.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError

from desk.accounts import SignInRefused
from kb.settings import Settings, SettingsError
from webapp import state
from webapp.agent import _page, bp, interface_lang, sign_in_session
from webapp.forms import LoginForm
from webapp.security import LOGIN_LIMIT, limiter, safe_next
from webapp.urls import absolute_url

log = logging.getLogger(__name__)

CLIENT = "oidc"  # the client's name in Authlib's registry, and the audit's method
SCOPE = "openid email profile"
HTTP_TIMEOUT_S = 10  # discovery, JWKS and the token exchange: a provider slower than this is down
LEEWAY_S = 120  # clock skew allowed on exp/iat (Authlib's default, spelled out)
NEXT = "sso_next"  # the session's `next` path while the browser is at the provider
METHOD = "sign_in_method"  # "oidc" for a session made by single sign-on (KB_REQUIRE_TWO_FACTOR leaves it be)


def check_settings(settings: Settings) -> None:
    """The single sign-on settings together, at start-up: an error names the variable."""
    issuer = settings.oidc_issuer
    if not issuer:
        if not settings.password_sign_in:
            raise SettingsError("KB_PASSWORD_SIGN_IN=off needs single sign-on (KB_OIDC_ISSUER): nobody but admins "
                                "could sign in")
        return
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError(f"KB_OIDC_ISSUER: {issuer!r} is not an https URL such as https://accounts.google.com")
    if parts.scheme == "http" and not (settings.oidc_allow_http or loopback(parts.hostname)):
        raise SettingsError(f"KB_OIDC_ISSUER: {issuer!r} is http: tokens and codes would cross the network in the "
                            "clear; use https (KB_OIDC_ALLOW_HTTP=on allows it, for a test provider only)")
    if not settings.oidc_client_id:
        raise SettingsError("KB_OIDC_CLIENT_ID: single sign-on (KB_OIDC_ISSUER) needs the desk's client id")
    if settings.oidc_create_agents and not settings.oidc_domains:
        raise SettingsError("KB_OIDC_CREATE_AGENTS=on needs KB_OIDC_DOMAINS: else anyone with an account at the "
                            "provider (any Google account) could make themselves an agent")


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def init_app(app: Flask, settings: Settings) -> None:
    """Check the settings and, with an issuer, register the provider in Authlib's registry on the app."""
    check_settings(settings)
    if not settings.oidc_issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret or None,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT_S},
    )


def client() -> Any:
    """The provider's Authlib client, or None without single sign-on."""
    oauth = current_app.extensions.get("authlib.integrations.flask_client")
    return oauth.create_client(CLIENT) if oauth is not None else None


def enabled() -> bool:
    return bool(state.settings().oidc_issuer)


def passwords_for_admins_only() -> bool:
    settings = state.settings()
    return bool(settings.oidc_issuer) and not settings.password_sign_in


def login_context() -> dict[str, Any]:
    """The login page's single sign-on button (its provider's name, and the `next` it carries) and whether the
    password form is for admins only."""
    settings = state.settings()
    return {"sso_name": settings.oidc_name if settings.oidc_issuer else None,
            "sso_next": safe_next(request.args.get("next")) or "",
            "admins_only_passwords": passwords_for_admins_only()}


def profile_context(role: str) -> dict[str, Any]:
    """The profile's "How you sign in": the ways (sign_in_ways), the provider's name, whether its sign-in is followed
    by the desk's own two-factor code."""
    settings = state.settings()
    return {"sign_in_ways": sign_in_ways(role), "sso_name": settings.oidc_name,
            "sso_two_factor": settings.oidc_two_factor}


def sign_in_ways(role: str) -> list[str]:
    """How an agent of `role` signs in, as the profile and the admin page say it: "oidc", "password", or both."""
    settings = state.settings()
    ways = ["oidc"] if settings.oidc_issuer else []
    if settings.password_sign_in or not settings.oidc_issuer or role == "admin":
        ways.append("password")
    return ways


def refusal_text(reason: str) -> str:
    """What the login page says to a refused single sign-on: enough to act on, nothing an attacker learns from."""
    name = state.settings().oidc_name
    texts = {
        "unknown_email": gettext("Your %(name)s account's email is not an agent's here. Ask an admin to add you as an "
                                 "agent with that email.", name=name),
        "deactivated": gettext("Your agent account is deactivated. Ask an admin to reactivate it."),
        "email_not_verified": gettext("%(name)s did not confirm that your email address is verified, so it cannot "
                                      "sign you in here.", name=name),
        "domain": gettext("Your %(name)s account's email domain is not one this help desk accepts.", name=name),
        "state": gettext("That sign-in link was used already or has expired. Sign in again."),
        "denied": gettext("%(name)s did not sign you in.", name=name),
        "unreachable": gettext("%(name)s could not be reached. Try again in a minute, or ask an admin.", name=name),
    }
    return texts.get(reason, gettext("%(name)s's answer could not be checked, so you are not signed in. Try again, or "
                                     "ask an admin to look at the server's log.", name=name))


def _refused(reason: str, email: str = "", status: int = 401) -> Any:
    session.pop(NEXT, None)
    log.warning("single sign-on refused (%s)%s from %s", reason, f" for {email}" if email else "",
                request.remote_addr)
    form = LoginForm(interface_lang())
    return _page("agent/login.html", form=form, error=refusal_text(reason), **login_context()), status


@bp.get("/login/sso")
@limiter.limit(LOGIN_LIMIT)
def sso_start():
    """To the provider's sign-in, with a fresh state, nonce and PKCE verifier (Authlib keeps them in the session)."""
    provider = client() if enabled() else None
    if provider is None:
        abort(404)
    session[NEXT] = safe_next(request.args.get("next")) or ""
    try:
        return provider.authorize_redirect(absolute_url(state.settings(), "agent.sso_callback"))
    except (requests.RequestException, ValueError, RuntimeError) as error:  # discovery unreachable or not JSON
        log.warning("single sign-on: the provider's discovery document could not be read: %s", error)
        return _refused("unreachable", status=503)


def claims_options(settings: Settings) -> dict[str, Any]:
    """What Authlib checks of the ID token's claims besides signature, expiry and nonce: the configured issuer and
    our client id as the audience (by default Authlib takes the issuer from discovery and checks no audience)."""
    return {"iss": {"essential": True, "value": settings.oidc_issuer},
            "aud": {"essential": True, "value": settings.oidc_client_id}}


def verified(claims: dict[str, Any]) -> bool:
    """The provider vouches for the email: `email_verified` true (Google, Okta), or Microsoft Entra ID's `xms_edov`
    (its optional claim: the email's domain is verified by the user's tenant). A string "true" is taken too (some
    providers send one)."""
    return any(claims.get(name) is True or claims.get(name) == "true" for name in ("email_verified", "xms_edov"))


@bp.get("/login/sso/callback")
@limiter.limit(LOGIN_LIMIT)
def sso_callback():
    """The provider's redirect back: the code exchanged, the ID token checked (Authlib), the agent found; signed in
    as a password sign-in signs in, or the login page with the reason."""
    provider = client() if enabled() else None
    if provider is None:
        abort(404)
    settings = state.settings()
    try:
        token = provider.authorize_access_token(claims_options=claims_options(settings), leeway=LEEWAY_S)
    except MismatchingStateError:
        return _refused("state")
    except ExpiredTokenError:
        return _refused("expired")
    except ClaimError as error:
        return _refused({"nonce": "nonce", "aud": "audience", "azp": "audience", "iss": "issuer"}.get(error.claim,
                                                                                                       "token"))
    except (BadSignatureError, InvalidKeyIdError):
        return _refused("signature")
    except JoseError:
        return _refused("token")
    except requests.RequestException as error:
        log.warning("single sign-on: the provider could not be reached: %s", error)
        return _refused("unreachable", status=503)
    except AuthlibBaseError as error:  # the provider's own refusal (access_denied, invalid_grant: a code used twice)
        log.warning("single sign-on: the provider answered %s (%s)", error.error, error.description)
        return _refused("denied")
    except ValueError as error:  # its token endpoint answered what is not a JSON object (an HTML error page): a 500
        log.warning("single sign-on: the provider's token answer could not be read: %s", error)
        return _refused("token")
    claims = token.get("userinfo") or {}
    email = str(claims.get("email") or "").strip()
    if not email:
        return _refused("token")
    accounts = state.desk().accounts
    domain = email.rpartition("@")[2].lower()
    for reason, refused in (("email_not_verified", not verified(claims)),
                            ("domain", bool(settings.oidc_domains) and domain not in settings.oidc_domains)):
        if refused:
            accounts.refuse_sign_on(email, reason, ip=request.remote_addr)
            return _refused(reason, email)
    try:
        probe = accounts.find(email)
        second_step = bool(settings.oidc_two_factor and probe is not None and probe.two_factor)
        agent = accounts.single_sign_on(email, str(claims.get("name") or ""), create=settings.oidc_create_agents,
                                        ip=request.remote_addr, two_factor_follows=second_step)
    except SignInRefused as refused:
        return _refused(refused.reason, email, status=403 if refused.reason == "deactivated" else 401)
    next_path = safe_next(session.pop(NEXT, None)) or None
    if second_step:  # KB_OIDC_TWO_FACTOR: the desk's own code too (webapp.two_factor_pages)
        from webapp import two_factor_pages

        two_factor_pages.start_second_step(agent.id, False, next_path)
        return redirect(url_for(".login_code"))
    sign_in_session(agent, False)
    session[METHOD] = CLIENT
    return redirect(next_path or url_for(".inbox"))
