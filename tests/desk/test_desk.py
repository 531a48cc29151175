"""The support desk's store on a real SQLite file: tickets, import, accounts, events."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from desk.desk import Desk
from desk.events import AgentChoice
from desk.models import SearchEvent
from desk.ticket_import import import_file
from desk.tickets import DuplicateTicketError, InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    """SQLite in tmp_path; KB_TEST_DATABASE_URL=postgresql://... runs the same tests on PostgreSQL."""
    opened = Desk(Settings(data_dir=tmp_path, database_url=database_url_for_tests()))
    yield opened
    opened.close()


def new(**overrides: object) -> NewTicket:
    fields = {"email": "Sara@Example.com", "name": "Sara", "subject": "Refund not received", "body": "Where is it?"}
    return NewTicket(**(fields | overrides))  # type: ignore[arg-type]


def test_schema_comes_from_the_migrations_and_upgrading_twice_is_harmless(desk: Desk) -> None:
    desk.db.upgrade()
    tables = set(inspect(desk.db.engine).get_table_names())
    expected = {"tickets", "messages", "customers", "agents", "suggestion_events", "search_events", "alembic_version"}
    assert expected <= tables


def test_a_ticket_gets_an_unguessable_reference_its_language_and_a_customer(desk: Desk) -> None:
    first = desk.tickets.create(new())
    second = desk.tickets.create(new(subject="وين فلوسي", body="ما وصلني المبلغ المسترد"))
    assert first.reference != second.reference and len(first.reference) >= 16
    assert (first.lang, second.lang) == ("en", "ar")
    found = desk.tickets.by_reference(second.reference)
    assert found is not None and found.customer.email == "sara@example.com"
    assert [t.id for t in desk.tickets.history(found.customer_id, exclude=found.id)] == [first.id]
    assert desk.tickets.by_reference("not-a-reference") is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "x" * 100_001}, "body"),
        ({"email": "not an email"}, "email"),
        ({"lang": "fr"}, "lang"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(desk: Desk, overrides: dict, field: str) -> None:
    with pytest.raises(InputError) as raised:
        desk.tickets.create(new(**overrides))
    assert raised.value.field == field
    assert desk.tickets.inbox(status=None)[1] == 0


def test_first_reply_stamps_first_response_and_assigns_the_agent(desk: Desk) -> None:
    agent = desk.accounts.create_agent("agent@example.com", "a long password")
    ticket = desk.tickets.create(new())
    desk.tickets.reply(ticket.id, agent.id, "Refunds take 5-10 days.", status="pending")
    first = desk.tickets.get(ticket.id).first_response_at
    desk.tickets.reply(ticket.id, agent.id, "Any news?", status="solved")
    done = desk.tickets.get(ticket.id)
    assert done.first_response_at == first and done.resolved_at is not None
    assert done.status == "solved" and done.assignee_id == agent.id
    assert [m.author for m in done.messages] == ["customer", "agent", "agent"]
    with pytest.raises(InputError):
        desk.tickets.reply(ticket.id, agent.id, "   ")


def test_inbox_filters_by_status_language_and_assignee(desk: Desk) -> None:
    agent = desk.accounts.create_agent("agent@example.com", "a long password")
    en = desk.tickets.create(new())
    desk.tickets.create(new(subject="وين فلوسي", body="ما وصلني المبلغ المسترد"))
    desk.tickets.update(en.id, assignee_id=agent.id)
    assert desk.tickets.inbox(lang="ar")[1] == 1
    assert [t.id for t in desk.tickets.inbox(assignee_id=agent.id)[0]] == [en.id]
    assert desk.tickets.inbox(unassigned=True)[1] == 1
    desk.tickets.update(en.id, status="solved")
    assert desk.tickets.inbox(status="open")[1] == 1


def test_demo_tickets_import_once_and_bad_lines_are_reported_by_line(desk: Desk, tmp_path: Path) -> None:
    demo = ROOT / "content" / "_demo" / "tickets.jsonl"
    report = import_file(desk.tickets, demo)
    assert report.created == len(demo.read_text("utf-8").splitlines()) and not report.errors
    assert import_file(desk.tickets, demo).skipped == report.created
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"external_id": "X-1", "subject": "ok", "customer": {"email": "a@b.co"}, "messages": [{"body": "help"}]}\n'
        "{not json\n"
        '{"external_id": "X-2", "subject": "", "customer": {"email": "a@b.co"}, "messages": [{"body": "x"}]}\n',
        "utf-8",
    )
    report = import_file(desk.tickets, broken)
    assert report.created == 1
    assert [e.split(": ")[0] for e in report.errors] == [f"{broken}:2", f"{broken}:3"]
    assert "subject" in report.errors[1]
    with pytest.raises(DuplicateTicketError):
        desk.tickets.create(new(external_id="X-1"))
    french = tmp_path / "french.jsonl"
    french.write_text('{"lang": "fr", "subject": "Remboursement", "customer": {"email": "a@b.co"}, '
                      '"messages": [{"body": "Where is my refund?"}]}\n', "utf-8")
    assert import_file(desk.tickets, french).created == 1
    kept = desk.tickets.inbox(status=None)[0][0]
    assert kept.subject == "Remboursement" and kept.lang == "en" and kept.context == {"declared_lang": "fr"}


