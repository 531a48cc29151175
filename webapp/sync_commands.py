"""`kb sync`: publish what was committed to the content repository, and the glue the web hook shares.

Kept out of `webapp.cli` so the hook's worker can import `sync_engine` without pulling in the
whole command line, and so `cli` can register the command with one line at its end.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from indexer.git_sync import GitSyncError, GitSyncReport, snapshot_dir, sync_git
from indexer.stores.base import StoreBusyError
from indexer.sync import SyncReport
from kb.settings import Settings

if TYPE_CHECKING:
    from copilot.engine import Engine

GIT_CONTENT_ENV = "KB_GIT_CONTENT_DIR"


def git_content_dir(settings: Settings) -> Path:
    """The checkout sync reads: separate from content_dir when the server renders the snapshot."""
    return settings.git_content_dir or settings.content_dir


def sync_engine(
    engine: Engine,
    source: Path | None = None,
    *,
    full: bool = False,
    rebuild: bool = False,
    fetch: bool = False,
    show_progress: bool | None = False,
) -> GitSyncReport:
    """Run a git sync into the engine's own store, so a server using this engine sees it at once."""
    settings = replace(engine.settings, content_dir=source or git_content_dir(engine.settings))

    def run_index(snapshot: Settings) -> SyncReport:
        return engine.index(rebuild, show_progress, content=snapshot)

    return sync_git(settings, run_index, full=full or rebuild, fetch=fetch)


@click.command("sync")
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Content folder in a git checkout (default: ${GIT_CONTENT_ENV}, $KB_CONTENT_DIR or ./content).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory for the index, caches and the snapshot (default: $KB_DATA_DIR or ./var).",
)
@click.option("--full", is_flag=True, help="Compare every file with HEAD instead of trusting the last commit's diff.")
@click.option("--rebuild", is_flag=True, help="Build a new index from scratch (implies --full).")
@click.option("--fetch", is_flag=True, help="`git pull --ff-only` in the checkout first.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def sync_command(
    content_dir: Path | None, data_dir: Path | None, full: bool, rebuild: bool, fetch: bool, quiet: bool, as_json: bool
) -> None:
    """Index the content as of HEAD of its git repository, from what changed since the last sync.

    Added, modified, renamed and deleted files are read from git history; when that history was
    rewritten, every file is compared instead. Uncommitted edits are not published. HEAD's
    content is kept in DATA/sync-tree; serve that folder (KB_CONTENT_DIR) so pages match search.
    Changed articles are linted first: one with errors (broken link, missing image, broken anchor,
    bad front matter) is held back and its last good version stays live, saying why (exit status
    2); KB_SYNC_LINT=warn publishes it anyway and only reports the errors.
    """
    settings = Settings.from_env(data_dir=data_dir)
    source = content_dir or git_content_dir(settings)
    from copilot.engine import Engine

    try:
        with Engine(replace(settings, content_dir=snapshot_dir(settings))) as engine:
            report = sync_engine(
                engine, source, full=full, rebuild=rebuild, fetch=fetch, show_progress=False if quiet else None
            )
    except (GitSyncError, StoreBusyError) as error:
        raise click.ClickException(str(error)) from None
    for refused in report.rejected:
        click.echo(f"{source.as_posix().rstrip('/')}/{refused}", err=True)
    for warned in report.published_with_errors:
        click.echo(f"{source.as_posix().rstrip('/')}/{warned} (published anyway: KB_SYNC_LINT=warn)", err=True)
    click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2) if as_json else report.summary())
    sys.exit(report.exit_code)
