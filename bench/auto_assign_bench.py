"""What one automatic assignment costs (desk.auto_assign.choose: lock the team's agents, read the available members,
count each one's unsolved tickets, pick, stamp the round robin) with 50 available agents in one team and 100,000
unsolved tickets (90% assigned across the agents, the rest waiting), on SQLite (or DATABASE_URL's PostgreSQL).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/auto_assign_bench.py --data /tmp/auto_assign_bench [--no-index]
    PYTHONPATH=. nice -n 10 .venv/bin/python bench/auto_assign_bench.py --data /tmp/auto_assign_bench --hand-out

`--hand-out` times the worker's pass instead (TicketStore.hand_out) on a full team (max_open 1: every member is at
it, the 10% unassigned wait): what the `auto-assign` job costs every 15 s while nobody can take more.

Each round is one transaction that chooses and is rolled back (so every round sees the same tickets), after a
warm-up; the balanced count's plan is printed: it reads ix_tickets_assignee_status (assignee_id, status), never the
tickets. `--no-index` drops that index to show what it saves. Prints the median and p95 ms per assignment.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import yaml
from sqlalchemy import text

from desk.auto_assign import choose, unsolved_counts
from desk.desk import Desk
from desk.models import utcnow
from kb.settings import Settings
from tests.desk.test_teams import ROOT, hours_file

STATUSES = ("new", "open", "pending", "on_hold")


def fill(desk: Desk, agents: int, tickets: int) -> list[int]:
    ids = []
    for number in range(agents):
        made = desk.accounts.create_agent(f"agent{number}@example.com", "a long enough password", f"Agent {number}")
        ids.append(made.id)
    with desk.db.engine.begin() as connection:
        connection.execute(text("INSERT INTO agent_teams (agent_id, team, created_at) SELECT id, 'ksa', :now "
                                "FROM agents"), {"now": utcnow()})
        connection.execute(text("UPDATE agents SET available = true"))
        connection.execute(text("INSERT INTO customers (email, name, created_at) VALUES ('c@example.com', 'C', :now)"),
                           {"now": utcnow()})
        customer = connection.execute(text("SELECT id FROM customers")).scalar()
        rows = [{"reference": f"bench-{n}", "customer": customer, "status": STATUSES[n % 4],
                 "assignee": ids[n % agents] if n % 10 else None, "now": utcnow()} for n in range(tickets)]
        for start in range(0, len(rows), 5000):
            connection.execute(text(
                "INSERT INTO tickets (reference, customer_id, subject, lang, status, priority, channel, context, "
                "created_at, updated_at, team, due_by_hand, assignee_id) VALUES (:reference, :customer, 'Bench', 'en', "
                ":status, 'normal', 'web', '{}', :now, :now, 'ksa', false, :assignee)"), rows[start:start + 5000])
        connection.execute(text("ANALYZE"))
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--mode", choices=["balanced", "round_robin"], default="balanced")
    parser.add_argument("--data", type=Path, required=True, help="a scratch directory, emptied first")
    parser.add_argument("--no-index", action="store_true", help="drop ix_tickets_assignee_status first")
    parser.add_argument("--hand-out", action="store_true", help="time the worker's pass on a full team instead")
    args = parser.parse_args()
    shutil.rmtree(args.data, ignore_errors=True)
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": args.mode, "max_open": 1 if args.hand_out else args.tickets}
    content = hours_file(args.data / "content", teams=raw["teams"])
    desk = Desk(Settings(data_dir=args.data / "data", content_dir=content))
    ids = fill(desk, args.agents, args.tickets)
    if args.no_index:
        with desk.db.engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_tickets_assignee_status"))
            connection.execute(text("ANALYZE"))
    if args.hand_out:
        return hand_out_rounds(desk, args)
    times = []
    for round_number in range(args.rounds + 1):
        session = desk.db._sessions()
        try:
            started = time.perf_counter()
            found = choose(session, desk.hours, "ksa", utcnow())
            elapsed = (time.perf_counter() - started) * 1000
            assert found is not None
            if round_number == 0:
                if desk.db.engine.dialect.name == "sqlite":  # in the rounds' own transaction
                    placeholders = ", ".join(str(i) for i in ids)
                    plan = session.execute(text(
                        "EXPLAIN QUERY PLAN SELECT assignee_id, count(*) FROM tickets WHERE assignee_id IN "
                        f"({placeholders}) AND status IN ('new', 'open', 'pending', 'on_hold') GROUP BY assignee_id"))
                    print("count plan:", "; ".join(str(row[-1]) for row in plan))
                counts = unsolved_counts(session, ids)
                print(f"unsolved assigned per agent: {min(counts.values())} to {max(counts.values())}")
        finally:
            session.rollback()
            session.close()
        if round_number:  # the first is the warm-up
            times.append(elapsed)
    times.sort()
    p95 = times[min(len(times) - 1, round(len(times) * 0.95))]
    print(f"{desk.db.engine.dialect.name}, {args.mode}, {args.agents} agents, {args.tickets} unsolved tickets, "
          f"index {'dropped' if args.no_index else 'ix_tickets_assignee_status'}: "
          f"median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms per assignment ({args.rounds} rounds)")
    desk.close()
    return 0


def hand_out_rounds(desk: Desk, args: argparse.Namespace) -> int:
    times = []
    for round_number in range(args.rounds + 1):
        started = time.perf_counter()
        assigned = desk.tickets.hand_out()  # the warm-up fills the members with none (every tenth), the rest are full
        assert assigned == 0 or not round_number, assigned  # then nothing is assigned, nothing written
        if round_number:  # the first is the warm-up
            times.append((time.perf_counter() - started) * 1000)
    print(f"{desk.db.engine.dialect.name}, hand_out on a full team, {args.agents} agents, {args.tickets} unsolved "
          f"tickets ({args.tickets // 10} waiting): median {statistics.median(times):.2f} ms per pass "
          f"({args.rounds} rounds)")
    desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
