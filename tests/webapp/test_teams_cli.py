"""`kb teams` through click's runner on a real desk (`--postgresql` runs it on PostgreSQL): the teams of the
business-hours file with their agents, `add` and `remove` by email, and errors naming the bad team key or email,
through the same desk helper as the admin page (desk.teams.Teams.set_in)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from desk.desk import Desk
from desk.models import AuditEvent
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.desk.test_teams import hours_file
from webapp.cli import main

PASSWORD = "a long enough password"


def test_kb_teams_lists_adds_and_removes_with_errors_naming_the_key_or_email(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = database_url_for_tests()
    if url:  # the CLI reads its database from the environment, as in production
        monkeypatch.setenv("DATABASE_URL", url)
    content = hours_file(tmp_path / "content")
    where = ["--data", str(tmp_path / "data"), "--content", str(content)]
    with Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url)) as desk:
        sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara").id
        desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar")
    runner = CliRunner()
    empty = runner.invoke(main, ["teams", "list", *where])
    assert empty.exit_code == 0, empty.output
    assert empty.output == "ksa (default): KSA support, Asia/Riyadh\n  (no agents)\nuae: UAE support, Asia/Dubai\n" \
                           "  (no agents)\n"
    added = runner.invoke(main, ["teams", "add", "Sara@example.com", "uae", *where])
    assert added.exit_code == 0 and added.output == "sara@example.com: uae\n"
    assert runner.invoke(main, ["teams", "add", "omar@example.com", "uae", *where]).exit_code == 0
    assert runner.invoke(main, ["teams", "add", "sara@example.com", "ksa", *where]).output == \
        "sara@example.com: ksa, uae\n"
    listed = runner.invoke(main, ["teams", "list", *where])
    assert listed.output == ("ksa (default): KSA support, Asia/Riyadh\n  sara@example.com\n"
                             "uae: UAE support, Asia/Dubai\n  omar@example.com\n  sara@example.com\n")
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_CONTENT_DIR", str(content))
    assert runner.invoke(main, ["teams"]).output == listed.output  # `kb teams` alone lists them
    bad_key = runner.invoke(main, ["teams", "add", "sara@example.com", "qatar", *where])
    assert bad_key.exit_code == 1 and "teams: no team 'qatar'; the teams are ksa, uae" in bad_key.output
    bad_email = runner.invoke(main, ["teams", "remove", "nobody@example.com", "ksa", *where])
    assert bad_email.exit_code == 1 and "email: no agent 'nobody@example.com'" in bad_email.output
    not_in = runner.invoke(main, ["teams", "remove", "omar@example.com", "ksa", *where])
    assert not_in.exit_code == 1 and "team: omar@example.com is not in team 'ksa'" in not_in.output
    removed = runner.invoke(main, ["teams", "remove", "sara@example.com", "uae", *where])
    assert removed.exit_code == 0 and removed.output == "sara@example.com: ksa\n"
    out = runner.invoke(main, ["teams", "remove", "sara@example.com", "ksa", *where])
    assert out.output == "sara@example.com: in no team\n"
    with Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url)) as desk:
        assert desk.teams.of(sara) == []  # what the admin page reads
        with desk.db.session() as session:  # each join and leave is in the audit log, the command its actor
            events = [(e.actor, e.action, e.subject) for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("team_member_%")).order_by(AuditEvent.id))]
        assert events == [("cli", "team_member_added", "uae"), ("cli", "team_member_added", "uae"),
                          ("cli", "team_member_added", "ksa"), ("cli", "team_member_removed", "uae"),
                          ("cli", "team_member_removed", "ksa")]


def test_the_list_shows_a_teams_assignment_rule_and_who_is_available(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from desk.audit import Actor
    from tests.desk.test_teams import ROOT

    url = database_url_for_tests()
    if url:
        monkeypatch.setenv("DATABASE_URL", url)
    raw = yaml.safe_load((ROOT / "content" / "_business_hours.yml").read_text(encoding="utf-8"))
    raw["teams"]["ksa"]["assignment"] = {"mode": "balanced", "max_open": 10}
    content = hours_file(tmp_path / "content", teams=raw["teams"])
    with Desk(Settings(data_dir=tmp_path / "data", content_dir=content, database_url=url)) as desk:
        sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara").id
        omar = desk.accounts.create_agent("omar@example.com", PASSWORD, name="Omar").id
        desk.teams.set_teams(sara, ["ksa"])
        desk.teams.set_teams(omar, ["ksa"])
        desk.accounts.set_availability(sara, True, Actor.agent(sara))
    listed = CliRunner().invoke(main, ["teams", "list", "--data", str(tmp_path / "data"), "--content", str(content)])
    assert listed.output == ("ksa (default): KSA support, Asia/Riyadh, assigned balanced up to 10 open\n"
                             "  omar@example.com\n  sara@example.com (available)\n"
                             "uae: UAE support, Asia/Dubai\n  (no agents)\n")
