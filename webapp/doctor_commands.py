"""`kb doctor`: is the help center able to serve, and if not, what to do about it.

It reads what the site reads (the content, the index's versions and pointer, the embedding cache,
the git sync's state, the desk's rule files) without loading a model or changing a file, and prints one line per
finding; the exit status is 0 when everything is sound, 1 when something needs an operator.

The rule files (triggers, ticket fields, business hours, the macros the triggers send) are checked as a running
desk's reload checks them (desk.rule_check's `read_rules`), against the agents and webhooks of the desk's database
when it can be read without creating or migrating it; a wrong one is a PROBLEM naming its file and line.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from kb.settings import Settings
from webapp.cli_options import location_options

if TYPE_CHECKING:
    from desk.rule_check import RulesRead


@click.command("doctor")
@location_options
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def doctor_command(settings: Settings, as_json: bool) -> None:
    """Check the content, the index, the embedding cache, the git sync state and the desk's rule files; say what to
    fix."""
    from desk.rule_check import read_rules, stored_names
    from indexer.git_sync import read_state, snapshot_dir
    from indexer.health import health_report
    from indexer.stores import open_store
    from kb.articles import load_content

    loaded = load_content(settings.content_dir, settings.languages) if settings.content_dir.is_dir() else None
    store = open_store(settings)
    try:
        report = health_report(settings, store, loaded.errors if loaded else (), deep=True)
    finally:
        store.close()
    sync = read_state(settings.data_dir)
    names, unread = stored_names(settings)
    rules = read_rules(settings, names) if settings.content_dir.is_dir() else None
    rule_problems = [str(problem) for problem in rules.problems] if rules else []
    sound = report.status == "ok" and not rule_problems
    if as_json:
        out = report.as_json()
        out["articles"] = len(loaded.articles) if loaded else None
        out["git_sync"] = {"commit": sync.commit, "snapshot": str(snapshot_dir(settings))} if sync else None
        out["rules"] = {"problems": rule_problems, "names_checked": names is not None} if rules else None
        out["problems"] = [*out["problems"], *(f"rules: {problem}" for problem in rule_problems)]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        sys.exit(0 if sound else 1)
    if loaded is None:
        click.echo(f"content: directory not found: {settings.content_dir}")
    else:
        click.echo(f"content: {len(loaded.articles)} articles, {len(loaded.errors)} with errors (`kb lint` lists them)")
    index = report.index
    click.echo(
        f"index: {report.status}, {report.chunks} chunks, serving {index.get('serving') or 'nothing'}"
        f" ({len(index.get('complete_versions') or [])} complete versions on disk)"
    )
    if report.cache is not None:
        from indexer.cache import CacheCheck

        click.echo(CacheCheck(**report.cache).line())
    if sync is not None:
        click.echo(f"git sync: last published commit {sync.commit[:10]} (snapshot in {snapshot_dir(settings)})")
    if rules is not None:
        click.echo(_rules_line(rules, unread))
    for problem in report.problems:
        click.echo(f"PROBLEM {problem}")
    for problem in rule_problems:
        click.echo(f"PROBLEM rules: {problem}")
    if sound:
        click.echo("ok")
    else:
        click.echo(f"status: {report.status}" + (f"; rule files: {len(rule_problems)} wrong (a desk starting now "
                                                  "refuses them, a running one keeps its last good rules)"
                                                  if rule_problems else ""))
    sys.exit(0 if sound else 1)


def _rules_line(rules: RulesRead, unread: str) -> str:
    """The rule files' summary line: what they give, or that some are wrong (each then a PROBLEM line)."""
    if rules.problems:
        found = f"{len(rules.problems)} wrong file(s)"
    else:
        assert rules.hours is not None and rules.fields is not None and rules.triggers is not None
        found = (f"{len(rules.hours.teams)} team(s), {len(rules.fields.fields)} ticket field(s), "
                 f"{len(rules.triggers)} trigger(s) and automation(s): sound")
    return f"rules: {found}" + (f"; the agents and webhooks the triggers name not checked: {unread}" if unread else "")
