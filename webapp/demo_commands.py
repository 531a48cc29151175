"""`kb demo seed`: two weeks of demo help-desk activity ending now (desk.demo_activity), so the lead's
dashboard has figures right after `make run`. Runs once per database; later runs change nothing."""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group("demo")
def demo_group() -> None:
    """The demo help desk's data."""


@demo_group.command("seed")
@location_options
def seed_command(settings: Settings) -> None:
    """Give the imported demo tickets realistic times, replies, solves, CSAT and help-center events."""
    from desk.business_hours import BusinessHours
    from desk.demo_activity import seed

    with open_desk(settings) as desk:
        report = seed(desk.db, BusinessHours.load(settings.content_dir))
    click.echo(report.summary())
