"""Automations (content/_triggers.yml's `on: schedule` rules, desk.automations) on a real desk (`--postgresql` runs it
on PostgreSQL), the clock fixed by passing the pass its `now`: each time condition fires at its hour and not before;
once per spell of a state and again in a new one; `status: solved` mails the survey; `notify_webhook` reaches a real
loopback receiver; a failing ticket does not stop the pass; a dry run writes nothing; bad rules are refused at start
and by `kb lint` with file, line and field; the pass's query is answered from an index (SQLite's plan)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import inspect, select, text, update

from desk.audit import Actor
from desk.automations import Automations, moment
from desk.desk import Desk
from desk.models import (
    AutomationRun,
    CsatSurvey,
    OutboxMail,
    Ticket,
    TicketStatusChange,
    TicketTriggerChange,
    WebhookDelivery,
    utcnow,
)
from desk.tickets import NewTicket
from desk.triggers import Triggers
from kb.settings import Settings
from kb.triggers import TriggerError, parse_triggers
from tests.conftest import database_at, database_url_for_tests, migrate
from tests.desk.test_triggers import content, refused_at_start_and_by_lint
from tests.webapp.test_webhooks import Receiver, verified
from webapp.cli import main
from webapp.webhook_delivery import deliver_webhooks

PENDING = """\
- name: Remind pending
  on: schedule
  if: {status: pending, hours_since: {status_changed: 72}}
  then: {add_tags: [reminded], note: "Reminded {{ customer.name }}"}
"""


def open_desk(tmp_path: Path, rules: str, **settings: object) -> Desk:
    return Desk(Settings(data_dir=tmp_path / "data", content_dir=content(tmp_path, rules),
                         database_url=database_url_for_tests(), **settings))  # type: ignore[arg-type]


@pytest.fixture
def t0() -> datetime:
    """The test's start: every moment the test makes lies within minutes after it."""
    return utcnow()


def new(desk: Desk, **fields: object) -> int:
    values = {"email": "sam@example.com", "name": "Sam", "subject": "Order 1182", "body": "Where is it?",
              "lang": "en", "notify": False} | fields
    return desk.tickets.create(NewTicket(**values)).id  # type: ignore[arg-type]


def agent_id(desk: Desk) -> int:
    found = desk.accounts.find("agent@example.com")
    if found is None:
        desk.accounts.create_agent("agent@example.com", "a long password 123", name="Agent")
        found = desk.accounts.find("agent@example.com")
    assert found is not None
    return found.id


def runs(desk: Desk) -> list[tuple[int, str]]:
    with desk.db.session() as session:
        return [(r.ticket_id, r.rule_name) for r in session.scalars(select(AutomationRun).order_by(AutomationRun.id))]


def tags(desk: Desk, ticket_id: int) -> set[str]:
    found = desk.tickets.get(ticket_id)
    assert found is not None
    return {t.tag for t in found.tags}


@pytest.mark.parametrize(("key", "hours"), [("created", 2), ("updated", 5), ("status_changed", 72),
                                            ("customer_replied", 24), ("agent_replied", 48), ("due", 3)])
def test_each_time_condition_fires_at_its_hour_and_not_before(tmp_path: Path, t0: datetime, key: str,
                                                              hours: int) -> None:
    rules = f"- name: Aged\n  on: schedule\n  if: {{hours_since: {{{key}: {hours}}}}}\n  then: {{add_tags: aged}}\n"
    desk = open_desk(tmp_path, rules)
    try:
        agent = agent_id(desk)
        ticket = new(desk)
        other = new(desk, email="lina@example.com")  # never replied to by an agent, never due by hand
        start = t0
        if key in ("status_changed", "agent_replied"):
            desk.tickets.reply(ticket, agent, "On its way.", status="pending")
        if key == "customer_replied":
            reference = desk.tickets.get(ticket).reference  # type: ignore[union-attr]
            desk.tickets.customer_reply(reference, "Any news?")
        if key == "due":
            start = t0 + timedelta(hours=1)
            desk.tickets.set_due(ticket, start, agent)
            with desk.db.session() as session:  # the other's computed due time is days away: not this test's
                session.execute(update(Ticket).where(Ticket.id == other).values(due_at=None))
        before = start + timedelta(hours=hours) - timedelta(minutes=1)
        assert desk.automations.run(now=before) == [] and runs(desk) == []
        fired = desk.automations.run(now=start + timedelta(hours=hours, minutes=10))
        # The other was never answered nor due by hand; its creation is its last status change, its first message
        # its customer's last.
        expected = [ticket] if key in ("agent_replied", "due") else [ticket, other]
        assert sorted(f.ticket_id for f in fired) == sorted(expected)
        assert "aged" in tags(desk, ticket)
    finally:
        desk.close()


