"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from copilot.catalog import Catalog
from copilot.engine import Engine
from kb.settings import Settings


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    settings = settings or (engine.settings if engine else Settings.from_env())
    app = Flask(__name__)
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["engine"] = engine or Engine(settings)
    app.extensions["catalog"] = Catalog(settings)
    app.extensions["settings"] = settings

    from webapp import api, help

    app.register_blueprint(api.bp)
    app.register_blueprint(help.bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
