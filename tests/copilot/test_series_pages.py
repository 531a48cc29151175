"""Series steps (copilot.series_pages): a numbered walkthrough's page yields to the article it links to.

The unit tests write the rankings out; the index tests index a small series with a fake embedder on
both stores; the others read the real m365 articles (the former-employee series of seven numbered
steps, imported by bench/m365_import.py) and search one category of them with the real models,
lever on and off. The links are always the index's: a working tree edited or emptied after
indexing changes nothing until it is indexed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from copilot import retrieval
from copilot.engine import Engine
from copilot.index_view import IndexSnapshot
from copilot.series_pages import defer_steps, series_steps, step_links
from indexer.embedders import Embedder
from indexer.stores.base import Hit, VectorStore
from indexer.sync import SyncReport
from kb.articles import load_content
from kb.links import article_links
from kb.settings import Settings
from tests.conftest import indexed_engine
from tests.indexer.test_sync import CountingEmbedder, store_of, sync_runner

CATEGORY = "admin-add-users"  # the former-employee series, restore-user, delete-a-user: 27 articles


def hits(*keys: str) -> list[Hit]:
    return [Hit(f"{key}#0", 1.0 - i / 10, {"key": key}) for i, key in enumerate(keys)]


def keys(ranked: list[Hit]) -> list[str]:
    return [str(h.payload["key"]) for h in ranked]


def test_numbered_titles_of_one_opening_word_make_a_series_only_from_three() -> None:
    rows = [
        {"key": "en/step-1", "lang": "en", "title": "Step 1 - Block sign-in"},
        {"key": "en/step-2", "lang": "en", "title": "Step 2: Save the mailbox"},
        {"key": "en/step-3", "lang": "en", "title": "step 3. Delete the account"},
        {"key": "en/part-1", "lang": "en", "title": "Part 1 - Plans"},
        {"key": "en/part-2", "lang": "en", "title": "Part 2 - Prices"},  # two parts: no series
        {"key": "en/covid", "lang": "en", "title": "2020 - the year"},  # no opening word
        {"key": "ar/step-1", "lang": "ar", "title": "الخطوة ١ - منع تسجيل الدخول"},  # Arabic-Indic digit
        {"key": "ar/step-2", "lang": "ar", "title": "الخطوة 2 - حفظ علبة البريد"},
        {"key": "ar/step-3", "lang": "ar", "title": "الخطوة 3 - حذف الحساب"},
        {"key": "ar/steps", "lang": "ar", "title": "الخطوة الأولى"},  # no number
    ]
    assert series_steps(rows) == {"en/step-1", "en/step-2", "en/step-3", "ar/step-1", "ar/step-2", "ar/step-3"}


def test_links_resolve_as_the_site_does_and_leave_out_urls_media_and_anchors() -> None:
    source = (
        "See [restore](restore-user.md), [convert](../email/convert-mailbox.md#steps), "
        "[docs](https://example.com/x.md), [here](#top), ![img](../../_media/a.png)."
    )
    assert article_links("ar/admin-add-users/step-7.md", source) == ("ar/convert-mailbox", "ar/restore-user")


def test_steps_link_what_the_index_rows_say_and_nothing_without_them() -> None:
    rows = [
        {"key": f"en/step-{n}", "lang": "en", "title": f"Step {n} - Do {n}", "links": [f"en/task-{n}"]}
        for n in (1, 2, 3)
    ]
    rows += [{"key": "en/step-1", "lang": "en", "title": "Step 1 - Do 1", "links": ["en/task-1"]}]  # its 2nd chunk
    rows += [{"key": "en/task-1", "lang": "en", "title": "Task one", "links": ["en/step-1"]}]  # no step
    assert step_links(rows) == {f"en/step-{n}": frozenset({f"en/task-{n}"}) for n in (1, 2, 3)}
    # an index written before the payload held links (indexer.sync.PAYLOAD_VERSION 1): no step links anything
    assert step_links([{k: v for k, v in row.items() if k != "links"} for row in rows]) == {}


def test_a_first_step_swaps_with_the_first_linked_article_near_it_and_nothing_else() -> None:
    links = {"ar/step-7": frozenset({"ar/restore-user", "ar/step-6", "ar/far-away"}), "ar/step-6": frozenset()}
    ranked = hits("ar/step-7", "ar/step-6", "ar/delete-a-user", "ar/restore-user", "ar/a", "ar/far-away")
    moved = defer_steps(ranked, lambda: links)
    assert keys(moved) == ["ar/restore-user", "ar/step-6", "ar/delete-a-user", "ar/step-7", "ar/a", "ar/far-away"]
    assert [h.score for h in moved] == [h.score for h in ranked]  # swapped with their scores: still in order
    # a linked step (the series' next page) is no reason, nor a link beyond the first five
    unmoved = hits("ar/step-7", "ar/step-6", "ar/a", "ar/b", "ar/c", "ar/far-away")
    assert keys(defer_steps(unmoved, lambda: links)) == keys(unmoved)
    # a step that is not first, or a first page that is no step, changes nothing
    second = hits("ar/a", "ar/step-7", "ar/restore-user")
    assert keys(defer_steps(second, lambda: links)) == keys(second)
    assert defer_steps([], lambda: links) == []
    assert keys(defer_steps(ranked, lambda: None)) == keys(ranked)  # links not built yet


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory, m365_articles: Path) -> Path:
    root = tmp_path_factory.mktemp("m365-users")
    shutil.copytree(m365_articles / "ar" / CATEGORY, root / "ar" / CATEGORY)
    return root


def test_the_m365_series_is_its_seven_steps_and_step_7_links_to_restore_user(content: Path) -> None:
    articles = load_content(content, ("ar",)).articles
    rows = [{"key": a.key, "lang": a.lang, "title": a.title, "path": a.path} for a in articles]
    assert series_steps(rows) == {f"ar/remove-former-employee-step-{n}" for n in range(1, 8)}
    links = step_links([{**row, "links": list(a.links)} for row, a in zip(rows, articles, strict=True)])
    assert set(links) == series_steps(rows)
    assert "ar/restore-user" in links["ar/remove-former-employee-step-7"]
    assert "ar/remove-former-employee" not in series_steps(rows)  # the overview has no number


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory, content: Path, embedders: list[Embedder]) -> Iterator[Engine]:
    settings = Settings(content_dir=content, data_dir=tmp_path_factory.mktemp("m365-users-data"))
    yield from indexed_engine(settings, embedders)


QUESTION = "انحذف حساب موظف بالغلط هل اقدر ارجعه"  # an account deleted by mistake: can I bring it back


def test_a_deleted_account_question_gets_restore_user_not_the_series_step(
    users: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = QUESTION
    first = users.retriever.search(question, lang="ar").results
    assert first[0].id == "restore-user"
    monkeypatch.setitem(retrieval.LEVERS, "series_steps", False)
    without = [hit.id for hit in users.retriever.search(question, lang="ar").results]
    assert without[0] == "remove-former-employee-step-7"
    assert without.index("restore-user") < 5


@pytest.fixture(scope="module", params=["changed", "gone"])
def edited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, content: Path, embedders: list[Embedder]
) -> Iterator[Engine]:
    """The category indexed; then step 7's file on disk links elsewhere (or is gone), and a new engine
    opens that index without indexing again: what a web node serving another commit's index sees."""
    root = tmp_path_factory.mktemp(f"m365-users-{request.param}")
    shutil.copytree(content, root / "content")
    settings = Settings(content_dir=root / "content", data_dir=root / "data")
    for _ in indexed_engine(settings, embedders):  # index, then close
        pass
    step = settings.content_dir / "ar" / CATEGORY / "remove-former-employee-step-7.md"
    if request.param == "gone":
        step.unlink()
    else:
        step.write_text(step.read_text("utf-8").replace("(restore-user.md)", "(delete-a-user.md)"), "utf-8")
    with Engine(settings, embedders) as engine:
        yield engine


