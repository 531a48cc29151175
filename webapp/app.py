"""The Flask application factory."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from copilot.engine import Engine
from copilot.retrieval import SearchUnavailable
from desk.database import StorageUnavailableError
from desk.desk import Desk
from desk.events import MAX_VOTE_COMMENT
from desk.signatures import SEPARATOR
from kb.catalog import Catalog
from kb.settings import Settings, passkey_origins, widget_origins
from webapp.formatting import init_formatting
from webapp.forms import vote_reasons
from webapp.i18n import init_babel, select_locale
from webapp.paging import MAX_SHOWN_PAGE, BadPageNumber
from webapp.search_feedback import stored_click_boosts
from webapp.security import (
    CONTENT_SECURITY_POLICY,
    JSONBodyError,
    SafeJSONProvider,
    cookie_settings,
    csrf,
    limiter,
    login_manager,
    refuse_long_request_lines,
    refuse_nul_in_urls,
    stored_secret,
)
from webapp.ticket_advice import agent_suggester

MAX_REQUEST_BYTES = 1024 * 1024
_WIRING = threading.Lock()
SEARCH_RETRY_AFTER_S = 30  # a restarted Qdrant node is back within this on the deploy's health checks


def wire(app: Flask, settings: Settings, engine: Engine, desk: Desk) -> None:
    """Every shared part the blueprints use, built here once (under a lock: tests and the preview
    build apps on several threads) so that no request builds one and no two requests race to.
    `webapp.state` only reads what this put on `app.extensions`. Models still load lazily (or in
    `Engine.warm_up`); building the parts opens the store and the database, nothing heavier."""
    with _WIRING:
        engine.wire()
        desk.wire()
        app.extensions["settings"] = settings
        app.extensions["engine"] = engine
        app.extensions["catalog"] = Catalog(settings)
        app.extensions["desk"] = desk
        app.extensions["suggester"] = agent_suggester(engine, desk)  # the one the worker's advice pass uses
        app.extensions["click_feedback"] = stored_click_boosts(settings)  # None unless KB_CLICK_FEEDBACK


def follow_rules() -> None:
    """before_request: the desk's rules follow content/_triggers.yml, _ticket_fields.yml and _business_hours.yml
    (desk.desk's `follow_rules`: a stat of each every KB_RULES_CHECK_SECONDS; a wrong change keeps the last good)."""
    current_app.extensions["desk"].follow_rules()


def create_app(settings: Settings | None = None, engine: Engine | None = None, desk: Desk | None = None) -> Flask:
    settings = settings or (engine.settings if engine else Settings.from_env())
    # Checked here too (from_env checks the environment's): origins set in code, named when one is wrong.
    settings = replace(settings, widget_origins=widget_origins(settings.widget_origins),
                       passkey_origins=passkey_origins(settings.passkey_origins))
    app = Flask(__name__)
    app.json = SafeJSONProvider(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    cookie_settings(app)  # before the blueprints: it bounds every route's <int:...>
    app.config.update(
        SECRET_KEY=settings.secret_key or stored_secret(settings.data_dir),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
        RATELIMIT_ENABLED=settings.rate_limits,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    wire(app, settings, engine or Engine(settings), desk or Desk(settings))
    app.extensions["desk"].events.write_in_background(settings.analytics_queue)
    # Plain two-factor secrets (an older release's) sealed, old-key ones sealed again (desk.secret_box says why here)
    app.extensions["desk"].two_factor.seal_stored()
    init_babel(app, settings.languages)
    init_formatting(app)
    app.before_request(refuse_long_request_lines)  # first: before the limiter, sessions or a view parse the URL
    app.before_request(refuse_nul_in_urls)
    app.before_request(follow_rules)  # a changed rule file (triggers, fields, business hours) between requests
    limiter.init_app(app)  # before CSRF, so requests without a token count against the limit too
    from webapp import agent, answers, api, help
    from webapp.attachments import allow_uploads

    app.before_request(allow_uploads)  # before CSRF reads the form: replies, notes and customers' forms carry files
    csrf.init_app(app)
    login_manager.init_app(app)
    from webapp import single_sign_on

    single_sign_on.init_app(app, settings)  # KB_OIDC_*: checked here, so a wrong one stops the start naming itself

    app.register_blueprint(api.bp)
    app.register_blueprint(help.bp)
    app.register_blueprint(answers.bp)  # the answer card's vote
    app.add_template_global(vote_reasons)  # "What went wrong?" after "no", on articles and answer cards
    app.jinja_env.globals["vote_comment_limit"] = MAX_VOTE_COMMENT
    app.jinja_env.globals["signature_separator"] = SEPARATOR  # a reply's signature under it (_signature.html)
    app.register_blueprint(agent.bp)
    from webapp import held_mail

    app.register_blueprint(held_mail.bp)
    from webapp import widget

    app.register_blueprint(widget.bp)
    csrf.exempt(widget.bp)  # no session in another site's frame: its posts carry the widget's signed token instead
    csrf.exempt(api.bp)  # the JSON API authenticates with bearer tokens, not cookies
    from webapp import hooks

    app.register_blueprint(hooks.bp)
    csrf.exempt(hooks.bp)  # a git host proves itself with the shared secret; it has no session to forge
    from webapp import reports

    app.register_blueprint(reports.bp)
    from webapp.mail_views import init_mail_views

    init_mail_views(app)
    from webapp import dashboard, metrics_api, seo

    app.register_blueprint(seo.bp)  # /robots.txt, /sitemap.xml

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(metrics_api.bp)
    csrf.exempt(metrics_api.bp)  # token-authenticated JSON, like the rest of the API
    app.add_template_global(dashboard.active_notices)

    def page_lang() -> str:
        """The language gettext renders the page's text in (the URL's, the agent's, the browser's):
        `<html lang dir>` and the site's name must follow it, or an Arabic heading sits under lang="en"."""
        return select_locale(settings.languages)

    def error_page(status: int, reason: str = "", **context: object):  # type: ignore[no-untyped-def]
        return help.page("error.html", page_lang(), status=status, reason=reason, **context), status

    def csrf_refused(exc: CSRFError):  # type: ignore[no-untyped-def]
        """A form whose token is missing or does not match the session (cookies cleared, the
        server's secret changed). A script gets JSON; the contact form comes back with what the
        customer typed and a fresh token; any other form, a page in the reader's language."""
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": f"the CSRF token was refused ({exc.description}): reload the page"}), 400
        if request.endpoint == "help.contact":
            return help.contact_refused((request.view_args or {}).get("lang", ""))
        return error_page(400, reason="csrf")

    def search_unavailable(exc: SearchUnavailable):  # type: ignore[no-untyped-def]
        """A Qdrant outage: a named 503 the client can retry (JSON on the API), never a bare 500."""
        headers = {"Retry-After": str(SEARCH_RETRY_AFTER_S)}
        if request.path.startswith("/api/"):
            return jsonify({"error": str(exc), "reason": exc.reason}), 503, headers
        return help.page("unavailable.html", page_lang()), 503, headers

    app.register_error_handler(SearchUnavailable, search_unavailable)

    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if api.is_api_request() or isinstance(exc, JSONBodyError):  # a script's post reads JSON back too
            return api.json_http_error(exc)  # never an HTML page under /api/
        if isinstance(exc, CSRFError):
            return csrf_refused(exc)
        if isinstance(exc, BadPageNumber):  # a list's ?page= (webapp.paging): named, in the reader's language
            return error_page(400, reason="page", value=request.args.get("page", "")[:MAX_SHOWN_PAGE])
        if exc.code in (403, 404, 413, 429):  # 413: files past a form's upload limit (webapp.attachments)
            return error_page(exc.code)
        return exc

    def unavailable(exc: StorageUnavailableError):  # type: ignore[no-untyped-def]
        if api.is_api_request():
            return api.json_unavailable(exc)
        page = help.page("storage_unavailable.html", page_lang(), status=503, files_full=exc.store == "files")
        return page, 503, {"Retry-After": str(exc.retry_after)}

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(StorageUnavailableError, unavailable)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if seo.request_is_private():  # a ticket's reference, a survey's token: never in another site's logs
            response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def close_app(app: Any) -> None:
    """Release what an app holds, for one that is done (a gunicorn worker on exit, a test): the
    engine's store, and the desk (its queued analytics are written first, then their thread ends,
    then its database connections are closed). Also what the caller passed to `create_app`."""
    extensions = getattr(app, "extensions", {})
    for name in ("engine", "desk"):
        part = extensions.get(name)
        if part is not None:
            part.close()
