"""`kb workspace`: the agent workspace's background passes, one bounded pass per command.

`kb worker` calls the same functions on a schedule; these commands run one pass by hand (after an
import, or from cron where no worker runs).
"""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options


@click.group("workspace")
def workspace_command() -> None:
    """Background passes of the agent workspace."""


@workspace_command.command("precompute")
@location_options
@click.option("--limit", default=100, show_default=True, help="Tickets to (re)compute at most in this pass.")
def precompute(settings: Settings, limit: int) -> None:
    """Compute suggestions and drafts for new tickets and tickets with new customer messages."""
    from copilot.engine import Engine  # here: `kb --help` loads no models
    from desk.desk import Desk
    from webapp.ticket_advice import precompute_suggestions

    engine, desk = Engine(settings), Desk(settings)
    try:
        done = precompute_suggestions(desk, engine, limit=limit)
    finally:
        engine.close()
        desk.close()
    click.echo(f"{done} ticket(s) advised")
