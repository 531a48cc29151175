"""`kb worker`: the one process that does the background work, never a web worker.

Web workers answer requests and read the index; anything slow or writing runs here: the git sync
the push hook asked for (webapp/sync_queue.py), and any job registered in `JOBS`. A job is a
plain function doing one bounded pass and returning how much it did (0 when idle), so it can be
run once from the command line, tested without a loop, and stopped between passes. Registering
one is one line:

    JOBS.append(Job("mail", lambda ctx: deliver_pending(ctx.desk, ctx.settings, limit=100), every_s=5))

Each job runs on its own schedule in this process's one thread; a job that raises is logged and
retried on its next turn, and never stops the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.stores.base import StoreBusyError
from kb.settings import Settings
from webapp.sync_queue import SyncQueue

if TYPE_CHECKING:
    from copilot.engine import Engine
    from desk.desk import Desk

BUSY_RETRY_S = 2.0
BUSY_RETRIES = 30  # a `kb index` holding the store's writer lock for a minute is still waited out

log = logging.getLogger(__name__)


class WorkerContext:
    """What jobs share: the settings, and the engine and desk, each built on first use."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        if engine is not None:
            self.__dict__["engine"] = engine

    @cached_property
    def engine(self) -> Engine:
        from copilot.engine import Engine

        return Engine(self.settings)

    @cached_property
    def desk(self) -> Desk:
        from desk.desk import Desk

        return Desk(self.settings)

    @cached_property
    def sync_queue(self) -> SyncQueue:
        return SyncQueue(self.settings.data_dir)

    def close(self) -> None:
        for name in ("engine", "desk"):
            part = self.__dict__.get(name)
            if part is not None:
                part.close()


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[WorkerContext], int]
    every_s: float


def git_sync_pass(ctx: WorkerContext) -> int:
    """Run one git sync if a push asked for one since the last run; 1 if it ran, else 0."""
    covers = ctx.sync_queue.take()
    if covers is None:
        return 0
    ctx.sync_queue.finish(covers, _run_git_sync(ctx, covers))
    return 1


def _run_git_sync(ctx: WorkerContext, job: int) -> dict[str, Any]:
    from webapp.sync_commands import sync_engine

    started = time.time()
    outcome: dict[str, Any] = {"job": job, "started": _iso(started)}
    try:
        for _ in range(BUSY_RETRIES):
            try:
                report = sync_engine(ctx.engine, fetch=True)
                break
            except StoreBusyError:  # `kb index` is writing: its lock is short-lived, so wait
                time.sleep(BUSY_RETRY_S)
        else:
            report = sync_engine(ctx.engine, fetch=True)
    except Exception as error:  # the worker must outlive a bad run; the status says what failed
        log.exception("git sync failed")
        outcome.update(error=str(error) or type(error).__name__, commit=None, summary=None, exit_code=1)
    else:
        outcome.update(
            error=None, commit=report.to_commit, from_commit=report.from_commit, mode=report.mode,
            summary=report.summary(), rejected=[str(e) for e in report.rejected], exit_code=report.exit_code,
        )
    outcome.update(finished=_iso(time.time()), seconds=round(time.time() - started, 3))
    return outcome


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def mail_pass(ctx: WorkerContext) -> int:
    """Send the outbox's due mail (one bounded pass): confirmations, replies, surveys."""
    from webapp.mail_commands import deliver_pending_mail

    return deliver_pending_mail(ctx.desk, ctx.settings, limit=100, engine=lambda: ctx.engine)


# The registry: every background job of the deployment, in the order a pass runs them.
def advice_pass(ctx: WorkerContext) -> int:
    """Suggestions and drafts for tickets that are new, have a new customer message, or were advised
    from an older index (one bounded pass), so opening a ticket is a read."""
    from webapp.ticket_advice import precompute_suggestions

    return precompute_suggestions(ctx.desk, ctx.engine, limit=20)


def auto_close_pass(ctx: WorkerContext) -> int:
    """Close tickets solved more than `KB_AUTO_CLOSE_DAYS` ago."""
    from webapp.workspace_commands import close_solved_tickets

    return close_solved_tickets(ctx.desk, ctx.settings)


def held_mail_pass(ctx: WorkerContext) -> int:
    """The held-mail retention rule (`KB_HELD_MAIL_RETENTION_DAYS`): purge what no agent dealt with in time."""
    from webapp.mail_commands import purge_held_mail

    return purge_held_mail(ctx.desk, ctx.settings)


def purge_deleted_tickets(desk: Desk, settings: Settings) -> int:
    """One bounded pass of the deleted tickets' retention rule (desk.trash): what `kb worker` and
    `kb tickets purge-deleted` run."""
    return desk.trash.purge(dt.timedelta(days=settings.deleted_ticket_retention_days))


def deleted_tickets_pass(ctx: WorkerContext) -> int:
    """Deleted tickets past `KB_DELETED_TICKET_RETENTION_DAYS`: removed for good."""
    return purge_deleted_tickets(ctx.desk, ctx.settings)


def idempotency_keys_pass(ctx: WorkerContext) -> int:
    """Forget the API's Idempotency-Keys past `KB_IDEMPOTENCY_KEY_HOURS` (one bounded pass); an expired key is
    never answered from even before this runs (desk.idempotency)."""
    return ctx.desk.idempotency.purge()


def audit_pass(ctx: WorkerContext) -> int:
    """Purge the audit log's events past `KB_AUDIT_KEEP_DAYS` (one bounded pass)."""
    return ctx.desk.audit.purge()


def snooze_pass(ctx: WorkerContext) -> int:
    """Bring back the tickets whose snooze has passed (open, updated, "snooze ended" in their history; desk.snooze):
    idempotent, a ticket is woken once."""
    return ctx.desk.snoozes.wake()


