"""The site's forms (flask-wtf: CSRF token on each) with messages in the page's language (gettext:
Flask-Babel's locale is the page's, so the messages follow the URL's /<lang>/)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    MultipleFileField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import StopValidation, ValidationError

from desk.events import MAX_VOTE_COMMENT
from desk.models import VOTE_REASONS
from desk.tickets import InputError, clean_email

Check = Callable[[FlaskForm, object], None]


class LocalizedForm(FlaskForm):
    def __init__(self, lang: str, *args: object, **kwargs: object) -> None:
        self.lang = lang
        super().__init__(*args, **kwargs)


def required(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
    if not (field.data or "").strip():
        raise StopValidation(gettext("This field is required."))  # stop: an empty email is one error, not two


def text_or_files(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
    """A customer's message: text, files (the form's `files`: a screenshot says it), or both; neither is refused
    here, under the message. The desk checks the same (`clean_text(required=not files)`)."""
    files = getattr(form, "files", None)
    picked = files is not None and any(getattr(part, "filename", "") for part in files.data or [])
    if not (field.data or "").strip() and not picked:
        raise StopValidation(gettext("Write a message or attach a file."))


def at_most(limit: int) -> Check:
    def check(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
        length = len((field.data or "").strip())
        if length > limit:
            raise ValidationError(
                gettext("Please keep this under %(limit)s characters (it has %(length)s).", limit=limit, length=length)
            )

    return check


def email_address(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
    try:
        clean_email(field.data or "")
    except InputError:
        raise ValidationError(gettext("Please enter a valid email address.")) from None


class ContactForm(LocalizedForm):
    name = StringField(validators=[required, at_most(200)])
    email = EmailField(validators=[required, at_most(320), email_address])
    subject = StringField(validators=[required, at_most(200)])
    message = TextAreaField(validators=[text_or_files, at_most(5000)])
    # The "Topic" select (optional): one of the help center's categories, checked by webapp.help.ticket_category.
    category = StringField()
    search = HiddenField()
    # One random key per contact page: the same page sent twice (a double click, a resend) is one ticket.
    submission = HiddenField()
    # The honeypot (contact.html): people never see it; a bot that fills it gets the thank-you, its ticket deleted
    # as spam (nothing lost, nobody bothered). A name no autofill matches (not "website", "url", "name", "email"...):
    # a browser or a password manager that filled it for a real customer would store their ticket as spam.
    kb_hp = StringField()
    # The customer's files (a screenshot, an invoice): read by webapp.attachments.request_files, checked by the
    # desk (clean_files), whose refusal names this field ("files").
    files = MultipleFileField()


def vote_reasons() -> list[tuple[str, str]]:
    """The choices after "no" on an article or an answer card ("What went wrong?"), in the page's language."""
    labels = {"unanswered": gettext("It did not answer my question"), "unclear": gettext("It is hard to understand"),
              "outdated": gettext("It is out of date"), "other": gettext("Something else")}
    return [(key, labels[key]) for key in VOTE_REASONS]


def vote_reason(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
    if field.data and field.data not in VOTE_REASONS:
        raise ValidationError(gettext("Please choose one of the reasons offered."))


class VoteReasonForm(LocalizedForm):
    """What went wrong after "no" on an answer card: a reason and a short comment, both optional."""

    reason = StringField(validators=[vote_reason])
    comment = TextAreaField(validators=[at_most(MAX_VOTE_COMMENT)])


class FeedbackForm(VoteReasonForm):
    """An article's vote; after a "no", a reason and a longer comment (what was missing) than a card's."""

    helpful = HiddenField()
    comment = TextAreaField(validators=[at_most(1000)])


class ReplyForm(LocalizedForm):
    message = TextAreaField(validators=[text_or_files, at_most(5000)])
    # One random key per ticket page, as the contact form's: the same page sent twice at once is one message.
    submission = HiddenField()
    files = MultipleFileField()  # as the contact form's


class LoginForm(LocalizedForm):
    email = EmailField(validators=[required, at_most(320)])
    password = PasswordField(validators=[required, at_most(200)])
    remember = BooleanField()
