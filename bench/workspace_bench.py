"""Agent workspace with 50,000 tickets: ticket page and inbox search latency, server side.

    python bench/workspace_bench.py                 # 50,000 tickets, index in var/bench/workspace
    python bench/workspace_bench.py --tickets 5000  # a quicker look

The database is SQLite (or DATABASE_URL's), filled with the demo tickets (content/_demo) repeated
with varied customers, subjects, priorities and ages, each with its inbox search text. Pages are
requested through the real Flask app in-process (test client, logged in), so the times are the
server's own: routing, SQL, advice, templates; no network.

- ticket page cold: the ticket has no stored advice yet, so the page computes it on the fly (search
  and the grounded draft), without storing it;
- ticket page warm: the worker's pass (`precompute_suggestions`) stored it; the page only reads;
- inbox search: `GET /agent/?view=all&q=...` (count, first page, view counts) and the bare
  `Inbox.page` query, for customer names, emails and words in both scripts;
- teams (where the desk has them: the same script runs on a tree from before): the tickets are a third KSA's, a
  third UAE's and a third with no team stored (the default's, as before routing); the agent is in KSA; the inbox
  filtered to UAE (`?team=uae`) and "My teams' tickets" (`?view=my_teams`).
Medians and nearest-rank p95 in ms; one run, after one warm-up request per kind.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from copilot.engine import Engine
from desk.advice import thread_version
from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import Customer, Message, Ticket, TicketSearchText
from desk.ticket_search import fold_for_search
from desk.tickets import new_reference
from kb.settings import Settings
from webapp import create_app
from webapp.ticket_advice import agent_suggester, precompute_suggestions, ticket_advice

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
FIRST = ["Sara", "Omar", "Daniel", "Maya", "Ali", "سارة", "خالد", "نورة", "محمد", "ريم", "Fatima", "John"]
LAST = ["Brooks", "Haddad", "العتيبي", "القحطاني", "Smith", "الشمري", "Khan", "Nasser", "الدوسري", "Lee"]
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent"]
STATUSES = ["new", "open", "open", "pending", "on_hold", "solved", "closed", "closed"]
QUERIES = ["العتيبي", "كلمة المرور", "الاسترجاع", "refund", "apple pay", "password reset", "maya.brooks",
           "delivery late", "طلبي", "Haddad", "الشحن", "gift card", "غير موجود abc", "checkout failing"]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]
    return {"median": round(statistics.median(ordered), 1), "p95": round(p95, 1), "n": len(ordered)}


def fill(desk: Desk, count: int, seed: int = 7) -> list[int]:
    """`count` tickets in bulk (core inserts, one transaction per 5,000); returns the open ticket ids."""
    rng = random.Random(seed)
    demo = [json.loads(line) for line in (ROOT / "content/_demo/tickets.jsonl").read_text("utf-8").splitlines()]
    now = datetime.now(UTC)
    customers = []
    for i in range(count // 3):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        customers.append({"id": i + 1, "email": f"{name.split()[0].lower()}.{i}@example.com".replace(" ", ""),
                          "name": name, "created_at": now})
    with desk.db.session() as session:
        session.execute(insert(Customer), customers)
    open_ids = []
    batch = 5000
    for start in range(0, count, batch):
        tickets, messages, texts = [], [], []
        for i in range(start, min(count, start + batch)):
            source = demo[i % len(demo)]
            customer = customers[rng.randrange(len(customers))]
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
            status = rng.choice(STATUSES)
            subject = f"{source['subject']} ({i})"
            body = source["messages"][0]["body"]
            tickets.append({"id": i + 1, "reference": new_reference(), "customer_id": customer["id"],
                            "subject": subject, "lang": source["lang"], "status": status,
                            "priority": rng.choice(PRIORITIES), "channel": source.get("channel", "web"),
                            "team": ("ksa", "uae", None)[i % 3],  # not from rng: the same tickets as before
                            "context": {}, "created_at": created, "updated_at": created,
                            "due_at": created + timedelta(hours=8) if status in ("new", "open") else None})
            messages.append({"ticket_id": i + 1, "author": "customer", "body": body, "internal": False,
                             "created_at": created})
            reply = "Thanks, we are looking into it." if source["lang"] == "en" else "شكرًا، نتابع طلبك."
            messages.append({"ticket_id": i + 1, "author": "agent", "body": reply, "internal": False,
                             "created_at": created + timedelta(hours=1)})
            texts.append({"ticket_id": i + 1, "text": fold_for_search(
                "\n".join([subject, customer["name"], customer["email"], body, reply]))})
            if status in ("new", "open"):
                open_ids.append(i + 1)
        with desk.db.session() as session:
            session.execute(insert(Ticket), tickets)
            session.execute(insert(Message), messages)
            session.execute(insert(TicketSearchText), texts)
    return open_ids


def timed(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--pages", type=int, default=40, help="ticket pages timed per kind")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--data", type=Path, default=Path("var/bench/workspace"), help="index directory, reused")
    args = parser.parse_args()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    settings = Settings.from_env(content_dir=args.content, data_dir=args.data, rate_limits=False)
    (args.data / "helpdesk.sqlite").unlink(missing_ok=True)
    engine = Engine(settings)
    log(f"index: {engine.index(show_progress=False).summary()}")
    engine.warm_up()
    desk = Desk(settings)
    started = time.perf_counter()
    open_ids = fill(desk, args.tickets)
    log(f"{args.tickets:,} tickets written in {time.perf_counter() - started:.1f} s ({len(open_ids):,} open)")
    app = create_app(engine=engine, desk=desk)
    desk.accounts.create_agent("bench@example.com", PASSWORD, name="Bench")
    client = app.test_client()
    login = client.get("/agent/login").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post("/agent/login", data={"email": "bench@example.com", "password": PASSWORD, "csrf_token": token})
    if hasattr(desk, "teams"):  # in KSA before any page is timed: the view counts include "My teams' tickets"
        desk.teams.set_teams(desk.accounts.find("bench@example.com").id, ["ksa"])

    rng = random.Random(11)
    chosen = rng.sample(open_ids, min(args.pages + 1, len(open_ids)))

    def page(ticket_id: int) -> None:
        response = client.get(f"/agent/tickets/{ticket_id}")
        assert response.status_code == 200, response.status_code

    page(chosen[0])  # warm-up: templates compiled, models and vocabulary loaded
    cold = [timed(lambda t=t: page(t)) for t in chosen[1:]]
    suggester = agent_suggester(engine, desk)
    started = time.perf_counter()
    advised = precompute_suggestions(desk, engine, suggester, limit=args.pages)  # the newest open tickets
    precompute_s = time.perf_counter() - started
    version = engine.store.version() or ""
    for ticket_id in chosen[1:]:  # what the pass stores, for the tickets timed above
        ticket = desk.tickets.get(ticket_id)
        advice = ticket_advice(suggester, engine.drafter, ticket, engine.settings)
        desk.advice.save(ticket_id, thread_version(ticket), version, advice.as_plain())
    warm = [timed(lambda t=t: page(t)) for t in chosen[1:]]

    def search_page(q: str) -> None:
        response = client.get("/agent/", query_string={"view": "all", "q": q})
        assert response.status_code == 200

    search_page("warm up")
    inbox_pages = [timed(lambda q=q: search_page(q)) for q in QUERIES for _ in range(3)]
    agent_id = desk.accounts.find("bench@example.com").id
    queries = [timed(lambda q=q: desk.inbox.page(InboxQuery(view="all", q=q), agent_id))
               for q in QUERIES for _ in range(3)]
    unsearched = [timed(lambda: client.get("/agent/")) for _ in range(15)]
    teams = {}
    if hasattr(desk, "teams"):  # a tree with teams
        for name, params in [("inbox_team_filter_page_ms", {"team": "uae"}), ("inbox_my_teams_page_ms",
                                                                           {"view": "my_teams"})]:
            client.get("/agent/", query_string=params)
            teams[name] = percentiles([timed(lambda a=params: client.get("/agent/", query_string=a))
                                       for _ in range(15)])
    report = {
        "tickets": args.tickets, "database": desk.db.engine.dialect.name,
        "ticket_page_cold_ms": percentiles(cold), "ticket_page_warm_ms": percentiles(warm),
        "precompute_pass": {"tickets": advised, "seconds": round(precompute_s, 1),
                       "per_ticket_ms": round(precompute_s * 1000 / max(advised, 1), 1)},
        "inbox_search_page_ms": percentiles(inbox_pages), "inbox_search_query_ms": percentiles(queries),
        "inbox_default_view_page_ms": percentiles(unsearched), **teams,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    engine.close()
    desk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
