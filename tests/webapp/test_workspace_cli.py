"""`kb workspace auto-close` and `kb workspace precompute` through click's runner (one bounded pass each)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from desk.desk import Desk
from desk.tickets import NewTicket
from kb.settings import Settings
from webapp.cli import main


def test_auto_close_closes_solved_tickets_after_the_configured_days(tmp_path: Path) -> None:
    desk = Desk(Settings(data_dir=tmp_path))
    solved = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Where is it?")).id
    still_open = desk.tickets.create(NewTicket(email="b@example.com", subject="Refund", body="And mine?")).id
    desk.tickets.update(solved, status="solved")
    runner = CliRunner()
    kept = runner.invoke(main, ["workspace", "auto-close", "--data", str(tmp_path)])
    assert kept.exit_code == 0 and "0 ticket(s) closed" in kept.output  # solved minutes ago; 4 days by default
    closed = runner.invoke(main, ["workspace", "auto-close", "--data", str(tmp_path)], env={"KB_AUTO_CLOSE_DAYS": "0"})
    assert closed.exit_code == 0 and "1 ticket(s) closed" in closed.output
    assert desk.tickets.get(solved).status == "closed" and desk.tickets.get(still_open).status == "open"
    desk.close()


def test_precompute_without_an_index_stores_nothing(tmp_path: Path) -> None:
    desk = Desk(Settings(data_dir=tmp_path))
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Where is it?"))
    done = CliRunner().invoke(main, ["workspace", "precompute", "--data", str(tmp_path), "--limit", "5"])
    assert done.exit_code == 0 and "0 ticket(s) advised" in done.output
    assert desk.advice.get(ticket.id) is None  # advice from an empty index would look current forever
    desk.close()
