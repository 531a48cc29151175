"""`kb customers erase EMAIL`: a data-protection officer erasing a customer's personal data from a shell (the GDPR's
right to erasure), through the same desk function as the admin's page and the API (desk.erasure.Erasure.erase): it
says what it will remove and asks, unless --yes."""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group("customers")
def customers_group() -> None:
    """The desk's customers."""


@customers_group.command("erase")
@location_options
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase without asking (a script).")
def erase_command(settings: Settings, email: str, yes: bool) -> None:
    """Erase the personal data of the customer whose email is EMAIL: their name, email, notes, the subjects and
    messages of their tickets, their files, mail, survey comments and the customers merged into them. The tickets
    stay as anonymous records, so past reports do not change. One `customer_erased` audit event ("cli")."""
    from desk.audit import CLI

    with open_desk(settings) as desk:
        customer = desk.erasure.by_email(email)
        if customer is None:
            raise click.ClickException(f"customer: no customer has the email {email.strip().lower()!r}")
        summary = desk.erasure.summary(customer.id)
        click.echo(f"Customer #{customer.id} ({customer.name or customer.email}, {customer.email}): erasing removes")
        click.echo(f"  their name, email, country and notes ({summary.duplicates} customer(s) merged into them too)")
        click.echo(f"  the subjects and every message of {summary.tickets} ticket(s) ({summary.messages} message(s))")
        click.echo(f"  {summary.attachments} attached file(s), from the disk too")
        click.echo(f"  {summary.mails_in} mail(s) received (with their originals), {summary.mails_out} in the outbox")
        click.echo("  their survey comments, their tickets' drafts, content gaps and visit context")
        click.echo("The tickets stay as anonymous records (status, times, team, assignee, tags, history, ratings).")
        if not yes and not click.confirm("Erase? This cannot be undone", default=False):
            raise click.ClickException("nothing erased")
        result = desk.erasure.erase(customer.id, customer.email, by=CLI)  # refused: merged or erased meanwhile
    counts = ", ".join(f"{key} {value}" for key, value in sorted(result.counts.items()))
    click.echo(f"erased customer #{customer.id}: {counts}; {result.files_removed} file(s) removed")
    if result.files_left:
        click.echo(f"{len(result.files_left)} file(s) could not be removed now; `kb worker` (or `kb mail held "
                   "--purge`) tries again", err=True)
