"""Hostile input against session 35's surfaces (hostile35): problem and incident tickets (the desk's links and their
solving reply, the ticket page's form, the inbox's bulk link and filters, the API's `kind` / `problem_id` and
incidents), and the rule files' check on the admin page and in `kb doctor` (desk.rule_check).

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns. The real app and
desk; SQLite and (`--postgresql`) PostgreSQL; KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from desk.business_hours import CONFIG_FILE
from desk.desk import Desk
from desk.models import (
    AuditEvent,
    CsatSurvey,
    Message,
    OutboxMail,
    Ticket,
    TicketProblemChange,
    TicketTriggerChange,
    utcnow,
)
from desk.problems import Problems
from desk.rule_check import read_rules
from desk.tickets import InputError, NewTicket, ticket_number
from kb.arabic import typed_digits
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE
from kb.triggers import TRIGGERS_FILE
from kb.yaml_lines import MAX_RULE_FILE_BYTES
from tests.conftest import configured_test_database, copy_slice, database_url_for_tests
from tests.webapp.light_app import PASSWORD, client_for, csrf
from webapp import create_app
from webapp.background import serving
from webapp.cli import main

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
# What a hostile client sends where a ticket's number is read: past 32 and 64 bits, signs, exponents, other digits,
# controls and bidi marks around digits.
NUMBER_TEXT = st.sampled_from(["12", "#12", " 12 ", "0", "-1", "+1", "1e3", "1.0", "١٢", "１２", "²", "9" * 19,
                               "9" * 40, "2147483648", "18446744073709551616", "\u202e21", "1\x002", "#", "",
                               "\u200f12", "12\n"]) | st.text(max_size=24)


# --- the app: one per module ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("hostile35")
    made = create_app(Settings(content_dir=copy_slice(root / "content"), data_dir=root / "data",
                               database_url=database_url_for_tests(), mail_from="support@manzil.example",
                               rate_limits=False))
    accounts = made.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    return made


def desk_of(app: Flask) -> Desk:
    return app.extensions["desk"]


@pytest.fixture(scope="module")
def api(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {desk_of(app).accounts.create_token('crm')}",
            "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def sara(app: Flask) -> tuple[FlaskClient, str]:
    client = client_for(app, "sara@example.com")
    return client, csrf(client.get("/agent/").get_data(as_text=True))


def new(desk: Desk, email: str, lang: str | None = "en", subject: str = "Payment failed") -> int:
    return desk.tickets.create(NewTicket(email=email, subject=subject, body="My card payment failed", lang=lang,
                                         notify=False)).id


def links(desk: Desk, *ids: int) -> list[tuple[str | None, int | None]]:
    """Each ticket's (kind, problem_id) as stored."""
    with desk.db.session() as session:
        rows = dict(session.execute(select(Ticket.id, Ticket.kind).where(Ticket.id.in_(ids))).all())
        problems = dict(session.execute(select(Ticket.id, Ticket.problem_id).where(Ticket.id.in_(ids))).all())
    return [(rows[i], problems[i]) for i in ids]


def history_count(desk: Desk) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count()).select_from(TicketProblemChange)) or 0


# --- solving a problem: two sends at once --------------------------------------------------------------------------


def agent_replies(desk: Desk, ticket_id: int) -> list[str]:
    with desk.db.session() as session:
        return list(session.scalars(select(Message.body).where(Message.ticket_id == ticket_id,
                                                               Message.author == "agent",
                                                               Message.internal.is_(False)).order_by(Message.id)))


def outbox_to(desk: Desk, address: str) -> int:
    with desk.db.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.to_address == address)) or 0


