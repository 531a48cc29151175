"""`/api/v1/health` and `kb doctor` report the recoveries of issue #12 (items 1, 9, 10)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from copilot.engine import Engine
from indexer.cache import CACHE_FILE
from kb.settings import Settings
from tests.indexer.test_corruption import small_disk as small_disk  # a fixture, shared
from tests.indexer.test_sync import CountingEmbedder, write
from webapp import create_app
from webapp.cli import main


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Engine]:
    """A small site indexed twice (two complete versions) with the counting embedder: no models needed."""
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    write(content, "en/a/two.md", "Two")
    engine = Engine(Settings(content_dir=content, data_dir=tmp_path / "data", languages=("en",)), [CountingEmbedder()])
    assert engine.index(show_progress=False).exit_code == 0
    write(content, "en/a/two.md", "Two", first="A second version.")
    assert engine.index(show_progress=False).exit_code == 0
    yield engine
    engine.close()


def doctor(engine: Engine, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    settings = engine.settings
    result = CliRunner().invoke(
        main, ["doctor", "--content", str(settings.content_dir), "--data", str(settings.data_dir), *extra],
        env={"KB_EMBEDDERS": "e5", **(env or {})},
    )  # fmt: skip
    return result.exit_code, result.output


def test_health_is_ok_on_a_sound_site(site: Engine) -> None:
    answer = create_app(engine=site).test_client().get("/api/v1/health")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "ok" and body["chunks"] == 6
    assert body["index"]["pointer"] == "ok" and body["problems"] == []
    assert doctor(site)[0] == 0


def test_health_and_doctor_report_a_broken_pointer_while_search_still_answers(site: Engine) -> None:
    (site.settings.data_dir / "index" / "CURRENT").write_bytes(b"\x00\xff binary")
    site.store.close()
    answer = create_app(engine=site).test_client().get("/api/v1/health")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "degraded" and body["chunks"] == 6
    assert body["index"]["pointer"].startswith("CURRENT is not text")
    assert any("CURRENT is not text" in problem for problem in body["problems"])
    code, output = doctor(site)
    assert code == 1 and "PROBLEM index: CURRENT is not text" in output and "status: degraded" in output


def test_health_lists_a_broken_article_that_keeps_its_last_good_version(site: Engine) -> None:
    client = create_app(engine=site).test_client()
    assert client.get("/en/articles/one").status_code == 200
    path = site.settings.content_dir / "en" / "a" / "one.md"
    path.write_text("---\ntitle: One\nupdated: 2026-02-30\n---\nBroken edit.\n", "utf-8")
    os.utime(path, (path.stat().st_atime + 10, path.stat().st_mtime + 10))
    from webapp import state

    with client.application.app_context():
        state.catalog()._checked = 0.0  # re-read now rather than after the catalog's interval
    body = client.get("/api/v1/health").get_json()
    assert body["status"] == "degraded" and body["content"]["error_count"] == 1
    assert body["content"]["errors"][0].startswith("en/a/one.md:3: ")
    page = client.get("/en/articles/one")
    assert page.status_code == 200 and "Broken edit" not in page.get_data(as_text=True)


def test_doctor_finds_a_corrupt_cache_and_says_what_happens_next(site: Engine) -> None:
    (site.settings.data_dir / CACHE_FILE).write_bytes(os.urandom(8192))
    code, output = doctor(site)
    assert code == 1 and "embedding cache: CORRUPT" in output and "re-embeds" in output
    code, output = doctor(site, "--json")
    assert code == 1 and '"state": "corrupt"' in output


def test_kb_index_on_a_full_disk_prints_one_line(tmp_path: Path, small_disk: Path) -> None:
    """Before the free-space check the engine's first write to its memory map killed `kb index` (SIGBUS)."""
    content = tmp_path / "content"
    write(content, "en/a/one.md", "One")
    with open(small_disk / "filler", "wb") as handle, pytest.raises(OSError):
        while True:  # fill the 20 MiB file system
            handle.write(b"x" * 65536)
            handle.flush()
    result = CliRunner().invoke(
        main, ["index", "--quiet", "--content", str(content), "--data", str(small_disk / "data")],
        env={"KB_EMBEDDERS": "e5"},
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no space left" in lines[0].lower() and "Traceback" not in result.output


def test_doctor_lists_each_wrong_rule_file_with_its_line_as_the_desk_would_refuse_it(site: Engine) -> None:
    """Fault: `kb doctor` said nothing of the rule files: a wrong merge showed only in each process's log and on the
    admin page of the process that refused it. The same check as a running desk's reload (desk.rule_check), with the
    agents of the desk's database when there is one; both engines."""
    from desk.business_hours import CONFIG_FILE
    from desk.desk import Desk
    from kb.ticket_fields import FIELDS_FILE
    from kb.triggers import TRIGGERS_FILE
    from tests.conftest import database_url_for_tests
    from tests.rule_file_mistakes import FIELD_MISTAKES, HOURS_MISTAKES

    content, url = site.settings.content_dir, database_url_for_tests()
    env = {"DATABASE_URL": url} if url else {}
    (content / FIELDS_FILE).write_text(FIELD_MISTAKES[0][0], encoding="utf-8")
    (content / CONFIG_FILE).write_text(HOURS_MISTAKES[1][0], encoding="utf-8")
    assign = "- name: A\n  on: created\n  then: {assignee: %s}\n"
    (content / TRIGGERS_FILE).write_text(assign % "lina@example.com", encoding="utf-8")
    code, output = doctor(site, env=env)
    assert code == 1 and "status: ok; rule files: 2 wrong" in output, output
    assert f"PROBLEM rules: {content / CONFIG_FILE}: routing rule 2: team: no team 'kas'" in output
    assert f"PROBLEM rules: {content / FIELDS_FILE}:2: field a.type: 'colour' is no type" in output
    code, as_json = doctor(site, "--json", env=env)
    assert code == 1 and f"rules: {content / FIELDS_FILE}:2: field a.type" in as_json

    (content / FIELDS_FILE).write_text("", encoding="utf-8")
    (content / CONFIG_FILE).unlink()
    if not url:  # no desk database yet: the agents a trigger names are not checked, and it says so
        code, output = doctor(site, env=env)
        assert code == 0 and "the agents and webhooks the triggers name not checked: no desk database yet" in output
    with Desk(dataclasses.replace(site.settings, database_url=url)) as desk:
        desk.accounts.create_agent("lina@example.com", "a long password")
    code, output = doctor(site, env=env)
    assert code == 0 and "rules: 1 team(s), 0 ticket field(s), 1 trigger(s) and automation(s): sound\n" in output
    (content / TRIGGERS_FILE).write_text(assign % "ghost@example.com", encoding="utf-8")
    code, output = doctor(site, env=env)
    assert code == 1 and (f"PROBLEM rules: {content / TRIGGERS_FILE}:1: trigger 1 (A).then.assignee: no agent "
                          "'ghost@example.com'") in output