def test_mbox_import_reads_html_only_mail_as_text(desk: Desk, tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "mail.mbox")
    mail = EmailMessage()
    mail["From"] = "Omar <omar@example.com>"
    mail["Subject"] = "=?utf-8?b?2KfZhNiv2YHYuQ==?="  # "الدفع", MIME-encoded as mail clients send it
    mail["Message-ID"] = "<m1@example.com>"
    mail.set_content("<html><body><p>لم يتم <b>الدفع</b></p><script>alert(1)</script></body></html>", subtype="html")
    box.add(mail)
    box.flush()
    report = import_file(desk.tickets, tmp_path / "mail.mbox")
    assert report.created == 1, report.errors
    ticket = desk.tickets.inbox()[0][0]
    full = desk.tickets.get(ticket.id)
    assert full.subject == "الدفع" and full.lang == "ar" and full.channel == "email"
    assert full.messages[0].body == "لم يتم الدفع" and "alert" not in full.messages[0].body


def test_one_hostile_import_line_is_its_own_error_and_the_others_import(desk: Desk, tmp_path: Path) -> None:
    """A lone surrogate ("\\ud800") in one exported ticket raised UnicodeEncodeError at its insert, a line
    that is not UTF-8 raised UnicodeDecodeError before any line was read, and a valid ISO time past what UTC
    holds raised OverflowError: each ended the whole `kb tickets import` with a traceback. Now each is that
    line's error, naming it, and the lines after it import."""
    def line(email: str, **extra: object) -> bytes:
        row = {"customer": {"email": email}, "subject": "Lost parcel", "messages": [{"body": "Where is it?"}]}
        return json.dumps({**row, **extra}).encode()

    lines = [
        line("first@example.com"),
        b'{"customer": {"email": "b@example.com"}, "subject": "\\ud800", "messages": [{"body": "x"}]}',
        b'{"customer": {"email": "caf\xe9@example.com"}, "subject": "s", "messages": [{"body": "x"}]}',
        line("c@example.com", created="9999-12-31T23:59:59-14:00"),
        line("d@example.com", messages=[{"body": "x"}, {"author": "agent", "body": "a\x00b"}]),
        b'{"customer": {"email": "e@example.com"}, "subject": "s", "subject": "t", "messages": [{"body": "x"}]}',
        line("last@example.com"),
    ]
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_file(desk.tickets, path)
    assert (report.created, len(report.errors)) == (2, 5)
    assert [error.split(": ", 2)[1] for error in report.errors] == [
        "subject", "not UTF-8 (byte 0xe9 at column 28)", "created", "messages[1].body", "subject"]
    assert all(error.startswith(f"{path}:{n}: ") for error, n in zip(report.errors, (2, 3, 4, 5, 6), strict=True))
    assert "past the last time the desk can store" in report.errors[2] and "ISO 8601" not in report.errors[2]


