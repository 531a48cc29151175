"""Jinja filters for every template (help center, agent workspace, dashboard, emails rendered in a request).

Use these instead of `strftime`, `"%d" % n` or bare `{{ name }}`, so dates read in the page's
language, digits follow the deployment's policy and text of another direction cannot scramble
the line around it:

    {{ ticket.created_at|datetime }}        1 ديسمبر 2026، 1:21 م  /  Dec 1, 2026, 1:21 PM, in <time><bdi>
    {{ article.updated|date }}              1 ديسمبر 2026  /  December 1, 2026, in <time><bdi>
    {{ message.created_at|ago }}            قبل ساعتين  /  2 hours ago, in <time title=full date>
    {{ message.created_at|customer_time }}  6 ديسمبر 2026، 2:22 م (غرينتش+03:00): a time a customer reads, in the help
                                            center's zone and named; static/customer-times.js rewrites it in the
                                            browser's own zone
    {{ count|number }}                      12,345 (or ١٢٬٣٤٥ with KB_DIGITS=arab on Arabic pages)
    {{ limit|size }}                        10 MB / 10 ميغابايت: a size in bytes as people read it
    {{ customer.name|bdi }}                 <bdi>name</bdi>: any string a customer, agent or article wrote
    {{ url|bdi("ltr") }}                    a URL, email or reference: left-to-right, isolated
    {{ ticket.subject|isolate }}            the same where markup cannot go (a <title>): U+2068 ... U+2069

Plurals: `{{ ngettext("%(num)s article", "%(num)s articles", n, num=n|number) }}`: the count
chooses the CLDR form (Arabic has six), `num` is the localized figure. Times stored naive are UTC;
Flask-Babel shows them in BABEL_DEFAULT_TIMEZONE.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime as babel_datetime
from babel.lists import format_list
from babel.numbers import format_decimal as babel_decimal
from babel.units import format_unit
from flask import Flask, current_app
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
    gettext,
    ngettext,
)
from markupsafe import Markup

from desk.mail.attachments import Size, size_parts
from desk.notes import MENTION
from kb.bidi_text import balanced_bidi
from kb.ticket_fields import TicketField

LATIN_DIGITS = "0123456789"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
# With the digits go their separators and the percent sign (CLDR's arab numbering: "٥٠٫٠٪", not "٥٠٫٠%").
TO_ARABIC = str.maketrans(LATIN_DIGITS + ".,%", ARABIC_DIGITS + "٫٬٪")
TO_LATIN = str.maketrans(ARABIC_DIGITS + "٫٬٪", LATIN_DIGITS + ".,%")
# Babel's Arabic medium date is numeric with RLM marks ("01‏/12‏/2026"); a month name reads better.
DATETIME_FORMATS = {"ar": "d MMMM y، h:mm a", "en": "MMM d, y, h:mm a"}
DATE_FORMATS = {"ar": "d MMMM y", "en": "MMMM d, y"}


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def digits_of(lang: str, policy: str) -> str:
    """The digits text in `lang` is written with under the deployment's policy (`Settings.digits`): "arab"
    (Arabic-Indic) for Arabic when the policy says so, else "latn" (also the names Intl's numberingSystem takes)."""
    return "arab" if lang == "ar" and policy == "arab" else "latn"


def in_digits(text: str, lang: str, policy: str) -> str:
    """`text` Babel formatted in `lang`, written with the deployment's digits (`digits_of`)."""
    return text.translate(TO_ARABIC if digits_of(lang, policy) == "arab" else TO_LATIN)


def digits(text: str) -> str:
    """The deployment's digit policy (Settings.digits) applied to text Babel formatted for this request's page."""
    return in_digits(text, _lang(), current_app.extensions["settings"].digits)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _time_tag(value: date, shown: str, title: str | None = None) -> Markup:
    attribute = Markup(' title="{}"').format(title) if title else Markup("")
    return Markup('<time datetime="{}"{}><bdi>{}</bdi></time>').format(value.isoformat(), attribute, shown)


def datetime_text(value: datetime) -> str:
    return digits(format_datetime(_aware(value), DATETIME_FORMATS.get(_lang(), "medium")))


def customer_time_text(moment: datetime, lang: str, zone: tzinfo, policy: str) -> str:
    """A time a customer reads, on a page or in a mail: the wall time in `zone` (the help center's) in words of
    `lang`, with the zone named by its localized GMT offset, Babel's "OOOO" ("Dec 6, 2026, 2:22 PM (GMT+03:00)",
    "6 ديسمبر 2026، 2:22 م (غرينتش+03:00)"), digits by the deployment's `policy`. Unnamed, a UTC time read as the
    customer's own: 11:22 م in Riyadh for a reply sent at 2:22 in the afternoon there."""
    moment = _aware(moment)
    shown = babel_datetime(moment, DATETIME_FORMATS.get(lang, "medium"), tzinfo=zone, locale=lang)
    named = babel_datetime(moment, "OOOO", tzinfo=zone, locale=lang)
    return in_digits(f"{shown} ({named})", lang, policy)


def help_center_zone() -> tzinfo:
    """The help center's time zone, the account's: the default team's business-hours zone
    (`BusinessHours.zone`), UTC when the file names none."""
    return current_app.extensions["desk"].hours.zone


def customer_time_filter(value: datetime | None) -> Markup:
    """A time on a customer's page (their ticket, My tickets): `customer_time_text` in the help center's zone, in a
    `<time>` whose `datetime` is the instant in UTC and which static/customer-times.js rewrites in the browser's own
    zone (with the digits named in `data-digits`); without script the server's text, zone named, stands."""
    if value is None:
        return Markup("")
    policy = current_app.extensions["settings"].digits
    moment = _aware(value).astimezone(UTC).replace(microsecond=0)
    return Markup('<time datetime="{}" data-customer-time data-digits="{}"><bdi>{}</bdi></time>').format(
        moment.isoformat().replace("+00:00", "Z"), digits_of(_lang(), policy),
        customer_time_text(moment, _lang(), help_center_zone(), policy))


def datetime_filter(value: datetime | None) -> Markup:
    """Date and time in words of the page's language, isolated so it reads in order beside Arabic names."""
    if value is None:
        return Markup("")
    return _time_tag(value, datetime_text(value))


def date_filter(value: date | datetime | None) -> Markup:
    if value is None:
        return Markup("")
    return _time_tag(value, digits(format_date(value, DATE_FORMATS.get(_lang(), "long"))))


def ago_filter(value: datetime | None, now: datetime | None = None) -> Markup:
    """Relative time ("قبل ساعتين", "2 hours ago") with the full date as the element's title."""
    if value is None:
        return Markup("")
    delta = _aware(value) - (now or datetime.now(UTC))
    shown = digits(format_timedelta(delta, add_direction=True, granularity="minute"))
    return _time_tag(value, shown, datetime_text(value))


def number_filter(value: float | int) -> str:
    return digits(format_decimal(value))


_ONLY_DIGITS = {"arab": str.maketrans(LATIN_DIGITS, ARABIC_DIGITS), "latn": str.maketrans(ARABIC_DIGITS, LATIN_DIGITS)}


def figure_filter(value: object) -> str:
    """A figure already formatted as text ("14.0", "0.25", "1,204") in the page's digits, separators with them."""
    return digits(str(value))


def digits_filter(value: str) -> str:
    """A sentence of the interface whose only digits are its figures ("3 unsolved tickets", ngettext's %(num)d) with
    those digits in the page's (its full stop stays a full stop); markup stays markup. Never for a customer's words."""
    table = _ONLY_DIGITS[digits_of(_lang(), current_app.extensions["settings"].digits)]
    shown = str(value).translate(table)
    return Markup(shown) if isinstance(value, Markup) else shown


def size_filter(size: int | Size) -> str:
    """A file size in the page's language: the desk's own English on an English page ("10 MB", "1.4 MB", the words
    of its refusals), CLDR's long unit in Babel's figures and the page's digits on another ("10 ميغابايت", or
    "١٠ ميغابايت" with KB_DIGITS=arab), where a Latin "MB" would be the one foreign word of the sentence. A refusal's
    `Size` to the byte stays to the byte ("10٬485٬761 بايت")."""
    exact = isinstance(size, Size) and size.exact
    count = size.bytes if isinstance(size, Size) else size
    lang = _lang()
    if lang == "en":
        return str(Size(count, exact))
    value, unit = (count, "digital-byte") if exact else size_parts(count)
    return digits(format_unit(value, unit, length="long", format="#,##0.#", locale=lang))


def duration_filter(seconds: int | None) -> str:
    """Time spent (desk.time_tracking's seconds) in words, hours and minutes, Babel's plurals and the page's digits
    ("1 hour 5 minutes", "٤٥ ثانية"): under a minute in seconds, else to the minute."""
    total = int(seconds or 0)
    if total < 60:
        return ngettext("%(count)s second", "%(count)s seconds", total, count=number_filter(total))
    hours, minutes = divmod(total // 60, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)s hour", "%(count)s hours", hours, count=number_filter(hours)))
    if minutes or not hours:
        parts.append(ngettext("%(count)s minute", "%(count)s minutes", minutes, count=number_filter(minutes)))
    return " ".join(parts)


def bdi_filter(value: object, direction: str = "auto") -> Markup:
    """`<bdi>` around text from outside the interface (a name, subject, title, URL, reference)."""
    if value is None or value == "":
        return Markup("")
    if direction == "auto":
        return Markup("<bdi>{}</bdi>").format(value)
    return Markup('<bdi dir="{}">{}</bdi>').format(direction, value)


def names_filter(names: list[str]) -> Markup:
    """Names (a ticket's skills in its history) each in «» and its own <bdi>, listed as the reader's language lists
    ("«Billing, VIP» and «iOS»", "«Billing, VIP» و«iOS»"): a name holding a comma reads as one name."""
    quoted = [str(Markup("«<bdi>{}</bdi>»").format(name)) for name in names]
    return Markup(format_list(quoted, locale=_lang())) if quoted else Markup("")


def mentions_filter(value: object) -> Markup:
    """A note's text with each @mention in `<bdi>`: a note's direction is its first letter's (dir="auto", and each
    line's with unicode-bidi: plaintext), and "@sara هل يمكنك ..." read left to right from the mention's "s". An
    isolate is skipped when the direction is looked for, so the note's own words set it."""
    text = "" if value is None else str(value)
    shown, at = [], 0
    for found in MENTION.finditer(text):
        shown += [Markup.escape(text[at:found.start()]), bdi_filter(found.group(0))]
        at = found.end()
    return Markup("").join([*shown, Markup.escape(text[at:])])


def isolate_filter(value: object) -> str:
    """Text from outside in a place that takes no markup (a <title>): wrapped in FIRST STRONG ISOLATE and
    POP DIRECTIONAL ISOLATE, the plain-text <bdi>, so a U+202E in it cannot reverse what follows; its own embeddings
    and isolates paired first (kb.bidi_text.balanced_bidi), so a stray U+2069 in it cannot close the wrapper early."""
    text = "" if value is None else balanced_bidi(str(value))  # its own controls paired: they stay inside
    return f"\u2068{text}\u2069" if text else ""


def isolate_in_rtl(value: object) -> str:
    """A value inserted into a translated sentence with no markup (a flash, a desk error): isolated as `isolate` does
    on a right-to-left page, where after Arabic words a date's digits and hyphens, or a view named "2026 refunds",
    are read as Arabic numbers and reorder; as it is on a left-to-right one (an English sentence keeps it in order,
    and reads word for word as the desk's own English)."""
    locale = get_locale()
    return isolate_filter(value) if locale is not None and locale.text_direction == "rtl" else str(value)


def language_name(code: str) -> str:
    """A content language by its name in the reader's language ("Arabic", "العربية"), not its code; a code this
    interface has no name for as it is."""
    return {"en": gettext("English"), "ar": gettext("Arabic")}.get(code, code)


def customer_name_filter(customer: Any) -> str:
    """How the workspace names a customer: their name, else their email; an erased one (desk.erasure) "Erased customer
    #N" in the reader's language (their row keeps no name and an email that is no address)."""
    if getattr(customer, "erased_at", None) is not None:
        return gettext("Erased customer #%(id)s", id=customer.id)
    return str(customer.name or customer.email)


def field_value_filter(value: str | None, field: TicketField | None) -> Markup | str:
    """A custom ticket field's stored value as the reader's page shows it: a number in their locale (every decimal
    kept, digits by the deployment's policy), a date as a date (no time zone: it is a day, not an instant), a
    dropdown's option by its label, a checkbox as yes/no; text, a field the file no longer has, and a value that is
    not of its field's type (stored before the file changed the type: `TicketField.holds`), as stored."""
    if value is None:
        return ""
    if field is None or field.type == "text" or not field.holds(value):
        return value
    if field.type == "number":
        locale = get_locale()
        return digits(babel_decimal(Decimal(value), locale=str(locale) if locale else "en",
                                    decimal_quantization=False))
    if field.type == "date":
        return date_filter(date.fromisoformat(value))
    if field.type == "checkbox":
        return gettext("Yes") if value == "true" else gettext("No")
    option = field.option(value)
    return option.label(_lang()) if option is not None else value


def init_formatting(app: Flask) -> None:
    app.add_template_global(language_name)
    app.jinja_env.filters.update(
        datetime=datetime_filter, date=date_filter, ago=ago_filter, number=number_filter, bdi=bdi_filter,
        isolate=isolate_filter, mentions=mentions_filter, names=names_filter, digits=digits_filter,
        figure=figure_filter, customer_name=customer_name_filter,
        field_value=field_value_filter, duration=duration_filter, customer_time=customer_time_filter, size=size_filter,
    )
