"""`kb worker`'s job loop: bounded passes, one failing job never stops the others, SIGTERM-style stop."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.settings import Settings
from webapp.cli import main
from webapp.sync_queue import SyncQueue
from webapp.worker import JOBS, Job, WorkerContext, heartbeat_age, run_forever, run_pass


def test_a_failing_job_is_logged_and_the_others_keep_running(tmp_path: Path) -> None:
    ctx = WorkerContext(Settings(data_dir=tmp_path))
    done: list[str] = []
    stop = threading.Event()

    def broken(_ctx: WorkerContext) -> int:
        raise RuntimeError("mail server down")

    def counted(_ctx: WorkerContext) -> int:
        done.append("pass")
        if len(done) == 3:
            stop.set()
        return 0

    jobs = [Job("broken", broken, every_s=0.01), Job("counted", counted, every_s=0.01)]
    assert run_pass(ctx, jobs) == {"broken": 0, "counted": 0}
    runner = threading.Thread(target=run_forever, args=(ctx, stop, jobs))
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive() and len(done) == 3
    age = heartbeat_age(tmp_path)
    assert age is not None and age < 60  # the loop says it is alive
    check = CliRunner().invoke(main, ["worker", "--check", "--data", str(tmp_path)])
    assert check.exit_code == 0 and "worker alive" in check.output
    silent = CliRunner().invoke(main, ["worker", "--check", "--data", str(tmp_path / "elsewhere")])
    assert silent.exit_code == 1 and "no worker heartbeat" in silent.output


def test_the_git_sync_is_registered_and_idle_without_a_request(tmp_path: Path) -> None:
    assert "git-sync" in {job.name for job in JOBS}
    result = CliRunner().invoke(main, ["worker", "--once", "--data", str(tmp_path)])
    assert result.exit_code == 0 and '"git-sync": 0' in result.output
    assert SyncQueue(tmp_path).status().as_json()["runs"] == 0


def test_the_queue_hands_every_request_to_exactly_one_run(tmp_path: Path) -> None:
    queue = SyncQueue(tmp_path)
    assert queue.take() is None
    jobs = [queue.request(), queue.request()]
    covers = queue.take()
    assert covers == jobs[-1] and queue.status().running
    late = queue.request()  # arrives during the run: needs a run of its own
    queue.finish(covers, {"error": None})
    after = queue.status().as_json()
    assert (after["done_job"], after["queued"], after["runs"]) == (jobs[-1], True, 1)
    assert queue.take() == late


def test_the_worker_delivers_queued_mail(tmp_path: Path) -> None:
    """`kb worker` runs the outbox: a confirmation queued by a new ticket is written out in one pass
    (as an .eml file when no SMTP server is configured, as after `make run`)."""
    from desk.tickets import NewTicket

    settings = Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    ctx = WorkerContext(settings)
    try:
        ctx.desk.tickets.create(NewTicket(email="sara@example.com", subject="Late order", body="Where is it?"))
        mail = next(job for job in JOBS if job.name == "mail")
        assert run_pass(ctx, [mail]) == {"mail": 1}
        written = list((settings.data_dir / "outbox-eml").glob("*.eml"))
        assert len(written) == 1 and "sara@example.com" in written[0].read_text(errors="replace")
        assert run_pass(ctx, [mail]) == {"mail": 0}
    finally:
        ctx.close()


def test_the_worker_purges_held_mail_past_the_retention_days(tmp_path: Path) -> None:
    """The `held-mail` job applies KB_HELD_MAIL_RETENTION_DAYS: a held mail older than that is purged and its kept
    original removed; a younger one stays held."""
    from datetime import timedelta

    from sqlalchemy import update

    from desk.models import InboundMail, utcnow
    from tests.conftest import database_url_for_tests
    from tests.desk.test_held_mail import NO_SENDER, inbound, refuse

    settings = Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data",
                        database_url=database_url_for_tests(), held_mail_retention_days=3)
    ctx = WorkerContext(settings)
    try:
        old, young = refuse(ctx.desk, NO_SENDER), refuse(ctx.desk, NO_SENDER.replace(b"5512", b"5513"))
        with ctx.desk.db.session() as session:
            session.execute(update(InboundMail).where(InboundMail.id == old)
                            .values(received_at=utcnow() - timedelta(days=3, minutes=1)))
            session.execute(update(InboundMail).where(InboundMail.id == young)
                            .values(received_at=utcnow() - timedelta(days=2, hours=23)))
        original = settings.data_dir / inbound(ctx.desk, old).raw_path
        held = next(job for job in JOBS if job.name == "held-mail")
        assert run_pass(ctx, [held]) == {"held-mail": 2}  # one row purged, one original removed
        assert inbound(ctx.desk, old).settled == "purged" and not original.exists()
        assert [m.id for m in ctx.desk.held_mail.page().rows] == [young]
        assert run_pass(ctx, [held]) == {"held-mail": 0}
    finally:
        ctx.close()


def test_make_run_on_another_port_gives_the_worker_that_address_for_mail_links() -> None:
    """`make run PORT=5077` served on 5077 while the worker's mails linked to :5000 (its default)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    root = Path(__file__).resolve().parents[2]
    plan = subprocess.run([make, "-n", "run", "PORT=5077"], cwd=root, capture_output=True, text=True, check=True).stdout
    worker = next(line for line in plan.splitlines() if "kb worker" in line)
    assert "http://127.0.0.1:5077" in worker


def test_the_worker_folds_what_an_older_release_logged_unfolded(tmp_path: Path) -> None:
    """A search logged by the previous release during a rolling deploy has no `normalised_query`: the worker's
    query-keys pass folds it (the report counts it meanwhile, tests/desk/test_report_gaps_page.py)."""
    from sqlalchemy import select, update

    from desk.models import SearchEvent
    from tests.conftest import database_url_for_tests

    ctx = WorkerContext(Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data",
                                 database_url=database_url_for_tests()))
    try:
        ctx.desk.events.search("Refund  LATE", "en", 0, True)
        ctx.desk.events.search("card declined", "en", 0, False)
        with ctx.desk.db.session() as session:
            session.execute(update(SearchEvent).values(normalised_query=None))
        job = next(job for job in JOBS if job.name == "query-keys")
        assert run_pass(ctx, [job]) == {"query-keys": 2}
        assert run_pass(ctx, [job]) == {"query-keys": 0}
        with ctx.desk.db.session() as session:
            assert session.scalars(select(SearchEvent.normalised_query).order_by(SearchEvent.id)).all() == [
                "refund late", "card declined"]
    finally:
        ctx.close()