def test_an_imported_message_that_is_not_text_is_refused_by_line_and_field(desk: Desk, tmp_path: Path) -> None:
    """Session 14: a reply's body of {"a": 1}, [1, 2] or 5 was imported as its Python repr ("{'a': 1}"), a reply
    that was not an object ("thanks") was dropped without a word, a reply without a body was stored empty and an
    ESC in one was kept. Each is now that line's error, naming the message and its field."""
    def line(email: str, *replies: object, first: object = None) -> bytes:
        messages = [{"body": "Where is it?"} if first is None else first, *replies]
        return json.dumps({"customer": {"email": email}, "subject": "Lost parcel", "messages": messages}).encode()

    lines = [
        line("a@example.com", {"author": "agent", "body": {"a": 1}}),
        line("b@example.com", {"author": "agent", "body": [1, 2]}),
        line("c@example.com", {"author": "customer", "body": 5}),
        line("d@example.com", {"author": "agent", "body": "On its way."}, "thanks"),
        line("e@example.com", {"author": "agent"}),
        line("f@example.com", {"author": 7, "body": "x"}),
        line("g@example.com", first={"body": {"text": "hi"}}),
        line("h@example.com", {"author": "agent", "body": "On \x1b[31mits way."}),
    ]
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_file(desk.tickets, path)
    assert (report.created, report.errors) == (1, [
        f"{path}:1: messages[1].body: must be text, not {{\"a\": 1}}",
        f"{path}:2: messages[1].body: must be text, not [1, 2]",
        f"{path}:3: messages[1].body: must be text, not 5",
        f"{path}:4: messages[2]: must be an object with author and body",
        f"{path}:5: messages[1].body: is empty",
        f"{path}:6: messages[1].author: must be text, not 7",
        f"{path}:7: messages[0].body: must be text, not {{\"text\": \"hi\"}}",
    ])
    [ticket], _ = desk.tickets.inbox(status=None)
    assert [m.body for m in desk.tickets.get(ticket.id).messages] == ["Where is it?", "On [31mits way."]


def test_an_mbox_with_raw_utf8_headers_keeps_the_arabic_name_and_subject(desk: Desk, tmp_path: Path) -> None:
    """compat32 hands a raw 8-bit UTF-8 header over as a Header whose text is all U+FFFD: an Arabic
    customer's name and subject were imported as "������". They are read as UTF-8 (desk.mail.parse.header_text)."""
    path = tmp_path / "mail.mbox"
    path.write_bytes(b"From omar@x Thu Jan  1 00:00:00 2026\nFrom: " + "عمر الحربي".encode() + b" <omar@example.com>\n"
                     b"Subject: " + "طلبي لم يصل".encode() + b"\nMessage-ID: <raw@x>\n\nwhere is my order\n")
    assert import_file(desk.tickets, path).created == 1
    [ticket], _ = desk.tickets.inbox()
    assert (ticket.subject, ticket.customer.name) == ("طلبي لم يصل", "عمر الحربي")


def test_an_mbox_message_whose_from_recurses_is_its_own_error(desk: Desk, tmp_path: Path) -> None:
    """Session 14: 50,000 nested "(" in one message's From made parseaddr recurse past Python's limit: the
    RecursionError ended the whole mbox import. It is that message's error, worded as live mail's reader words it
    (session 16: the import reads through desk.mail.parse); the next one imports."""
    path = tmp_path / "mail.mbox"
    path.write_bytes(b"From x Thu Jan  1 00:00:00 2026\nFrom: " + b"(" * 50_000
                     + b"lina@example.com\nSubject: a\n\nhi\n\n"
                     b"From y Thu Jan  1 00:00:00 2026\nFrom: sam@example.com\nSubject: b\n\nhello\n")
    report = import_file(desk.tickets, path)
    assert report.created == 1 and report.errors == [
        f"{path}: message 1: no sender address in the first 4,000 characters of From (50,016 characters)"]


