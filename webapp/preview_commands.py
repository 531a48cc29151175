"""`kb preview`: the help center as the working tree would make it, for writers checking their edits.

Everything the preview writes lives under DATA/preview: its own index, its own (SQLite) desk
database, its own secret, so the live help center's index and analytics are never touched, even
when the live site uses a Qdrant server or PostgreSQL. The live embedding cache is copied once to
seed the preview's, so a first preview does not spend minutes re-embedding unchanged articles.

A background thread polls the content folder and re-runs the (incremental) index when a file
changes; the catalog behind the pages already follows file changes by itself. What the pages add
in preview (lint messages) is in `webapp.preview`, imported only when serving, so other `kb`
commands do not pay for Flask.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from indexer.cache import CACHE_FILE
from indexer.stores.base import StoreBusyError
from indexer.sync import SyncReport
from kb.settings import Settings
from kb.tree_signature import Signature, content_signature
from webapp.cli_options import location_options

if TYPE_CHECKING:
    from copilot.engine import Engine

if TYPE_CHECKING:
    from indexer.embedders import Embedder

PREVIEW_DIR = "preview"
POLL_SECONDS = 2.0

log = logging.getLogger(__name__)


def preview_settings(settings: Settings) -> Settings:
    """The live settings pointed at DATA/preview, with local stores only, so nothing live is written."""
    return replace(
        settings, data_dir=settings.data_dir / PREVIEW_DIR, qdrant_url=None, qdrant_api_key=None, database_url=None
    )


def seed_embedding_cache(live: Path, preview: Path) -> bool:
    """Copy the live cache once, through SQLite's backup API: a file copy could catch a write half-done."""
    if preview.exists() or not live.is_file():
        return False
    preview.parent.mkdir(parents=True, exist_ok=True)
    partial = preview.with_name(preview.name + ".partial")  # an interrupted copy must not pass for a cache
    source, target = sqlite3.connect(live), sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    partial.replace(preview)
    return True


def build_preview(settings: Settings, embedders: list[Embedder] | None = None) -> tuple[Engine, SyncReport]:
    """The preview's engine, its index brought up to date with the working tree (incrementally)."""
    preview = preview_settings(settings)
    seed_embedding_cache(settings.data_dir / CACHE_FILE, preview.data_dir / CACHE_FILE)
    from copilot.engine import Engine

    engine = Engine(preview, embedders)
    try:
        return engine, engine.index(show_progress=False)
    except BaseException:
        engine.close()
        raise


def reindex_if_changed(engine: Engine, seen: Signature) -> tuple[Signature, SyncReport | None]:
    current = content_signature(engine.settings.content_dir)
    if current == seen:
        return seen, None
    return current, engine.index(show_progress=False)


def watch(engine: Engine, stop: threading.Event, seen: Signature) -> None:
    """Poll until `stop`; an index that fails is logged and retried on the next change, never fatal."""
    while not stop.wait(POLL_SECONDS):
        try:
            seen, report = reindex_if_changed(engine, seen)
        except Exception:
            log.exception("preview re-index failed")
            seen = content_signature(engine.settings.content_dir)
            continue
        if report is not None:
            _echo_report(report, engine.settings.content_dir)


def _echo_report(report: SyncReport, content_dir: Path) -> None:
    """As `kb index` prints it: broken articles as path:line: message on stderr, then the summary."""
    for error in report.rejected:
        click.echo(f"{content_dir.as_posix().rstrip('/')}/{error}", err=True)
    click.echo(report.summary())


@click.command("preview")
@location_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5001, show_default=True)
@click.option("--threads", type=int, default=4, show_default=True, help="Request threads.")
def preview_command(settings: Settings, host: str, port: int, threads: int) -> None:
    """Serve the working tree with lint messages on each article, re-indexing as files change.

    --content includes uncommitted edits. --data is the live data directory: the index, database
    and caches of the preview are under DATA/preview, and the live help center is untouched.
    Problems of the whole tree (articles too broken to open included) are at /preview/problems.
    """
    from waitress import serve as waitress_serve

    from webapp.preview import preview_app

    if not settings.content_dir.is_dir():
        raise click.ClickException(f"content directory not found: {settings.content_dir}")
    seen = content_signature(settings.content_dir)  # before indexing: edits made meanwhile are caught
    try:
        engine, report = build_preview(settings)
    except StoreBusyError as error:
        raise click.ClickException(f"{error} (is another `kb preview` running?)") from None
    _echo_report(report, settings.content_dir)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(engine, stop, seen), name="kb-preview-watch", daemon=True)
    try:
        engine.warm_up()
        watcher.start()
        click.echo(f"Preview on http://{host}:{port}/  (lint problems: /preview/problems)")
        waitress_serve(preview_app(engine), host=host, port=port, threads=threads, ident="helpcenter-preview")
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join(timeout=30)
        engine.close()
