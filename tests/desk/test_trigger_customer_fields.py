"""Customer fields in macros and rules (task custrules36; Zendesk's `{{ticket.requester.custom_fields.<key>}}`
placeholders and user-field trigger conditions): a macro's `{{ customer.<key> }}` filled with the customer's value in
the ticket's language (a trigger's note and reply, the agent's macro box); a trigger's and an automation's
`customer.<key>` condition read from the ticket's customer; a key or value content/_customer_fields.yml does not take
refused with the file and line (the desk, `kb lint`, a reload that keeps the last good rules). Real databases:
`--postgresql` runs them on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from desk.audit import SYSTEM
from desk.customer_fields import set_values
from desk.desk import Desk
from desk.models import utcnow
from desk.tickets import NewTicket
from kb.customer_fields import CUSTOMER_FIELDS_FILE
from kb.settings import Settings
from kb.triggers import TRIGGERS_FILE
from tests.conftest import database_url_for_tests
from tests.desk.test_rules_reload import reloading_desk
from tests.desk.test_triggers import content, refused_at_start_and_by_lint, trigger_rows
from tests.webapp.light_app import light_settings  # noqa: F401
from tests.webapp.test_customer_fields import FIELDS, app, signed_in  # noqa: F401
from webapp.cli import main

RULES = """\
- name: VIP customers first
  on: created
  if: {customer.vip: true, customer.plan: [business, free]}
  then: {priority: high, note: "Plan {{ customer.plan }}, VIP {{ customer.vip }}, account [{{ customer.seats }}]."}
- name: Stale VIP tickets
  on: schedule
  if: {status: [new, open], customer.vip: true, hours_since: {created: 2}}
  then: {add_tags: [stale-vip]}
"""
MACRO = "---\ntitle: Plan\n---\nYour plan: {{ customer.plan }}; VIP: {{ customer.vip }}; seats: {{ customer.seats }}.\n"


def open_desk(tmp_path: Path, rules: str = RULES) -> Desk:
    folder = content(tmp_path, rules)
    (folder / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=folder, database_url=database_url_for_tests()))


def customer(desk: Desk, email: str, lang: str = "en", **values: str) -> None:
    """A customer (their first ticket, before the rules' fields are set) holding `values`."""
    first = desk.tickets.create(NewTicket(email=email, subject="Hello", body="Hi", lang=lang))
    set_values(desk.db, desk.customer_fields, first.customer_id, values, "en", SYSTEM)


def test_a_vip_customers_new_ticket_fires_and_the_note_shows_their_values_in_its_language(tmp_path: Path) -> None:
    desk = open_desk(tmp_path)
    try:
        customer(desk, "vip@example.com", vip="true", plan="business")
        customer(desk, "plain@example.com", vip="false", plan="business")
        customer(desk, "huda@example.com", vip="yes", plan="free")
        vip = desk.tickets.create(NewTicket(email="vip@example.com", subject="Order", body="Late", lang="en"))
        plain = desk.tickets.create(NewTicket(email="plain@example.com", subject="Order", body="Late", lang="en"))
        arabic = desk.tickets.create(NewTicket(email="huda@example.com", subject="طلب", body="متأخر", lang="ar"))
        nobody = desk.tickets.create(NewTicket(email="new@example.com", subject="Order", body="Late", lang="en"))
        assert vip.priority == "high" and arabic.priority == "high"
        assert plain.priority != "high" and nobody.priority != "high"
        assert trigger_rows(desk, plain.id) == [] and trigger_rows(desk, nobody.id) == []
        # The dropdown's label and the checkbox's word in the ticket's language; a blank value empty.
        assert ("VIP customers first", "note", "Plan Business, VIP yes, account [].") in trigger_rows(desk, vip.id)
        assert ("VIP customers first", "note", "Plan مجانية, VIP نعم, account [].") in trigger_rows(desk, arabic.id)
        # An automation's condition: the resting VIP tickets, not the others.
        fired = desk.automations.run(now=utcnow() + timedelta(hours=3))
        assert {f.ticket_id for f in fired if f.rule == "Stale VIP tickets"} >= {vip.id, arabic.id}
        assert not {f.ticket_id for f in fired} & {plain.id, nobody.id}
    finally:
        desk.close()


def test_a_reply_macro_fills_the_customer_placeholders(tmp_path: Path) -> None:
    rules = "- name: Plan reply\n  on: created\n  if: {customer.plan: business}\n  then: {reply_macro: plan}\n"
    desk = open_desk(tmp_path, rules)
    for lang in ("en", "ar"):
        (tmp_path / "content" / "_macros" / lang / "plan.md").write_text(MACRO, encoding="utf-8")
    try:
        customer(desk, "omar@example.com", lang="ar", plan="business", vip="false", seats="12")
        ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="خطة", body="سؤال", lang="ar"))
        found = desk.tickets.get(ticket.id)
        assert found is not None
        assert found.messages[-1].body == "Your plan: الأعمال; VIP: لا; seats: 12."
    finally:
        desk.close()


