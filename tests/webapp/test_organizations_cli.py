"""`kb organizations` through click's runner on a real desk (`--postgresql` runs it on PostgreSQL): the list with
member counts, add, edit, remove and a customer's organization by hand, through the desk functions the pages use,
audited with the actor "cli"; errors name the field and exit 1 with nothing written; gmail.com needs --broad."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from desk.desk import Desk
from desk.models import AuditEvent, Customer
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from webapp.cli import main


def test_kb_organizations_adds_lists_edits_sets_members_and_removes(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url = database_url_for_tests()
    if url:  # the CLI reads its database from the environment, as in production
        monkeypatch.setenv("DATABASE_URL", url)
    settings = Settings(data_dir=tmp_path / "data", content_dir=tmp_path / "content", database_url=url)
    (tmp_path / "content").mkdir()
    with Desk(settings) as desk:
        for email in ("sara@acme.sa", "omar@acme.sa", "lina@gmail.com"):
            desk.tickets.create(NewTicket(email=email, subject="Invoice", body="Where?", notify=False))
    where = ["--data", str(tmp_path / "data"), "--content", str(tmp_path / "content")]
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(main, ["organizations", *args, *where])

    assert run("list").output == "no organizations\n"
    added = run("add", "Acme", "--domain", "acme.sa", "--tag", "VIP", "--notes", "Pays yearly")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("organization ") and added.output.endswith(" added: Acme, 2 members\n")
    acme = int(added.output.split()[1])
    broad = run("add", "Mail", "--domain", "gmail.com")
    assert broad.exit_code == 1 and "domains: gmail.com is a public mail domain" in broad.output
    taken = run("add", "Beta", "--domain", "ACME.sa")
    assert taken.exit_code == 1 and "domains: acme.sa is a domain of Acme already" in taken.output
    assert run("add", " ", "--domain", "beta.sa").output.startswith("Error: name: ")
    mail = run("add", "Mail", "--domain", "gmail.com", "--broad")
    assert mail.exit_code == 0 and mail.output.endswith(", 1 members\n")
    listed = run("list")
    assert listed.exit_code == 0 and listed.output.splitlines() == [
        f"{acme}\tAcme\tacme.sa\tvip\t2 members, 2 open", f"{acme + 1}\tMail\tgmail.com\t-\t1 members, 1 open"]
    renamed = run("edit", str(acme), "--name", "Acme Trading", "--tag", "enterprise")
    assert renamed.exit_code == 0 and renamed.output == f"organization {acme} saved: Acme Trading, acme.sa, 2 members\n"
    assert run("edit", "999", "--name", "X").output.startswith("Error: organization: no organization #999")
    assert run("edit", str(acme), "--domain", "gmail.com").output.startswith("Error: domains: gmail.com is a")
    moved = run("member", "Omar@acme.sa", "Mail")  # by name, kept by hand
    assert moved.exit_code == 0 and moved.output == f"omar@acme.sa: Mail (#{acme + 1}), by hand\n"
    assert run("member", "omar@acme.sa", "--none").output == "omar@acme.sa: no organization, by hand\n"
    assert run("member", "omar@acme.sa", "--auto").output == \
        f"omar@acme.sa: Acme Trading (#{acme}), by email domain\n"
    assert run("member", "nobody@acme.sa", "--none").output.startswith("Error: email: no customer")
    assert run("member", "omar@acme.sa", "Nowhere").output.startswith("Error: organization: no organization 'Nowhere'")
    assert run("member", "omar@acme.sa", "12345").output.startswith("Error: organization: no organization #12345")
    assert run("member", "omar@acme.sa", "١").output.startswith("Error: organization: no organization '١'")
    assert run("member", "omar@acme.sa").exit_code == 2  # one of ORGANIZATION, --auto or --none
    removed = run("remove", str(acme + 1))
    assert removed.exit_code == 0 and removed.output == f"organization {acme + 1} removed; 1 members have none now\n"
    assert run("remove", str(acme + 1)).output.startswith(f"Error: organization: no organization #{acme + 1}")
    with Desk(settings) as desk, desk.db.session() as session:
        assert session.scalar(select(Customer.organization_id).where(Customer.email == "lina@gmail.com")) is None
        events = [(e.actor, e.action) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("organization_%")).order_by(AuditEvent.id))]
    assert events == [("cli", "organization_created"), ("cli", "organization_created"),
                      ("cli", "organization_edited"), ("cli", "organization_member_changed"),
                      ("cli", "organization_member_changed"), ("cli", "organization_member_changed"),
                      ("cli", "organization_deleted")]
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_CONTENT_DIR", str(tmp_path / "content"))
    assert runner.invoke(main, ["organizations"]).output == f"{acme}\tAcme Trading\tacme.sa\tenterprise\t2 members, " \
                                                             "2 open\n"  # `kb organizations` alone lists them
