"""What auditing failed sign-ins costs a sign-in (desk.audit.record_sign_in): the median time of `authenticate` for an
email no account has, a wrong password on an account that exists (now one more write: the folded sign_in_failed
row), and the right password, on a fresh SQLite file; then how many audit rows the failures left.

Runs against whichever tree is on PYTHONPATH, so main and a branch compare side by side:
    PYTHONPATH=/work/main .venv/bin/python bench/audit_sign_in_bench.py --tries 25
    PYTHONPATH=. .venv/bin/python bench/audit_sign_in_bench.py --tries 25
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from desk.desk import Desk
from kb.settings import Settings

PASSWORD = "a long enough password"


def timed(call, tries: int) -> float:  # type: ignore[no-untyped-def]
    seconds = []
    for _ in range(tries):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Desk(Settings(data_dir=Path(tmp))) as desk:
        desk.accounts.create_agent("sara@example.com", PASSWORD)
        accounts = desk.accounts
        figures = {
            "unknown email": timed(lambda: accounts.authenticate("nobody@example.com", "wrong guess here"), args.tries),
            "wrong password": timed(lambda: accounts.authenticate("sara@example.com", "wrong guess here"), args.tries),
            "right password": timed(lambda: accounts.authenticate("sara@example.com", PASSWORD), args.tries),
        }
        with desk.db.engine.connect() as connection:
            tables = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").scalars().all()
            rows = (connection.exec_driver_sql("SELECT action, count FROM audit_events WHERE action LIKE 'sign_in%'")
                    .all() if "audit_events" in tables else "no audit_events table")
    for name, ms in figures.items():
        print(f"{name:15} median {ms:6.1f} ms over {args.tries}")
    print(f"sign-in audit rows: {rows}")


if __name__ == "__main__":
    main()
