"""The site's forms (flask-wtf: CSRF token on each) with messages in the page's language."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from desk.tickets import InputError, clean_email
from webapp.texts import text

Check = Callable[[FlaskForm, object], None]


class LocalizedForm(FlaskForm):
    def __init__(self, lang: str, *args: object, **kwargs: object) -> None:
        self.lang = lang
        super().__init__(*args, **kwargs)


def required(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
    if not (field.data or "").strip():
        raise ValidationError(text(form.lang, "required"))


def at_most(limit: int) -> Check:
    def check(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
        length = len((field.data or "").strip())
        if length > limit:
            raise ValidationError(text(form.lang, "too_long").format(limit=limit, length=length))

    return check


def email_address(form: LocalizedForm, field) -> None:  # type: ignore[no-untyped-def]
    try:
        clean_email(field.data or "")
    except InputError:
        raise ValidationError(text(form.lang, "bad_email")) from None


class ContactForm(LocalizedForm):
    name = StringField(validators=[required, at_most(200)])
    email = EmailField(validators=[required, at_most(320), email_address])
    subject = StringField(validators=[required, at_most(200)])
    message = TextAreaField(validators=[required, at_most(5000)])
    search = HiddenField()


class FeedbackForm(LocalizedForm):
    helpful = HiddenField()
    comment = TextAreaField(validators=[at_most(1000)])


class ReplyForm(LocalizedForm):
    message = TextAreaField(validators=[required, at_most(5000)])


class LoginForm(LocalizedForm):
    email = EmailField(validators=[required, at_most(320)])
    password = PasswordField(validators=[required, at_most(200)])
    remember = BooleanField()
