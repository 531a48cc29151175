"""The lead's dashboard and /api/v1/metrics over a big desk: 100,000 tickets (with their replies,
status changes, CSAT surveys and suggestion events) and 1,000,000 search events over the past year,
generated and bulk-inserted, then the page and the API timed on SQLite and, with --postgres (an
initdb'd PostgreSQL on 127.0.0.1 started and stopped by this script), on PostgreSQL too.

    PYTHONPATH=$PWD .venv/bin/python bench/dashboard_bench.py [--tickets N] [--searches N] [--postgres]

Prints the generation time, then per period (the default 7 days, 30 and 90 days) the median of
`--runs` renders of the page and of the API (warm: the first render, which loads the embedding
model and embeds the gap queries once, is reported apart). Target: under 1 s. Rows are generated in
time order (ids follow time), as a live desk appends them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from desk.models import (  # noqa: E402
    Agent,
    CsatSurvey,
    Customer,
    Message,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    TicketStatusChange,
)
from kb.settings import Settings  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHUNK = 20_000
WORDS = ("refund", "order", "delivery", "card", "payment", "tabby", "password", "return", "invoice", "warranty",
         "استرجاع", "طلب", "توصيل", "بطاقة", "تقسيط", "كلمة المرور", "فاتورة", "ضمان")


def _chunks(rows: list[dict], size: int = CHUNK):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def generate(db, tickets: int, searches: int, now: datetime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Bulk-insert the desk with Core executemany in chunks (no ORM objects)."""
    rng = random.Random(7)
    year = timedelta(days=365)
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:
        conn.execute(insert(Agent), [{"id": i, "email": f"agent{i}@example.com", "name": f"Agent {i}",
                                      "password_hash": "x", "role": "agent", "active": True, "created_at": now}
                                     for i in range(1, 41)])
        conn.execute(insert(Customer), [{"id": i, "email": f"c{i}@example.com", "name": "", "created_at": now}
                                        for i in range(1, 20_001)])
        rows_t, rows_m, rows_s, rows_c, rows_e = [], [], [], [], []
        # Ids follow time, as in a live desk where rows are appended as things happen.
        ticket_times = sorted(now - year * rng.random() for _ in range(tickets))
        for i, created in enumerate(ticket_times, 1):
            lang = "ar" if rng.random() < 0.55 else "en"
            agent = rng.randrange(1, 41)
            replied = created + timedelta(hours=rng.expovariate(1 / 8))
            solved = replied + timedelta(hours=rng.expovariate(1 / 12))
            is_solved = solved < now and rng.random() < 0.85
            rows_t.append({"id": i, "reference": f"r{i}", "customer_id": rng.randrange(1, 20_001), "subject": "s",
                           "lang": lang, "status": "solved" if is_solved else rng.choice(("new", "open", "pending")),
                           "priority": "normal", "channel": rng.choice(("web", "email", "chat")),
                           "assignee_id": agent, "context": {}, "created_at": created, "updated_at": created,
                           "team": "uae" if rng.random() < 0.4 else "ksa",
                           "due_at": created + timedelta(hours=8), "category": rng.choice(("orders", "payments",
                                                                                           "returns", "delivery"))})
            rows_m.append({"ticket_id": i, "author": "customer", "agent_id": None, "body": "help", "internal": False,
                           "created_at": created})  # executemany: every row has the same keys
            if replied < now:
                rows_m.append({"ticket_id": i, "author": "agent", "agent_id": agent, "body": "answer",
                               "internal": False, "created_at": replied})
                rows_e.append({"ticket_id": i, "agent_id": agent, "kind": "shown", "details": {},
                               "edit_distance": None, "reason": None, "created_at": replied - timedelta(minutes=5)})
                kind = rng.choice(("sent", "sent", "rejected", "inserted"))
                rows_e.append({"ticket_id": i, "agent_id": agent, "kind": kind, "details": {"what": "draft"},
                               "edit_distance": rng.choice((0, 0, 12, 60, 300)) if kind == "sent" else None,
                               "reason": "not relevant" if kind == "rejected" else None, "created_at": replied})
            if is_solved:
                rows_s.append({"ticket_id": i, "old_status": "new", "new_status": "solved", "agent_id": agent,
                               "created_at": solved})
                answered = rng.random() < 0.4
                rows_c.append({"ticket_id": i, "token": f"t{i}", "agent_id": agent, "created_at": solved,
                               "sent_at": solved, "rating": rng.choice((5, 5, 4, 3, 1)) if answered else None,
                               "comment": "slow" if answered and rng.random() < 0.2 else None,
                               "answered_at": solved + timedelta(hours=2) if answered else None})
        for table, rows in ((Ticket, rows_t), (Message, rows_m), (TicketStatusChange, rows_s), (CsatSurvey, rows_c),
                            (SuggestionEvent, rows_e)):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
            counts[table.__tablename__] = len(rows)
        queries = [" ".join(rng.sample(WORDS, 2)) + f" {n % 50}" for n in range(3000)]
        batch: list[dict] = []
        search_times = sorted(now - year * rng.random() for _ in range(searches))
        for when in search_times:
            failed = rng.random() < 0.1
            clicked = not failed and rng.random() < 0.5
            batch.append({"visit_id": f"v{rng.randrange(400_000)}", "query": rng.choice(queries),
                          "lang": rng.choice(("en", "ar")), "result_count": 0 if failed else 5,
                          "abstained": failed and rng.random() < 0.5, "fallback": False, "source": "page",
                          "clicked_article": "en/x" if clicked else None,
                          "clicked_position": rng.randrange(1, 6) if clicked else None,
                          "created_at": when})
            if len(batch) == CHUNK:
                conn.execute(insert(SearchEvent), batch)
                batch = []
        if batch:
            conn.execute(insert(SearchEvent), batch)
        counts["search_events"] = searches
    return counts


