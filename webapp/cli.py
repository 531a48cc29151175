"""The `kb` command: index the content, search it, serve the help center.

It sits at the end of the data flow (it reaches every layer), so it lives with the web app.
Commands are thin: each builds `Settings`, then calls into `copilot.engine`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from desk.token_scopes import SCOPES
from indexer.stores.base import IndexSpaceError, StoreBusyError
from kb.audience import AGENT, PUBLIC
from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Bilingual (Arabic/English) help center over Markdown articles kept in git."""


@main.command()
@location_options
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
    from copilot.engine import Engine  # here, not at the top: `kb --help` and `kb lint` need no models

    try:
        with Engine(settings) as engine:
            report = engine.index(rebuild=rebuild, show_progress=False if quiet else None)
    except StoreBusyError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # disk full, read-only, tmpfs too small: one line, the live index is untouched
        raise click.ClickException(error.strerror or str(error)) from None
    for rejected in report.rejected:
        click.echo(f"{settings.content_dir.as_posix().rstrip('/')}/{rejected}", err=True)
    click.echo(report.summary())
    sys.exit(report.exit_code)


@main.command()
@location_options
@click.argument("query")
@click.option("--lang", type=click.Choice(["en", "ar"]), default=None, help="Query language (default: detected).")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of a table.")
@click.option("--internal", is_flag=True, help="Include internal (agents-only) articles.")
def search(settings: Settings, query: str, lang: str | None, limit: int, as_json: bool, internal: bool) -> None:
    """Search the index as customers do (or as agents do, with --internal)."""
    from copilot.engine import Engine
    from copilot.retrieval import QueryError
    from webapp.urls import public_link

    link = public_link(settings)
    try:
        with Engine(settings) as engine:
            result = engine.retriever.search(query, lang=lang, limit=limit, audience=AGENT if internal else PUBLIC)
    except QueryError as error:
        raise click.UsageError(str(error)) from None
    except IndexSpaceError as error:
        raise click.ClickException(error.strerror or str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_json(link), ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(result.results)} results ({result.lang}, {result.mode}, {result.took_ms:.0f} ms)")
    for rank, hit in enumerate(result.results, 1):
        flag = " [other language]" if hit.locale_fallback else ""
        section = f" > {hit.section}" if hit.section else ""
        click.echo(f"{rank:2}. {hit.title}{section}{flag}  ({hit.score:.3f})\n    {link(hit)}\n    {hit.snippet}")


