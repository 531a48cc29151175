"""10,000 open tickets on SQLite, then a changed policy: the due-times job's passes (200 tickets each), timed
(hostile39). `PYTHONPATH=. .venv/bin/python bench/due_recount_10k.py`."""

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, ".")
from desk.desk import Desk
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_due_recount import edit_hours
from tests.desk.test_teams import hours_file

root = Path(tempfile.mkdtemp())
desk = Desk(Settings(data_dir=root / "data", content_dir=hours_file(root / "content")))
start = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
began = time.perf_counter()
for n in range(10_000):
    desk.tickets.create(NewTicket(email=f"c{n % 500}@example.com", name="Sam", subject="Parcel", body="Where?",
                                  lang="en", created=start + timedelta(minutes=7 * n), notify=False,
                                  auto_assign=False))
made = time.perf_counter() - began
desk.recount_due()
edit_hours(desk, teams={"ksa": {"hours": ["09:00", "13:00"]}})
passes, began = [], time.perf_counter()
while desk.due_recount_after is not None:
    at = time.perf_counter()
    changed = desk.recount_due()
    passes.append((changed, time.perf_counter() - at))
total = time.perf_counter() - began
times = sorted(seconds for _, seconds in passes)
print(f"created 10000 in {made:.0f} s; recount: {len(passes)} passes, {sum(c for c, _ in passes)} changed, "
      f"{total:.1f} s in all, per pass median {times[len(times) // 2]:.2f} s, max {times[-1]:.2f} s")