def _median_ms(call, runs: int) -> float:  # type: ignore[no-untyped-def]
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        took.append((time.perf_counter() - start) * 1000)
    return statistics.median(took)


def measure(label: str, settings: Settings, tickets: int, searches: int, runs: int) -> None:
    from webapp import create_app

    app = create_app(settings)
    desk = app.extensions["desk"]
    now = datetime.now(UTC)
    start = time.perf_counter()
    counts = generate(desk.db, tickets, searches, now)
    if desk.db.engine.dialect.name == "postgresql":
        with desk.db.engine.begin() as conn:  # ids were given explicitly: move the sequences past them
            for table in ("agents", "customers", "tickets"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
            conn.exec_driver_sql("ANALYZE")
    print(f"[{label}] generated {counts} in {time.perf_counter() - start:.1f} s")
    desk.accounts.create_agent("lead@example.com", "a long enough password", role="lead")
    token = desk.accounts.create_token("bench")
    client = app.test_client()
    login = client.get("/agent/login").get_data(as_text=True)
    csrf = login.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post("/agent/login", data={"email": "lead@example.com", "password": "a long enough password",
                                      "csrf_token": csrf})
    start = time.perf_counter()
    first = client.get("/agent/dashboard/")
    assert first.status_code == 200, first.status_code
    print(f"[{label}] first page render (loads the embedding model, embeds gap queries): "
          f"{(time.perf_counter() - start) * 1000:.0f} ms")
    today = now.date()
    for days in (7, 30, 90):
        span = f"from={today - timedelta(days=days - 1)}&to={today}"

        def page(span: str = span) -> None:
            assert client.get(f"/agent/dashboard/?{span}").status_code == 200

        def api(span: str = span) -> None:
            answer = client.get(f"/api/v1/metrics?{span}", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200

        page()  # the period's gap queries embedded once
        print(f"[{label}] {days:>2} days: page median {_median_ms(page, runs):.0f} ms, "
              f"API median {_median_ms(api, runs):.0f} ms ({runs} runs each)")
    desk.close()


def _as_postgres() -> list[str]:
    """initdb refuses to run as root: run the server as the system's postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def start_postgres(root: Path, port: int) -> str:
    cluster = root / "pg"
    cluster.mkdir()
    if os.geteuid() == 0:
        root.chmod(0o755)
        shutil.chown(cluster, "postgres", "postgres")
    data = cluster / "data"
    subprocess.run([*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(data), "-U", "bench", "--auth=trust",
                    "-E", "UTF8"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(data), "-o",
                    f"-p {port} -k {cluster} -h 127.0.0.1", "-l", str(cluster / "pg.log"), "-w", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "bench", "bench"],
                   check=True)
    return f"postgresql://bench@127.0.0.1:{port}/bench"


def stop_postgres(root: Path) -> None:
    subprocess.run([*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(root / "pg" / "data"), "-m", "fast",
                    "stop"], check=False, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="also on a PostgreSQL started here")
    parser.add_argument("--port", type=int, default=54329)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    try:
        measure("sqlite", Settings(content_dir=ROOT / "content", data_dir=root / "sqlite"), args.tickets,
                args.searches, args.runs)
        if args.postgres:
            url = start_postgres(root, args.port)
            try:
                measure("postgresql", Settings(content_dir=ROOT / "content", data_dir=root / "pgdata",
                                               database_url=url), args.tickets, args.searches, args.runs)
            finally:
                stop_postgres(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
