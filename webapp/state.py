"""Typed access to what `create_app` put on the Flask app, for the blueprints.

Read-only: every part is built once in `webapp.app.wire` before the first request.
"""

from __future__ import annotations

from flask import current_app

from copilot.engine import Engine
from copilot.suggestions import Suggester
from desk.desk import Desk
from kb.catalog import Catalog
from kb.macros import Macro, MacroLibrary
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


def macros(lang: str) -> list[Macro]:
    """The content folder's macros of one language (re-read when a macro file changes)."""
    library = current_app.extensions.get("macros")
    if library is None:
        library = current_app.extensions["macros"] = MacroLibrary(settings().content_dir)
    return library.for_lang(lang)
