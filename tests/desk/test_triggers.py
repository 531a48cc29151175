"""Triggers (content/_triggers.yml, desk.triggers) on a real desk (`--postgresql` runs it on PostgreSQL): a new ticket
(created by the store, by mail through the loopback SMTP listener) and a customer's message fire their rules in file
order, each change in the history naming the trigger; every condition; a team move beats routing and automatic
assignment follows the new team; a reply_macro queues one mail in the ticket's language; a trigger's own change fires
nothing; a bad file stops the desk naming file, line and field, and `kb lint` reports it."""

from __future__ import annotations

import shutil
import smtplib
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import inspect, select

from desk import tickets as tickets_module
from desk.audit import SYSTEM, Actor
from desk.desk import Desk
from desk.mail.listener import start_listener
from desk.models import OutboxMail, Ticket, TicketAssigneeChange, TicketTeamChange, TicketTriggerChange
from desk.tickets import NewTicket
from desk.triggers import DESK_VOCABULARY
from kb import triggers as kb_triggers
from kb.customer_fields import CustomerFields
from kb.settings import Settings
from kb.triggers import TriggerError, parse_triggers
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_teams import ROOT, hours_file
from tests.rule_file_mistakes import TRIGGER_MISTAKES
from tests.smtp_sink import free_port
from webapp.cli import main

RULES = """\
- name: Refund requests
  on: [created, customer_reply]
  if: {text: [refund, الاسترداد]}
  then: {add_tags: [refund]}
- name: Charged twice
  on: created
  any: [{text: "charged twice"}, {text: خصم مرتين}]
  then: {priority: urgent, note: "Check the payment log for {{ ticket.reference }}"}
- name: Refunds follow up
  on: created
  if: {tags: refund, not_tags: [vip]}
  then: {add_tags: refund-followup}
"""


def content(tmp_path: Path, rules: str, **hours: object) -> Path:
    folder = hours_file(tmp_path / "content", **hours)
    shutil.copytree(ROOT / "content" / "_macros", folder / "_macros")
    (folder / "_triggers.yml").write_text(rules, encoding="utf-8")
    return folder


def open_desk(tmp_path: Path, rules: str, **hours: object) -> Desk:
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=content(tmp_path, rules, **hours),
                         database_url=database_url_for_tests()))


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = open_desk(tmp_path, RULES)
    yield opened
    opened.close()


def new(desk: Desk, body: str, subject: str = "Order 1182", **fields: object) -> Ticket:
    values = {"email": "sam@example.com", "name": "Sam", "subject": subject, "body": body, "lang": "en"} | fields
    return desk.tickets.create(NewTicket(**values))  # type: ignore[arg-type]


def tags(desk: Desk, ticket_id: int) -> set[str]:
    found = desk.tickets.get(ticket_id)
    assert found is not None
    return {t.tag for t in found.tags}


def refused_at_start_and_by_lint(desk: Desk, folder: Path, line: int, where: str) -> None:
    """The desk refuses its triggers file at start naming `where` at `line`, and `kb lint` of `folder` says the same
    (rule `trigger-file`, with the file and line)."""
    try:
        with pytest.raises(TriggerError, match=rf"_triggers\.yml:{line}: {where}"):
            _ = desk.tickets
    finally:
        desk.close()
    result = CliRunner().invoke(main, ["lint", "--content", str(folder)])
    assert result.exit_code == 1
    assert any(f"_triggers.yml:{line}:1: error: " in out and "[trigger-file]" in out
               for out in result.output.splitlines()), result.output

def trigger_rows(desk: Desk, ticket_id: int) -> list[tuple[str, str, str | None]]:
    with desk.db.session() as session:
        return [(r.trigger_name, r.action, r.new_value) for r in session.scalars(
            select(TicketTriggerChange).where(TicketTriggerChange.ticket_id == ticket_id)
            .order_by(TicketTriggerChange.id))]


def test_kb_knows_the_desks_priorities_channels_and_statuses() -> None:
    assert DESK_VOCABULARY == {"priorities": kb_triggers.PRIORITIES, "channels": kb_triggers.CHANNELS,
                               "statuses": kb_triggers.STATUSES}


