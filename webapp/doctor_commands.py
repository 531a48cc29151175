"""`kb doctor`: is the help center able to serve, and if not, what to do about it.

It reads what the site reads (the content, the index's versions and pointer, the embedding cache,
the git sync's state) without loading a model or changing a file, and prints one line per finding;
the exit status is 0 when everything is sound, 1 when something needs an operator.
"""

from __future__ import annotations

import json
import sys

import click

from kb.settings import Settings
from webapp.cli_options import location_options


@click.command("doctor")
@location_options
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def doctor_command(settings: Settings, as_json: bool) -> None:
    """Check the content, the index, the embedding cache and the git sync state; say what to fix."""
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
    if as_json:
        out = report.as_json()
        out["articles"] = len(loaded.articles) if loaded else None
        out["git_sync"] = {"commit": sync.commit, "snapshot": str(snapshot_dir(settings))} if sync else None
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        sys.exit(0 if report.status == "ok" else 1)
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
    for problem in report.problems:
        click.echo(f"PROBLEM {problem}")
    click.echo("ok" if report.status == "ok" else f"status: {report.status}")
    sys.exit(0 if report.status == "ok" else 1)
