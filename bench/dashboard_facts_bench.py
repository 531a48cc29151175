"""The lead's dashboard at a real team's volume: the figures the page, its CSV files and /api/v1/metrics compute,
old code against new in one run, on the same database.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/dashboard_facts_bench.py [--postgresql] [--data DIR] [--old REV]

The database is field_report_bench's (`fill`: `--tickets` tickets over 90 days with replies, solves, a dropdown field
and CSAT), made once in `--data` and reused when it is there (with `--postgresql`, a throwaway cluster filled each
run). The old code is desk/metrics.py and desk/business_hours.py as of `--old` (a git revision: the commit before
session 34's metricsql34), loaded from git beside the new; each is run `--runs` times, alternating, for the last
`--days` days (30 and 90), and the medians printed with the figures of both compared (they must be equal):

- page: the figures (`metrics.dashboard`: this period and the previous one's headline) and the breakdown by the
  `reason` field (`metrics.field_rows`), what /agent/dashboard computes (the new page reads `ticket_facts` once for
  both);
- api: `metrics.dashboard` alone, what /api/v1/metrics and each CSV compute.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.bench_database import bench_database
from bench.field_report_bench import DAYS, LAST_DAY, REASONS, fill
from desk import metrics
from desk.business_hours import BusinessHours
from desk.database import Database

ROOT = Path(__file__).resolve().parent.parent


def old_metrics(revision: str) -> ModuleType:
    """desk/metrics.py as of `revision`, its WorkingClock the one desk/business_hours.py had then."""
    modules = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("business_hours", "metrics"):
            path = Path(folder) / f"old_{name}.py"
            path.write_text(subprocess.run(["git", "show", f"{revision}:desk/{name}.py"], cwd=ROOT, check=True,
                                           capture_output=True, text=True).stdout)
            spec = importlib.util.spec_from_file_location(f"old_{name}", path)
            assert spec is not None and spec.loader is not None
            module = modules[name] = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
    modules["metrics"].WorkingClock = modules["business_hours"].WorkingClock  # type: ignore[attr-defined]
    return modules["metrics"]


def comparable(value: Any) -> Any:
    """Figures as plain data (the old code's dataclasses are other classes with the same fields)."""
    return metrics.as_json(value)


def alike(old: Any, new: Any) -> bool:
    """The figures the old code has, equal in the new: a figure added since (handle time, session 35) has nothing to
    be compared with, and is left out of the comparison rather than making every run read "DIFFER"."""
    if isinstance(old, dict) and isinstance(new, dict):
        return all(key in new and alike(value, new[key]) for key, value in old.items())
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return len(old) == len(new) and all(alike(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


def page_old(old: ModuleType, db: Database, f: metrics.Filters, hours: BusinessHours) -> Any:
    """What the page computed before: the figures, then the breakdown with its own per-ticket subqueries."""
    return old.dashboard(db, f, hours, f.end), old.field_rows(db, f, "reason", REASONS)


def page_new(db: Database, f: metrics.Filters, hours: BusinessHours) -> Any:
    """What webapp.dashboard's page computes: `ticket_facts` once, for the figures and the breakdown."""
    facts = metrics.ticket_facts(db, f, f.end)
    return metrics.dashboard(db, f, hours, f.end, facts=facts), metrics.field_rows(db, f, "reason", REASONS, facts)


def timed(out: list[str], name: str, run: Callable[[], Any]) -> Any:
    busy, began = time.process_time(), time.perf_counter()
    result = run()
    out.append(f"{name} {time.process_time() - busy:.2f}/{time.perf_counter() - began:.2f}")
    return result


def steps(module: ModuleType, db: Database, f: metrics.Filters, hours: BusinessHours) -> str:
    out: list[str] = []
    facts = timed(out, "ticket_facts", partial(module.ticket_facts, db, f, f.end))
    names = module._names(db)
    timed(out, "ticket_figures", partial(module.ticket_figures, db, f, hours, f.end, facts))
    timed(out, "agent_rows", partial(module.agent_rows, db, f, names, facts))
    timed(out, "daily", partial(module.daily, db, f, facts))
    timed(out, "backlog, csat, adoption, self_service", lambda: (
        module.backlog(db, f, f.end), module.csat(db, f, names), module.adoption(db, f, names),
        module.self_service(db, f)))
    if module is metrics:
        timed(out, "field_rows", partial(metrics.field_rows, db, f, "reason", REASONS, facts))
    else:
        timed(out, "field_rows", partial(module.field_rows, db, f, "reason", REASONS))
    return "; ".join(out)


def parts(old: ModuleType, db: Database, f: metrics.Filters, hours: BusinessHours) -> None:
    """Where the time goes: each step of the current period's figures, old and new, CPU of this process (SQLite's
    work included, PostgreSQL's not) / wall seconds."""
    for label, module in (("old", old), ("new", metrics)):
        print(f"  {label} (CPU/wall s): {steps(module, db, f, hours)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days", type=int, nargs="+", default=[30, DAYS], help="the periods, in days to LAST_DAY")
    parser.add_argument("--old", default="ec6df66", help="the git revision of the old code")
    parser.add_argument("--parts", action="store_true", help="also time each step of the figures, old and new")
    parser.add_argument("--postgresql", action="store_true", help="a throwaway cluster (tests/postgres.py)")
    parser.add_argument("--data", type=Path, default=Path("var/bench/dashboard_facts"))
    args = parser.parse_args()
    old = old_metrics(args.old)
    hours = BusinessHours.load(ROOT / "content")
    with bench_database(args.data, args.postgresql) as (db, fresh):
        if fresh:
            began = time.perf_counter()
            fill(db, args.tickets)
            print(f"{db.engine.dialect.name}: {args.tickets:,} tickets filled in {time.perf_counter() - began:.1f} s")
        for days in args.days:
            f = metrics.Filters.for_days(LAST_DAY - timedelta(days=days - 1), LAST_DAY)

            if args.parts:
                parts(old, db, f, hours)
            runs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
                "page": (partial(page_old, old, db, f, hours), partial(page_new, db, f, hours)),
                "api": (partial(old.dashboard, db, f, hours, f.end), partial(metrics.dashboard, db, f, hours, f.end))}
            for what, (before, after) in runs.items():
                timings: dict[str, list[float]] = {"old": [], "new": []}
                cpu: dict[str, list[float]] = {"old": [], "new": []}
                results = {}
                for _ in range(args.runs):
                    for label, run in (("old", before), ("new", after)):
                        began, busy = time.perf_counter(), time.process_time()
                        results[label] = run()
                        timings[label].append(time.perf_counter() - began)
                        cpu[label].append(time.process_time() - busy)
                same = alike(comparable(results["old"]), comparable(results["new"]))
                print(f"  {db.engine.dialect.name} last {days} days, {what}: old median "
                      f"{statistics.median(timings['old']):.2f} s (min {min(timings['old']):.2f}), new median "
                      f"{statistics.median(timings['new']):.2f} s (min {min(timings['new']):.2f}), {args.runs} runs; "
                      f"this process's CPU median old {statistics.median(cpu['old']):.2f} s, new "
                      f"{statistics.median(cpu['new']):.2f} s; "
                      f"figures {'equal' if same else 'DIFFER'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
