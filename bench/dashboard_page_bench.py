"""The lead's dashboard page at a real team's volume, through the real app (task dashfast35): one GET of
/agent/dashboard/ for the last `--days` days (the page's breakdown by the first dropdown field included, as the page
shows it) and `metrics.dashboard` alone (what /api/v1/metrics and each CSV compute), `--runs` times each, CPU and wall.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/dashboard_page_bench.py --data DIR [--database-url URL]
        [--days 90] [--runs 2] [--out PREFIX]

The data is handle_time_bench's (field_report_bench's 100,000 tickets over 90 days plus 250,000 time entries: run
`bench/handle_time_bench.py --data DIR` once to make it). The app is this tree's, with no embedding model (the content
gaps are listed ungrouped, as when the model is missing) and a lead account it adds. Before/after: run the same script
from another tree (`git archive REV | tar -x -C DIR2`, then `cd DIR2 && PYTHONPATH=. .../python
/path/to/this/bench/dashboard_page_bench.py ...`) on a copy of the data made before this tree's migrations touched it,
and compare the files `--out` writes: the page's HTML (the CSRF tokens blanked) and the API's figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, ".")  # the tree it is run from (before/after), not necessarily this file's

from bench.field_report_bench import LAST_DAY
from copilot.engine import Engine
from desk import metrics
from kb.settings import Settings
from tests.webapp.conftest import PASSWORD, login
from webapp import create_app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tag", default="")
    parser.add_argument("--out", default=None, help="write PREFIX.html (the page) and PREFIX.json (the API's figures)")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data, database_url=args.database_url)
    app = create_app(settings, engine=Engine(settings, []))
    desk = app.extensions["desk"]
    if desk.accounts.find("lead@example.com") is None:
        desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    client = app.test_client()
    assert login(client, "lead@example.com").status_code == 302
    first = LAST_DAY - timedelta(days=args.days - 1)
    url = f"/agent/dashboard/?from={first}&to={LAST_DAY}"
    f = metrics.Filters.for_days(first, LAST_DAY)
    page = client.get(url)  # warm: templates compiled, connections open
    assert page.status_code == 200, page.status_code
    for _ in range(args.runs):
        busy, began = time.process_time(), time.perf_counter()
        page = client.get(url)
        print(f"{args.tag} page cpu {time.process_time() - busy:.2f} wall {time.perf_counter() - began:.2f}",
              flush=True)
        busy, began = time.process_time(), time.perf_counter()
        board = metrics.dashboard(desk.db, f, desk.hours)
        print(f"{args.tag} api cpu {time.process_time() - busy:.2f} wall {time.perf_counter() - began:.2f}", flush=True)
    if args.out:
        html = re.sub(r'<meta name="csrf-token" content="[^"]*">', "", page.get_data(as_text=True))
        html = re.sub(r'name="csrf_token"[^>]*>', "", html)
        Path(args.out + ".html").write_text(html)
        Path(args.out + ".json").write_text(json.dumps(metrics.as_json(board), sort_keys=True, indent=1))
    desk.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
