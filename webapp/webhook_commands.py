"""`kb webhooks`: the outbound webhooks from a shell, as the admin page (/agent/admin/webhooks) manages them, through
the same desk helper (desk.webhooks.Webhooks), audited as the CLI's."""

from __future__ import annotations

import click

from desk.models import WEBHOOK_EVENTS
from kb.settings import Settings
from webapp.cli_options import location_options


@click.group("webhooks", invoke_without_command=True)
@click.pass_context
def webhooks_group(context: click.Context) -> None:
    """Outbound webhooks (ticket events POSTed to other systems); with no command, list them."""
    if context.invoked_subcommand is None:
        context.invoke(list_command)


@webhooks_group.command("list")
@location_options
def list_command(settings: Settings) -> None:
    """Each endpoint: id, on/off, name, URL, events, and why it was turned off."""
    from desk.desk import Desk

    with Desk(settings) as desk:
        endpoints = desk.webhooks.endpoints()
        for e in endpoints:
            state = "on" if e.active else "off"
            click.echo(f"{e.id}\t{state}\t{e.name}\t{e.url}\t{','.join(e.events)}")
            if e.disabled_reason:
                click.echo(f"  turned off after {e.failures_in_row} events in a row failed; the last: "
                           f"{e.disabled_reason}")
        if not endpoints:
            click.echo("no webhooks")


@webhooks_group.command("add")
@location_options
@click.option("--name", required=True)
@click.option("--url", required=True, help="https on a public address (unless KB_WEBHOOK_ALLOW_PRIVATE)")
@click.option("--event", "events", multiple=True, type=click.Choice(WEBHOOK_EVENTS),
              help="repeat for each; default: ticket.created, ticket.updated, message.created")
def add_command(settings: Settings, name: str, url: str, events: tuple[str, ...]) -> None:
    """Add an endpoint and print its signing secret (shown this once)."""
    from desk.audit import CLI
    from desk.desk import Desk
    from desk.tickets import InputError

    with Desk(settings) as desk:
        try:
            row, secret = desk.webhooks.create(name, url, events or WEBHOOK_EVENTS[:3], by=CLI)
        except InputError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"webhook {row.id} added; its signing secret (shown once): {secret}")


@webhooks_group.command("remove")
@location_options
@click.argument("webhook_id", type=int)
def remove_command(settings: Settings, webhook_id: int) -> None:
    """Delete an endpoint and its deliveries."""
    from desk.audit import CLI
    from desk.desk import Desk
    from desk.tickets import InputError

    with Desk(settings) as desk:
        try:
            desk.webhooks.delete(webhook_id, by=CLI)
        except InputError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"webhook {webhook_id} removed")
