"""The dashboard's business-hours clock (`WorkingClock.at_epoch`, what desk/metrics.py calls for every instant of
every ticket) and `Team.seconds_between`, old code against new in one run:

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/working_clock_bench.py [--old REV] [--instants N] [--runs R]

`--instants` random instants over 90 days (a 100,000-ticket dashboard places about 400,000) for a day team without
clock changes (Riyadh 09:00-17:00), a round-the-clock team and a day team with summer time (London, Santiago); the
old desk/business_hours.py is loaded from git (`--old`, default the commit before session 34's clockfix34). Prints the
median CPU seconds of each, and whether old and new agree (they must on Riyadh; with summer time the old did not).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from desk import business_hours

ROOT = Path(__file__).resolve().parent.parent
TEAMS = {"riyadh 09-17": ("Asia/Riyadh", ["09:00", "17:00"]), "london 24h": ("Europe/London", ["00:00", "24:00"]),
         "santiago 08:30-17:15": ("America/Santiago", ["08:30", "17:15"])}
START = datetime(2026, 2, 1, tzinfo=UTC).timestamp()


def old_module(revision: str) -> ModuleType:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "old_business_hours.py"
        path.write_text(subprocess.run(["git", "show", f"{revision}:desk/business_hours.py"], cwd=ROOT, check=True,
                                       capture_output=True, text=True).stdout)
        spec = importlib.util.spec_from_file_location("old_business_hours", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


def cpu(run: object) -> tuple[float, object]:
    began = time.process_time()
    result = run()  # type: ignore[operator]
    return time.process_time() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="f38da3c")
    parser.add_argument("--instants", type=int, default=400_000)
    parser.add_argument("--pairs", type=int, default=2_000, help="seconds_between calls")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    old = old_module(args.old)
    rng = random.Random(34)
    instants = [START + rng.uniform(0, 90 * 86400) for _ in range(args.instants)]
    pairs = [(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(a + rng.uniform(0, 5 * 86400), UTC))
             for a in instants[:args.pairs]]
    for name, (zone, hours) in TEAMS.items():
        raw = {"teams": {"t": {"timezone": zone, "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                               "hours": hours}}}
        times: dict[str, list[float]] = {"old": [], "new": [], "old between": [], "new between": []}
        answers: dict[str, object] = {}
        for _ in range(args.runs):
            for label, module in (("old", old), ("new", business_hours)):
                team = module.BusinessHours.from_mapping(raw).team("t")
                clock = module.WorkingClock(team)
                spent, answers[label] = cpu(lambda clock=clock: [clock.at_epoch(s) for s in instants])
                times[label].append(spent)
                spent, answers[f"{label} between"] = cpu(lambda team=team: [team.seconds_between(a, b)
                                                                            for a, b in pairs])
                times[f"{label} between"].append(spent)
        agree = all(abs((x - answers["old"][0]) - (y - answers["new"][0])) < 1e-6  # type: ignore[index]
                    for x, y in zip(answers["old"], answers["new"], strict=True))  # type: ignore[call-overload]
        print(f"{name}: at_epoch x{len(instants)} old {statistics.median(times['old']):.2f} s, new "
              f"{statistics.median(times['new']):.2f} s; seconds_between x{len(pairs)} old "
              f"{statistics.median(times['old between']):.2f} s, new {statistics.median(times['new between']):.2f} s; "
              f"{args.runs} runs, median CPU; old and new counts {'equal' if agree else 'differ'}")


if __name__ == "__main__":
    main()
