"""The web app: customers' help center, the JSON API, and (later) the agents' workspace.

`create_app` builds everything from a `Settings`; nothing happens at import time, and tests pass
their own settings or a ready `Engine` (with models already loaded) to keep the suite fast. Flask
is imported only when an app is built, so `kb index` and `kb search` do not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from copilot.engine import Engine
    from desk.desk import Desk
    from kb.settings import Settings


def create_app(settings: Settings | None = None, engine: Engine | None = None, desk: Desk | None = None) -> Flask:
    from webapp.app import create_app as build

    return build(settings, engine, desk)