def test_business_hours_since_counts_the_teams_working_hours_only(tmp_path: Path) -> None:
    rules = ("- name: Aged\n  on: schedule\n  if: {business_hours_since: {created: 2}}\n"
             "  then: {add_tags: aged}\n")
    desk = open_desk(tmp_path, rules)
    try:
        ticket = new(desk)
        created = datetime(2026, 12, 4, 20, 0, tzinfo=utcnow().tzinfo)  # a Friday evening in Riyadh: weekend next
        with desk.db.session() as session:
            session.execute(update(Ticket).where(Ticket.id == ticket).values(created_at=created, updated_at=created))
        team = desk.hours.team(desk.hours.team_key(None))
        later = created + timedelta(hours=30)  # 30 calendar hours, none of them working ones
        assert team.seconds_between(created, later) < 7200
        assert desk.automations.run(now=later) == []
        monday = created + timedelta(days=10)
        assert [f.ticket_id for f in desk.automations.run(now=monday)] == [ticket]
    finally:
        desk.close()


def test_fires_once_per_spell_and_again_in_a_new_one(tmp_path: Path, t0: datetime) -> None:
    desk = open_desk(tmp_path, PENDING)
    try:
        agent = agent_id(desk)
        ticket = new(desk)
        desk.tickets.reply(ticket, agent, "Please send the receipt.", status="pending")
        later = t0 + timedelta(hours=73)
        assert desk.automations.run(now=t0 + timedelta(hours=71)) == []
        assert [f.rule for f in desk.automations.run(now=later)] == ["Remind pending"]
        assert desk.automations.run(now=later) == [] and desk.automations.run(now=later + timedelta(days=9)) == []
        assert runs(desk) == [(ticket, "Remind pending")] and "reminded" in tags(desk, ticket)
        with desk.db.session() as session:
            rows = [(r.trigger_name, r.action) for r in session.scalars(
                select(TicketTriggerChange).where(TicketTriggerChange.ticket_id == ticket))]
        assert rows == [("Remind pending", "add_tags"), ("Remind pending", "note")]
        # A new pending spell: the tag it added does not stop it (no nullifying condition needed).
        desk.tickets.update(ticket, status="open", agent_id=agent)
        desk.tickets.update(ticket, status="pending", agent_id=agent)
        assert [f.ticket_id for f in desk.automations.run(now=later)] == [ticket]
        assert runs(desk) == [(ticket, "Remind pending")] * 2
        assert desk.automations.run(now=later) == []
    finally:
        desk.close()


def test_an_automation_may_solve_and_the_survey_mail_goes_as_an_agents_solve(tmp_path: Path, t0: datetime) -> None:
    rules = PENDING + ("- name: Solve after a week\n  on: schedule\n"
                       "  if: {status: pending, hours_since: {status_changed: 168}}\n  then: {status: solved}\n")
    desk = open_desk(tmp_path, rules)
    try:
        ticket = new(desk)
        desk.tickets.reply(ticket, agent_id(desk), "Please send the receipt.", status="pending")
        fired = desk.automations.run(now=t0 + timedelta(days=8))
        assert [f.rule for f in fired] == ["Remind pending", "Solve after a week"]
        found = desk.tickets.get(ticket)
        assert found is not None and found.status == "solved" and found.resolved_at is not None
        with desk.db.session() as session:
            change = session.scalars(select(TicketStatusChange).where(TicketStatusChange.ticket_id == ticket)
                                     .order_by(TicketStatusChange.id.desc())).first()
            assert change is not None and (change.new_status, change.trigger_name) == ("solved", "Solve after a week")
            survey = session.scalars(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket)).one()
            mails = list(session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket,
                                                                  OutboxMail.kind == "solved")))
        assert len(mails) == 1 and mails[0].survey_id == survey.id
    finally:
        desk.close()


