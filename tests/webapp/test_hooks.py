"""The git push hook: signatures, the background worker, and search seeing the pushed commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from copilot.engine import Engine
from indexer.git_sync import read_state
from kb.settings import Settings
from tests.indexer.test_git_sync import commit, git, init_repo
from webapp import create_app
from webapp.cli import main
from webapp.hooks import worker

SECRET = "s3cret-for-tests"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def github(body: bytes = PUSH, secret: str = SECRET, event: str = "push") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": event, "Content-Type": "application/json"}


@pytest.fixture
def app(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("KB_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("KB_GIT_CONTENT_DIR", raising=False)
    # The test slice links to articles outside it; held back ("hold") they would never be published.
    engine.settings = replace(engine.settings, sync_lint="warn")
    init_repo(engine.settings.content_dir)
    commit(engine.settings.content_dir, "import the help center")
    yield create_app(engine=engine)


def push(client: FlaskClient, headers: dict[str, str] | None = None) -> int:
    response = client.post("/api/v1/hooks/git", data=PUSH, headers=headers or github())
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["queued"] is True
    return int(body["job"])


def wait_for(client: FlaskClient, job: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/api/v1/hooks/git/status").get_json()
        if status["done_job"] >= job:
            assert status["last_run"]["error"] is None, status
            return status
        time.sleep(0.1)
    pytest.fail(f"job {job} not done in {timeout} s")


def top_ids(client: FlaskClient, query: str) -> list[str]:
    body = client.get("/api/v1/search", query_string={"q": query, "lang": "en"}).get_json()
    return [r["id"] for r in body["results"]]


def add_word(engine: Engine, relative: str, word: str) -> None:
    path = engine.settings.content_dir / relative
    path.write_text(path.read_text("utf-8") + f"\n## {word} notes\n\n{word} applies here.\n", "utf-8")
    commit(engine.settings.content_dir, word)


def test_a_bad_signature_is_refused_and_nothing_is_indexed(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    wrong = [
        {},
        github(secret="not-the-secret"),
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "sha1=abc"},
        {"X-Gitlab-Token": "not-the-secret"},
    ]
    for headers in wrong:
        response = client.post("/api/v1/hooks/git", data=PUSH, headers=headers)
        assert response.status_code == 401 and "signature" in response.get_json()["error"]
    tampered = client.post("/api/v1/hooks/git", data=PUSH + b" ", headers=github())
    assert tampered.status_code == 401
    time.sleep(0.3)
    status = client.get("/api/v1/hooks/git/status").get_json()
    assert (status["last_job"], status["runs"], status["indexed_commit"]) == (0, 0, None)
    assert engine.store.count() == 0 and read_state(engine.settings.data_dir) is None


def test_a_signed_push_makes_the_commit_searchable(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    first = wait_for(client, push(client))
    head = git(engine.settings.content_dir, "rev-parse", "HEAD")
    assert first["last_run"]["commit"] == first["indexed_commit"] == head
    assert top_ids(client, "quizzleplonk")[0] != "gift-cards"  # nonsense: the dense side returns neighbours
    add_word(engine, "en/orders/gift-cards.md", "Quizzleplonk")
    status = wait_for(client, push(client))
    assert status["last_run"]["mode"] == "incremental" and "1 modified" in status["last_run"]["summary"]
    assert top_ids(client, "quizzleplonk")[0] == "gift-cards"


def test_gitlab_token_and_other_events(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    gitlab = {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook"}
    wait_for(client, push(client, gitlab))
    assert engine.store.count() > 0
    ping = client.post("/api/v1/hooks/git", data=b"{}", headers=github(b"{}", event="ping"))
    assert ping.status_code == 200 and ping.get_json() == {"queued": False, "event": "ping"}


def test_the_hook_is_off_without_a_secret(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_WEBHOOK_SECRET")
    response = app.test_client().post("/api/v1/hooks/git", data=PUSH, headers=github())
    assert response.status_code == 404 and "KB_WEBHOOK_SECRET" in response.get_json()["error"]


def test_quick_pushes_coalesce_and_never_run_two_syncs_at_once(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    sync_worker = worker(app)
    real_run = sync_worker.run
    active, most = [0], [0]
    guard = threading.Lock()

    def observed_run():  # type: ignore[no-untyped-def]
        with guard:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            time.sleep(0.5)  # long enough for the next pushes to arrive while this run is going
            return real_run()
        finally:
            with guard:
                active[0] -= 1

    sync_worker.run = observed_run
    add_word(engine, "en/orders/gift-cards.md", "Flumbergast")
    jobs = [push(client)]
    add_word(engine, "en/payments/apple-pay.md", "Wibblequatz")
    jobs += [push(client), push(client)]
    status = wait_for(client, jobs[-1])
    assert most[0] == 1 and status["runs"] <= 2 and status["done_job"] == 3
    assert top_ids(client, "flumbergast")[0] == "gift-cards"
    assert top_ids(client, "wibblequatz")[0] == "apple-pay"


def test_kb_sync_command(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_GIT_CONTENT_DIR", raising=False)
    monkeypatch.setenv("KB_SYNC_LINT", "warn")  # the slice links outside itself (see `app`)
    content = settings.content_dir
    init_repo(content)
    (content / "en/account/broken.md").write_text("---\ntitle: Broken\nlang: ar\n---\nText\n", encoding="utf-8")
    commit(content, "import, with one broken article")
    runner = CliRunner()
    where = ["--content", str(content), "--data", str(settings.data_dir)]
    first = runner.invoke(main, ["sync", "--quiet", *where])
    assert first.exit_code == 2, first.output
    assert f"{content.as_posix()}/en/account/broken.md:3: front matter" in first.output
    assert "full comparison (no indexed commit recorded)" in first.output and "11 added" in first.output
    again = runner.invoke(main, ["sync", "--quiet", "--json", *where])
    assert again.exit_code == 0 and json.loads(again.output)["mode"] == "up-to-date"
    found = runner.invoke(main, ["search", "رسوم التوصيل", "--json", "--data", str(settings.data_dir)])
    assert json.loads(found.output)["results"][0]["id"] == "delivery-fees"
