"""`kb workspace`: the agent workspace's background passes, one bounded pass per command.

`kb worker` calls the same functions on a schedule; these commands run one pass by hand (after an
import, or from cron where no worker runs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk

if TYPE_CHECKING:
    from desk.desk import Desk


@click.group("workspace")
def workspace_command() -> None:
    """Background passes of the agent workspace."""


@workspace_command.command("precompute")
@location_options
@click.option("--limit", default=100, show_default=True, help="Tickets to (re)compute at most in this pass.")
def precompute(settings: Settings, limit: int) -> None:
    """Compute suggestions and drafts for new tickets and tickets with new customer messages."""
    from copilot.engine import Engine  # here: `kb --help` loads no models
    from webapp.ticket_advice import precompute_suggestions

    with Engine(settings) as engine, open_desk(settings) as desk:
        done = precompute_suggestions(desk, engine, limit=limit)
    click.echo(f"{done} ticket(s) advised")


def close_solved_tickets(desk: Desk, settings: Settings, limit: int = 500) -> int:
    """The worker's pass: close tickets solved more than `settings.auto_close_days` ago; returns how many."""
    return desk.tickets.close_solved(timedelta(days=settings.auto_close_days), limit=limit)


@workspace_command.command("auto-close")
@location_options
@click.option("--limit", default=500, show_default=True, help="Tickets to close at most in this pass.")
def auto_close(settings: Settings, limit: int) -> None:
    """Close tickets solved more than KB_AUTO_CLOSE_DAYS days ago."""
    with open_desk(settings) as desk:
        done = close_solved_tickets(desk, settings, limit)
    click.echo(f"{done} ticket(s) closed")