def test_two_sends_of_a_problems_solving_reply_at_once_mail_each_incident_once(app: Flask,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: `solve` checked whether an incident already held this reply (`_holds`) in one transaction and sent it
    in another: a double click or two tabs sending the batch at once both passed the check and each incident's
    customer got the reply twice. Interleaved here without timing: the second send runs whole between the first's
    check and its send of the first incident (both engines)."""
    desk = desk_of(app)
    agent = desk.accounts.find("sara@example.com")
    assert agent is not None
    problem = new(desk, "ops@example.com", subject="Card payments failing")
    desk.problems.mark(problem, agent.id)
    incidents = [new(desk, "lina35@example.com"), new(desk, "omar35@example.com", lang="ar")]
    desk.problems.link(incidents, problem, agent.id)
    shown = desk.tickets.get(problem)
    assert shown is not None
    seen = max(m.id for m in shown.messages)  # the page both clicks posted
    english, arabic = "Fixed: please try again.", "أُصلح الخلل، حاول مرة أخرى."
    original = Problems._holds
    second: list[Any] = []

    def racing(self: Problems, ticket_id: int, agent_id: int, text: str) -> Any:
        answer = original(self, ticket_id, agent_id, text)  # the first send's check ...
        if not second:
            second.append(None)  # ... then the second send, whole, before the first sends anything
            second[0] = desk.problems.solve(problem, agent.id, english, {"ar": arabic}, seen_message_id=seen)
        return answer

    monkeypatch.setattr(Problems, "_holds", racing)
    first = desk.problems.solve(problem, agent.id, english, {"ar": arabic}, seen_message_id=seen)
    assert second[0].solved == incidents and second[0].sent.resent  # the problem's own reply: the first's
    assert (first.solved, first.already) == ([], incidents)
    assert agent_replies(desk, problem) == [english]
    assert agent_replies(desk, incidents[0]) == [english] and agent_replies(desk, incidents[1]) == [arabic]
    assert outbox_to(desk, "lina35@example.com") == 1 and outbox_to(desk, "omar35@example.com") == 1


def test_an_incident_relinked_while_its_problem_is_merged_keeps_the_new_link_on_every_engine(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault (PostgreSQL): a merge of a problem moved its incidents to the target from a read made before their rows
    were locked: an agent relinking one of them to another problem at that moment was told "linked", and the merge
    then wrote the move over the new link. Interleaved: the relink starts as the merge moves the incident and runs
    until it is done or waits on a lock (SQLite holds it until the merge commits)."""
    import desk.problems as problems_module

    desk = desk_of(app)
    sara = desk.accounts.find("sara@example.com")
    assert sara is not None
    source, target = new(desk, "same37@example.com"), new(desk, "same37@example.com")
    other, incident = new(desk, "q37@example.com"), new(desk, "i37@example.com")
    for ticket in (source, other):
        desk.problems.mark(ticket, None)
    desk.problems.link([incident], source, None)
    original, relinks = problems_module._history, []

    def done_or_waiting(thread: threading.Thread) -> None:
        while thread.is_alive():
            with desk.db.engine.connect() as connection:
                if connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")):
                    return
            thread.join(0.01)

    def moving(session: Any, ticket_id: int, kind: str, *rest: Any) -> None:
        if ticket_id == incident and kind == "unlinked" and not relinks:  # the merge moves it: the agent relinks
            thread = threading.Thread(target=lambda: relinks.append(desk.problems.link([incident], other, None)))
            relinks.append(thread)
            thread.start()
            if desk.db.engine.dialect.name == "postgresql":
                done_or_waiting(thread)
        original(session, ticket_id, kind, *rest)

    monkeypatch.setattr(problems_module, "_history", moving)
    desk.tickets.merge(source, target, sara.id, "Merged into #%(target)s.")
    relinks[0].join()
    assert relinks[-1] == 1  # the relink said it linked
    assert links(desk, incident, target, other) == [(None, other), ("problem", None), ("problem", None)]
    with desk.db.session() as session:
        last = session.execute(select(TicketProblemChange.kind, TicketProblemChange.other_id).where(
            TicketProblemChange.ticket_id == incident).order_by(TicketProblemChange.id.desc()).limit(1)).one()
    assert tuple(last) == ("linked", other)


# --- an automation that replies and solves ---------------------------------------------------------------------------


def test_an_automation_never_replies_to_an_erased_customer(tmp_path: Path) -> None:
    """Fault: an automation's `reply_macro` (with `status: solved`) fired on an erased customer's ticket, which keeps
    its status: the reply was written on the skeleton and its mail queued to the erased row's address (no "@"),
    where an agent's reply is refused ("there is no one to reply to"). Now the reply is skipped and said in the
    history; the solve itself happens, with no survey mail."""
    content = tmp_path / "content"
    shutil.copytree(Path(__file__).parents[2] / "content" / "_macros", content / "_macros")
    (content / TRIGGERS_FILE).write_text(
        "- name: Remind and solve\n  on: schedule\n"
        "  if: {status: pending, tags: auto35, hours_since: {status_changed: 1}}\n"
        "  then: {reply_macro: pending-reminder, status: solved}\n", encoding="utf-8")
    # The module's database as it is on PostgreSQL (database_url_for_tests would empty it under the module's app).
    with Desk(Settings(content_dir=content, data_dir=tmp_path / "data", database_url=configured_test_database(),
                       mail_from="support@manzil.example")) as desk:
        agent = desk.accounts.create_agent("sara.auto@example.com", PASSWORD).id
        gone, kept = (new(desk, email) for email in ("gone@example.com", "kept@example.com"))
        for ticket in (gone, kept):
            desk.tickets.reply(ticket, agent, "Could you send the order number?", status="pending")
        desk.tags.add([gone, kept], ["auto35"])  # the rule's alone, in a database the module's app shares
        erased = desk.tickets.get(gone)
        assert erased is not None
        desk.erasure.erase(erased.customer_id, "gone@example.com")
        fired = desk.automations.run(now=utcnow() + timedelta(hours=2))
        assert sorted(f.ticket_id for f in fired) == [gone, kept]
        assert len(agent_replies(desk, gone)) == 1 and len(agent_replies(desk, kept)) == 2
        with desk.db.session() as session:
            assert set(session.scalars(select(OutboxMail.to_address).where(
                OutboxMail.ticket_id.in_((gone, kept))))) == {"kept@example.com"}
            skipped = session.scalars(select(TicketTriggerChange.new_value).where(
                TicketTriggerChange.ticket_id == gone, TicketTriggerChange.action == "reply_erased")).all()
        assert skipped == ["en/pending-reminder"]
        assert [t.status for t in map(desk.tickets.get, (gone, kept)) if t is not None] == ["solved", "solved"]


def test_an_agents_solve_of_an_erased_customers_ticket_opens_no_survey_and_mails_no_one(app: Flask) -> None:
    """Review of the fault above at its depth: an agent's solve (no reply) of an erased customer's ticket opened a
    survey and queued its "solved" mail to the erased row's address. The solve itself opens none now
    (`TicketStore._set_status`), for agents, rules and batches alike."""
    desk = desk_of(app)
    agent = desk.accounts.find("sara@example.com")
    assert agent is not None
    ticket = new(desk, "gone.solve35@example.com")
    found = desk.tickets.get(ticket)
    assert found is not None
    desk.erasure.erase(found.customer_id, "gone.solve35@example.com")
    desk.tickets.update(ticket, status="solved", agent_id=agent.id)
    assert desk.tickets.get(ticket).status == "solved"  # type: ignore[union-attr]
    with desk.db.session() as session:
        assert session.scalars(select(CsatSurvey.id).where(CsatSurvey.ticket_id == ticket)).all() == []
        assert session.scalars(select(OutboxMail.id).where(OutboxMail.ticket_id == ticket)).all() == []


def test_two_clicks_on_send_at_once_on_a_real_server_answer_each_incident_once(app: Flask) -> None:
    """The same fault through the page: two posts of the problem's reply form at once (threads on a real server, the
    real database): the problem gets one reply, each incident one, each customer one mail."""
    desk = desk_of(app)
    problem = new(desk, "ops36@example.com", subject="Checkout down")
    desk.problems.mark(problem, None)
    incidents = [new(desk, f"c{n}36@example.com", lang=lang) for n, lang in enumerate(("en", "ar", "en"))]
    desk.problems.link(incidents, problem, None)
    shown = desk.tickets.get(problem)
    assert shown is not None
    seen = str(max(m.id for m in shown.messages))
    with serving(app) as base:
        browser = requests.Session()
        token = csrf(browser.get(f"{base}/agent/login").text)
        assert browser.post(f"{base}/agent/login", data={"email": "sara@example.com", "password": PASSWORD,
                                                         "csrf_token": token}, allow_redirects=False).status_code == 302
        token = csrf(browser.get(f"{base}/agent/tickets/{problem}").text)
        form = {"csrf_token": token, "body": "Checkout works again.", "status": "solved", "seen_message_id": seen,
                "to_incidents": "yes", "body_ar": "عاد الدفع يعمل."}
        start, codes = threading.Barrier(2), []

        def click() -> None:
            start.wait()
            codes.append(browser.post(f"{base}/agent/tickets/{problem}/reply", data=form,
                                      allow_redirects=False).status_code)

        threads = [threading.Thread(target=click) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert codes == [302, 302]
    assert [len(agent_replies(desk, t)) for t in (problem, *incidents)] == [1, 1, 1, 1]
    assert [outbox_to(desk, f"c{n}36@example.com") for n in range(3)] == [1, 1, 1]


# --- the API's kind and problem_id ---------------------------------------------------------------------------------


def test_one_patch_unlinking_an_incident_and_marking_it_a_problem_is_taken(app: Flask, api: dict[str, str]) -> None:
    """Fault: `{"kind": "problem", "problem_id": null}` (the incident is a problem of its own now) was refused "is
    an incident of #N: unlink it first" though the same request unlinks it: the kind was applied before the unlink."""
    desk = desk_of(app)
    problem, incident = new(desk, "p1@example.com"), new(desk, "i1@example.com")
    desk.problems.mark(problem, None)
    desk.problems.link([incident], problem, None)
    answer = app.test_client().patch(f"/api/v1/tickets/{incident}", headers=api,
                                     data=json.dumps({"kind": "problem", "problem_id": None}))
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["kind"], answer.get_json()["problem_id"]) == ("problem", None)
    assert links(desk, incident) == [("problem", None)]


@pytest.mark.parametrize("body", [
    '{"problem_id": 1.0}', '{"problem_id": true}', '{"problem_id": "1"}', '{"problem_id": [1]}',
    '{"problem_id": {"id": 1}}', '{"problem_id": -1}', '{"problem_id": 0}', '{"problem_id": 2147483648}',
    '{"problem_id": 18446744073709551616}', '{"problem_id": 1e400}', '{"problem_id": NaN}',
    '{"problem_id": ' + "9" * 5000 + "}", '{"kind": "incident"}', '{"kind": "PROBLEM"}', '{"kind": ["problem"]}',
    '{"kind": "problem\\u0000"}', '{"kind": true}', '{"kind": "problem", "problem_id": 1}',
    '{"problem_id": null, "problem_id": 1}', "[1]", '"problem"'])
def test_a_patch_with_a_wrong_kind_or_problem_id_is_a_400_naming_it(app: Flask, api: dict[str, str],
                                                                     body: str) -> None:
    desk = desk_of(app)
    ticket = new(desk, "t2@example.com")
    before = history_count(desk)
    answer = app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api, data=body)
    assert answer.status_code == 400, (answer.status_code, answer.get_data()[:200])
    assert answer.get_json()["error"].startswith(("kind", "problem_id", "send a JSON object", "the fields to change",
                                                  "the body")), answer.get_json()
    assert links(desk, ticket) == [(None, None)] and history_count(desk) == before


