"""An app that is closed lets go of everything it opened: a process that builds apps one after another
(a test session, a server re-creating its app) must not pile up descriptors or threads.

Session 16: late in the suite the test process held over 1,024 descriptors. Each app's desk kept its
SQLite database open (the file, its -wal and -shm: three descriptors) for the rest of the session,
because its analytics writer was held by an exit hook and by a thread that never ended, and
`Desk.close` stopped neither.
"""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import psutil
from sqlalchemy import func, select

from desk.database import Database
from desk.models import ArticleView
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from webapp import create_app
from webapp.app import close_app

CYCLES = 10


def writer_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "analytics-writer")


def build_use_and_close(settings: Settings) -> weakref.ref[Database]:
    """One app's life: built, a page served, a page view recorded (as the article page does, through
    the analytics writer it starts; the page itself would load the models for its related articles), closed."""
    app = create_app(settings)
    assert app.test_client().get("/en/contact").status_code == 200
    app.extensions["desk"].events.view("en/refund-timing", "v1")
    database = weakref.ref(app.extensions["desk"].db)
    close_app(app)
    return database


def test_apps_built_and_closed_again_and_again_keep_descriptors_and_threads_flat(
    tmp_path: Path, content_dir: Path
) -> None:
    settings = Settings(content_dir=content_dir, data_dir=tmp_path / "data", database_url=database_url_for_tests())
    process = psutil.Process()
    build_use_and_close(settings)  # the first app pays for what lives on by design (imports, the store's files)
    gc.collect()
    descriptors, threads = process.num_fds(), writer_threads()
    databases = [build_use_and_close(settings) for _ in range(CYCLES)]
    gc.collect()
    assert process.num_fds() <= descriptors + 2, "each app left descriptors open"  # was +3 per app
    assert writer_threads() == threads  # was one more per app
    assert [database() for database in databases] == [None] * CYCLES  # nothing holds a closed app's database
    database = Database.from_settings(settings)
    with database.session() as session:
        views = session.scalar(select(func.count()).select_from(ArticleView))
    database.close()
    assert views == CYCLES + 1  # each app wrote its page view before it closed
