"""Markers for messages the desk writes in English and the web layer shows in the reader's language.

The desk is left of the web app and has no request, so it cannot know the reader's language. It
raises its errors with an English message *template* marked `N_` (a plural one `Nn_`) and the
values apart; `pybabel extract -k N_ -k Nn_:1,2` puts the templates in the catalog, and the web
layer translates them where it shows them (Babel's deferred translation, `gettext_noop`).
The markers do nothing at run time.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for extraction; it stays English here and is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a count for extraction: the web layer picks the form with `ngettext`."""
    return singular, plural
