"""`kb clicks`: learn what customers' clicks lift now (the worker does it every ten minutes) and show it.

Kept out of `webapp.cli` so `cli` registers it with one line at its end, like `kb report`.
"""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group("clicks")
def clicks_command() -> None:
    """Click feedback (KB_CLICK_FEEDBACK): results customers chose for a query rank a little higher."""


@clicks_command.command("refresh")
@location_options
def refresh(settings: Settings) -> None:
    """Learn the boosts from the stored clicks now and save them for the web processes."""
    from webapp.search_feedback import feedback_path, refresh_click_feedback

    if not settings.click_feedback:
        raise click.ClickException("click feedback is off; set KB_CLICK_FEEDBACK=on to learn and use it")
    with open_desk(settings) as desk:
        saved = refresh_click_feedback(desk, settings, force=True)
    click.echo(f"{saved} (query, article) boosts saved to {feedback_path(settings)}")


@clicks_command.command("show")
@location_options
@click.argument("query")
@click.option("--lang", default="en", show_default=True, help="the query's language")
def show(settings: Settings, query: str, lang: str) -> None:
    """The boosts the last saved table gives QUERY's results ("lang/id  boost")."""
    from webapp.search_feedback import saved_table

    table = saved_table(settings)
    if table is None:
        raise click.ClickException("no click feedback saved yet; run `kb clicks refresh`")
    boosts = table(query, lang)
    if not boosts:
        click.echo("no boost for this query")
    for key, boost in sorted(boosts.items(), key=lambda item: -item[1]):
        click.echo(f"{key}  {boost:.3f}")