def test_the_step_yields_to_the_article_its_indexed_version_links_to(edited: Engine) -> None:
    assert edited.retriever.search(QUESTION, lang="ar").results[0].id == "restore-user"


def _series(root: Path, link: str = "../tasks/restore.md") -> None:
    """Three numbered steps (step 3 links to `link`) and the standalone task article."""
    for n in (1, 2, 3):
        body = f"Do part {n} of the move. [Next](step-{n + 1}.md)" if n < 3 else f"See [the task]({link})."
        write_article(root / f"en/move/step-{n}.md", f"Step {n} - Part {n}", body)
    write_article(root / "en/tasks/restore.md", "Restore a user", "Restore a deleted user from the admin center.")
    write_article(root / "en/tasks/delete.md", "Delete a user", "Delete a user from the admin center.")


def write_article(path: Path, title: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\n---\n{body} Words enough to make a chunk of its own here.\n", "utf-8")


@pytest.fixture(params=["edge", "server"])
def indexed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[VectorStore, Callable[[], SyncReport]]]:
    settings = Settings(content_dir=tmp_path / "content", data_dir=tmp_path / "data")
    _series(settings.content_dir)
    store = store_of(request.param, settings.data_dir)
    run = sync_runner(settings, store, CountingEmbedder())
    assert run().exit_code == 0
    yield store, run
    store.close()


def test_step_links_are_the_indexed_ones_whatever_the_working_tree_holds_since(
    indexed: tuple[VectorStore, Callable[[], SyncReport]], tmp_path: Path
) -> None:
    store, run = indexed
    snapshot = IndexSnapshot.of(store)

    def links() -> dict[str, frozenset[str]]:
        return step_links(snapshot.payloads(("key", "lang", "title", "links")))

    ranked = [Hit("s3", 0.9, {"key": "en/step-3"}), Hit("d", 0.8, {"key": "en/delete"})]
    ranked += [Hit("r", 0.7, {"key": "en/restore"})]
    assert links()["en/step-3"] == {"en/restore"}
    step = tmp_path / "content/en/move/step-3.md"
    _series(tmp_path / "content", link="../tasks/delete.md")  # the tree now links step 3 elsewhere
    assert links()["en/step-3"] == {"en/restore"}
    assert keys(defer_steps(ranked, links)) == ["en/restore", "en/delete", "en/step-3"]  # the indexed link
    step.unlink()  # and the file is gone: the index still holds the step and its link
    assert links()["en/step-3"] == {"en/restore"}
    assert keys(defer_steps(ranked, links)) == ["en/restore", "en/delete", "en/step-3"]
    _series(tmp_path / "content", link="../tasks/delete.md")
    assert run().changed == ["en/step-3"]  # indexed now: the swap follows the new link
    assert links()["en/step-3"] == {"en/delete"}
    assert keys(defer_steps(ranked, links)) == ["en/delete", "en/step-3", "en/restore"]