def test_a_new_ticket_fires_its_rules_in_file_order_each_in_the_history(desk: Desk) -> None:
    ticket = new(desk, "I was CHARGED twice, where is my refund?")
    found = desk.tickets.get(ticket.id)
    assert found is not None and found.priority == "urgent"
    # The third rule sees the first's tag: one pass in file order, each rule seeing the earlier ones' changes.
    assert tags(desk, ticket.id) == {"refund", "refund-followup"}
    assert trigger_rows(desk, ticket.id) == [
        ("Refund requests", "add_tags", "refund"), ("Charged twice", "priority", "urgent"),
        ("Charged twice", "note", f"Check the payment log for {found.reference}"),
        ("Refunds follow up", "add_tags", "refund-followup")]
    notes = [m for m in found.messages if m.internal]
    assert len(notes) == 1 and notes[0].agent_id is None
    assert any(isinstance(c, TicketTriggerChange) for c in desk.tickets.changes(ticket.id))


def test_text_is_folded_as_the_inbox_search_folds_and_matched_as_whole_words(desk: Desk) -> None:
    arabic = new(desk, "متى يصل الإسترجاع؟ أقصد الإسترداد", subject="طلب", lang="ar")
    assert "refund" in tags(desk, arabic.id)  # الإسترداد folded to الاسترداد
    inside = new(desk, "They refunded it already, thanks")  # "refund" inside "refunded": no
    assert tags(desk, inside.id) == set()
    subject = new(desk, "see the subject", subject="Refund?")
    assert "refund" in tags(desk, subject.id)
    vip = new(desk, "refund please", tags=("vip",))  # not_tags: the follow-up rule skips it
    assert tags(desk, vip.id) == {"vip", "refund"}
    twice = new(desk, "خصم مرتين من بطاقتي", subject="دفع", lang="ar")
    assert desk.tickets.get(twice.id).priority == "urgent"  # type: ignore[union-attr]


def test_a_customer_reply_fires_customer_reply_rules_only(desk: Desk) -> None:
    ticket = new(desk, "Where is my parcel?")
    assert tags(desk, ticket.id) == set()
    desk.tickets.customer_reply(ticket.reference, "I want a refund now, charged twice")
    assert tags(desk, ticket.id) == {"refund"}  # "Charged twice" and the follow-up rule run on created only
    assert desk.tickets.get(ticket.id).priority == "normal"  # type: ignore[union-attr]


