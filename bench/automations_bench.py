"""What an automations pass costs (desk.automations) on 100,000 tickets on SQLite (or DATABASE_URL's PostgreSQL):
tickets spread over 60 days of creation, a quarter of them pending, each with its customer's first message and one
status change, and one automation per moment (`hours_since: {moment: 72}` on pending tickets).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/automations_bench.py --data /tmp/automations_bench
    PYTHONPATH=. nice -n 10 .venv/bin/python bench/automations_bench.py --data /tmp/automations_bench --vip

`--vip` times instead one pass of a rule on a customer field (`customer.vip: true` on pending tickets older than
72 hours) when no customer is a VIP: what the pass reads for a rule that fires nowhere.

Prints, per moment: the candidates query's first page (ms, median of 5) and its plan's ticket step; then the
steady state the worker lives in (every due spell already fired: automation_runs filled), where a pass of all six
rules finds nothing (ms, median of 5).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, literal, select, text

from desk.automations import Automations, moment
from desk.desk import Desk
from desk.models import AutomationRun, Ticket, utcnow
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.triggers import TIME_KEYS, parse_triggers
from tests.desk.test_teams import hours_file

STATUSES = ("new", "open", "pending", "on_hold")
VIP_FIELD = "- key: vip\n  type: checkbox\n  label: {en: VIP, ar: مميز}\n"


def fill(desk: Desk, tickets: int) -> None:
    now = utcnow()
    with desk.db.engine.begin() as connection:
        connection.execute(text("INSERT INTO customers (email, name, created_at) VALUES ('c@example.com', 'C', :now)"),
                           {"now": now})
        customer = connection.execute(text("SELECT id FROM customers")).scalar()
        rows = [{"reference": f"bench-{n}", "customer": customer, "status": STATUSES[n % 4],
                 "at": now - timedelta(minutes=n * 60 * 24 * 60 // tickets)} for n in range(tickets)]
        for start in range(0, len(rows), 5000):
            connection.execute(text(
                "INSERT INTO tickets (reference, customer_id, subject, lang, status, priority, channel, context, "
                "created_at, updated_at, due_at, team, due_by_hand) VALUES (:reference, :customer, 'Bench', 'en', "
                ":status, 'normal', 'web', '{}', :at, :at, :at, 'ksa', false)"), rows[start:start + 5000])
        connection.execute(text("INSERT INTO messages (ticket_id, author, body, internal, created_at) "
                                "SELECT id, 'customer', 'Hello', false, created_at FROM tickets"))
        connection.execute(text("INSERT INTO ticket_status_changes (ticket_id, old_status, new_status, created_at) "
                                "SELECT id, 'open', status, created_at FROM tickets"))
        connection.execute(text("ANALYZE"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--vip", action="store_true", help="time a pass of a customer-field rule instead")
    args = parser.parse_args()
    shutil.rmtree(args.data, ignore_errors=True)
    content = hours_file(args.data / "content")
    rules_text = "".join(f"- name: {key}\n  on: schedule\n  if: {{status: pending, hours_since: {{{key}: 72}}}}\n"
                         f"  then: {{add_tags: aged}}\n" for key in TIME_KEYS)
    if args.vip:
        return vip_pass(args, content)
    with Desk(Settings(data_dir=args.data / "data", content_dir=content)) as desk:
        fill(desk, args.tickets)
        rules = parse_triggers(rules_text)
        automations = Automations(desk.db, rules, desk.triggers, desk.hours, desk.tickets)
        now = utcnow()
        for rule in rules:
            query = automations.candidates_query(rule, now)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                with desk.db.engine.connect() as connection:
                    page = connection.execute(query).all()
                times.append((time.perf_counter() - started) * 1000)
            plan = ""
            if desk.db.engine.dialect.name == "sqlite":
                compiled = query.compile(desk.db.engine, compile_kwargs={"literal_binds": True})
                with desk.db.engine.connect() as connection:
                    plan = next(r[3] for r in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                                if "tickets" in r[3])
            print(f"{rule.name:17} first page {len(page):3} tickets  {statistics.median(times):7.1f} ms  {plan}")
        with desk.db.engine.begin() as connection:  # every due spell fired already: the worker's usual minute
            for rule in rules:
                assert rule.since is not None
                spell = moment(rule.since.key)
                connection.execute(insert(AutomationRun).from_select(
                    ["ticket_id", "rule_name", "spell_start", "fired_at"],
                    select(Ticket.id, literal(rule.name), spell, literal(now, AutomationRun.fired_at.type))
                    .where(Ticket.status == "pending", spell.is_not(None))))
            connection.execute(text("ANALYZE"))
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert automations.run(now=now, dry_run=True) == []
            times.append((time.perf_counter() - started) * 1000)
        pending = args.tickets // 4
        print(f"idle pass, 6 rules, {pending} pending tickets all fired: {statistics.median(times):.0f} ms")
    return 0


def vip_pass(args: argparse.Namespace, content: Path) -> int:
    (content / CUSTOMER_FIELDS_FILE).write_text(VIP_FIELD, encoding="utf-8")
    with Desk(Settings(data_dir=args.data / "data", content_dir=content)) as desk:
        fill(desk, args.tickets)
        rules = parse_triggers("- name: VIP\n  on: schedule\n  if: {status: pending, customer.vip: true, "
                               "hours_since: {created: 72}}\n  then: {add_tags: vip}\n",
                               customer_fields=desk.customer_fields)
        automations = Automations(desk.db, rules, desk.triggers, desk.hours, desk.tickets)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert automations.run(dry_run=True) == []
            times.append((time.perf_counter() - started) * 1000)
        print(f"{desk.db.engine.dialect.name}, customer.vip rule, {args.tickets // 4} pending tickets, no VIP: "
              f"{statistics.median(times):.0f} ms per pass (median of 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
