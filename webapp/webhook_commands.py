"""`kb webhooks`: the outbound webhooks from a shell, as the admin page (/agent/admin/webhooks) manages them, through
the same desk helper (desk.webhooks.Webhooks), audited as the CLI's."""

from __future__ import annotations

import click

from desk.models import WEBHOOK_EVENTS, WEBHOOK_STATES
from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


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

    with open_desk(settings) as desk:
        endpoints = desk.webhooks.endpoints()
        for e in endpoints:
            state = "on" if e.active else "off"
            click.echo(f"{e.id}\t{state}\t{e.name}\t{e.url}\t{','.join(e.events)}")
            if e.description:
                click.echo(f"  {e.description}")
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

    with open_desk(settings) as desk:
        row, secret = desk.webhooks.create(name, url, events or WEBHOOK_EVENTS[:3], by=CLI)
    click.echo(f"webhook {row.id} added; its signing secret (shown once): {secret}")


@webhooks_group.command("remove")
@location_options
@click.argument("webhook_id", type=int)
def remove_command(settings: Settings, webhook_id: int) -> None:
    """Delete an endpoint and its deliveries."""
    from desk.audit import CLI

    with open_desk(settings) as desk:
        desk.webhooks.delete(webhook_id, by=CLI)
    click.echo(f"webhook {webhook_id} removed")


@webhooks_group.command("edit")
@location_options
@click.argument("webhook_id", type=int)
@click.option("--url", default=None, help="a new URL, checked as when added")
@click.option("--event", "events", multiple=True, type=click.Choice(WEBHOOK_EVENTS),
              help="repeat for each: the events it gets from now on (note.created: internal notes)")
@click.option("--description", default=None, help="what it feeds or who owns it ('' clears it)")
def edit_command(settings: Settings, webhook_id: int, url: str | None, events: tuple[str, ...],
                 description: str | None) -> None:
    """Change an endpoint's URL, events or description (its name and secret are kept); audited with before/after."""
    from desk.audit import CLI

    if url is None and not events and description is None:
        raise click.UsageError("give --url, --event or --description")
    with open_desk(settings) as desk:
        row = desk.webhooks.update(webhook_id, by=CLI, url=url, events=events or None, description=description)
    click.echo(f"webhook {row.id}\t{row.url}\t{','.join(row.events)}")


@webhooks_group.command("replay")
@location_options
@click.argument("delivery_id", type=int)
def replay_command(settings: Settings, delivery_id: int) -> None:
    """Send a delivery again (its id from `kb webhooks deliveries`): due now, same body and event id; audited."""
    from desk.audit import CLI

    with open_desk(settings) as desk:
        desk.webhooks.replay(delivery_id, by=CLI)
    click.echo(f"delivery {delivery_id} queued again")


@webhooks_group.command("deliveries")
@location_options
@click.argument("webhook_id", type=int)
@click.option("--state", type=click.Choice(WEBHOOK_STATES), default=None, help="only those in this state")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
def deliveries_command(settings: Settings, webhook_id: int, state: str | None, limit: int) -> None:
    """An endpoint's latest deliveries, newest first: id, event, ticket, state, attempts, HTTP status or error."""

    with open_desk(settings) as desk:
        for d in desk.webhooks.deliveries(webhook_id, limit, state):
            click.echo(f"{d.id}\t{d.event_type}\t{d.ticket_id or '-'}\t{d.state}\t{d.attempts}\t"
                       f"{d.last_status or ''}{' ' + d.last_error if d.last_error else ''}")