def test_a_mailed_in_ticket_and_a_mailed_reply_fire_the_triggers(desk: Desk) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Omar <omar@example.com>", "support@manzil.example", "Refund"
    mail.set_content("Please process my refund.")
    port = free_port()
    controller = start_listener(desk.mail_in, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(mail)
    finally:
        controller.stop()
    with desk.db.session() as session:
        ticket_id = session.scalar(select(Ticket.id))
    assert ticket_id is not None and "refund" in tags(desk, ticket_id)
    assert ("Refund requests", "add_tags", "refund") in trigger_rows(desk, ticket_id)


CONDITIONS = """\
- {name: Arabic mail, on: created, if: {lang: AR, channel: [email]}, then: {add_tags: ar-mail}}
- {name: Acme, on: created, if: {domain: acme.sa}, then: {add_tags: acme}}
- {name: Payments, on: created, if: {category: Payments, team: ksa, priority: normal, status: open},
   then: {add_tags: pay}}
- {name: Unassigned, on: created, if: {assigned: false}, then: {add_tags: nobody}}
- {name: Open hours, on: created, if: {business_hours: in}, then: {add_tags: in-hours}}
- {name: Closed hours, on: created, if: {business_hours: out}, then: {add_tags: after-hours}}
"""


def test_each_condition_matches_and_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = open_desk(tmp_path, CONDITIONS)
    try:
        # Sunday 10:00 in Riyadh: the KSA team (Sunday-Thursday, 09-17) is working.
        monkeypatch.setattr(tickets_module, "utcnow", lambda: datetime(2026, 12, 6, 7, 0, tzinfo=UTC))
        first = new(desk, "hello", lang="ar", channel="email", email="a@acme.sa", category="payments")
        assert tags(desk, first.id) == {"ar-mail", "acme", "pay", "nobody", "in-hours"}
        # Friday: the KSA team's weekend.
        monkeypatch.setattr(tickets_module, "utcnow", lambda: datetime(2026, 12, 11, 7, 0, tzinfo=UTC))
        second = new(desk, "hello", lang="en", channel="web", email="a@mail.acme.sa", category="orders",
                     priority="high")
        assert tags(desk, second.id) == {"nobody", "after-hours"}
    finally:
        desk.close()


MOVE = """\
- {name: Acme to UAE, on: created, if: {domain: acme.sa}, then: {team: uae, status: pending}}
"""


def test_a_trigger_move_beats_routing_and_auto_assignment_takes_the_new_team(tmp_path: Path) -> None:
    teams = {"ksa": {"name": "KSA support", "timezone": "Asia/Riyadh", "days": ["sun"], "hours": ["09:00", "17:00"]},
             "uae": {"name": "UAE support", "timezone": "Asia/Dubai", "days": ["mon"], "hours": ["09:00", "18:00"],
                     "assignment": {"mode": "round_robin"}}}
    desk = open_desk(tmp_path, MOVE, teams=teams, routing=[{"domain": "acme.sa", "team": "ksa"}])
    try:
        omar = desk.accounts.create_agent("omar@example.com", "a long password 1", name="Omar")
        desk.teams.set_teams(omar.id, ["uae"])
        desk.accounts.set_availability(omar.id, True, Actor.agent(omar.id))
        ticket = new(desk, "hello", email="lina@acme.sa")
        found = desk.tickets.get(ticket.id)
        assert found is not None and found.team == "uae" and found.status == "pending" and found.assignee_id == omar.id
        history = desk.tickets.changes(ticket.id)
        moves = [c for c in history if isinstance(c, TicketTeamChange)]
        assert [(m.old_team, m.new_team, m.trigger_name, m.agent_id) for m in moves] == [
            ("ksa", "uae", "Acme to UAE", None)]
        assigned = [c for c in history if isinstance(c, TicketAssigneeChange)]
        assert [(a.auto_rule, a.auto_team) for a in assigned] == [("round_robin", "uae")]
    finally:
        desk.close()


def test_an_assignee_action_wins_and_a_deactivated_one_is_skipped_and_said(tmp_path: Path) -> None:
    folder = content(tmp_path, "")
    settings = Settings(data_dir=tmp_path / "data", content_dir=folder, database_url=database_url_for_tests())
    with Desk(settings) as first:
        sara = first.accounts.create_agent("sara@example.com", "a long password 1", name="Sara")
    (folder / "_triggers.yml").write_text(
        "- {name: VIP, on: created, if: {domain: vip.sa}, then: {assignee: Sara@Example.com}}\n", encoding="utf-8")
    with Desk(settings) as desk:
        ticket = new(desk, "hi", email="k@vip.sa")
        assert desk.tickets.get(ticket.id).assignee_id == sara.id  # type: ignore[union-attr]
        change = [c for c in desk.tickets.changes(ticket.id) if isinstance(c, TicketAssigneeChange)]
        assert [(c.trigger_name, c.agent_id) for c in change] == [("VIP", None)]
        desk.accounts.manage(sara.id, SYSTEM, active=False)
        later = new(desk, "hi again", email="k@vip.sa", subject="Other")
        assert desk.tickets.get(later.id).assignee_id is None  # type: ignore[union-attr]
        assert trigger_rows(desk, later.id) == [("VIP", "assignee_skipped", "sara@example.com")]


def test_an_unknown_assignee_stops_the_desk_at_start(tmp_path: Path) -> None:
    desk = open_desk(tmp_path, "- name: VIP\n  on: created\n  then: {assignee: nobody@example.com}\n")
    try:
        with pytest.raises(TriggerError, match=r"_triggers\.yml:1: trigger 1 \(VIP\)\.then\.assignee: no agent"):
            _ = desk.tickets
    finally:
        desk.close()


REPLY = """\
- name: Auto acknowledge
  on: created
  if: {text: [refund, استرداد]}
  then: {reply_macro: refund-on-its-way}
- name: Reply seen
  on: [created, customer_reply]
  if: {status: pending}
  then: {add_tags: seen-pending}
"""


def test_reply_macro_queues_one_mail_in_the_tickets_language_and_fires_nothing_more(tmp_path: Path) -> None:
    desk = open_desk(tmp_path, REPLY)
    try:
        ticket = new(desk, "أريد استرداد المبلغ", subject="استرداد", lang="ar", email="noura@example.com")
        found = desk.tickets.get(ticket.id)
        assert found is not None
        replies = [m for m in found.messages if m.author == "agent" and not m.internal]
        assert len(replies) == 1 and found.reference in replies[0].body
        assert "استرداد" in replies[0].body or "المبلغ" in replies[0].body  # the Arabic macro's text
        with desk.db.session() as session:
            mails = list(session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket.id,
                                                                  OutboxMail.kind == "reply")))
        assert len(mails) == 1 and mails[0].lang == "ar" and mails[0].message_id == replies[0].id
        assert ("Auto acknowledge", "reply_macro", "ar/refund-on-its-way") in trigger_rows(desk, ticket.id)
        # The macro set the ticket pending; the later rule saw it (file order), and the reply fired no customer_reply
        # rules: only the created pass ran.
        assert found.status == "pending" and tags(desk, ticket.id) >= {"refund", "seen-pending"}
        assert [r[0] for r in trigger_rows(desk, ticket.id)].count("Reply seen") == 1
    finally:
        desk.close()


