"""Markers for messages the desk writes in English and the web layer shows in the reader's language.

The desk is left of the web app and has no request, so it cannot know the reader's language. It
raises its errors with an English message *template* marked `N_` (a plural one `Nn_`) and the
values apart; `pybabel extract -k N_ -k Nn_:1,2` puts the templates in the catalog, and the web
layer translates them where it shows them (Babel's deferred translation, `gettext_noop`).
The markers do nothing at run time; `TranslatableError` is what such an error carries.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for extraction; it stays English here and is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a count for extraction: the web layer picks the form with `ngettext`."""
    return singular, plural


class TranslatableError(ValueError):
    """An error about one input `field`, English in `str()` ("field: message", for the CLI, logs and
    API) and translatable where it is shown: `message` is the untranslated template (marked `N_`),
    `params` fills its `%(name)s` placeholders, and `plural` (marked `Nn_`) is its plural form,
    chosen by `params["num"]`."""

    def __init__(self, field: str, message: str, /, *, plural: str | None = None, **params: object) -> None:
        self.field = field
        self.message = message
        self.plural = plural
        self.params = params
        template = plural if plural is not None and params.get("num") != 1 else message
        self.problem = template % params if params else template  # English, without the field
        super().__init__(f"{field}: {self.problem}")
