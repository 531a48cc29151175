"""What triggers add to a new ticket: `TicketStore.create` timed with the demo's three rules (content/_triggers.yml,
uncommented) against no triggers file, on SQLite (or DATABASE_URL's PostgreSQL).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/triggers_bench.py --data /tmp/triggers_bench [--tickets 300]

Each ticket is its own transaction, as a contact form's is; half the bodies mention a refund in English or Arabic
(so the rules fire and write their history rows), half do not. After 20 warm-up tickets, prints the median and p95
ms per ticket for each case.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from desk.desk import Desk
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import ROOT, hours_file

BODIES = ("Where is my refund for order 1182?", "أريد استرداد المبلغ، خصم مرتين من بطاقتي",
          "The parcel never came", "الطلب لم يصل بعد")


def timed(folder: Path, rules: str | None, count: int) -> list[float]:
    shutil.rmtree(folder, ignore_errors=True)
    content = hours_file(folder / "content")
    shutil.copytree(ROOT / "content" / "_macros", content / "_macros")
    if rules is not None:
        (content / "_triggers.yml").write_text(rules, encoding="utf-8")
    with Desk(Settings(data_dir=folder / "data", content_dir=content)) as desk:
        times = []
        for number in range(count + 20):
            body = BODIES[number % len(BODIES)]
            new = NewTicket(email=f"c{number}@example.com", subject=f"Order {number}", body=body,
                            lang="ar" if number % 2 else "en")
            start = time.perf_counter()
            desk.tickets.create(new)
            times.append((time.perf_counter() - start) * 1000)
        return times[20:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--tickets", type=int, default=300)
    args = parser.parse_args()
    demo = (ROOT / "content" / "_triggers.yml").read_text(encoding="utf-8")
    rules = "\n".join(line.removeprefix("# ") for line in demo.splitlines() if line.startswith(("# - ", "#   ")))
    for label, text in (("no triggers", None), ("demo's 3 rules", rules)):
        times = timed(args.data / label.split()[0], text, args.tickets)
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms per ticket ({len(times)} tickets)")


if __name__ == "__main__":
    main()
