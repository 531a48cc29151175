"""The `kb` command through click's runner, and as real processes where processes matter."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.engine import Engine
from indexer.embedders import Embedder
from kb.settings import Settings
from tests.indexer.test_git_sync import commit, init_repo
from webapp.cli import main

KB = [sys.executable, "-m", "webapp.cli"]


def locations(settings: Settings) -> list[str]:
    return ["--content", str(settings.content_dir), "--data", str(settings.data_dir)]


@pytest.mark.no_database
def test_help_explains_every_command() -> None:
    runner = CliRunner()
    for command in ("index", "search", "serve"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "--content" in result.output and "--data" in result.output


@pytest.mark.no_database
def test_index_reports_broken_articles_and_indexes_the_rest(settings: Settings) -> None:
    broken = settings.content_dir / "en" / "account" / "broken.md"
    broken.write_text("---\ntitle: Broken\nlang: ar\n---\nText\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["index", "--quiet", *locations(settings)])
    assert result.exit_code == 2
    assert "en/account/broken.md:3: front matter: lang 'ar' does not match the folder 'en'" in result.output
    assert "11 added" in result.output and "1 rejected" in result.output
    assert "0 embedded" in result.output  # the session's cache already had every chunk

    again = runner.invoke(main, ["index", "--quiet", *locations(settings)])
    assert "11 unchanged" in again.output and again.exit_code == 2

    found = runner.invoke(main, ["search", "رسوم التوصيل في الإمارات", "--json", *locations(settings)])
    body = json.loads(found.output)
    assert found.exit_code == 0 and body["lang"] == "ar" and body["results"][0]["id"] == "delivery-fees"

    empty = runner.invoke(main, ["search", "   ", *locations(settings)])
    assert empty.exit_code == 2 and "the query is empty" in empty.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api(port: int, query: str) -> dict:
    url = f"http://127.0.0.1:{port}/api/v1/search?" + urllib.parse.urlencode({"q": query})
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def signed_push(port: int, secret: str) -> int:
    body = b'{"ref": "refs/heads/main"}'
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/hooks/git", data=body, method="POST",
        headers={"X-Hub-Signature-256": signature, "X-GitHub-Event": "push", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
        return int(json.loads(response.read())["job"])


def test_gunicorn_workers_switch_to_a_new_index_and_the_worker_runs_the_hooks_sync(indexed: Engine) -> None:
    """qdrant-edge locks a directory to one process; the user must never see that: two web workers,
    `kb index`, `kb search` and `kb worker` all use the same data directory at once."""
    settings = indexed.settings
    indexed.close()  # indexed here, with the session's models: from now on the data directory is the processes'
    secret = "hook-secret-for-tests"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "KB_WEBHOOK_SECRET": secret,
           "KB_SYNC_LINT": "warn"}  # the test slice links to articles outside it: held back, it would never publish
    env.pop("KB_GIT_CONTENT_DIR", None)
    env.pop("DATABASE_URL", None)
    if settings.database_url:  # the PostgreSQL run: the web workers, `kb worker` and `kb tokens` share its database
        env["DATABASE_URL"] = settings.database_url
    port = free_port()
    server = subprocess.Popen(
        [*KB, "serve", "--port", str(port), "--workers", "2", *locations(settings)],
        env=env, stdout=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assert api(port, "apple pay")["results"][0]["id"] == "apple-pay"
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert len(worker_pids(server.pid)) == 2
        article = settings.content_dir / "en" / "payments" / "apple-pay.md"
        article.write_text(
            article.read_text(encoding="utf-8") + "\n## Zebra stripes\n\nZebra stripes on the checkout page.\n",
            encoding="utf-8",
        )
        indexing = subprocess.run(
            [*KB, "index", "--quiet", *locations(settings)], env=env, capture_output=True, text=True
        )
        assert indexing.returncode == 0, indexing.stderr
        assert "1 changed" in indexing.stdout
        # Each web worker opens the new version on its own check (`index_view.watch`, every second; until
        # then it serves the version it has open). Connections land on either worker: six answers in a row
        # from the new version, within a bounded wait, mean every one has switched.
        deadline, streak = time.monotonic() + 30, 0
        while streak < 6:
            top = api(port, "zebra stripes checkout")["results"][0]
            if (top["id"], top["section"]) == ("apple-pay", "Zebra stripes"):
                streak += 1
                continue
            assert time.monotonic() < deadline, top
            streak = 0
            time.sleep(0.2)
        # a reader beside the server's workers (qdrant-edge allows one process per directory)
        search = subprocess.run(
            [*KB, "search", "zebra stripes", "--json", *locations(settings)], env=env, capture_output=True, text=True
        )
        assert search.returncode == 0, search.stderr
        assert json.loads(search.stdout)["results"][0]["id"] == "apple-pay"

        # The push hook only queues; `kb worker` runs the sync; the web workers see its result.
        init_repo(settings.content_dir)
        (settings.content_dir / "en/orders/gift-cards.md").write_text(
            (settings.content_dir / "en/orders/gift-cards.md").read_text("utf-8")
            + "\n## Quizzleplonk\n\nQuizzleplonk cards.\n",
            "utf-8",
        )
        commit(settings.content_dir, "quizzleplonk")
        job = signed_push(port, secret)
        assert api(port, "quizzleplonk")["results"][0]["id"] != "gift-cards"  # queued, not indexed by the web
        once = subprocess.run([*KB, "worker", "--once", *locations(settings)], env=env, capture_output=True, text=True)
        assert once.returncode == 0 and json.loads(once.stdout)["git-sync"] == 1, once.stderr
        token = subprocess.run([*KB, "tokens", "create", "ops", *locations(settings)], env=env, capture_output=True,
                               text=True).stdout.strip().split()[-1]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/hooks/git/status",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:  # operators read it with a token
            status = json.loads(response.read())
        assert status["done_job"] == job and status["last_run"]["error"] is None
        for _ in range(6):
            assert api(port, "quizzleplonk")["results"][0]["id"] == "gift-cards"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    assert not list((settings.data_dir / "index" / "readers").glob("*")), "workers left reader copies behind"
    assert (settings.data_dir / "helpdesk.sqlite").exists() == (settings.database_url is None)  # the run's database


def worker_pids(master: int) -> list[int]:
    """gunicorn's worker processes: the master's children."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.mark.no_database
