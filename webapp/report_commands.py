"""`kb report`: the content team's reports (desk.reports) as a table to read or CSV to share.

Kept out of `webapp.cli` so `cli` registers it with one line at its end, like `kb sync`, and so this
module does not import `cli` back (which would break `python -m webapp.cli`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk

if TYPE_CHECKING:
    from desk.reports import Report

# desk.reports.REPORTS's keys, spelled out so `kb --help` does not import SQLAlchemy (a test pins them).
REPORT_NAMES = ("gaps", "rejected", "unhelpful", "stale", "translations", "deflection", "notices", "abstention",
                "false-abstentions", "floors")
MAX_CELL = 60  # a table row per line stays readable; --csv keeps every character


@click.command("report")
@click.argument("name", type=click.Choice((*REPORT_NAMES, "digest")), default="gaps")
@location_options
@click.option(
    "--days",
    type=click.IntRange(0),
    default=None,
    help="stale: age in days that counts as stale (default 180); other reports: only the last N calendar days of "
         "--tz (today so far and the N-1 days before, from local midnight; 0: none).",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (with a header row) instead of a table.")
@click.option("--tz", "zone", default=None, callback=lambda _ctx, _param, value: _zone_name(value),
              help="Show times, and count --days, in this IANA zone (Asia/Riyadh); default: the business hours' "
                   "default team's zone, else UTC.")
@click.option("--lang", default=None,
              help="gaps: only the searches and tickets in this language (one of the help center's: ar, en), as the "
                   "reports page's language filter; the other reports take no language.")
@click.option("--agent", "agent_email", default=None,
              help="digest: the lead's or admin's email; their digest (their language and zone) is printed or queued.")
@click.option("--period", "frequency", type=click.Choice(("daily", "weekly")), default=None,
              help="digest: yesterday (daily) or the previous Monday to Sunday (weekly); default: the agent's choice, "
                   "else daily.")
@click.option("--dry-run", is_flag=True, help="digest: print the mail (subject and text) instead of queueing it.")
def report_command(settings: Settings, name: str, days: int | None, as_csv: bool, zone: str | None,
                   lang: str | None, agent_email: str | None, frequency: str | None, dry_run: bool) -> None:
    """Content gaps, rejected suggestions, unhelpful, stale and untranslated articles, deflection, notices, search
    abstention, false abstentions and the learnt abstention floors' decision.

    NAME is one of gaps, rejected, unhelpful, stale, translations, deflection, notices, abstention (per language:
    settled searches, the share abstained, questions the log labels answerable or not answered) and
    false-abstentions (searches that found nothing though an agent then answered the visit's ticket from the help
    center, newest first) and floors (per language, what `kb floors` decides with its defaults: the labelled
    questions, the share of not-answered and answerable ones the floors in use and the learnt ones catch and flag,
    replace or keep, and why; only `kb floors --write` writes floors) (default: gaps).
    `digest --agent EMAIL [--period daily|weekly] [--dry-run]` queues (or prints) a lead's KPI digest for the last
    period due on their clock, as the worker mails it at 08:00 (desk.digests); for the period of their own choice it
    counts as that period's mail, so the worker does not send it again.
    --lang ar|en keeps the gaps of one language. The same reports are on the workspace's /agent/reports page for
    leads and admins. Times are shown in
    --tz with their UTC offset; --days N counts N calendar days of --tz, today included, each from local midnight
    (a summer-time day counts its 23 or 25 hours), and stale ages count from today's date in --tz.
    """
    if name == "digest":
        if not agent_email:
            raise click.BadParameter("the digest is an agent's: give their email", param_hint="'--agent'")
        digest(settings, agent_email, frequency, dry_run)
        return
    if agent_email or frequency or dry_run:
        raise click.BadParameter("only the digest takes --agent, --period and --dry-run", param_hint="'NAME'")
    from desk.reports import REPORTS, csv_lines, report_rows
    from kb.catalog import Catalog

    report = REPORTS[name]
    lang = _language(lang, report, settings.languages)
    with open_desk(settings) as desk:
        zone = zone or desk.hours.team().zone.key
        rows = report_rows(report, desk, Catalog(settings), days, zone, lang)
        if as_csv:  # written as the rows are read (every gap of a busy month is not held at once)
            for piece in csv_lines(rows, report.row_type, zone):
                click.echo(piece, nl=False)
        else:
            click.echo(table(report, list(rows), zone))


def digest(settings: Settings, email: str, frequency: str | None, dry_run: bool) -> None:
    """`kb report digest`: the agent's digest for the latest period due now, queued in the outbox (claiming the period
    when it is of the agent's chosen frequency: the worker then sends no second one) or, with --dry-run, printed."""
    from desk.digests import due_period
    from desk.mail.compose import MailContent
    from desk.models import utcnow
    from webapp.mail_templates import EmailTemplates

    with open_desk(settings) as desk:
        agent = desk.accounts.find(email)
        if agent is None or not agent.active or not agent.is_lead:
            raise click.BadParameter(f"{email[:80]!r} is no active lead or admin", param_hint="'--agent'")
        digests = desk.digests
        chosen = frequency or agent.digest or "daily"
        period = due_period(chosen, digests.zone(agent.time_zone), utcnow())
        if dry_run:
            payload = digests.payload(agent, period)
            templates = EmailTemplates(settings, desk.hours.zone)  # the desk's business hours, as the worker's
            rendered = templates.render(MailContent(
                kind="digest", lang=digests.lang(agent), customer_name=str(payload["name"]), extra=payload))
            click.echo(f"To: {agent.email}\nSubject: {rendered.subject}\n\n{rendered.text}", nl=False)
            return
        queued = digests.send(agent.id, period, claim=chosen == agent.digest)
        if queued is None:
            raise click.ClickException(f"the {chosen} digest of {agent.email} for {period.first} was queued already")
        click.echo(f"Queued the {chosen} digest of {agent.email} for {period.first} to {period.last} "
                   f"(outbox #{queued}); `kb mail deliver` or the worker sends it.")


def _language(lang: str | None, report: Report, languages: Sequence[str]) -> str | None:
    """--lang: one of the help center's languages, for a report that filters by language (`Report.page`: the content
    gaps, as the reports page's ?lang=); else a usage error naming --lang."""
    if lang is None:
        return None
    if report.page is None:
        raise click.BadParameter(f"the {report.name} report is not filtered by language", param_hint="'--lang'")
    if lang not in languages:
        raise click.BadParameter(f"{lang[:40]!r}: use one of {', '.join(languages)}", param_hint="'--lang'")
    return lang


def _zone_name(value: str | None) -> str | None:
    """--tz: a zone name zoneinfo knows (those an agent's profile offers), else a usage error naming --tz."""
    value = (value or "").strip()
    if not value:
        return None
    from desk.accounts import zone_names

    if value not in zone_names():
        raise click.BadParameter(f"{value[:40]!r} is not a time zone name such as Asia/Riyadh", param_hint="'--tz'")
    return value


def table(report: Report, rows: Sequence[Any], zone: str | None = None) -> str:
    """Aligned columns under the report's title (and the zone its times are in); long cells are cut so each row
    stays one line."""
    from desk.reports import cells, columns

    names = columns(report.row_type)
    shown = [[_short(text) for text in row] for row in cells(rows, report.row_type, zone)]
    widths = [max([len(n), *(len(r[i]) for r in shown)]) for i, n in enumerate(names)]
    header = "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()
    lines = [f"{report.title} ({len(rows)}{f'; times in {zone}' if zone else ''})", header]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in shown]
    return "\n".join(lines)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