@pytest.mark.parametrize("with_cc", [False, True])
def test_an_automation_that_replies_and_solves_sends_one_mail_with_the_survey(tmp_path: Path, t0: datetime,
                                                                             with_cc: bool) -> None:
    """As an agent's solving reply: the rule's reply carries the survey (one mail, not a reply and a "solved"
    mail); with a CC the reply goes to all and the survey in a "solved" mail to the requester alone."""
    rules = ("- name: Close out\n  on: schedule\n  if: {status: pending, hours_since: {status_changed: 72}}\n"
             "  then: {reply_macro: pending-reminder, status: solved}\n")
    desk = open_desk(tmp_path, rules)
    try:
        ticket = new(desk)
        agent = agent_id(desk)
        if with_cc:
            assert desk.ccs.add(ticket, "rami@example.com", Actor.agent(agent))
        desk.tickets.reply(ticket, agent, "Please send the receipt.", status="pending")
        with desk.db.session() as session:
            before = set(session.scalars(select(OutboxMail.id).where(OutboxMail.ticket_id == ticket)))
        assert [f.rule for f in desk.automations.run(now=t0 + timedelta(hours=73))] == ["Close out"]
        assert desk.tickets.get(ticket).status == "solved"  # type: ignore[union-attr]
        with desk.db.session() as session:
            survey = session.scalars(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket)).one()
            mails = [(m.kind, m.survey_id) for m in session.scalars(
                select(OutboxMail).where(OutboxMail.ticket_id == ticket).order_by(OutboxMail.id))
                if m.id not in before]
        if with_cc:
            assert mails == [("reply", None), ("solved", survey.id)]
        else:
            assert mails == [("reply", survey.id)]
    finally:
        desk.close()


def test_notify_webhook_reaches_a_real_receiver_from_an_automation_and_a_trigger(tmp_path: Path,
                                                                                 t0: datetime) -> None:
    rules = ("- name: Urgent and waiting\n  on: schedule\n"
             "  if: {priority: urgent, assigned: false, hours_since: {created: 0.5}}\n"
             "  then: {notify_webhook: lead}\n"
             "- name: Urgent arrived\n  on: created\n  if: {priority: urgent}\n  then: {notify_webhook: lead}\n")
    desk = open_desk(tmp_path, rules, webhook_allow_private=True)
    receiver = Receiver()
    try:
        _, secret = desk.webhooks.create("lead", receiver.start(), ["csat.rated"])
        ticket = new(desk, priority="urgent")
        new(desk, email="lina@example.com")  # normal priority: not for the lead
        assert desk.automations.run(now=t0 + timedelta(minutes=20)) == []
        assert [f.ticket_id for f in desk.automations.run(now=t0 + timedelta(minutes=40))] == [ticket]
        with desk.db.session() as session:  # each rule's event took the ticket in the rule's transaction
            assert [(d.event_type, d.data["ticket"]["priority"]) for d in session.scalars(
                select(WebhookDelivery).order_by(WebhookDelivery.id))] == [("trigger.fired", "urgent"),
                                                                           ("automation.fired", "urgent")]
        assert deliver_webhooks(desk, desk.settings, now=utcnow()) == 2
        events = [verified(secret, headers, body) for _, headers, body in receiver.got]
        assert [(e["type"], e["data"]["rule"], e["data"]["ticket"]["id"]) for e in events] == [
            ("trigger.fired", "Urgent arrived", ticket), ("automation.fired", "Urgent and waiting", ticket)]
    finally:
        if receiver.server is not None:
            receiver.stop()
        desk.close()