def test_a_token_without_tickets_write_links_nothing_and_incidents_read_nothing_else(app: Flask) -> None:
    desk = desk_of(app)
    problem, incident = new(desk, "p3@example.com"), new(desk, "i3@example.com")
    desk.problems.mark(problem, None)
    reader = {"Authorization": f"Bearer {desk.accounts.create_token('reader', scopes=['tickets:read'])}",
              "Content-Type": "application/json"}
    writer = {"Authorization": f"Bearer {desk.accounts.create_token('writer', scopes=['tickets:write'])}",
              "Content-Type": "application/json"}
    client = app.test_client()
    assert client.patch(f"/api/v1/tickets/{incident}", headers=reader,
                        data=json.dumps({"problem_id": problem})).status_code == 403
    assert client.get(f"/api/v1/tickets/{problem}/incidents", headers=writer).status_code == 403
    assert links(desk, incident) == [(None, None)]
    for path in (f"/api/v1/tickets/{problem}/incidents", "/api/v1/tickets/99999999999999999999/incidents",
                 "/api/v1/tickets/0/incidents", "/api/v1/tickets/-1/incidents", "/api/v1/tickets/١٢/incidents"):
        answer = client.get(path, headers=reader)
        assert answer.status_code in (200, 404), (path, answer.status_code)


