"""What the inbox-view-count benches share (bench/snooze_counts_bench.py, bench/deleted_rule_bench.py): a scratch
desk filled as bench/workspace_bench.py fills it with one agent in the KSA team, and the table of medians and p95s
for each view's count with a rule and without it. One copy, so the two benches' figures are read the same way."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.workspace_bench import PASSWORD, fill, percentiles
from desk.desk import Desk
from desk.inbox import VIEWS
from kb.settings import Settings
from tests.desk.test_teams import hours_file


def filled_desk(data: Path, tickets: int) -> tuple[Desk, int]:
    """A desk under `data` (emptied first) holding `tickets` tickets, and the id of an agent in the KSA team."""
    shutil.rmtree(data, ignore_errors=True)
    content = hours_file(data / "content")
    desk = Desk(Settings(data_dir=data / "data", content_dir=content))
    fill(desk, tickets)
    agent = desk.accounts.create_agent("bench@example.com", PASSWORD).id
    desk.teams.set_teams(agent, ["ksa"])
    return desk, agent


def print_medians(samples: dict[tuple[str, str], list[float]]) -> None:
    """Each view's median (p95) in ms, with the rule | without it (`samples` keyed (view, "with" | "without"))."""
    for view in VIEWS:
        a, b = percentiles(samples[(view, "with")]), percentiles(samples[(view, "without")])
        print(f"  {view:18} {a['median']:7.1f} ({a['p95']:6.1f}) | {b['median']:7.1f} ({b['p95']:6.1f})")
