"""`kb automations run [--dry-run]`: one pass of content/_triggers.yml's `on: schedule` rules (desk.automations), for
cron on a deployment without `kb worker` (whose `automations` job runs the same pass every minute)."""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group("automations")
def automations_group() -> None:
    """Automations: the rules of content/_triggers.yml with `on: schedule`, checked against tickets' ages."""


@automations_group.command("run")
@location_options
@click.option("--dry-run", is_flag=True, help="Print what would fire; write nothing.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="At most this many firings in the pass.")
def run_command(settings: Settings, dry_run: bool, limit: int) -> None:
    """Fire the automations due now, printing each (rule, ticket) as it fired."""
    with open_desk(settings) as desk:
        automations = desk.automations
        if not automations:
            click.echo("no automations (rules with on: schedule in content/_triggers.yml)")
            return
        fired = automations.run(limit=limit, dry_run=dry_run)
    verb = "would fire" if dry_run else "fired"
    for item in fired:
        click.echo(f"{verb}\t{item.rule}\tticket {item.ticket_id}\t{item.reference}\t"
                   f"since {item.spell_start.isoformat(timespec='seconds')}")
    click.echo(f"{len(fired)} {'would fire' if dry_run else 'fired'}" + (" (dry run: nothing written)" if dry_run
                                                                        else ""))
