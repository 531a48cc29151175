"""The clicked searches the desk hands to click feedback: which count, and whether a ticket followed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from desk.desk import Desk
from desk.models import SearchEvent, utcnow
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def test_clicked_searches_say_whether_the_visit_then_wrote_a_ticket(desk: Desk) -> None:
    events = desk.events
    answered = events.search("refund late", "en", 5, False, visit_id="happy")
    events.click(answered, "en/refund-timing", 2, "happy")
    still_stuck = events.search("refund late", "en", 5, False, visit_id="stuck")
    events.click(still_stuck, "en/returns", 1, "stuck")
    desk.tickets.create(NewTicket(email="a@example.com", subject="Refund", body="Still no refund", visit_id="stuck"))
    events.search("refund late", "en", 5, False, visit_id="no-click")  # no click: nothing to learn
    events.click(events.search("refund late", "en", 5, False, visit_id="owner"), "en/x", 1, "someone-else")
    old = events.search("refund late", "en", 5, False, visit_id="old")
    events.click(old, "en/refund-timing", 1, "old")
    with desk.db.session() as session:
        session.execute(update(SearchEvent).where(SearchEvent.token == old).values(
            created_at=utcnow() - timedelta(days=400)))
    # A ticket from an earlier search's visit that came BEFORE the search does not count against it.
    desk.tickets.create(NewTicket(email="b@example.com", subject="Hi", body="Earlier question", visit_id="later"))
    later = events.search("apple pay", "en", 3, False, visit_id="later")
    events.click(later, "en/apple-pay", 1, "later")

    found = events.search_clicks(since=utcnow() - timedelta(days=180))
    summary = {(c.visit_id, c.article_key, c.ticket_followed, c.position) for c in found}
    assert summary == {("happy", "en/refund-timing", False, 2), ("stuck", "en/returns", True, 1),
                       ("later", "en/apple-pay", False, 1)}
    assert all(c.at.tzinfo is not None and c.lang == "en" for c in found)
    assert [c.visit_id for c in found] == ["later", "stuck", "happy"]  # newest first
    assert len(events.search_clicks(since=utcnow() - timedelta(days=500), limit=2)) == 2