def test_links_through_closed_merged_and_chained_tickets_are_refused_whole(app: Flask, api: dict[str, str]) -> None:
    """A chain (A incident of B, B incident of C), a loop, a closed or merged problem, the ticket itself: each a 400
    or 409 naming it, nothing written; through the API and the desk alike."""
    desk = desk_of(app)
    a, b, c, closed, merged = (new(desk, f"{n}4@example.com") for n in ("a", "b", "c", "closed", "c"))
    sara = desk.accounts.find("sara@example.com")
    assert sara is not None
    for ticket in (b, c, closed, merged):
        desk.problems.mark(ticket, None)
    desk.problems.link([a], b, None)
    desk.tickets.update(closed, status="closed")
    desk.tickets.merge(merged, c, sara.id, "Merged into #%(target)s.")
    before = history_count(desk)
    client = app.test_client()
    for ticket, body in ((b, {"problem_id": c}), (c, {"problem_id": a}), (a, {"problem_id": a}),
                         (a, {"problem_id": closed}), (a, {"problem_id": merged}), (b, {"problem_id": b}),
                         (b, {"kind": None}), (a, {"kind": "problem"})):
        answer = client.patch(f"/api/v1/tickets/{ticket}", headers=api, data=json.dumps(body))
        assert answer.status_code in (400, 409), (ticket, body, answer.get_json())
        assert answer.get_json()["error"].startswith(("problem_id", "kind", "ticket")), answer.get_json()
    assert history_count(desk) == before
    assert links(desk, a, b, c) == [(None, b), ("problem", None), ("problem", None)]


