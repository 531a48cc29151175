"""What the "not deleted" rule (desk.models._live_tickets_only, task trash36) costs the inbox's view counts: every ORM
query on tickets gains `deleted_at IS NULL`. On N tickets in SQLite, filled as bench/workspace_bench.py fills them,
1% of them deleted.

    PYTHONPATH=. .venv/bin/python bench/deleted_rule_bench.py --data /tmp/deleted_bench [--tickets 50000]
        [--index status_team_snooze]

Each view's count query runs through the ORM session with the rule and with it turned off (the WITH_DELETED option),
interleaved, 15 rounds after one warm-up. The migration ticket_trash ends the view counts' index with deleted_at,
(status, team, snoozed_until, deleted_at); `--index status_team_snooze` puts back the one before it to see what the
rule costs without it. Medians and p95 in ms, and the SQLite plans.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy import func, select, text, update

from bench.view_counts import filled_desk, print_medians
from desk.inbox import VIEWS
from desk.models import WITH_DELETED, Ticket, utcnow


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--data", type=Path, required=True, help="a scratch directory, emptied first")
    parser.add_argument("--index", choices=["status_team_snooze", "with_deleted_at"], default="with_deleted_at")
    args = parser.parse_args()
    desk, agent = filled_desk(args.data, args.tickets)
    with desk.db.session() as session:
        session.execute(update(Ticket).where(Ticket.id % 100 == 0).values(assignee_id=agent))
        session.execute(update(Ticket).where(Ticket.id % 100 == 7).values(deleted_at=utcnow(), deleted_reason="spam"))
    with desk.db.engine.begin() as connection:
        if args.index == "status_team_snooze":
            connection.execute(text("DROP INDEX ix_tickets_status_team_snooze"))
            connection.execute(text("CREATE INDEX ix_tickets_status_team_snooze ON tickets (status, team, "
                                    "snoozed_until)"))
        connection.execute(text("ANALYZE"))
    inbox = desk.inbox
    now = utcnow()
    queries = {view: select(func.count(Ticket.id)).where(*inbox.view_clauses(view, agent, now)) for view in VIEWS}
    samples: dict[tuple[str, str], list[float]] = {}
    with desk.db.session() as session:
        for round_ in range(args.rounds + 1):
            for view in VIEWS:
                for kind, options in (("with", {}), ("without", {WITH_DELETED: True})):
                    started = time.perf_counter()
                    session.execute(queries[view].execution_options(**options)).scalar()
                    if round_:  # the first round warms the cache
                        samples.setdefault((view, kind), []).append((time.perf_counter() - started) * 1000)
    print(f"{args.tickets} tickets (1% deleted), index {args.index}; ms median (p95), with the rule | without")
    print_medians(samples)
    with desk.db.engine.connect() as connection:
        for view in ("unsolved", "my_teams"):
            ruled = queries[view].where(Ticket.deleted_at.is_(None))
            compiled = ruled.compile(desk.db.engine, compile_kwargs={"literal_binds": True})
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            print(f"  plan {view}: " + "; ".join(row[-1] for row in plan))
    desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
