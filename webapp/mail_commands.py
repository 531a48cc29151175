"""`kb mail`: deliver the outbox, and take mail in (stdin, an SMTP/LMTP listener, IMAP).

`kb mail receive` is what an MTA pipe runs (Postfix's pipe transport, a provider's forwarder):
its exit status follows sysexits.h so the MTA knows what to do: 0 stored, 65 (EX_DATAERR) not an
email (bounce it), 75 (EX_TEMPFAIL) storing failed (keep it and retry).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from desk.desk import Desk
from desk.mail.held import PURGE_BATCH
from desk.mail.outbox import deliver_pending
from desk.mail.receive import UnparseableMail
from desk.mail_suggestions import PublicFinder
from kb.settings import Settings
from webapp.cli_options import location_options, open_desk

if TYPE_CHECKING:
    from copilot.engine import Engine

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75

log = logging.getLogger(__name__)


def deliver_pending_mail(desk: Desk, settings: Settings, limit: int = 100,
                         engine: Callable[[], Engine] | None = None) -> int:
    """One bounded delivery pass with the site's templates: what `kb worker` calls. `engine` (called only when an
    acknowledgement is composed) finds the articles it suggests (desk.mail_suggestions); None suggests none."""
    from copilot.suggestions import Suggester
    from webapp.mail_templates import EmailTemplates  # Flask and Babel: not on `kb mail receive`'s path

    finder = PublicFinder(lambda: Suggester(engine().retriever)) if engine is not None else None
    templates = EmailTemplates(settings, desk.hours.zone)  # the running desk's rules, the help center's zone
    return deliver_pending(desk.db, settings, templates, limit=limit, finder=finder)


@click.group("mail")
def mail_command() -> None:
    """Email in and out: deliver queued mail, receive customers' mail."""


@mail_command.command("deliver")
@location_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def deliver(settings: Settings, limit: int) -> None:
    """Send the queued mail that is due (one pass); without KB_SMTP_URL, write .eml files."""
    engines: list[Engine] = []

    def engine() -> Engine:  # loaded only for an acknowledgement's suggested articles
        if not engines:
            from copilot.engine import Engine as Loaded

            engines.append(Loaded(settings))
        return engines[0]

    with open_desk(settings) as desk:
        try:
            sent = deliver_pending_mail(desk, settings, limit, engine)
        finally:
            for opened in engines:
                opened.close()
        counts = desk.outbox.counts()
    where = "SMTP" if settings.smtp_url else f"{settings.data_dir / 'outbox-eml'}"
    click.echo(f"{sent} sent ({where}); outbox: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


@mail_command.command("receive")
@location_options
def receive(settings: Settings) -> None:
    """Store one RFC 822 message from standard input (exit 0 stored, 65 not an email, 75 retry later)."""
    raw = sys.stdin.buffer.read()
    try:
        with open_desk(settings) as desk:
            try:
                received = desk.mail_in.receive(raw, "stdin")
            except UnparseableMail as error:
                click.echo(f"kb mail receive: {error}", err=True)
                sys.exit(EX_DATAERR)
            except Exception as error:  # StorageError, a refusal, anything: never acknowledge a mail not stored
                click.echo(f"kb mail receive: not stored, try again later: {error}", err=True)
                sys.exit(EX_TEMPFAIL)
    except Exception as error:  # the desk did not open (the database is down, say): the MTA keeps the mail
        click.echo(f"kb mail receive: cannot open the desk: {error}", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"{received.outcome}" + (f" {received.reference}" if received.reference else "")
               + (f" ({received.reason})" if received.reason else ""))
    sys.exit(EX_OK)


def purge_held_mail(desk: Desk, settings: Settings, limit: int = PURGE_BATCH) -> int:
    """One bounded pass of the held-mail retention rule: what `kb worker` and `kb mail held --purge` run. With it, the
    files an erased customer's erase left behind (a crash after its commit: desk.erasure.Erasure.remove_leftovers)."""
    return (desk.held_mail.purge(timedelta(days=settings.held_mail_retention_days), limit)
            + desk.erasure.remove_leftovers(limit))


@mail_command.command("held")
@location_options
@click.option("--limit", type=click.IntRange(1, 1000), default=25, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--purge", is_flag=True,
              help="Purge held mail older than KB_HELD_MAIL_RETENTION_DAYS (and deleted mail's leftover originals).")
def held(settings: Settings, limit: int, offset: int, purge: bool) -> None:
    """List mail the desk could not take (refused, loops, auto-replies with no ticket), newest first; agents
    recover or delete it on the workspace's "Held mail" page. `--purge` applies the retention rule instead (for
    cron; `kb worker` applies it too)."""
    with open_desk(settings) as desk:
        if purge:
            done = total = purge_held_mail(desk, settings)
            while done:  # passes of PURGE_BATCH until nothing is left
                done = purge_held_mail(desk, settings)
                total += done
            click.echo(f"purged: {total} (held mail older than {settings.held_mail_retention_days} days, and the "
                       "originals of deleted held mail)")
            return
        page = desk.held_mail.page(limit, offset)
    for mail in page.rows:
        click.echo(f"{mail.id}\t{mail.received_at:%Y-%m-%d %H:%M}\t{mail.outcome}\t{mail.from_address or '-'}\t"
                   f"{mail.subject or '-'}\t{mail.reason}")
    click.echo(f"{page.total} held")


@mail_command.command("serve")
@location_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=2525, show_default=True)
@click.option("--lmtp", is_flag=True, help="Speak LMTP (a local MTA delivering to us) instead of SMTP.")
def serve(settings: Settings, host: str, port: int, lmtp: bool) -> None:
    """Listen for mail from a relay (aiosmtpd); answers 451 when storing fails so the relay retries."""
    from desk.mail.listener import start_listener

    with open_desk(settings) as desk:
        controller = start_listener(desk.mail_in, host, port, lmtp=lmtp)
        click.echo(f"listening for {'LMTP' if lmtp else 'SMTP'} on {host}:{port} (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()


@mail_command.command("fetch")
@location_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def fetch(settings: Settings, limit: int) -> None:
    """Take unseen mail from the IMAP mailbox (KB_IMAP_*), marking each stored one seen (one pass)."""
    from desk.mail.imap import fetch_imap

    with open_desk(settings, ValueError) as desk:  # ValueError: KB_IMAP_* is incomplete or wrong
        report = fetch_imap(desk.mail_in, settings, limit)
    click.echo(report.summary())
    if report.failed:
        sys.exit(EX_TEMPFAIL)
