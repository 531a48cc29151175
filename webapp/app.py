"""The Flask application factory."""

from __future__ import annotations

from flask import Flask, jsonify, request

from copilot.engine import Engine
from desk.desk import Desk
from kb.catalog import Catalog
from kb.settings import Settings
from webapp.i18n import init_babel
from webapp.security import CONTENT_SECURITY_POLICY, csrf, limiter, login_manager, stored_secret
from webapp.texts import labels

MAX_REQUEST_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None, engine: Engine | None = None, desk: Desk | None = None) -> Flask:
    settings = settings or (engine.settings if engine else Settings.from_env())
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config.update(
        SECRET_KEY=settings.secret_key or stored_secret(settings.data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
        RATELIMIT_ENABLED=settings.rate_limits,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.extensions["engine"] = engine or Engine(settings)
    app.extensions["catalog"] = Catalog(settings)
    app.extensions["desk"] = desk or Desk(settings)
    app.extensions["settings"] = settings
    init_babel(app, settings.languages)
    limiter.init_app(app)  # before CSRF, so requests without a token count against the limit too
    csrf.init_app(app)
    login_manager.init_app(app)

    from webapp import agent, api, help

    app.register_blueprint(api.bp)
    app.register_blueprint(help.bp)
    app.register_blueprint(agent.bp)
    csrf.exempt(api.bp)  # the JSON API authenticates with bearer tokens, not cookies
    from webapp import hooks

    app.register_blueprint(hooks.bp)
    csrf.exempt(hooks.bp)  # a git host proves itself with the shared secret; it has no session to forge
    from webapp import reports

    app.register_blueprint(reports.bp)
    from webapp import dashboard, metrics_api

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(metrics_api.bp)
    csrf.exempt(metrics_api.bp)  # token-authenticated JSON, like the rest of the API
    app.add_template_global(dashboard.active_notices)

    def page_lang() -> str:
        first = request.path.strip("/").split("/", 1)[0]
        return first if first in settings.languages else settings.languages[0]

    def error_page(status: int, key: str):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/"):
            return jsonify({"error": labels("en")[key]}), status
        return help.page("error.html", page_lang(), status=status, key=key), status

    app.register_error_handler(404, lambda _e: error_page(404, "not_found"))
    app.register_error_handler(429, lambda _e: error_page(429, "rate_limited"))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
