"""The git push hook: signatures, the hand-off to `kb worker`, and search seeing the pushed commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
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
from webapp.worker import WorkerContext, git_sync_pass, run_pass

SECRET = "s3cret-for-tests"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def github(body: bytes = PUSH, secret: str = SECRET, event: str = "push") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Event": event, "Content-Type": "application/json"}


@pytest.fixture
def app(engine: Engine) -> Iterator[Flask]:
    # The test slice links to articles outside it; held back ("hold") they would never be published.
    engine.settings = replace(engine.settings, sync_lint="warn")
    init_repo(engine.settings.content_dir)
    commit(engine.settings.content_dir, "import the help center")
    yield create_app(replace(engine.settings, webhook_secret=SECRET), engine=engine)


def push(client: FlaskClient, headers: dict[str, str] | None = None) -> int:
    response = client.post("/api/v1/hooks/git", data=PUSH, headers=headers or github())
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["queued"] is True
    return int(body["job"])


def worker_pass(engine: Engine) -> dict[str, int]:
    """One pass of `kb worker`'s jobs, with its own engine (as its own process has) on the same data."""
    ctx = WorkerContext(engine.settings, Engine(engine.settings, engine.embedders))
    try:
        return run_pass(ctx)
    finally:
        ctx.close()


def token(client: FlaskClient) -> str:
    """An operator's API token (the status needs one, or an agent's login)."""
    app = client.application
    if "ops_token" not in app.config:
        app.config["ops_token"] = app.extensions["desk"].accounts.create_token("ops")
    return str(app.config["ops_token"])


def status(client: FlaskClient) -> dict:
    """The sync status, read as an operator's script does: with an API token."""
    response = client.get("/api/v1/hooks/git/status", headers={"Authorization": f"Bearer {token(client)}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["last_run"] is None or body["last_run"]["error"] is None, body
    return body


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
    assert worker_pass(engine)["git-sync"] == 0  # nothing was queued, so the worker has nothing to do
    assert client.get("/api/v1/hooks/git/status").status_code == 401  # not without a token or a login
    body = status(client)
    assert (body["last_job"], body["runs"], body["indexed_commit"]) == (0, 0, None)
    assert engine.store.count() == 0 and read_state(engine.settings.data_dir) is None


def test_a_signed_push_is_queued_and_the_worker_makes_the_commit_searchable(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    job = push(client)
    queued = status(client)
    assert (queued["queued"], queued["last_job"], queued["runs"], engine.store.count()) == (True, job, 0, 0)
    assert worker_pass(engine)["git-sync"] == 1
    first = status(client)
    head = git(engine.settings.content_dir, "rev-parse", "HEAD")
    assert first["done_job"] == job and first["last_run"]["commit"] == first["indexed_commit"] == head
    assert top_ids(client, "quizzleplonk")[0] != "gift-cards"  # nonsense: the dense side returns neighbours
    add_word(engine, "en/orders/gift-cards.md", "Quizzleplonk")
    push(client)
    worker_pass(engine)
    last = status(client)["last_run"]
    assert last["mode"] == "incremental" and "1 modified" in last["summary"]
    assert top_ids(client, "quizzleplonk")[0] == "gift-cards"  # the web app's engine reopened the new version


def test_gitlab_token_and_other_events(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    gitlab = {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook"}
    push(client, gitlab)
    worker_pass(engine)
    assert engine.store.count() > 0
    ping = client.post("/api/v1/hooks/git", data=b"{}", headers=github(b"{}", event="ping"))
    assert ping.status_code == 200 and ping.get_json() == {"queued": False, "event": "ping"}
    assert status(client)["last_job"] == 1


def test_the_hook_is_off_without_a_secret(engine: Engine) -> None:
    app = create_app(engine=engine)  # the engine's settings give no webhook secret
    response = app.test_client().post("/api/v1/hooks/git", data=PUSH, headers=github())
    assert response.status_code == 404 and "KB_WEBHOOK_SECRET" in response.get_json()["error"]


def test_pushes_before_a_run_coalesce_into_one_sync(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    add_word(engine, "en/orders/gift-cards.md", "Flumbergast")
    jobs = [push(client)]
    add_word(engine, "en/payments/apple-pay.md", "Wibblequatz")
    jobs += [push(client), push(client)]
    ctx = WorkerContext(engine.settings, Engine(engine.settings, engine.embedders))
    try:
        assert [git_sync_pass(ctx), git_sync_pass(ctx)] == [1, 0]  # one run covers all three pushes
    finally:
        ctx.close()
    body = status(client)
    assert (body["runs"], body["done_job"], body["queued"]) == (1, jobs[-1], False)
    assert top_ids(client, "flumbergast")[0] == "gift-cards"
    assert top_ids(client, "wibblequatz")[0] == "apple-pay"


def test_a_failing_sync_is_reported_and_the_worker_goes_on(app: Flask, engine: Engine) -> None:
    client = app.test_client()
    job = push(client)
    shutil.rmtree(engine.settings.content_dir / ".git")  # the checkout is gone: the sync cannot run
    assert worker_pass(engine)["git-sync"] == 1
    response = client.get("/api/v1/hooks/git/status", headers={"Authorization": f"Bearer {token(client)}"})
    body = response.get_json()
    assert body["done_job"] == job and body["last_run"]["exit_code"] == 1 and body["last_run"]["error"]
    assert body["indexed_commit"] is None


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
