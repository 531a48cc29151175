"""read_rules on the demo content (desk.rule_check): the cost each /agent/admin GET now adds (the files read and
checked, the agents and webhooks read). Run: PYTHONPATH=. nice -n 10 .venv/bin/python bench/rule_check_bench.py"""
import tempfile
import time
from pathlib import Path

from desk.desk import Desk
from desk.rule_check import desk_names, read_rules
from kb.settings import Settings

with tempfile.TemporaryDirectory() as tmp:
    settings = Settings(content_dir=Path("content"), data_dir=Path(tmp))
    with Desk(settings) as desk:
        read_rules(settings, desk_names(desk.db))
        runs = 50
        start = time.perf_counter()
        for _ in range(runs):
            read = read_rules(settings, desk_names(desk.db))
        took = (time.perf_counter() - start) / runs
        print(f"read_rules + desk_names on the demo content: {took * 1000:.1f} ms a call (mean of {runs}), "
              f"{len(read.problems)} problems")