@main.command()
@location_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default: one per core).")
@click.option(
    "--threads", type=click.IntRange(1, 64), default=1, show_default=True,
    help="Request threads per worker (1: sync workers, the models' speed; behind a buffering proxy such as nginx).",
)
def serve(settings: Settings, host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the help center and the JSON API on gunicorn (prefork worker processes).

    Each worker loads the models and opens the published index itself. The git sync and other
    background jobs run in `kb worker`, never in a web worker: start one beside the server.
    """
    from webapp.serving import cores
    from webapp.serving import serve as gunicorn_serve

    workers = workers or cores()
    click.echo(f"Help center on http://{host}:{port}/  (API: /api/v1/search?q=...; {workers} workers)")
    gunicorn_serve(settings, host, port, workers, threads)


@main.command()
@location_options
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def lint(settings: Settings, paths: tuple[Path, ...], fmt: str) -> None:
    """Check articles: front matter, links, images, headings, translations.

    With PATHS (what the pre-commit hook passes) only those files are checked, still against the
    whole content directory; files outside it are ignored. Exit status 1 when there is an error;
    warnings alone do not fail.
    """
    from kb.lint import lint_paths, lint_summary

    if not settings.content_dir.is_dir():
        raise click.ClickException(f"content directory not found: {settings.content_dir}")
    messages = lint_paths(settings.content_dir, list(paths) or None, settings.languages)
    errors, warnings = lint_summary(messages)
    if fmt == "json":
        click.echo(json.dumps([m.as_json() for m in messages], ensure_ascii=False, indent=2))
    else:
        for message in messages:
            click.echo(message.format())
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(1 if errors else 0)


@main.command()
@location_options
@click.option("--json", "as_json", is_flag=True, help="Print every status as JSON.")
@click.option("--all", "show_all", is_flag=True, help="Also list sources and up-to-date translations.")
@click.option(
    "--stamp", "stamp_ids", multiple=True, metavar="ID", help="Mark ID's translations up to date (repeatable)."
)
@click.option("--stamp-untracked", is_flag=True, help="Start tracking translations that have no translated_from.")
def translations(
    settings: Settings, as_json: bool, show_all: bool, stamp_ids: tuple[str, ...], stamp_untracked: bool
) -> None:
    """Translation status per article and language: source, up-to-date, stale, missing, untracked.

    Stale translations list the source sections changed since (from the content's git history).
    """
    from kb.translations import stamp_translations, translation_status

    if not settings.content_dir.is_dir():
        raise click.ClickException(f"content directory not found: {settings.content_dir}")
    if stamp_ids or stamp_untracked:
        for path in stamp_translations(settings.content_dir, settings.languages, ids=stamp_ids or None):
            click.echo(f"stamped {path.as_posix()}", err=True)
    statuses = translation_status(settings.content_dir, settings.languages)
    if as_json:
        click.echo(json.dumps([s.as_json() for s in statuses], ensure_ascii=False, indent=2))
        return
    for s in statuses:
        if show_all or s.status not in ("source", "up-to-date"):
            where = s.path or f"(source {s.source_path})"
            changed = f"  changed: {', '.join(s.changed_sections)}" if s.changed_sections else ""
            click.echo(f"{s.lang}  {s.id}  {s.status}  {where}{changed}")


@main.group()
def agents() -> None:
    """Agents who log in to the workspace at /agent/."""


@agents.command("create")
@location_options
@click.argument("email")
@click.option("--name", default="", help="Display name (default: the part of the email before @).")
@click.option("--admin", is_flag=True, help="May create agents and API tokens.")
@click.option("--lead", is_flag=True, help="Sees reports and the dashboard; does not manage agents.")
@click.option("--light", is_flag=True, help="A light agent: reads tickets and adds internal notes, nothing else.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option("--if-missing", is_flag=True, help="Succeed without change when the agent exists (for set-up scripts).")
def agents_create(
    settings: Settings, email: str, name: str, admin: bool, lead: bool, light: bool, password_stdin: bool,
    if_missing: bool,
) -> None:
    """Create an agent; the password comes from a prompt, or stdin with --password-stdin."""
    if admin + lead + light > 1:
        raise click.UsageError("choose one of --admin, --lead and --light")
    from desk.audit import CLI  # the audit log's actor for account commands

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_desk(settings) as desk:
        if if_missing and desk.accounts.find(email) is not None:
            click.echo(f"{email} exists; unchanged")
            return
        role = "admin" if admin else ("lead" if lead else ("light" if light else "agent"))
        agent = desk.accounts.create_agent(email, password, name=name, role=role, by=CLI)
    click.echo(f"created {agent.role} {agent.email}")


@agents.command("role")
@location_options
@click.argument("email")
@click.argument("role")
def agents_role(settings: Settings, email: str, role: str) -> None:
    """Change an agent's role: agent, lead, admin or light (a light agent reads tickets and adds internal notes).
    Audited as the admin page's change; made light, the agent's tickets that are not closed are unassigned."""
    from desk.audit import CLI  # the audit log's actor for account commands

    with open_desk(settings) as desk:
        agent = desk.accounts.find(email)
        if agent is None:
            raise click.ClickException(f"no agent {email}")
        before = agent.role
        desk.accounts.manage(agent.id, by=CLI, role=role)
    click.echo(f"{email}: {before} -> {role}" if before != role else f"{email} is {role}; unchanged")


@agents.command("password")
@location_options
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input (for scripts).")
def agents_password(settings: Settings, email: str, password_stdin: bool) -> None:
    """Set an agent's password; it also logs the agent out everywhere (old cookies stop working). Two-factor
    sign-in stays on: the new password still needs the agent's code (`kb agents 2fa-reset` for a lost phone)."""
    from desk.audit import CLI  # the audit log's actor for account commands

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else click.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    with open_desk(settings) as desk:
        agent = desk.accounts.find(email)
        if agent is None:
            raise click.ClickException(f"no agent {email}")
        desk.accounts.set_password(agent.id, password, by=CLI)
    kept = " (two-factor sign-in stays on)" if agent.two_factor else ""
    click.echo(f"password changed for {email}; their sessions are ended{kept}")


@agents.command("2fa-reset")
@location_options
@click.argument("email")
def agents_two_factor_reset(settings: Settings, email: str) -> None:
    """Turn off an agent's two-factor sign-in (a lost phone, no recovery codes left): they sign in with their password
    and may enrol again. Ends their sessions; audited as `two_factor_reset` by `cli`."""
    from desk.audit import CLI  # the audit log's actor for account commands

    with open_desk(settings) as desk:
        agent = desk.accounts.find(email)
        if agent is None:
            raise click.ClickException(f"no agent {email}")
        desk.two_factor.reset(agent.id, by=CLI)
    click.echo(f"two-factor sign-in reset for {email}; their sessions are ended")


@main.group()
def tokens() -> None:
    """API tokens for other help desks and tools calling /api/v1, each limited to its scopes."""


@tokens.command("create")
@location_options
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, metavar="SCOPE",
              help="What the token may do (repeat it: --scope tickets:read --scope suggest); every scope without it. "
                   "Scopes: " + ", ".join(SCOPES) + ".")
@click.option("--expires-days", type=int, default=None, metavar="N", help="It stops working N days from now "
              "(1 to 3650); never without it.")
def tokens_create(settings: Settings, name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create a token and print it once (only its hash is stored); its scopes and expiry go to stderr, so
    TOKEN=$(kb tokens create NAME) holds the token alone."""
    from desk.audit import CLI  # the audit log's actor for account commands

    with open_desk(settings) as desk:
        token = desk.accounts.create_token(name, by=CLI, scopes=scopes or SCOPES, expires_days=expires_days)
        found = desk.accounts.verify_token(token)
    click.echo(token)
    if found is not None:
        every = "" if scopes else " (every scope; limit it with --scope)"
        click.echo(f"scopes: {found.scopes}{every}", err=True)
        when = found.expires_at.date().isoformat() if found.expires_at is not None else "never"
        click.echo(f"expires: {when}", err=True)


@main.group()
def tickets() -> None:
    """Tickets in the support desk."""


@tickets.command("import")
@location_options
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tickets_import(settings: Settings, path: Path) -> None:
    """Import tickets from JSON lines or an mbox; already imported ones are skipped.

    Bad records are reported with their line (or message number) and skipped (exit status 2).
    """
    from desk.ticket_import import import_file

    with open_desk(settings) as desk:
        report = import_file(desk.tickets, path)
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(report.summary())
    sys.exit(2 if report.errors else 0)


@tickets.command("purge-deleted")
@location_options
def tickets_purge_deleted(settings: Settings) -> None:
    """Remove for good the tickets deleted more than KB_DELETED_TICKET_RETENTION_DAYS ago, with their messages and
    files (for cron; `kb worker` does it too)."""
    from webapp.worker import purge_deleted_tickets

    with open_desk(settings) as desk:
        done = total = purge_deleted_tickets(desk, settings)
        while done:  # bounded passes until nothing is left
            done = purge_deleted_tickets(desk, settings)
            total += done
    click.echo(f"purged: {total} (tickets deleted more than {settings.deleted_ticket_retention_days} days ago)")


from webapp.sync_commands import sync_command  # noqa: E402 - registered after the group exists

main.add_command(sync_command, "sync")

from webapp.report_commands import report_command  # noqa: E402 - registered after the group exists

main.add_command(report_command, "report")

from webapp.floor_commands import floors_command  # noqa: E402 - registered after the group exists

main.add_command(floors_command, "floors")

from webapp.preview_commands import preview_command  # noqa: E402 - registered after the group exists

main.add_command(preview_command, "preview")

from webapp.worker_commands import worker_command  # noqa: E402 - registered after the group exists

main.add_command(worker_command, "worker")

from webapp.doctor_commands import doctor_command  # noqa: E402 - registered last, like the commands above

main.add_command(doctor_command, "doctor")

from webapp.workspace_commands import workspace_command  # noqa: E402 - registered after the group exists

main.add_command(workspace_command, "workspace")

from webapp.demo_commands import demo_group  # noqa: E402 - registered after the group exists

main.add_command(demo_group, "demo")

from webapp.team_commands import teams_group  # noqa: E402 - registered after the group exists

main.add_command(teams_group, "teams")

from webapp.customer_commands import customers_group  # noqa: E402 - registered after the group exists

main.add_command(customers_group, "customers")


from webapp.mail_commands import mail_command  # noqa: E402 - registered after the group exists

main.add_command(mail_command, "mail")

from webapp.click_commands import clicks_command  # noqa: E402 - registered after the group exists

main.add_command(clicks_command, "clicks")

from webapp.audit_commands import audit_command  # noqa: E402 - registered after the group exists

main.add_command(audit_command, "audit")

from webapp.webhook_commands import webhooks_group  # noqa: E402 - registered after the group exists

main.add_command(webhooks_group, "webhooks")

from webapp.automation_commands import automations_group  # noqa: E402 - registered after the group exists

main.add_command(automations_group, "automations")

from webapp.organization_commands import organizations_group  # noqa: E402 - registered after the group exists

main.add_command(organizations_group, "organizations")

if __name__ == "__main__":
    main()
