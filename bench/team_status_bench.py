"""What the lead's team status page (/agent/team-status, desk.team_status) costs with 50 agents in two teams (KSA
balanced up to 10 open, UAE by hand) and 100,000 unsolved tickets (90% assigned across the agents, the rest waiting),
on SQLite (or DATABASE_URL's PostgreSQL): the whole page through the real app as a signed-in lead, and the figures
alone. The tickets are auto_assign_bench's.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/team_status_bench.py --data /tmp/team_status_bench

Prints the plans of the two grouped counts (SQLite) and the median and p95 ms over the rounds, after a warm-up.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import yaml
from sqlalchemy import text

from bench.auto_assign_bench import fill
from desk.team_status import team_status
from kb.settings import Settings
from tests.desk.test_teams import ROOT, hours_file
from tests.webapp.light_app import PASSWORD, client_for
from webapp import create_app


def timed(rounds: int, work) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for round_number in range(rounds + 1):
        started = time.perf_counter()
        work()
        if round_number:  # the first is the warm-up
            times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def summary(times: list[float]) -> str:
    p95 = times[min(len(times) - 1, round(len(times) * 0.95))]
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--data", type=Path, required=True, help="a scratch directory, emptied first")
    args = parser.parse_args()
    shutil.rmtree(args.data, ignore_errors=True)
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": "balanced", "max_open": 10}
    content = hours_file(args.data / "content", teams=raw["teams"])
    app = create_app(Settings(data_dir=args.data / "data", content_dir=content))
    desk = app.extensions["desk"]
    ids = fill(desk, args.agents, args.tickets)
    with desk.db.engine.begin() as connection:  # half the agents in UAE, and a tenth of the tickets (half the waiting)
        connection.execute(text("UPDATE agent_teams SET team = 'uae' WHERE agent_id % 2 = 0"))
        connection.execute(text("UPDATE tickets SET team = 'uae' WHERE id % 20 IN (1, 3)"))
        connection.execute(text("ANALYZE"))
        if desk.db.engine.dialect.name == "sqlite":
            for name, query in (
                ("unsolved per assignee", "SELECT assignee_id, count(*) FROM tickets WHERE assignee_id IN (1, 2, 3) "
                 "AND status IN ('new', 'open', 'pending', 'on_hold') GROUP BY assignee_id"),
                ("waiting per team", "SELECT team, count(*), min(created_at) FROM tickets WHERE assignee_id IS NULL "
                 "AND status IN ('new', 'open', 'pending', 'on_hold') GROUP BY team"),
            ):
                plan = connection.execute(text(f"EXPLAIN QUERY PLAN {query}"))
                print(f"{name} plan:", "; ".join(str(row[-1]) for row in plan))
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    floor = team_status(desk.db, desk.hours)
    print("waiting:", {t.key: t.waiting for t in floor.teams}, "why:", {t.key: t.blocked for t in floor.teams},
          f"members: {sum(len(t.members) for t in floor.teams)} of {len(ids)} agents")
    figures = timed(args.rounds, lambda: team_status(desk.db, desk.hours))
    lead = client_for(app, "lead@example.com")

    def page() -> None:
        assert lead.get("/agent/team-status").status_code == 200

    pages = timed(args.rounds, page)
    print(f"{desk.db.engine.dialect.name}, {args.agents} agents, {args.tickets} unsolved tickets, {args.rounds} rounds:"
          f" the figures (desk.team_status) {summary(figures)}; the page (GET /agent/team-status as a lead)"
          f" {summary(pages)}")
    desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