def test_one_failing_ticket_does_not_stop_the_pass(tmp_path: Path, t0: datetime, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    desk = open_desk(tmp_path, "- name: Old\n  on: schedule\n  if: {hours_since: {created: 1}}\n"
                               "  then: {add_tags: old, priority: high}\n")
    try:
        bad, good = new(desk), new(desk, email="lina@example.com")
        apply = Triggers.apply

        def broken(self: Triggers, session: object, store: object, ticket: Ticket, *args: object) -> None:
            apply(self, session, store, ticket, *args)  # type: ignore[arg-type]
            if ticket.id == bad:
                raise RuntimeError("the database said no")

        monkeypatch.setattr(Triggers, "apply", broken)
        with caplog.at_level(logging.ERROR, logger="desk.automations"):
            fired = desk.automations.run(now=t0 + timedelta(hours=2))
        assert [f.ticket_id for f in fired] == [good] and runs(desk) == [(good, "Old")]
        assert f"automation 'Old' failed on ticket {bad}" in caplog.text
        assert tags(desk, bad) == set() and desk.tickets.get(bad).priority == "normal"  # type: ignore[union-attr]
        monkeypatch.setattr(Triggers, "apply", apply)
        assert [f.ticket_id for f in desk.automations.run(now=t0 + timedelta(hours=2))] == [bad]  # next pass
    finally:
        desk.close()


def test_kb_automations_run_dry_run_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = open_desk(tmp_path, "- name: Old\n  on: schedule\n  if: {hours_since: {created: 24}}\n"
                               "  then: {add_tags: old}\n")
    try:
        ticket = new(desk)
        new(desk, email="lina@example.com")  # a fresh one: not due
        with desk.db.session() as session:
            session.execute(update(Ticket).where(Ticket.id == ticket).values(created_at=utcnow() - timedelta(days=2)))
        monkeypatch.setenv("KB_DATA_DIR", str(desk.settings.data_dir))
        monkeypatch.setenv("KB_CONTENT_DIR", str(desk.settings.content_dir))
        if desk.settings.database_url:
            monkeypatch.setenv("DATABASE_URL", desk.settings.database_url)
        with desk.db.session() as session:
            counts = [session.scalar(text(f"SELECT count(*) FROM {table}"))
                      for table in ("automation_runs", "ticket_tags", "ticket_trigger_changes", "messages")]
        dry = CliRunner().invoke(main, ["automations", "run", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert f"would fire\tOld\tticket {ticket}\t" in dry.output and "1 would fire (dry run" in dry.output
        with desk.db.session() as session:
            assert counts == [session.scalar(text(f"SELECT count(*) FROM {table}"))
                              for table in ("automation_runs", "ticket_tags", "ticket_trigger_changes", "messages")]
        real = CliRunner().invoke(main, ["automations", "run"])
        assert real.exit_code == 0 and f"fired\tOld\tticket {ticket}\t" in real.output and "1 fired" in real.output
        assert tags(desk, ticket) == {"old"} and runs(desk) == [(ticket, "Old")]
    finally:
        desk.close()


AT = r"trigger 1 \(A\)\."


@pytest.mark.parametrize(("rules", "line", "where"), [
    ("- name: A\n  on: schedule\n  if:\n    hours_since: {opened: 3}\n  then: {add_tags: x}\n", 4,
     AT + r"if\.hours_since\.opened: unknown moment"),
    ("- name: A\n  on: schedule\n  if:\n    status: pending\n    hours_since: {created: -1}\n  then: {add_tags: x}\n",
     5, AT + r"if\.hours_since\.created: expected hours from 0"),
    ("- name: A\n  on: schedule\n  if:\n    text: refund\n    hours_since: {created: 1}\n  then: {add_tags: x}\n", 4,
     AT + r"if\.text: an automation \(on: schedule\) has no event"),
    ("- name: A\n  on: schedule\n  if: {status: pending}\n  then: {add_tags: x}\n", 3,
     AT + r"if: an automation needs a time condition"),
    ("- name: A\n  on: created\n  if:\n    hours_since: {created: 1}\n  then: {add_tags: x}\n", 4,
     AT + r"if\.hours_since: a time condition goes in the `if:` of a rule with `on: schedule`"),
    ("- name: A\n  on: [schedule, created]\n  if: {hours_since: {created: 1}}\n  then: {add_tags: x}\n", 2,
     AT + r"on: expected one or more of created, customer_reply, or schedule alone"),
])
def test_a_bad_automation_stops_the_desk_and_kb_lint_names_file_line_and_field(
        tmp_path: Path, rules: str, line: int, where: str) -> None:
    refused_at_start_and_by_lint(open_desk(tmp_path, rules), tmp_path / "content", line, where)


def test_an_unknown_webhook_name_stops_the_desk_at_start(tmp_path: Path) -> None:
    rules = "- name: A\n  on: schedule\n  if: {hours_since: {created: 1}}\n  then: {notify_webhook: lead}\n"
    desk = open_desk(tmp_path, rules, webhook_allow_private=True)
    try:
        with pytest.raises(TriggerError, match=r"_triggers\.yml:1: trigger 1 \(A\)\.then\.notify_webhook: no "
                                               r"outbound webhook 'lead'"):
            _ = desk.tickets
        desk.webhooks.create("lead", "http://127.0.0.1:9/hook", ["csat.rated"])  # the desk started now would take it
        assert [r.name for r in desk.automations.rules] == ["A"]
        with desk.db.session() as session:
            assert session.scalar(select(WebhookDelivery.id)) is None
    finally:
        desk.close()
    assert CliRunner().invoke(main, ["lint", "--content", str(tmp_path / "content")]).exit_code == 0  # no database


@pytest.mark.parametrize("key", ["created", "updated", "status_changed", "customer_replied", "agent_replied", "due"])
def test_the_pass_reads_tickets_through_an_index(tmp_path: Path, key: str) -> None:
    """SQLite's plan for each moment's query: the tickets are searched through an index (on status or the moment),
    never scanned; the moment's lookups too (EXPLAIN QUERY PLAN on the real schema)."""
    desk = Desk(Settings(data_dir=tmp_path / "data", content_dir=content(tmp_path, ""), database_url=None))
    try:
        rule = parse_triggers(f"- name: A\n  on: schedule\n  if: {{status: [pending, on_hold], tags: x, "
                              f"hours_since: {{{key}: 72}}}}\n  then: {{add_tags: y}}\n")[0]
        query = Automations(desk.db, (rule,), desk.triggers, desk.hours, desk.tickets).candidates_query(rule, utcnow())
        compiled = query.compile(desk.db.engine, compile_kwargs={"literal_binds": True})
        with desk.db.engine.connect() as connection:
            plan = [row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        assert not any(step.startswith("SCAN") for step in plan), plan
        assert any("tickets USING" in step and "INDEX" in step for step in plan), plan
        assert moment(key) is not None
    finally:
        desk.close()


def test_the_migration_upgrades_ticket_fields_and_goes_down(tmp_path: Path) -> None:
    db, url = database_at(tmp_path, "ticket_fields")
    migrate(db, command.upgrade, "automation_runs")
    assert "automation_runs" in inspect(db.engine).get_table_names()
    assert "ix_automation_runs_ticket_id" in {i["name"] for i in inspect(db.engine).get_indexes("automation_runs")}
    db.close()
    opened = Desk(Settings(data_dir=tmp_path, database_url=url))
    try:
        migrate(opened.db, command.downgrade, "ticket_fields")
        assert "automation_runs" not in inspect(opened.db.engine).get_table_names()
    finally:
        opened.close()


def test_the_demos_automations_remind_in_the_tickets_language_then_solve(tmp_path: Path, t0: datetime) -> None:
    shipped = (Path(__file__).parents[2] / "content" / "_triggers.yml").read_text(encoding="utf-8")
    rules = "\n".join(line.removeprefix("# ") for line in shipped.splitlines()
                      if line.startswith(("# - ", "#   ")) and "schedule" in shipped)
    rules = rules[rules.index("- name: Remind after 3 days pending"):]
    desk = open_desk(tmp_path, rules)
    try:
        ticket = new(desk, lang="ar", subject="طلبي", body="أين طلبي؟", email="noura@example.com")
        desk.tickets.reply(ticket, agent_id(desk), "أرسل رقم الطلب من فضلك.", status="pending")
        assert [f.rule for f in desk.automations.run(now=t0 + timedelta(hours=73))] == ["Remind after 3 days pending"]
        found = desk.tickets.get(ticket)
        assert found is not None and found.status == "pending"
        assert "ما زلنا ننتظر ردك" in found.messages[-1].body and found.reference in found.messages[-1].body
        # The reminder kept it pending: the week still counts from when it went pending.
        assert [f.rule for f in desk.automations.run(now=t0 + timedelta(hours=169))] == ["Solve after 7 days pending"]
        with desk.db.session() as session:
            kinds = sorted(session.scalars(select(OutboxMail.kind).where(OutboxMail.ticket_id == ticket)))
        assert kinds.count("solved") == 1 and desk.tickets.get(ticket).status == "solved"  # type: ignore[union-attr]
    finally:
        desk.close()


def test_the_workers_automations_job_fires_what_is_due(tmp_path: Path) -> None:
    from webapp.worker import JOBS, WorkerContext, run_pass

    desk = open_desk(tmp_path, "- name: Old\n  on: schedule\n  if: {hours_since: {created: 24}}\n"
                               "  then: {add_tags: old}\n")
    try:
        ticket = new(desk)
        with desk.db.session() as session:
            session.execute(update(Ticket).where(Ticket.id == ticket).values(created_at=utcnow() - timedelta(days=2)))
        ctx = WorkerContext(desk.settings)
        ctx.__dict__["desk"] = desk  # the job's desk is this one (WorkerContext builds its own on first use)
        jobs = [job for job in JOBS if job.name == "automations"]
        assert [job.every_s for job in jobs] == [60.0]
        assert run_pass(ctx, jobs) == {"automations": 1} and run_pass(ctx, jobs) == {"automations": 0}
        assert tags(desk, ticket) == {"old"}
    finally:
        desk.close()