@pytest.mark.parametrize(("rules", "line", "where"), [
    ("- name: A\n  on: created\n  if: {customer.colour: red}\n  then: {priority: high}\n", 3,
     r"trigger 1 \(A\)\.if\.customer\.colour: no customer field 'colour' in content/_customer_fields\.yml"),
    ("- name: A\n  on: schedule\n  if:\n    hours_since: {created: 2}\n    customer.plan: gold\n"
     "  then: {priority: high}\n", 5, r"trigger 1 \(A\)\.if\.customer\.plan: 'gold': not one of free, business"),
])
def test_a_bad_customer_condition_stops_the_desk_and_kb_lint_names_file_and_line(tmp_path: Path, rules: str,
                                                                                  line: int, where: str) -> None:
    refused_at_start_and_by_lint(open_desk(tmp_path, rules), tmp_path / "content", line, where)


def test_kb_lint_refuses_a_placeholder_of_no_customer_field_with_its_line(tmp_path: Path) -> None:
    folder = content(tmp_path, "")
    (folder / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    for lang in ("en", "ar"):
        (folder / "_macros" / lang / "plan.md").write_text(MACRO + "\nAccount: {{ customer.colour }}\n",
                                                          encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", "--content", str(folder)])
    assert result.exit_code == 1
    wrong = [out for out in result.output.splitlines() if "[unknown-placeholder]" in out]
    assert sorted(out.split(": error: ")[0].rpartition("content/")[2] for out in wrong) == [
        "_macros/ar/plan.md:6:1", "_macros/en/plan.md:6:1"]
    assert all("unknown placeholder {{ customer.colour }}" in out for out in wrong)
    assert not any("customer.plan" in out.partition("known:")[0] for out in wrong)  # the defined ones are known


def test_a_reload_naming_an_unknown_customer_field_keeps_the_last_good_rules(tmp_path: Path) -> None:
    desk = reloading_desk(tmp_path)
    try:
        (desk.settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
        good = "- name: VIP\n  on: created\n  if: {customer.vip: true}\n  then: {add_tags: [vip]}\n"
        (desk.settings.content_dir / TRIGGERS_FILE).write_text(good, encoding="utf-8")
        desk.follow_rules()
        assert desk.rules_problem is None
        customer(desk, "vip@example.com", vip="true")
        bad = good.replace("customer.vip", "customer.tier")
        (desk.settings.content_dir / TRIGGERS_FILE).write_text(bad, encoding="utf-8")
        assert not desk.follow_rules()
        assert "_triggers.yml:3: trigger 1 (VIP).if.customer.tier: no customer field 'tier'" in str(desk.rules_problem)
        ticket = desk.tickets.create(NewTicket(email="vip@example.com", subject="Order", body="Late", lang="en"))
        assert trigger_rows(desk, ticket.id) == [("VIP", "add_tags", "vip")]  # the last good rule still runs
        # The customer fields file losing the field a rule names is refused the same way.
        (desk.settings.content_dir / TRIGGERS_FILE).write_text(good, encoding="utf-8")
        assert desk.follow_rules() and desk.rules_problem is None
        without_vip = FIELDS.replace("- key: vip\n  type: checkbox\n", "- key: vip_until\n  type: date\n")
        (desk.settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(without_vip, encoding="utf-8")
        assert not desk.follow_rules()
        assert "if.customer.vip: no customer field 'vip'" in str(desk.rules_problem)
        assert desk.customer_fields.get("vip") is not None  # the last good fields too
    finally:
        desk.close()


def test_the_agents_macro_box_fills_the_customer_fields_in_the_tickets_language(app: Flask) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    for lang in ("en", "ar"):
        (desk.settings.content_dir / "_macros" / lang).mkdir(parents=True, exist_ok=True)
        (desk.settings.content_dir / "_macros" / lang / "plan.md").write_text(MACRO, encoding="utf-8")
    client = signed_in(app, "agent@example.com")
    for lang, expected in (("en", "Your plan: Free; VIP: yes; seats: ."),
                           ("ar", "Your plan: مجانية; VIP: نعم; seats: .")):
        ticket = desk.tickets.create(NewTicket(email=f"{lang}@example.com", subject="Plan", body="?", lang=lang))
        set_values(desk.db, desk.customer_fields, ticket.customer_id, {"plan": "free", "vip": "true"}, "en", SYSTEM)
        page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
        box = page.split('<script type="application/json" id="macros">')[1].split("</script>")[0]
        assert [m["text"] for m in json.loads(unescape(box)) if m["key"] == f"{lang}/plan"] == [expected]
