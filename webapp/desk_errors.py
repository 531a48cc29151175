"""The desk's input errors (InputError, SurveyError) in the reader's language.

The desk raises `InputError(field, template, **params)` in English (its `str()` serves the CLI, the
logs and the API). The pages show the same error translated: the template is looked up in the
catalog (it is extracted through the desk's `N_`/`Nn_` markers), filled with the error's values,
and prefixed with the field's name in the reader's language, so an Arabic agent reads which field
to fix in Arabic. In English the text is the error's own `str()`, word for word.
"""

from __future__ import annotations

from flask_babel import gettext, lazy_pgettext, ngettext

from desk.translatable import TranslatableError

# Every field the desk names in an InputError or SurveyError (tests/webapp/test_desk_errors.py checks that none is
# missing). The msgid is the field's own name, so an English page reads exactly like `str(error)`;
# the context keeps these one-word ids apart from the interface's other messages.
FIELDS = {
    "action": lazy_pgettext("desk field", "action"),
    "agent": lazy_pgettext("desk field", "agent"),
    "assignee": lazy_pgettext("desk field", "assignee"),
    "author": lazy_pgettext("desk field", "author"),
    "body": lazy_pgettext("desk field", "body"),
    "category": lazy_pgettext("desk field", "category"),
    "channel": lazy_pgettext("desk field", "channel"),
    "comment": lazy_pgettext("desk field", "comment"),
    "confirm": lazy_pgettext("desk field", "confirm"),
    "country": lazy_pgettext("desk field", "country"),
    "customer": lazy_pgettext("desk field", "customer"),
    "due": lazy_pgettext("desk field", "due time"),
    "email": lazy_pgettext("desk field", "email"),
    "ends_at": lazy_pgettext("desk field", "ends_at"),
    "external_id": lazy_pgettext("desk field", "external_id"),
    "files": lazy_pgettext("desk field", "files"),
    "from": lazy_pgettext("desk field", "from"),
    "hours": lazy_pgettext("desk field", "hours"),
    "kind": lazy_pgettext("desk field", "kind"),
    "lang": lazy_pgettext("desk field", "lang"),
    "line": lazy_pgettext("desk field", "line"),
    "mail": lazy_pgettext("desk field", "mail"),
    "message": lazy_pgettext("desk field", "message"),
    "messages": lazy_pgettext("desk field", "messages"),
    "name": lazy_pgettext("desk field", "name"),
    "note": lazy_pgettext("desk field", "note"),
    "notice": lazy_pgettext("desk field", "notice"),
    "password": lazy_pgettext("desk field", "password"),
    "priority": lazy_pgettext("desk field", "priority"),
    "rating": lazy_pgettext("desk field", "rating"),
    "reason": lazy_pgettext("desk field", "reason"),
    "reference": lazy_pgettext("desk field", "reference"),
    "role": lazy_pgettext("desk field", "role"),
    "status": lazy_pgettext("desk field", "status"),
    "subject": lazy_pgettext("desk field", "subject"),
    "survey": lazy_pgettext("desk field", "survey"),
    "tag": lazy_pgettext("desk field", "tag"),
    "team": lazy_pgettext("desk field", "team"),
    "teams": lazy_pgettext("desk field", "teams"),
    "target": lazy_pgettext("desk field", "target"),
    "terms": lazy_pgettext("desk field", "terms"),
    "text": lazy_pgettext("desk field", "text"),
    "text_ar": lazy_pgettext("desk field", "text_ar"),
    "text_en": lazy_pgettext("desk field", "text_en"),
    "ticket": lazy_pgettext("desk field", "ticket"),
    "time_zone": lazy_pgettext("desk field", "time zone"),
    "to": lazy_pgettext("desk field", "to"),
    "token": lazy_pgettext("desk field", "token"),
    "tz": lazy_pgettext("desk field", "tz"),
}


def desk_problem(error: TranslatableError) -> str:
    """What is wrong, in the reader's language, without the field (for an error shown beside its field)."""
    if error.plural is not None:
        params = dict(error.params)
        count = params.pop("num", 0)
        return ngettext(error.message, error.plural, count if isinstance(count, int) else 0, **params)
    return gettext(error.message, **error.params)


def desk_error(error: TranslatableError) -> str:
    """The error as one line in the reader's language: the field to fix, then what is wrong with it."""
    label = FIELDS.get(error.field)
    return gettext("%(field)s: %(problem)s", field=str(label) if label is not None else error.field,
                   problem=desk_problem(error))
