"""The worker's auto-assign pass and the team status page's read with a backlog of Arabic tickets nobody available
answers (session 37, skills37), then (session 39, skills39) with a backlog of English tickets requiring a skill
(desk.skills) nobody available has, which the pass's query cannot leave out (it skips them as it reads them):
`PYTHONPATH=. .venv/bin/python bench/language_routing_bench.py 2000` (SQLite in a temporary directory; the median of 5
runs of each)."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from desk.audit import Actor
from desk.desk import Desk
from desk.team_status import team_status
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import hours_file

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(sorted(times)[2] * 1000, 1)


def main(backlog: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
        raw["teams"]["ksa"]["assignment"] = {"mode": "balanced"}
        content = hours_file(tmp / "content", teams=raw["teams"])
        with Desk(Settings(data_dir=tmp / "data", content_dir=content, database_url=None)) as desk:
            for number in range(backlog):
                desk.tickets.create(NewTicket(email=f"c{number}@example.com", subject=f"طلب {number}",
                                              body="أين طلبي؟", lang="ar"))
            emma = desk.accounts.create_agent("emma@example.com", PASSWORD, "Emma").id
            desk.teams.set_teams(emma, ["ksa"])
            desk.accounts.set_languages(emma, ["en"], ("en", "ar"), Actor.agent(emma))
            desk.accounts.set_availability(emma, True, Actor.agent(emma))
            assert desk.tickets.hand_out() == 0
            print(f"backlog {backlog}: hand_out {median_ms(desk.tickets.hand_out)} ms, "
                  f"team_status {median_ms(lambda: team_status(desk.db, desk.hours))} ms")
            skills(desk, backlog, emma)


def skills(desk: Desk, backlog: int, emma: int) -> None:
    """The Arabic backlog solved; as many English tickets requiring VIP (Emma has Billing) wait instead."""
    from sqlalchemy import update

    from desk.models import Ticket, TicketSkill

    with desk.db.session() as session:
        session.execute(update(Ticket).values(status="solved"))
    billing, vip = desk.skills.create("Billing"), desk.skills.create("VIP")
    desk.skills.set_agent(emma, [str(billing)])
    desk.accounts.set_availability(emma, False, Actor.agent(emma))  # nothing assigned while they arrive
    ids = [desk.tickets.create(NewTicket(email=f"v{number}@example.com", subject=f"Invoice {number}",
                                         body="Where is my invoice?", lang="en")).id for number in range(backlog)]
    with desk.db.session() as session:
        session.add_all(TicketSkill(ticket_id=ticket_id, skill_id=vip) for ticket_id in ids)
    desk.accounts.set_availability(emma, True, Actor.agent(emma))
    assert desk.tickets.hand_out() == 0
    print(f"backlog {backlog} requiring a skill: hand_out {median_ms(desk.tickets.hand_out)} ms, "
          f"team_status {median_ms(lambda: team_status(desk.db, desk.hours))} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