def test_an_mbox_message_with_a_forwarded_mail_quotes_it_below_the_customers_words(desk: Desk, tmp_path: Path) -> None:
    """Session 15 quoted a forwarded message (message/rfc822) below the customer's words in live mail; the mbox
    import had its own reader and dropped it (the agent read "see the mail below" and no mail). Both read mail
    through desk.mail.parse now, so an imported ticket shows what a mailed-in one does."""
    forwarded = EmailMessage()
    forwarded["From"] = "Manzil Shop <shop@example.com>"
    forwarded["Date"] = "Mon, 30 Nov 2026 09:00:00 +0300"
    forwarded["Subject"] = "Your order"
    forwarded.set_content("Order 55821 is confirmed.")
    mail = EmailMessage()
    mail["From"] = "Lina <lina@example.com>"
    mail["Subject"] = "Fwd: Your order"
    mail["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    mail["Message-ID"] = "<fwd@example.com>"
    mail.set_content("It never came, see the mail below.")
    mail.add_attachment(forwarded)
    box = mailbox.mbox(tmp_path / "mail.mbox")
    box.add(mail)
    box.flush()
    report = import_file(desk.tickets, tmp_path / "mail.mbox")
    assert report.created == 1, report.errors
    [ticket], _ = desk.tickets.inbox()
    full = desk.tickets.get(ticket.id)
    assert full.messages[0].body == ("It never came, see the mail below.\n\n---------- Forwarded message ----------\n"
                                     "> From: Manzil Shop <shop@example.com>\n> Date: Mon, 30 Nov 2026 09:00:00 +0300\n"
                                     "> Subject: Your order\n>\n> Order 55821 is confirmed.")
    assert (full.customer.name, full.customer.email) == ("Lina", "lina@example.com")
    assert full.created_at.replace(tzinfo=None) == datetime(2026, 12, 1, 10, 0)


def test_passwords_and_tokens_are_stored_hashed(desk: Desk) -> None:
    agent = desk.accounts.create_agent("Admin@Example.com", "correct horse battery", role="admin")
    assert "correct" not in agent.password_hash
    assert desk.accounts.authenticate("admin@example.com", "correct horse battery").id == agent.id
    assert desk.accounts.authenticate("admin@example.com", "wrong password!") is None
    with pytest.raises(InputError, match="password"):
        desk.accounts.create_agent("short@example.com", "short")
    with pytest.raises(InputError, match="exists"):
        desk.accounts.create_agent("admin@example.com", "another long one")
    token = desk.accounts.create_token("zendesk")
    assert desk.accounts.verify_token(token).name == "zendesk"
    assert desk.accounts.verify_token(token[:-1]) is None and desk.accounts.verify_token("") is None


def test_events_record_searches_clicks_votes_and_most_viewed(desk: Desk) -> None:
    events = desk.events
    search_id = events.search("refund", "en", 3, abstained=False, visit_id="v1")
    events.click(search_id, "en/refund-timing", 2, "someone-else")  # not their search: ignored
    events.click(search_id, "en/refund-timing", 1, "v1")
    with desk.db.session() as session:
        clicked = session.scalars(select(SearchEvent)).one()
    assert (clicked.token, clicked.clicked_article, clicked.clicked_position) == (search_id, "en/refund-timing", 1)
    events.feedback("en/refund-timing", helpful=False, comment="too vague", visit_id="v1")
    with pytest.raises(InputError, match="comment"):
        events.feedback("en/refund-timing", helpful=True, comment="x" * 3000, visit_id="v1")
    for key in ["en/a", "en/b", "en/b", "ar/c"]:
        events.view(key, "v1")
    assert events.most_viewed("en") == ["en/b", "en/a"]
    with pytest.raises(InputError):
        events.suggestion(1, "liked")


def test_choices_come_from_what_agents_inserted(desk: Desk) -> None:
    """What copilot.learning learns from (desk.events.agent_choices, a self-join over a JSON column), on both engines
    (it sat in tests/copilot/test_learning.py, which the PostgreSQL run does not reach)."""
    ticket = desk.tickets.create(NewTicket(email="a@example.com", subject="Refund late", body="Where is my refund?"))
    desk.events.suggestion(ticket.id, "shown", details={"query": "Refund late. Where is my refund?", "lang": "en"})
    desk.events.suggestion(ticket.id, "inserted", article_key="en/refund-timing")
    desk.events.suggestion(ticket.id, "rejected", article_key="en/apple-pay", reason="wrong topic")
    assert desk.events.agent_choices() == [AgentChoice("Refund late. Where is my refund?", "en", "en/refund-timing")]
