"""Interface language: gettext catalogs through Flask-Babel, one locale per request.

The help center's language is in its URL (`/ar/...`); the agent workspace follows the agent's own
choice, then the browser. Every interface string is a gettext message (`_()` in templates,
`gettext`/`lazy_gettext` in Python) so translators edit `.po` files, plurals follow CLDR (Arabic has
six forms) and dates and numbers come from Babel for the locale.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, g, request
from flask_babel import Babel

TRANSLATIONS = Path(__file__).with_name("translations")


def select_locale(languages: tuple[str, ...]) -> str:
    """The request's interface language: the URL's, the agent's choice, then the browser's."""
    first = request.path.strip("/").split("/", 1)[0]
    if first in languages:
        return first
    chosen = getattr(g, "interface_lang", None)
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or languages[0]


class ShownZone(ZoneInfo):
    """A zoneinfo zone with the two pytz methods Flask-Babel calls on its time zone (normalize, localize). Given
    a name, Flask-Babel makes a pytz zone, and pytz has no daylight-saving rules past 2037: a due time in July
    2099 read 12:30 in a London agent's due field (zoneinfo) and 11:30 beside it."""

    def normalize(self, value: datetime) -> datetime:
        return value  # zoneinfo's arithmetic is already right

    def localize(self, value: datetime) -> datetime:
        return value.replace(tzinfo=self)


def select_timezone() -> ShownZone | None:
    """The zone times are shown in: on workspace pages the logged-in agent's own, else the default team's (set by
    the agent blueprint, `webapp.agent.reader_zone`); else None, which is BABEL_DEFAULT_TIMEZONE (UTC): the help
    center's pages are never in an agent's zone."""
    chosen = getattr(g, "interface_zone", None)
    return ShownZone(str(chosen)) if chosen else None


def init_babel(app: Flask, languages: tuple[str, ...]) -> Babel:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", languages[0])
    return Babel(app, locale_selector=lambda: select_locale(languages), timezone_selector=select_timezone)
