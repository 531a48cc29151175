"""`kb teams`: list the teams of content/_business_hours.yml with their members, and put an agent in a team or take
them out, from a shell (setting up a desk, a script) as the admin page does, through the same desk helper
(desk.teams.Teams.set_in)."""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group("teams", invoke_without_command=True)
@click.pass_context
def teams_group(context: click.Context) -> None:
    """The teams (content/_business_hours.yml) and their agents; with no command, list them."""
    if context.invoked_subcommand is None:
        context.invoke(list_command)


@teams_group.command("list")
@location_options
def list_command(settings: Settings) -> None:
    """Each team of the teams file (then any a membership still names), with its automatic assignment rule if any and
    its agents' emails (marked available or deactivated)."""
    with open_desk(settings) as desk:
        teams = desk.teams
        agents = {agent.id: agent for agent in desk.accounts.everyone()}
        members: dict[str, list[str]] = {}
        for agent_id, keys in teams.memberships().items():
            agent = agents[agent_id]
            for key in keys:
                state = " (available)" if agent.available and agent.active else ""
                members.setdefault(key, []).append(agent.email + (state if agent.active else " (deactivated)"))
        for key in teams.ordered([*desk.hours.teams, *members]):
            team = desk.hours.teams.get(key)
            title = f"{team.name}, {team.zone.key}" if team is not None else "not in the teams file"
            if team is not None and team.assignment is not None:  # desk.auto_assign's rule
                rule = team.assignment
                title += f", assigned {rule.mode}" + (f" up to {rule.max_open} open" if rule.max_open else "")
            default = " (default)" if key == desk.hours.default else ""
            click.echo(f"{key}{default}: {title}")
            for email in sorted(members.get(key, [])) or ["(no agents)"]:
                click.echo(f"  {email}")


def _change(settings: Settings, email: str, team: str, add: bool) -> None:
    from desk.audit import CLI  # the audit log's actor for account commands

    with open_desk(settings) as desk:
        keys = desk.teams.add(email, team, by=CLI) if add else desk.teams.remove(email, team, by=CLI)
    click.echo(f"{email.strip().lower()}: {', '.join(keys) or 'in no team'}")


@teams_group.command("add")
@location_options
@click.argument("email")
@click.argument("team")
def add_command(settings: Settings, email: str, team: str) -> None:
    """Put the agent EMAIL in team TEAM (a key of the teams file) as well."""
    _change(settings, email, team, add=True)


@teams_group.command("remove")
@location_options
@click.argument("email")
@click.argument("team")
def remove_command(settings: Settings, email: str, team: str) -> None:
    """Take the agent EMAIL out of team TEAM."""
    _change(settings, email, team, add=False)
