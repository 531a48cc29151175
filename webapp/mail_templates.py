"""The bodies of the mails the desk sends: Jinja templates (webapp/templates/email/) with the same
gettext catalogs as the site, rendered outside any request so the worker and the CLI use them too.

The mail is in the ticket's language and direction: the HTML sets lang/dir on its root, each
paragraph of an agent's Markdown gets dir="auto" (a Latin order number inside Arabic text keeps
its place), and links, dates and references are isolated with <bdi>. The text part reads the same
Markdown as plain text (kb.message_text.markdown_text): no "**" or "[text](url)" in a client that shows
it. Links are absolute, from `Settings.base_url` (the `make run` address when unset).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from copilot.drafts import SIGN_OFF_LINES, regards_lines
from desk.business_hours import BusinessHours
from desk.mail.compose import MailContent, RenderedMail
from desk.models import AGENT_NOTICE_KINDS
from desk.signatures import SEPARATOR
from kb.message_text import markdown_text
from kb.settings import Settings
from webapp.formatting import DATE_FORMATS, customer_time_text, in_digits, isolate_filter
from webapp.i18n import TRANSLATIONS
from webapp.theme import DEFAULT_NAMES, current_theme
from webapp.urls import absolute_base

TEMPLATES = Path(__file__).with_name("templates") / "email"
DIRECTION = {"ar": "rtl"}
_BLOCK_OPEN = re.compile(r"<(p|li|h[1-6]|blockquote)>")


def base_url(settings: Settings) -> str:
    return absolute_base(settings).rstrip("/")


def signed(body: str) -> bool:
    """The agent's text ends with its own sign-off (a sent draft always does): the mail's signature
    under it would sign the reply twice."""
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    return any(line in regards_lines() for line in lines[-SIGN_OFF_LINES:])


def help_center_name(settings: Settings, lang: str) -> str:
    """The help center's name as its pages show it in the mail's language (content/_theme.yml): an
    Arabic mail signs "مركز مساعدة منزل", not the English `mail_sender_name`. A language the theme
    does not name (only the generic default) keeps the configured `mail_sender_name`. The From header's
    display name too (desk.mail.compose.sender)."""
    name = current_theme(settings.content_dir).names.get(lang, "")
    return name if name and name != DEFAULT_NAMES.get(lang) else settings.mail_sender_name


class EmailTemplates:
    """A `desk.mail.compose.MailRenderer`: one Jinja environment per language."""

    def __init__(self, settings: Settings, zone: tzinfo | None = None) -> None:
        """`zone`: the help center's, the running desk's default team's (`Desk.hours.zone`); None reads the
        business-hours file."""
        self.settings = settings
        if zone is not None:
            self.zone = zone
        self.base = base_url(settings)
        # A reply is typed in a textarea: every newline counts ("Regards,\nSara" stays two lines), not only blank lines.
        # Its tables as tables (a pasted GFM table read as rows of pipes), in the text part as list lines.
        self._markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
        self._text = MarkdownIt("zero", {"breaks": True})  # paragraphs and lines, nothing nested
        self._envs: dict[str, Environment] = {}

    def _env(self, lang: str) -> Environment:
        env = self._envs.get(lang)
        if env is None:
            env = Environment(
                loader=FileSystemLoader(TEMPLATES),
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            translations: NullTranslations = Translations.load(str(TRANSLATIONS), [lang], domain="messages")
            env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
            env.filters["markdown"] = self.markdown
            env.filters["markdown_text"] = lambda source: markdown_text(self._tokens(source), lang, self.absolute)
            env.filters["when"] = lambda moment: self.when(moment, lang)
            env.filters["day"] = lambda value: self.day(value, lang)
            env.filters["figure"] = lambda value, shown: self.figure(value, shown, lang)
            # A value inside a translated sentence of plain text (a subject, the text part): isolated in a right-to-left
            # mail, where a date's digits and hyphens after Arabic words read as Arabic numbers and reorder.
            env.filters["isolate"] = (isolate_filter if DIRECTION.get(lang) == "rtl"
                                      else lambda value: "" if value is None else str(value))
            env.filters["by_key"] = lambda rows: {row[0]: row for row in rows}
            self._envs[lang] = env
        return env

    def _tokens(self, source: str) -> list[Token]:
        """The reply's Markdown parsed; one nested deeper than markdown-it goes (its maxNesting, 20 quotes and lists)
        as its paragraphs and lines of text: past that depth the parser drops the rest of the reply unsaid, and a
        pasted thread quoted 25 times sent the customer a mail ending there (hostile42)."""
        tokens = self._markdown.parse(source)
        if any(token.level >= self._markdown.options.maxNesting - 1 for token in tokens):
            return self._text.parse(source)
        return tokens

    def markdown(self, source: str) -> Markup:
        """The reply's Markdown as HTML (raw HTML in it is escaped), each block with dir="auto" and
        every link absolute."""
        tokens = self._tokens(source)
        for token in tokens:
            for child in token.children or []:
                if child.type in ("link_open", "image"):
                    key = "href" if child.type == "link_open" else "src"
                    child.attrSet(key, self.absolute(str(child.attrGet(key) or "")))
        html = self._markdown.renderer.render(tokens, self._markdown.options, {})
        return Markup(_BLOCK_OPEN.sub(r'<\1 dir="auto">', html))

    @cached_property
    def zone(self) -> tzinfo:
        """The help center's time zone: the default team's in the business-hours file (desk.business_hours)."""
        return BusinessHours.load(self.settings.content_dir).zone

    def when(self, moment: datetime | None, lang: str) -> str:
        """When a reply was sent, as the customer's ticket page shows it without script (webapp.formatting's
        `customer_time_text`): the help center's wall time with its zone named ("6 ديسمبر 2026، 2:22 م
        (غرينتش+03:00)"), the deployment's digits. A mail client runs no script to show the reader's own zone. No
        time given (a mail composed with none) is now, as Babel took it."""
        return customer_time_text(moment or datetime.now(UTC), lang, self.zone, self.settings.digits)

    def day(self, value: str | date, lang: str) -> str:
        """A day as the pages write one ("23 نوفمبر 2026", "November 23, 2026"), with the deployment's digits: the
        digest's subject said "2026-11-23" (walk37)."""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return self.digits(format_date(day, DATE_FORMATS.get(lang, "long"), locale=lang), lang)

    def digits(self, text: str, lang: str) -> str:
        """`text` with the deployment's digits (`KB_DIGITS`: Arabic-Indic ones in Arabic mail when "arab")."""
        return in_digits(text, lang, self.settings.digits)

    def figure(self, value: float | None, shown: str, lang: str) -> str:
        """A figure of the KPI digest as the dashboard shows it (webapp.dashboard's _int, _hours, _rate): a dash for
        none, in the mail's language with the deployment's digits (`KB_DIGITS`)."""
        if value is None:
            return "–"
        if shown == "rate":
            text = format_percent(value, format="#,##0.0%", locale=lang)
        elif shown == "int":
            text = format_decimal(value, locale=lang)
        else:
            text = format_decimal(value, format="#,##0.0", locale=lang)
        return self.digits(text, lang)

    def absolute(self, link: str) -> str:
        """Site-relative links (drafts cite /ar/articles/...) made absolute: a mail has no base address."""
        if link.startswith("/") and not link.startswith("//"):
            return self.base + link
        return link

    def urls(self, content: MailContent) -> dict[str, object]:
        lang, base = content.lang, self.base
        urls: dict[str, object] = {"home": f"{base}/{lang}/", "my_tickets": f"{base}/{lang}/my-tickets"}
        if content.reference:
            urls["ticket"] = f"{base}/{lang}/tickets/{content.reference}"
        if content.survey_token:
            survey = f"{base}/{lang}/survey/{content.survey_token}"
            urls["survey"] = survey
            urls["ratings"] = [(n, f"{survey}?rating={n}") for n in range(1, 6)]
        # Each suggested article through its token's page (webapp.help.suggested), at its section when search named one.
        urls["suggested"] = [(a, f"{base}/{lang}/suggested/{a.token}" + (f"#{quote(a.anchor)}" if a.anchor else ""))
                             for a in content.suggestions]
        if "path" in content.extra:
            urls["magic"] = f"{base}{content.extra['path']}"
        if content.kind in AGENT_NOTICE_KINDS:  # an agent's mail: the ticket, the profile that stops it
            urls["agent_ticket"] = f"{base}/agent/tickets/{content.extra.get('ticket_id')}"
            urls["profile"] = f"{base}/agent/profile#notifications"
        if content.kind == "digest":  # an agent's mail: the dashboard for its period, and the profile that stops it
            urls["dashboard"] = f"{base}{content.extra.get('dashboard', '/agent/dashboard/')}"
            urls["profile"] = f"{base}/agent/profile#digest"
        return urls

    def render(self, content: MailContent) -> RenderedMail:
        env = self._env(content.lang)
        context = {
            "m": content,
            "url": self.urls(content),
            "lang": content.lang,
            "dir": DIRECTION.get(content.lang, "ltr"),
            "help_center": help_center_name(self.settings, content.lang),
            # The agent's own signature stands for the mail's sign-off (their name, the help center's): one, not two.
            "signed": bool(content.signature) or signed(content.body),
            "separator": SEPARATOR,
        }
        text = env.get_template(f"{content.kind}.txt").render(context)
        html = env.get_template(f"{content.kind}.html").render(context)
        subject = env.get_template("subjects.txt").render(context).strip()
        return RenderedMail(subject=subject, text=text.strip() + "\n", html=html, sender=str(context["help_center"]))