def auto_assign_pass(ctx: WorkerContext) -> int:
    """Hand the waiting unassigned tickets of teams with an `assignment:` rule to members who can take them now (came
    back as available, solved a ticket under max_open, joined the team): one place for every reason, rather than a
    hook in each of them (desk.tickets.TicketStore.hand_out)."""
    return ctx.desk.tickets.hand_out()


def click_feedback_pass(ctx: WorkerContext) -> int:
    """Relearn what customers' clicks lift (`KB_CLICK_FEEDBACK`), at most every ten minutes."""
    from webapp.search_feedback import refresh_click_feedback

    return refresh_click_feedback(ctx.desk, ctx.settings)


def query_keys_pass(ctx: WorkerContext) -> int:
    """Fold the queries an older release logged without their normalised spelling during a rolling deploy
    (desk.query_keys); the content gaps report folds them itself meanwhile, at the cost of ranking in Python."""
    from desk.query_keys import fill_query_keys

    return fill_query_keys(ctx.desk.db.engine)


def webhooks_pass(ctx: WorkerContext) -> int:
    """Send the outbound webhooks' due events (one bounded pass, desk.webhooks) and purge finished ones past
    `KB_WEBHOOK_KEEP_DAYS`."""
    from webapp.webhook_delivery import deliver_webhooks

    return deliver_webhooks(ctx.desk, ctx.settings)


def automations_pass(ctx: WorkerContext) -> int:
    """content/_triggers.yml's `on: schedule` rules (desk.automations): one bounded pass of indexed queries, each
    ticket's changes in its own transaction; how many fired."""
    automations = ctx.desk.automations
    return len(automations.run(limit=200)) if automations else 0


def digests_pass(ctx: WorkerContext) -> int:
    """The leads' KPI digests due now (desk.digests: 08:00 on each one's clock), each period claimed and queued once;
    the mail job sends them."""
    return ctx.desk.digests.send_due()


def due_times_pass(ctx: WorkerContext) -> int:
    """After a merged change of the business hours or due hours (desk.desk's `reload_rules`): the open tickets' due
    times counted again under the new policy, one bounded page a pass, hand-set ones left; nothing otherwise."""
    return ctx.desk.recount_due()


JOBS: list[Job] = [
    Job("git-sync", git_sync_pass, every_s=0.2),  # an idle pass reads one small file: poll often, publish fast
    Job("mail", mail_pass, every_s=5.0),
    Job("webhooks", webhooks_pass, every_s=5.0),  # one indexed lookup when nothing is due
    Job("advice", advice_pass, every_s=2.0),
    Job("auto-close", auto_close_pass, every_s=600.0),
    Job("snooze", snooze_pass, every_s=30.0),  # one indexed lookup when nothing is due
    Job("automations", automations_pass, every_s=60.0),  # indexed lookups per rule; none without rules
    Job("digests", digests_pass, every_s=60.0),  # one read of the agents who chose a digest
    Job("due-times", due_times_pass, every_s=5.0),  # no query unless the business hours changed
    Job("auto-assign", auto_assign_pass, every_s=15.0),  # one indexed lookup per team with a rule when none wait
    Job("held-mail", held_mail_pass, every_s=600.0),
    Job("deleted-tickets", deleted_tickets_pass, every_s=600.0),  # one indexed lookup when none are due
    Job("idempotency-keys", idempotency_keys_pass, every_s=600.0),
    Job("audit", audit_pass, every_s=3600.0),
    Job("click-feedback", click_feedback_pass, every_s=60.0),  # a no-op while off or fresh
    Job("query-keys", query_keys_pass, every_s=60.0),  # one indexed lookup finding nothing, but after a deploy
]


def run_pass(ctx: WorkerContext, jobs: Sequence[Job] = JOBS) -> dict[str, int]:
    """Every job once (`kb worker --once`, cron, tests): how much each did."""
    return {job.name: _run_job(ctx, job) for job in jobs}


def _run_job(ctx: WorkerContext, job: Job) -> int:
    try:
        if "desk" in ctx.__dict__:  # between jobs, as the web app between requests: the rule files' changes
            ctx.desk.follow_rules()
        return job.run(ctx)
    except Exception:  # one failing job must not stop the others; it is retried on its next turn
        log.exception("background job %s failed", job.name)
        return 0


HEARTBEAT_FILE = "worker-heartbeat"
HEARTBEAT_EVERY_S = 10.0


def heartbeat_age(data_dir: Path) -> float | None:
    """Seconds since the worker's loop last came round (a container health check), None if never."""
    try:
        return time.time() - (data_dir / HEARTBEAT_FILE).stat().st_mtime
    except FileNotFoundError:
        return None


def run_forever(ctx: WorkerContext, stop: threading.Event, jobs: Sequence[Job] = JOBS) -> None:
    """Each job when it is due, until `stop` is set (SIGTERM); a job that did work runs again at once.

    The loop touches DATA/worker-heartbeat every few seconds, so a health check can tell a stuck
    worker from a quiet one."""
    due = dict.fromkeys((job.name for job in jobs), 0.0)
    beat = ctx.settings.data_dir / HEARTBEAT_FILE
    last_beat = 0.0
    while not stop.is_set():
        if time.monotonic() - last_beat >= HEARTBEAT_EVERY_S:
            beat.parent.mkdir(parents=True, exist_ok=True)
            beat.touch()
            last_beat = time.monotonic()
        for job in jobs:
            if stop.is_set():
                break
            if time.monotonic() >= due[job.name]:
                did = _run_job(ctx, job)
                due[job.name] = time.monotonic() + (0.0 if did else job.every_s)
        stop.wait(max(0.0, min(due.values()) - time.monotonic()))
