"""What the snooze rule costs the inbox's view counts (every view but "all" and "snoozed" leaves snoozed tickets
out: `snoozed_until IS NULL`), on 50,000 tickets in SQLite, filled as bench/workspace_bench.py fills them.

    PYTHONPATH=. .venv/bin/python bench/snooze_counts_bench.py --data /tmp/snooze_bench [--index status_team]

Each view's count query is timed with the rule and with it left out (the same clauses otherwise), interleaved,
15 rounds after one warm-up, and its SQLite plan printed. The migration ticket_snooze puts snoozed_until into the
index the view counts read, (status, team, snoozed_until); `--index status_team` puts back the one before it,
(status, team), to see what the rule costs without it. 2% of the unsolved tickets are snoozed. Medians and p95 in ms.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy import func, select, text, update

from bench.view_counts import filled_desk, print_medians
from desk.inbox import VIEWS
from desk.models import Ticket, utcnow


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--data", type=Path, required=True, help="a scratch directory, emptied first")
    parser.add_argument("--index", choices=["status_team", "status_team_snooze"], default="status_team_snooze")
    args = parser.parse_args()
    desk, agent = filled_desk(args.data, args.tickets)
    with desk.db.session() as session:
        session.execute(update(Ticket).where(Ticket.status.in_(("new", "open", "pending", "on_hold")),
                                             Ticket.id % 50 == 0).values(snoozed_until=utcnow()))
        session.execute(update(Ticket).where(Ticket.id % 100 == 0).values(assignee_id=agent))
    with desk.db.engine.begin() as connection:
        if args.index == "status_team":
            connection.execute(text("DROP INDEX ix_tickets_status_team_snooze"))
            connection.execute(text("CREATE INDEX ix_tickets_status_team ON tickets (status, team)"))
        connection.execute(text("ANALYZE"))
    inbox = desk.inbox
    now = utcnow()
    with_rule, without_rule = {}, {}
    for view in VIEWS:
        clauses = inbox.view_clauses(view, agent, now)
        with_rule[view] = select(func.count(Ticket.id)).where(*clauses)
        without_rule[view] = select(func.count(Ticket.id)).where(
            *[c for c in clauses if "snoozed_until" not in str(c)])
    samples: dict[tuple[str, str], list[float]] = {}
    with desk.db.engine.connect() as connection:
        for round_ in range(args.rounds + 1):
            for view in VIEWS:
                for kind, query in (("with", with_rule[view]), ("without", without_rule[view])):
                    started = time.perf_counter()
                    connection.execute(query).scalar()
                    if round_:  # the first round warms the cache
                        samples.setdefault((view, kind), []).append((time.perf_counter() - started) * 1000)
        print(f"{args.tickets} tickets, index {args.index}; ms median (p95), with the snooze rule | without")
        print_medians(samples)
        for view in ("unsolved", "my_teams"):
            compiled = with_rule[view].compile(desk.db.engine, compile_kwargs={"literal_binds": True})
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            print(f"  plan {view}: " + "; ".join(row[-1] for row in plan))
    desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
