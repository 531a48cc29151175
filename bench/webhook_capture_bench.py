"""What the outbound webhooks' capture (desk.webhooks) adds to a ticket change: 300 priority changes through
`TicketStore.update` on a fresh SQLite desk, with no endpoint and with one endpoint subscribed to `ticket.updated`
(each change then writes a `webhook_deliveries` row in its transaction, with the ticket's snapshot since session 34:
desk.ticket_json.snapshots), and that snapshot alone (one tagged ticket, read in one open session). Nothing is sent
(no worker runs).

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/webhook_capture_bench.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from desk.desk import Desk
from desk.ticket_json import snapshots
from desk.tickets import NewTicket
from kb.settings import Settings

CHANGES = 300


def per_update_ms(endpoint: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        desk = Desk(Settings(data_dir=Path(tmp), webhook_allow_private=True))
        if endpoint:
            desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.updated"])
        ticket_id = desk.tickets.create(NewTicket(email="c@example.com", subject="s", body="b", notify=False)).id
        start = time.perf_counter()
        for i in range(CHANGES):
            desk.tickets.update(ticket_id, priority=("high", "low")[i % 2])
        took = (time.perf_counter() - start) / CHANGES * 1000
        desk.close()
        return took


def snapshot_ms() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        desk = Desk(Settings(data_dir=Path(tmp)))
        ticket_id = desk.tickets.create(NewTicket(email="c@example.com", subject="s", body="b", notify=False)).id
        desk.tags.add([ticket_id], ["vip", "refund"])
        with desk.db.session() as session:
            start = time.perf_counter()
            for _ in range(CHANGES):
                snapshots(session, [ticket_id], desk.hours, desk.fields)
            took = (time.perf_counter() - start) / CHANGES * 1000
        desk.close()
        return took


def main() -> None:
    for _ in range(3):
        for label, endpoint in (("no endpoint", False), ("one endpoint", True)):
            print(f"{label}: {per_update_ms(endpoint):.2f} ms per ticket change")
        print(f"the snapshot alone: {snapshot_ms():.2f} ms per ticket")


if __name__ == "__main__":
    main()
