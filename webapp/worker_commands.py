"""`kb worker`: run the background jobs (webapp/worker.py) in this process until stopped."""

from __future__ import annotations

import json
import logging
import signal
import threading
from typing import Any

import click

from kb.settings import Settings
from webapp.cli_options import location_options


@click.command("worker")
@location_options
@click.option("--once", is_flag=True, help="Run every job once, print what each did, exit (cron, checks).")
@click.option("--check", is_flag=True, help="Exit 0 if a running worker's loop came round in the last minute.")
def worker_command(settings: Settings, once: bool, check: bool) -> None:
    """Run the git sync the push hook asks for and every registered background job.

    One per deployment, beside `kb serve` (`make run` starts both). Stops between passes on
    SIGTERM or Ctrl-C.
    """
    from webapp.worker import JOBS, WorkerContext, heartbeat_age, run_forever, run_pass

    if check:  # a container health check: cheap, loads nothing
        age = heartbeat_age(settings.data_dir)
        if age is None or age > 60:
            raise click.ClickException(f"no worker heartbeat in {settings.data_dir} for 60 s (age: {age})")
        click.echo(f"worker alive ({age:.0f} s since its last pass)")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s kb-worker %(levelname)s %(message)s")
    ctx = WorkerContext(settings)
    try:
        if once:
            click.echo(json.dumps(run_pass(ctx)))
            return
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        click.echo(f"kb worker: jobs {', '.join(job.name for job in JOBS)}; SIGTERM or Ctrl-C stops it", err=True)
        run_forever(ctx, stop)
    finally:
        ctx.close()
