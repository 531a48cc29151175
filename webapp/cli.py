"""The `kb` command: index the content, search it, serve the help center.

It sits at the end of the data flow (it reaches every layer), so it lives with the web app.
Commands are thin: each builds `Settings`, then calls into `copilot.engine`.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from copilot.engine import Engine
from copilot.retrieval import QueryError
from indexer.stores.base import StoreBusyError
from kb.settings import Settings


def _location_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option(
        "--content",
        "content_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Content directory (default: $KB_CONTENT_DIR or ./content).",
    )
    @click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Data directory for the index and caches (default: $KB_DATA_DIR or ./var).",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, content_dir: Path | None, data_dir: Path | None, **kwargs: Any) -> Any:
        settings = Settings.from_env(content_dir=content_dir, data_dir=data_dir)
        return command(*args, settings=settings, **kwargs)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Bilingual (Arabic/English) help center over Markdown articles kept in git."""


@main.command()
@_location_options
@click.option("--rebuild", is_flag=True, help="Build a new index from scratch (cached embeddings are reused).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index(settings: Settings, rebuild: bool, quiet: bool) -> None:
    """Index the content directory incrementally.

    Only changed articles are re-chunked and only unseen chunk texts are embedded. Broken
    articles are reported as path:line: message and skipped (exit status 2); everything else is
    indexed. Safe to run while `kb serve` uses the same data directory: the server switches to
    the new index when it is complete.
    """
    if not settings.content_dir.is_dir():
        raise click.ClickException(f"content directory not found: {settings.content_dir}")
    engine = Engine(settings)
    try:
        report = engine.index(rebuild=rebuild, show_progress=False if quiet else None)
    except StoreBusyError as error:
        raise click.ClickException(str(error)) from None
    finally:
        engine.close()
    for error in report.rejected:
        click.echo(f"{settings.content_dir.as_posix().rstrip('/')}/{error}", err=True)
    click.echo(report.summary())
    sys.exit(report.exit_code)


@main.command()
@_location_options
@click.argument("query")
@click.option("--lang", type=click.Choice(["en", "ar"]), default=None, help="Query language (default: detected).")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of a table.")
@click.option("--internal", is_flag=True, help="Include internal (agents-only) articles.")
def search(settings: Settings, query: str, lang: str | None, limit: int, as_json: bool, internal: bool) -> None:
    """Search the index as customers do (or as agents do, with --internal)."""
    engine = Engine(settings)
    try:
        result = engine.retriever.search(query, lang=lang, limit=limit, audience="agent" if internal else "public")
    except QueryError as error:
        raise click.UsageError(str(error)) from None
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(result.results)} results ({result.lang}, {result.mode}, {result.took_ms:.0f} ms)")
    for rank, hit in enumerate(result.results, 1):
        flag = " [other language]" if hit.locale_fallback else ""
        section = f" > {hit.section}" if hit.section else ""
        click.echo(f"{rank:2}. {hit.title}{section}{flag}  ({hit.score:.3f})\n    {hit.url}\n    {hit.snippet}")


@main.command()
@_location_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True, help="Request threads.")
def serve(settings: Settings, host: str, port: int, threads: int) -> None:
    """Serve the help center and the JSON API (waitress, a production WSGI server)."""
    from waitress import serve as waitress_serve

    from webapp import create_app

    engine = Engine(settings)
    engine.warm_up()
    app = create_app(engine=engine)
    click.echo(f"Help center on http://{host}:{port}/  (API: /api/v1/search?q=...)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="helpcenter")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
