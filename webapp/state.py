"""Typed access to what `create_app` put on the Flask app, for the blueprints.

Read-only: every part is built once in `webapp.app.wire` before the first request.
"""

from __future__ import annotations

from flask import current_app

from copilot.engine import Engine
from copilot.suggestions import Suggester
from desk.desk import Desk
from kb.catalog import Catalog
from kb.settings import Settings


def engine() -> Engine:
    return current_app.extensions["engine"]


def catalog() -> Catalog:
    return current_app.extensions["catalog"]


def desk() -> Desk:
    return current_app.extensions["desk"]


def suggester() -> Suggester:
    """The agents' suggester (built by `webapp.app.wire`)."""
    return current_app.extensions["suggester"]


def settings() -> Settings:
    return current_app.extensions["settings"]