def test_kill_9_during_indexing_leaves_the_previous_index_searchable(
    indexed: Engine, embedders: list[Embedder]
) -> None:
    """`kb index` killed while its new version is half-written: the next reader and writer (here in this process, with
    the session's models: what they find on disk is the same) see the previous index and finish the work."""
    settings = indexed.settings
    indexed.close()  # the previous index, made with the session's models; the killed process's from now on
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # New articles: their chunks are not in the cache, so embedding them keeps `kb index` busy for seconds after it
    # begins its version (the loop below looks every 20 ms). Two, not more: this process embeds them all again to
    # finish the work (cold on CI, about 2 s of CPU an article), and six cost 12 s of it for the same check.
    new = 2
    for number in range(new):
        path = settings.content_dir / "en" / "orders" / f"new-{number}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = " ".join(f"Order note {number}.{i} explains a new policy about parcels and boxes." for i in range(40))
        path.write_text(f"---\ntitle: New policy {number}\n---\n## Part A\n\n{text}\n\n## Part B\n\n{text}\n")
    versions = settings.data_dir / "index" / "versions"
    live = {d.name for d in versions.iterdir()}
    victim = subprocess.Popen([*KB, "index", "--quiet", *locations(settings)], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not [d for d in versions.iterdir() if d.name not in live]:  # its new version begun: half-written
        assert victim.poll() is None and time.monotonic() < deadline, "indexing never began a new version"
        time.sleep(0.02)
    assert victim.poll() is None, "indexing finished before it could be killed; give it more work"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert [d for d in versions.iterdir() if not (d / "COMPLETE").exists()], "killed with no version half-written"

    with Engine(settings, embedders) as engine:
        assert engine.retriever.search("apple pay").results[0].id == "apple-pay"
        finish = engine.index(show_progress=False)
    assert finish.exit_code == 0, [str(e) for e in finish.rejected]
    assert len(finish.added) == new
    assert [d for d in versions.iterdir() if not (d / "COMPLETE").exists()] == [], \
        "the half-written version was not cleaned up"


@pytest.mark.no_database
@pytest.mark.parametrize("flag", ["--rebuild"])
def test_rebuild_reuses_cached_embeddings(settings: Settings, flag: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["index", "--quiet", *locations(settings)])
    result = runner.invoke(main, ["index", flag, "--quiet", *locations(settings)])
    assert result.exit_code == 0 and "11 added" in result.output and "0 embedded" in result.output
