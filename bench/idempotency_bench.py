"""What an `Idempotency-Key` costs on `POST /api/v1/tickets` (webapp/idempotency.py): the same JSON ticket posted
without a key, with a new key each time (the key's claim is one more transaction, its answer one more UPDATE in the
ticket's), and again with a key already answered (the replay: the claim's INSERT ... ON CONFLICT and one read, no
ticket written). The real app in-process (Flask's test client: no network), rate limits off, SQLite in a temporary
data directory, or the database of DATABASE_URL when it is a PostgreSQL one (rows are added: use a throwaway one).
Runs interleaved, so a load change on the machine touches the three alike; medians and p95 in ms.

    python bench/idempotency_bench.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from kb.settings import Settings
from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
TICKET = {"email": "omar@example.com", "subject": "Lost parcel", "body": "Order 4471 never came, can you check?"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(content_dir=ROOT / "content", data_dir=Path(data), rate_limits=False,
                            database_url=os.environ.get("DATABASE_URL") or None)
        app = create_app(settings)
        token = app.extensions["desk"].accounts.create_token("bench")
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}

        def post(headers: dict[str, str], status: int) -> float:
            started = time.perf_counter()
            response = client.post("/api/v1/tickets", json=TICKET, headers=headers)
            took = (time.perf_counter() - started) * 1000
            assert response.status_code == status, response.get_data(as_text=True)
            return took

        post({**auth, "Idempotency-Key": "answered"}, 201)
        for n in range(20):  # warm up: connections, the first ticket's customer
            post({**auth, "Idempotency-Key": f"warm-{n}"}, 201)
        times: dict[str, list[float]] = {"no key": [], "new key": [], "replay": []}
        for n in range(args.requests):
            times["no key"].append(post(auth, 201))
            times["new key"].append(post({**auth, "Idempotency-Key": f"key-{n}"}, 201))
            times["replay"].append(post({**auth, "Idempotency-Key": "answered"}, 201))
        print(f"database: {app.extensions['desk'].db.engine.dialect.name}; {args.requests} requests each")
        print("| POST /api/v1/tickets | median ms | p95 ms |")
        print("|---|---|---|")
        for name, found in times.items():
            ordered = sorted(found)
            print(f"| {name} | {statistics.median(ordered):.2f} | {ordered[int(len(ordered) * 0.95)]:.2f} |")
        app.extensions["desk"].close()


if __name__ == "__main__":
    main()