# --- the rule files on the admin page and in kb doctor ---------------------------------------------------------------


def test_a_directory_named_as_the_fields_file_is_a_problem_as_the_other_two(tmp_path: Path) -> None:
    """Fault: a directory named _ticket_fields.yml (a bad merge, an unpacked archive) was taken as no fields file:
    `kb doctor` and the admin page said the rules were sound while the other two files, the same way wrong, were
    each "cannot be read: Is a directory"."""
    content = copy_slice(tmp_path / "content")
    for name in (FIELDS_FILE, CONFIG_FILE, TRIGGERS_FILE):
        (content / name).unlink(missing_ok=True)
        (content / name).mkdir()
        read = read_rules(Settings(content_dir=content, data_dir=tmp_path / "data"), None)
        assert [str(p) for p in read.problems] == [f"{content / name}:1: cannot be read: Is a directory"]
        (content / name).rmdir()


@pytest.mark.parametrize("kind", ["a link to /dev/null", "over 1 MB"])
def test_a_rule_file_that_is_a_device_or_past_a_megabyte_is_refused_unread(tmp_path: Path, kind: str) -> None:
    """Fault: the rule files were read whole whatever they were: a link to /dev/zero (git keeps links) read until
    memory ran out and a FIFO blocked for good, in the admin page's GET, `kb doctor` and every request's rule check;
    a link to /dev/null read as an empty file (no rules: "sound"); a file of megabytes kept the pure-Python YAML
    reader busy for tens of seconds at each of those calls. Now each is refused unread, naming the file."""
    content = copy_slice(tmp_path / "content")
    words = {"a link to /dev/null": "not a regular file (a device, a pipe or a socket)",
             "over 1 MB": "larger than 1024 KB"}[kind]
    for name in (FIELDS_FILE, CONFIG_FILE, TRIGGERS_FILE):
        take_away(content, name)
        put(content, name, kind)
        read = read_rules(Settings(content_dir=content, data_dir=tmp_path / "data"), None)
        assert [str(p) for p in read.problems] == [f"{content / name}:1: cannot be read: {words}"]
        take_away(content, name)


