"""The background analytics writer: bounded, batched, counted when it drops, flushed on demand."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desk.desk import Desk
from desk.events import AnalyticsWriter
from desk.models import ArticleView, SearchEvent
from kb.settings import Settings
from tests.conftest import database_url_for_tests


def open_desk(tmp_path: Path) -> Desk:
    return Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))


def views(desk: Desk) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count()).select_from(ArticleView)) or 0


def test_a_full_queue_drops_and_counts_instead_of_waiting(tmp_path: Path) -> None:
    desk = open_desk(tmp_path)
    writer = AnalyticsWriter(desk.db, capacity=3)
    started, release = threading.Event(), threading.Event()

    def stuck(_session: Session) -> None:  # holds the writer thread, as a slow database would
        started.set()
        release.wait(30)

    assert writer.submit(stuck) and started.wait(30)
    accepted = [writer.submit(lambda s, i=i: s.add(ArticleView(article_key=f"en/a{i}", visit_id=None)))
                for i in range(5)]
    assert accepted == [True, True, True, False, False]  # returned at once: the page never waits
    release.set()
    assert writer.flush(30)
    assert views(desk) == 3
    assert writer.stats == {"written": 4, "dropped": 2, "queued": 0}
    desk.close()


def test_one_bad_row_is_dropped_and_the_rest_of_its_batch_kept(tmp_path: Path) -> None:
    desk = open_desk(tmp_path)
    events = desk.events
    writer = events.write_in_background(capacity=100)
    events.view("en/refund-timing", "v1")

    def broken(session: Session) -> None:
        session.add(SearchEvent(query=None, lang="en", result_count=0, abstained=False))  # NOT NULL query

    writer.submit(broken)
    token = events.search("refund", "en", 3, abstained=False, visit_id="v1")
    events.click(token, "en/refund-timing", 1, "v1")
    assert writer.flush(30)
    with desk.db.session() as session:
        search = session.scalars(select(SearchEvent)).one()
    assert (search.query, search.clicked_article) == ("refund", "en/refund-timing")
    assert views(desk) == 1 and writer.stats["dropped"] == 1 and writer.stats["written"] == 3
    desk.close()


def writer_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "analytics-writer"}


def test_closing_the_desk_writes_what_was_queued_then_ends_the_writers_thread(tmp_path: Path) -> None:
    before = writer_threads()
    desk = open_desk(tmp_path)
    events = desk.events
    writer = events.write_in_background(capacity=100)
    for i in range(3):
        events.view(f"en/a{i}", "v1")
    assert len(writer_threads() - before) == 1
    desk.close()
    assert writer_threads() - before == set()  # ended, not left waiting on its queue
    assert views(desk) == 3 and writer.stats["written"] == 3
    assert not writer.submit(lambda s: s.add(ArticleView(article_key="en/late", visit_id=None)))
    assert writer.stats["dropped"] == 1 and writer_threads() - before == set()  # no thread started again
    events.view("en/after", "v1")  # the closed desk's events write directly
    assert views(desk) == 4
    desk.close()  # twice is harmless


def test_a_closed_desk_lets_go_of_its_database(tmp_path: Path) -> None:
    """Nothing (the exit flush included) keeps a closed desk's writer, and so its database, alive: an
    app that is closed and dropped leaves no open files behind."""
    desk = open_desk(tmp_path)
    desk.events.write_in_background(capacity=100)
    desk.events.view("en/a", "v1")
    database = weakref.ref(desk.db)
    desk.close()
    del desk
    gc.collect()
    assert database() is None
