"""`kb audit`: the audit log's recent events (desk.audit) for an admin at the server, as the admin page lists them.

Kept out of `webapp.cli` so `cli` registers it with one line at its end, like `kb clicks`.
"""

from __future__ import annotations

from itertools import islice

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk, refusals


@click.command("audit")
@location_options
@click.option("--action", default="", help="Only this action (agent_created, role_changed, sign_in_failed, ...).")
@click.option("--actor", default="", help="Only events by cli, system or agent:N.")
@click.option("--subject", default="",
              help="Only events about agent:N, token:N, team:KEY, customer:N, tag:NAME or org:N.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000), help="At most this many.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header (as the admin page's download), times in UTC.")
def audit_command(settings: Settings, action: str, actor: str, subject: str, limit: int, as_csv: bool) -> None:
    """Recent audit events, newest first: when (UTC), who, what, about whom, before -> after."""
    from desk.audit import AuditQuery, AuditRow
    from desk.reports import csv_lines

    with refusals():  # before the desk opens: a wrong filter migrates nothing
        query = AuditQuery.parse(action, actor, subject)
    with open_desk(settings) as desk:
        rows = list(islice(desk.audit.rows(query), limit))
    if as_csv:
        click.echo("".join(csv_lines(rows, AuditRow, "UTC")), nl=False)
        return
    if not rows:
        click.echo("no audit events")
    for row in rows:
        times = f" x{row.count}" if row.count > 1 else ""
        where = f" from {row.ip}" if row.ip else ""
        change = f" {row.before or '{}'} -> {row.after or '{}'}" if row.before or row.after else ""
        click.echo(f"{row.when:%Y-%m-%d %H:%M:%S}  {row.actor}{where}  {row.action}{times}  {row.subject}{change}")