HOSTILE_FILES: dict[str, bytes] = {
    "binary": bytes(range(256)) * 8,
    "NUL in text": b"teams:\n  default:\x00\n",
    "a lone surrogate": b"a: \xed\xa0\x80\n",
    "deep": b"[" * 20000,
    "recursive alias": b"&a [*a]\n",
    "python tag": b"!!python/object/apply:os.system ['true']\n",
    "int past 4300 digits": b"a: " + b"9" * 5000 + b"\n",
    "bidi and controls": "- name: \u202eevil\x1b[31m\n  on: created\n  then: {add_tags: [x]}\n".encode(),
    "a directory": b"",
    "a link to /dev/null": b"",
    "over 1 MB": b"# " + b"x" * MAX_RULE_FILE_BYTES + b"\n",
}


def put(content: Path, name: str, kind: str) -> None:
    path = content / name
    if kind == "a directory":
        path.mkdir()
    elif kind == "a link to /dev/null":  # a device: one that never ends (/dev/zero) or a FIFO reads for good
        path.symlink_to("/dev/null")
    else:
        path.write_bytes(HOSTILE_FILES[kind])


def take_away(content: Path, name: str) -> None:
    path = content / name
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


@pytest.mark.parametrize("name", [TRIGGERS_FILE, FIELDS_FILE, CONFIG_FILE])
def test_the_admin_page_and_kb_doctor_name_each_hostile_rule_file_and_write_nothing(
        app: Flask, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hostile file: the admin page (a GET) answers 200 naming the file, writes nothing (no audit event, the
    file untouched); `kb doctor` (two of them) exits 1 with a PROBLEM line naming it, never a traceback."""
    desk = desk_of(app)
    content = desk.settings.content_dir
    admin = client_for(app, "admin@example.com")
    if configured_test_database():  # the module's database as it is (database_url_for_tests would empty it)
        monkeypatch.setenv("DATABASE_URL", str(configured_test_database()))
    monkeypatch.setenv("KB_CONTENT_DIR", str(content))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path))
    saved = (content / name).read_bytes() if (content / name).is_file() else None
    try:
        for kind in HOSTILE_FILES:
            take_away(content, name)
            put(content, name, kind)
            with desk.db.session() as session:
                audit = session.scalar(select(func.count()).select_from(AuditEvent))
            page = admin.get("/agent/admin")
            assert page.status_code == 200, (kind, page.status_code)
            with desk.db.session() as session:
                assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit
            if kind not in ("a directory", "a link to /dev/null"):
                assert (content / name).read_bytes() == HOSTILE_FILES[kind]
            problems = read_rules(desk.settings, None).problems
            if kind == "bidi and controls" and name != TRIGGERS_FILE:
                continue  # a list of triggers is no fields or business-hours file: refused too, checked below
            assert problems and str(content / name) in str(problems[0]), (kind, problems)
            assert str(content / name) in page.get_data(as_text=True), kind
            if kind not in ("binary", "a link to /dev/null"):
                continue  # kb doctor reads them with the same read_rules: two kinds show it says so, in CI's time
            answer = CliRunner().invoke(main, ["doctor"])
            assert answer.exit_code == 1 and "Traceback" not in answer.output, (kind, answer.output)
            assert f"PROBLEM rules: {content / name}" in answer.output, (kind, answer.output)
    finally:
        take_away(content, name)
        if saved is not None:
            (content / name).write_bytes(saved)


@pytest.mark.parametrize("name", [TRIGGERS_FILE, FIELDS_FILE])
@pytest.mark.parametrize("kind", ["binary", "a directory", "a link to /dev/null", "over 1 MB"])
def test_kb_lint_names_a_rule_file_it_cannot_read_without_a_traceback(tmp_path: Path, name: str, kind: str) -> None:
    """Fault: `kb lint` (the pre-commit hook) ended in a traceback on a _ticket_fields.yml that is not UTF-8
    (UnicodeDecodeError) and on a _triggers.yml that is a directory (IsADirectoryError); a fields file that is a
    directory or a device was skipped as absent. Now each is one error naming the file, exit status 1."""
    content = copy_slice(tmp_path / "content")
    take_away(content, name)
    put(content, name, kind)
    answer = CliRunner().invoke(main, ["lint", "--content", str(content)])
    assert answer.exit_code == 1 and isinstance(answer.exception, SystemExit | None), (answer.output,
                                                                                      answer.exception)
    assert "Traceback" not in answer.output and f"{name}:1:1: error: " in answer.output, answer.output
    rule = "trigger-file" if name == TRIGGERS_FILE else "ticket-fields"
    assert any(name in line and f"[{rule}]" in line for line in answer.output.splitlines()), answer.output


# --- hypothesis campaigns ------------------------------------------------------------------------------------------


@FUZZ
@given(value=JSON | NUMBER_TEXT)
def test_property_a_problem_number_is_a_positive_ascii_number_or_refused_naming_the_field(value: Any) -> None:
    try:
        number = ticket_number(value, "problem_id")
    except InputError as refused:
        assert refused.field == "problem_id"
        return
    assert isinstance(number, int) and 0 < number < 10**18
    assert typed_digits(str(value)).strip().lstrip("#").strip() == str(number) or value == number


@pytest.fixture(scope="module")
def fuzz_tickets(app: Flask) -> tuple[int, int, int]:
    """A problem, one of its incidents and a plain ticket, for the campaigns (each example leaves them as found or
    puts them back)."""
    desk = desk_of(app)
    problem, incident, plain = (new(desk, f"{n}5@example.com") for n in ("p", "i", "plain"))
    desk.problems.mark(problem, None)
    desk.problems.link([incident], problem, None)
    return problem, incident, plain


def restore(desk: Desk, tickets: tuple[int, int, int]) -> None:
    problem, incident, plain = tickets
    for ticket in (incident, plain):
        desk.problems.unlink(ticket, None)
        desk.problems.unmark(ticket, None)
    desk.problems.mark(problem, None)
    desk.problems.link([incident], problem, None)


@FUZZ
@given(kind=JSON, problem=JSON | st.integers(min_value=-(2**70), max_value=2**70), which=st.integers(0, 2),
       keys=st.sampled_from(["kind", "problem_id", "both"]))
def test_property_an_api_patch_of_kind_and_problem_id_is_whole_or_refused_never_a_500(
        app: Flask, api: dict[str, str], fuzz_tickets: tuple[int, int, int], kind: Any, problem: Any, which: int,
        keys: str) -> None:
    desk = desk_of(app)
    ticket = fuzz_tickets[which]
    if isinstance(problem, int) and not isinstance(problem, bool) and problem % 3 == 0:
        problem = fuzz_tickets[problem % 9 // 3]  # now and then one of the three
    body = {"kind": kind} if keys == "kind" else {"problem_id": problem} if keys == "problem_id" else {
        "kind": kind, "problem_id": problem}
    before = links(desk, *fuzz_tickets), history_count(desk)
    answer = app.test_client().patch(f"/api/v1/tickets/{ticket}", headers=api, data=json.dumps(body))
    try:
        assert answer.status_code in (200, 400, 409), (answer.status_code, answer.get_data()[:300])
        if answer.status_code != 200:
            assert answer.get_json()["error"].startswith(("kind", "problem_id")), answer.get_json()
            assert (links(desk, *fuzz_tickets), history_count(desk)) == before
        else:
            stored = links(desk, ticket)[0]
            assert (answer.get_json()["problem_id"], answer.get_json()["kind"]) == (
                stored[1], "problem" if stored[0] == "problem" else "incident" if stored[1] else None)
            # One level: no problem is an incident, no incident's problem is an incident.
            for kind_now, linked in links(desk, *fuzz_tickets):
                assert not (kind_now == "problem" and linked is not None)
                if linked is not None:
                    assert links(desk, linked) == [("problem", None)]
    finally:
        restore(desk, fuzz_tickets)


@FUZZ
@given(value=NUMBER_TEXT, tickets=st.lists(NUMBER_TEXT | st.sampled_from(["own"]), min_size=1, max_size=4))
def test_property_the_inbox_bulk_link_links_all_or_none_never_a_500(app: Flask, sara: tuple[FlaskClient, str],
                                                                    fuzz_tickets: tuple[int, int, int],
                                                                    value: str, tickets: list[str]) -> None:
    desk = desk_of(app)
    client, token = sara
    sent = [str(fuzz_tickets[2]) if t == "own" else t for t in tickets]
    before = links(desk, *fuzz_tickets), history_count(desk)
    answer = client.post("/agent/bulk", data={"csrf_token": token, "action": "problem", "value": value,
                                              "ticket": sent, "back": "/agent/?incidents_of=" + value[:10]})
    try:
        assert answer.status_code == 302, (answer.status_code, answer.get_data()[:300])
        now = links(desk, *fuzz_tickets), history_count(desk)
        # All or none: unchanged, or the plain ticket (the one ticket that can be linked) an incident of a problem:
        # the fixture's, or whichever earlier ticket of the module's desk the typed number names ("12").
        [(_, linked)] = links(desk, fuzz_tickets[2])
        assert now == before or (
            now[0][:2] == before[0][:2] and linked is not None and links(desk, linked) == [("problem", None)]), (
            sent, value)
    finally:
        restore(desk, fuzz_tickets)


@FUZZ
@given(typed=NUMBER_TEXT, action=st.sampled_from(["link", "mark", "unmark", "unlink", "", "LINK", "link\x00"]),
       which=st.integers(0, 2), filter_value=NUMBER_TEXT)
def test_property_the_ticket_pages_problem_form_and_the_inbox_filter_never_500(
        app: Flask, sara: tuple[FlaskClient, str], fuzz_tickets: tuple[int, int, int], typed: str, action: str,
        which: int, filter_value: str) -> None:
    desk = desk_of(app)
    client, token = sara
    ticket = fuzz_tickets[which]
    before = links(desk, *fuzz_tickets), history_count(desk)
    try:
        answer = client.post(f"/agent/tickets/{ticket}/problem",
                             data={"csrf_token": token, "action": action, "problem_id": typed})
        assert answer.status_code in (302, 400), (answer.status_code, answer.get_data()[:300])
        if answer.status_code == 400:
            assert (links(desk, *fuzz_tickets), history_count(desk)) == before
        inbox = client.get("/agent/", query_string={"incidents_of": filter_value, "problems": filter_value[:2]})
        assert inbox.status_code == (400 if "\x00" in filter_value else 200)  # a NUL in a parameter: named, 400
    finally:
        restore(desk, fuzz_tickets)
