"""The desk's input errors (InputError, SurveyError) in the reader's language.

The desk raises `InputError(field, template, **params)` in English (its `str()` serves the CLI, the
logs and the API). The pages show the same error translated: the template is looked up in the
catalog (it is extracted through the desk's `N_`/`Nn_` markers), filled with the error's values,
and prefixed with the field's name in the reader's language, so an Arabic agent reads which field
to fix in Arabic. In English the text is the error's own `str()`, word for word.

In a right-to-left language every text value inserted into the sentence (the agent's own input, a name, an example
such as "2026-12-05T14:30") is isolated in U+2068 ... U+2069 (FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE,
webapp.formatting's `isolate_in_rtl`, the plain-text <bdi>: these lines reach flashes, form errors and <title>s
alike): after Arabic words a date's digits and hyphens are read as Arabic numbers and reorder ("05T14:30-12-2026").
Numbers are the page's own (`%(limit)d`) and need none. An English sentence keeps a Latin value in order without it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_pgettext, ngettext, pgettext

from desk.mail.attachments import Size
from desk.mail.reasons import INPUT, TEMPLATES, TEXT, MailReason
from desk.translatable import TranslatableError
from webapp.formatting import isolate_filter, isolate_in_rtl, number_filter, size_filter

# Every field the desk names in an InputError or SurveyError (tests/webapp/test_desk_errors.py checks that none is
# missing). The msgid is the field's own name, so an English page reads exactly like `str(error)`;
# the context keeps these one-word ids apart from the interface's other messages.
FIELDS = {
    "address": lazy_pgettext("desk field", "address or domain"),
    "action": lazy_pgettext("desk field", "action"),
    "agent": lazy_pgettext("desk field", "agent"),
    "available": lazy_pgettext("desk field", "availability"),
    "actor": lazy_pgettext("desk field", "actor"),
    "assignee": lazy_pgettext("desk field", "assignee"),
    "author": lazy_pgettext("desk field", "author"),
    "attachments": lazy_pgettext("desk field", "attachments"),
    "body": lazy_pgettext("desk field", "body"),
    "body_ar": lazy_pgettext("desk field", "reply in Arabic"),
    "body_en": lazy_pgettext("desk field", "reply in English"),
    "category": lazy_pgettext("desk field", "category"),
    "channel": lazy_pgettext("desk field", "channel"),
    "code": lazy_pgettext("desk field", "code"),
    "comment": lazy_pgettext("desk field", "comment"),
    "columns": lazy_pgettext("desk field", "columns"),
    "confirm": lazy_pgettext("desk field", "confirm"),
    "confirm_broad": lazy_pgettext("desk field", "public mail domain confirmed"),
    "country": lazy_pgettext("desk field", "country"),
    "customer": lazy_pgettext("desk field", "customer"),
    "delivery": lazy_pgettext("desk field", "webhook delivery"),
    "description": lazy_pgettext("desk field", "description"),
    "digest": lazy_pgettext("desk field", "digest"),
    "direction": lazy_pgettext("desk field", "direction"),
    "domains": lazy_pgettext("desk field", "domains"),
    "due": lazy_pgettext("desk field", "due time"),
    "due_at": lazy_pgettext("desk field", "due_at"),
    "email": lazy_pgettext("desk field", "email"),
    "events": lazy_pgettext("desk field", "events"),
    "ends_at": lazy_pgettext("desk field", "ends_at"),
    "expires_days": lazy_pgettext("desk field", "expires in (days)"),
    "field": lazy_pgettext("desk field", "ticket field"),
    "external_id": lazy_pgettext("desk field", "external_id"),
    "files": lazy_pgettext("desk field", "files"),
    "from": lazy_pgettext("desk field", "from"),
    "hours": lazy_pgettext("desk field", "hours"),
    "into": lazy_pgettext("desk field", "customer to keep"),
    "kind": lazy_pgettext("desk field", "kind"),
    "lang": lazy_pgettext("desk field", "lang"),
    "languages": lazy_pgettext("desk field", "languages answered in"),
    "line": lazy_pgettext("desk field", "line"),
    "mail": lazy_pgettext("desk field", "mail"),
    "message": lazy_pgettext("desk field", "message"),
    "messages": lazy_pgettext("desk field", "messages"),
    "name": lazy_pgettext("desk field", "name"),
    "new_tag": lazy_pgettext("desk field", "new tag"),
    "note": lazy_pgettext("desk field", "note"),
    "notice": lazy_pgettext("desk field", "notice"),
    "organization": lazy_pgettext("desk field", "organization"),
    "notes": lazy_pgettext("desk field", "notes"),
    "notify_assigned": lazy_pgettext("desk field", "email me when a ticket is assigned to me"),
    "notify_mentioned": lazy_pgettext("desk field", "email me when a note mentions me"),
    "notifications": lazy_pgettext("desk field", "email notifications"),
    "active": lazy_pgettext("desk field", "active"),
    "password": lazy_pgettext("desk field", "password"),
    "passkey": lazy_pgettext("desk field", "passkey"),
    "proof": lazy_pgettext("desk field", "password or code"),
    "priority": lazy_pgettext("desk field", "priority"),
    "problem_id": lazy_pgettext("desk field", "problem"),
    "rating": lazy_pgettext("desk field", "rating"),
    "q": lazy_pgettext("desk field", "search"),
    "time_spent": lazy_pgettext("desk field", "time spent"),
    "seconds": lazy_pgettext("desk field", "seconds"),
    "entry": lazy_pgettext("desk field", "time entry"),
    "reason": lazy_pgettext("desk field", "reason"),
    "reference": lazy_pgettext("desk field", "reference"),
    "role": lazy_pgettext("desk field", "role"),
    "scopes": lazy_pgettext("desk field", "scopes"),
    "shared": lazy_pgettext("desk field", "shared"),
    "sender": lazy_pgettext("desk field", "sender"),
    "side_conversation": lazy_pgettext("desk field", "side conversation"),
    "signature_ar": lazy_pgettext("desk field", "signature in Arabic"),
    "signature_en": lazy_pgettext("desk field", "signature in English"),
    "add_participants": lazy_pgettext("desk field", "addresses to add"),
    "remove_participants": lazy_pgettext("desk field", "addresses to remove"),
    "side_replied": lazy_pgettext("desk field", "side conversation replied"),
    "skill": lazy_pgettext("desk field", "skill"),
    "skills": lazy_pgettext("desk field", "skills"),
    "snooze": lazy_pgettext("desk field", "snooze"),
    "sort": lazy_pgettext("desk field", "sort"),
    "status": lazy_pgettext("desk field", "status"),
    "subject": lazy_pgettext("desk field", "subject"),
    "survey": lazy_pgettext("desk field", "survey"),
    "tag": lazy_pgettext("desk field", "tag"),
    "tags": lazy_pgettext("desk field", "tags"),
    "team": lazy_pgettext("desk field", "team"),
    "teams": lazy_pgettext("desk field", "teams"),
    "target": lazy_pgettext("desk field", "target"),
    "terms": lazy_pgettext("desk field", "terms"),
    "text": lazy_pgettext("desk field", "text"),
    "text_ar": lazy_pgettext("desk field", "text_ar"),
    "state": lazy_pgettext("desk field", "state"),
    "text_en": lazy_pgettext("desk field", "text_en"),
    "ticket": lazy_pgettext("desk field", "ticket"),
    "time_zone": lazy_pgettext("desk field", "time zone"),
    "to": lazy_pgettext("desk field", "to"),
    "token": lazy_pgettext("desk field", "token"),
    "two_factor": lazy_pgettext("desk field", "two-factor sign-in"),
    "tz": lazy_pgettext("desk field", "tz"),
    "url": lazy_pgettext("desk field", "URL"),
    "version": lazy_pgettext("desk field", "version"),
    "view": lazy_pgettext("desk field", "view"),
    "views": lazy_pgettext("desk field", "saved views"),
    "webhook": lazy_pgettext("desk field", "webhook"),
}


def desk_problem(error: TranslatableError) -> str:
    """What is wrong, in the reader's language, without the field (for an error shown beside its field). A value
    that is itself a held mail's reason (the confirmation a mail refused on purpose needs names why) is said in the
    reader's language too, not in the desk's English."""
    params = {name: mail_reason(value) if isinstance(value, MailReason)  # a sentence of the page's own language
              else size_filter(value) if isinstance(value, Size)  # "10 ميغابايت", not "10 MB", in an Arabic one
              else isolate_in_rtl(value) if isinstance(value, str) else value for name, value in error.params.items()}
    if error.plural is not None:
        count = params.pop("num", 0)
        return ngettext(error.message, error.plural, count if isinstance(count, int) else 0, **params)
    return gettext(error.message, **params)


def desk_error(error: TranslatableError) -> str:
    """The error as one line in the reader's language: the field to fix, then what is wrong with it."""
    label = FIELDS.get(error.field)
    if label is None and error.field.startswith("body_"):  # a problem's reply to incidents in a language the site
        # no longer has (desk.problems.solve names `body_<code>`): named by its code
        label = pgettext("desk field", "reply in %(lang)s", lang=error.field.removeprefix("body_"))
    return gettext("%(field)s: %(problem)s", field=str(label) if label is not None else error.field,
                   problem=desk_problem(error))


def mail_reason(why: MailReason) -> str:
    """Why the receiver held a mail (desk.mail.reasons), in the reader's language: the code's template (extracted from
    the desk's `N_` marks) filled with its values, numbers as the page writes them; a desk input error as the pages
    say those; a row from before codes in its English sentence, as it was written."""
    if why.code == INPUT:
        return desk_error(why.error())
    if why.code == TEXT or why.code not in TEMPLATES:
        return str(why.params.get("text", ""))
    # A header's value or an address inside an Arabic sentence keeps its own direction (isolated, as |bdi does).
    values: dict[str, Any] = {name: number_filter(value) if isinstance(value, int) else isolate_filter(value)
                              for name, value in why.params.items()}
    return gettext(TEMPLATES[why.code], **values)