@pytest.mark.parametrize(("rules", "line", "where"), TRIGGER_MISTAKES)
def test_a_bad_file_stops_the_desk_and_kb_lint_names_file_line_and_field(
        tmp_path: Path, rules: str, line: int, where: str) -> None:
    refused_at_start_and_by_lint(open_desk(tmp_path, rules), tmp_path / "content", line, where)


def test_the_shipped_demo_file_loads_and_its_rules_are_checked() -> None:
    text = (ROOT / "content" / "_triggers.yml").read_text(encoding="utf-8")
    uncommented = "\n".join(line.removeprefix("# ") for line in text.splitlines()
                            if line.startswith(("# - ", "#   ")))
    rules = parse_triggers(uncommented, teams=("ksa", "uae"), macro_keys=kb_triggers.macro_keys(ROOT / "content"),
                           languages=("en", "ar"),  # its customer-field rule (VIP customers first) checked too
                           customer_fields=CustomerFields.load(ROOT / "content", ("en", "ar")))
    assert len(rules) >= 2 and parse_triggers(text) == ()


def test_a_yaml_error_names_its_line() -> None:
    with pytest.raises(TriggerError, match=r"x\.yml:3: yaml"):
        parse_triggers(textwrap.dedent("""\
            - name: A
              on: created
              then: {add_tags: [x}
            """), "x.yml")


def test_the_triggers_migration_upgrades_two_factor_lock_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "two_factor_lock")
    migrate(db, command.upgrade, "ticket_triggers")
    tables = ("ticket_status_changes", "ticket_team_changes", "ticket_assignee_changes")
    for table in tables:
        assert "trigger_name" in {column["name"] for column in inspect(db.engine).get_columns(table)}
    assert "ticket_trigger_changes" in inspect(db.engine).get_table_names()
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    try:
        migrate(opened.db, command.downgrade, "two_factor_lock")
        for table in tables:
            assert "trigger_name" not in {column["name"] for column in inspect(opened.db.engine).get_columns(table)}
        assert "ticket_trigger_changes" not in inspect(opened.db.engine).get_table_names()
    finally:
        opened.close()


def test_a_trigger_that_fails_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules run in the event's transaction: a reply that cannot be queued takes the new ticket (and its tags)
    back with it, as the event's own failure would."""
    import desk.tickets as tickets_module

    desk = open_desk(tmp_path, REPLY)
    try:
        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("outbox unavailable")

        monkeypatch.setattr(tickets_module, "queue_mail", broken)  # a rule's reply is queued as an agent's is
        with pytest.raises(RuntimeError, match="outbox unavailable"):
            new(desk, "I need a refund", email="late@example.com")
        with desk.db.session() as session:
            assert session.scalar(select(Ticket.id)) is None
            assert session.scalar(select(TicketTriggerChange.id)) is None
    finally:
        desk.close()


def test_remove_tags_on_a_reply_to_an_assigned_ticket(tmp_path: Path) -> None:
    rules = ("- {name: Customer answered, on: customer_reply, if: {assigned: true, tags: waiting},"
             " then: {remove_tags: [waiting, absent]}}\n")
    desk = open_desk(tmp_path, rules)
    try:
        sara = desk.accounts.create_agent("sara@example.com", "a long password 1", name="Sara")
        unassigned = new(desk, "hello", tags=("waiting",))
        desk.tickets.customer_reply(unassigned.reference, "any news?")
        assert tags(desk, unassigned.id) == {"waiting"}  # assigned: true does not hold
        ticket = new(desk, "hello", tags=("waiting", "vip"), subject="Other")
        desk.tickets.update(ticket.id, assignee_id=sara.id, agent_id=sara.id)
        desk.tickets.customer_reply(ticket.reference, "any news?")
        assert tags(desk, ticket.id) == {"vip"}
        assert trigger_rows(desk, ticket.id) == [("Customer answered", "remove_tags", None)]
        with desk.db.session() as session:
            row = session.scalar(select(TicketTriggerChange).where(TicketTriggerChange.ticket_id == ticket.id))
            assert row is not None and (row.action, row.old_value, row.trigger_name) == (
                "remove_tags", "waiting", "Customer answered")
    finally:
        desk.close()
