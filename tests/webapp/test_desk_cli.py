"""`kb agents`, `kb tokens`, `kb tickets import` and `kb lint` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from desk.desk import Desk
from kb.settings import Settings
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_agents_tokens_and_ticket_import(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--data", str(tmp_path)]
    made = runner.invoke(main, ["agents", "create", "boss@example.com", "--admin", "--password-stdin", *where],
                         input="a long password\n")
    assert made.exit_code == 0 and "created admin boss@example.com" in made.output
    again = runner.invoke(main, ["agents", "create", "boss@example.com", "--password-stdin", *where],
                          input="a long password\n")
    assert again.exit_code == 1 and "already exists" in again.output
    kept = runner.invoke(main, ["agents", "create", "boss@example.com", "--password-stdin", "--if-missing", *where],
                         input="whatever it is\n")
    assert kept.exit_code == 0 and "unchanged" in kept.output
    short = runner.invoke(main, ["agents", "create", "x@example.com", "--password-stdin", *where], input="short\n")
    assert short.exit_code == 1 and "password" in short.output

    token = runner.invoke(main, ["tokens", "create", "zendesk", *where]).stdout.strip()  # scopes: stderr
    desk = Desk(Settings(data_dir=tmp_path))
    assert desk.accounts.verify_token(token).name == "zendesk"
    assert desk.accounts.authenticate("boss@example.com", "a long password").role == "admin"

    bad = tmp_path / "tickets.jsonl"
    demo = (ROOT / "content" / "_demo" / "tickets.jsonl").read_text("utf-8").splitlines()
    bad.write_text("\n".join([demo[0], '{"subject": "no customer"}', demo[1]]) + "\n", "utf-8")
    imported = runner.invoke(main, ["tickets", "import", str(bad), *where])
    assert imported.exit_code == 2 and "2 tickets imported" in imported.output
    assert f"{bad}:2: messages" in imported.output
    assert desk.tickets.inbox()[1] == 2

    # The error paths no other test takes (webapp.cli_options.open_desk): one line naming what is wrong, status 1,
    # nothing written.
    for command in (["agents", "password", "ghost@example.com", "--password-stdin"],
                    ["agents", "2fa-reset", "ghost@example.com"]):
        ghost = runner.invoke(main, [*command, *where], input="a long password\n")
        assert (ghost.exit_code, ghost.output) == (1, "Error: no agent ghost@example.com\n")
    unsafe = runner.invoke(main, ["webhooks", "add", "--name", "crm", "--url", "ftp://crm.example.com/", *where])
    assert unsafe.exit_code == 1 and unsafe.output.startswith("Error: url: ") and "Traceback" not in unsafe.output
    assert desk.webhooks.endpoints() == []
    no_mailbox = runner.invoke(main, ["mail", "fetch", *where], env={"KB_IMAP_HOST": ""})
    assert (no_mailbox.exit_code, no_mailbox.output) == (1, "Error: KB_IMAP_HOST is not set\n")
    desk.close()


def test_lint_exit_status_and_json(tmp_path: Path) -> None:
    article = tmp_path / "content" / "en" / "account" / "a.md"
    article.parent.mkdir(parents=True)
    article.write_text("---\ntitle: A\n---\nSee [missing](../orders/nope.md) for more words here.\n", "utf-8")
    runner = CliRunner()
    text = runner.invoke(main, ["lint", "--content", str(tmp_path / "content")])
    assert text.exit_code == 1 and "a.md:4:" in text.output and "error" in text.output
    as_json = runner.invoke(main, ["lint", "--format", "json", "--content", str(tmp_path / "content")])
    assert any(m["rule"] == "broken-link" and m["line"] == 4 for m in json.loads(as_json.stdout))
    assert runner.invoke(main, ["lint", "--content", str(ROOT / "content")]).exit_code == 0
