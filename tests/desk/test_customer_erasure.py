"""Erasing a customer's personal data on a real database (`--postgresql` runs it on PostgreSQL): a customer who wrote
everything a customer can (mail with a file, a held auto-reply, a survey comment, a visit context, a duplicate merged
into them, a profile edit) and was answered, noted and advised about; after the erase, every text column of every table
is scanned for what they wrote (a table forgotten fails the scan), their files are gone, the dashboard's figures for
the period are the same, the same address writing again is a new customer; the refusals; an erase racing a merge; the
migration."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, func, select

from desk import metrics
from desk.audit import Actor, AuditQuery
from desk.customers import MergedAwayError
from desk.desk import Desk
from desk.erasure import ErasedError
from desk.inbox import InboxQuery
from desk.models import (
    ApiToken,
    Attachment,
    Base,
    ContentGap,
    CsatSurvey,
    Customer,
    Deflection,
    IdempotencyKey,
    Message,
    OutboxMail,
    SearchEvent,
    SuggestionEvent,
    Ticket,
    TicketStatusChange,
)
from desk.tickets import InputError, NewTicket
from kb.settings import Settings
from tests.conftest import database_at, database_url_for_tests
from tests.races import at_once, refused

MARK = "zqxerasemark"  # in everything the customer wrote or is: a scan for it finds what the erase forgot
EMAIL = f"{MARK}@example.com"
KEEP = "keepothermark"  # another customer's: must stay
VISIT = "visit-4f1c"  # a random visit id, as the help center makes them: no one's
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


def mail(sender: str, subject: str, body: str, attachment: bytes | None = None, mark: str = MARK,
         **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "support@manzil.example", subject
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="png", filename=f"{mark}-screen.png")
    return message.as_bytes()


def populate(desk: Desk) -> dict[str, int]:
    """The customer with everything, another customer beside them; the ids the test needs."""
    admin = desk.accounts.create_agent("admin@example.com", "a-long-password-1", name="Admin", role="admin").id
    sara = desk.accounts.create_agent("sara@example.com", "a-long-password-1", name="Sara").id
    by_mail = desk.mail_in.receive(mail(f"{MARK.title()} Q <{EMAIL}>", f"Refund {MARK}", f"My order {MARK} is late",
                                        attachment=f"png {MARK}".encode()))
    ticket_id = by_mail.ticket_id or 0
    by_mail_ref = desk.tickets.get(ticket_id).reference  # type: ignore[union-attr]
    form = desk.tickets.create(NewTicket(email=EMAIL, name=f"{MARK} Person", subject=f"Second {MARK}",
                                         body=f"Also {MARK}", lang="en", created=START, visit_id=VISIT,
                                         context={"searches": [f"refund {MARK}"]}, external_id=f"form-{MARK}"))
    desk.tickets.reply(ticket_id, sara, f"Hello {MARK}, sorry about order {MARK}.", status="solved")
    desk.notes.add(ticket_id, sara, f"@admin look at {MARK}")
    survey = desk.surveys.latest_for_ticket(ticket_id)
    assert survey is not None
    desk.surveys.answer(survey.token, 2, comment=f"slow {MARK}")
    desk.advice.save(ticket_id, 1, "v1", {"draft": f"Dear {MARK}"})
    desk.customers.edit(form.customer_id, f"{MARK} Renamed", f"notes {MARK}", by=Actor.agent(admin))
    # A held auto-reply from their address (no ticket), and a duplicate merged into them
    held = desk.mail_in.receive(mail(EMAIL, f"Out of office {MARK}", f"away {MARK}", Auto_Submitted="auto-replied",
                                     In_Reply_To="<nothing@example.com>"))
    assert held.outcome in ("automatic", "rejected"), held
    dup = desk.tickets.create(NewTicket(email=f"{MARK}.work@example.org", subject=f"Dup {MARK}",
                                        body=f"dup {MARK}", lang="en", created=START))
    desk.customers.merge(dup.customer_id, form.customer_id)
    other = desk.mail_in.receive(mail(f"other@{KEEP}.example", f"Hi {KEEP}", f"body {KEEP}", attachment=b"other",
                                      mark=KEEP))
    with desk.db.session() as session:
        token = ApiToken(name="ci", token_hash="h" * 64)
        session.add(token)
        session.flush()
        session.add(IdempotencyKey(token_id=token.id, key="k1", fingerprint="f", claim="c", answer_status=201,
                                   answer_body={"reference": form.reference, "email": EMAIL}))
        session.add(IdempotencyKey(token_id=token.id, key="k2", fingerprint="f", claim="c", answer_status=201,
                                   answer_body={"reference": "someone-else"}))
        session.add(IdempotencyKey(token_id=token.id, key="k3", fingerprint="f", claim="c", answer_status=201,
                                   answer_body={"id": ticket_id, "url": f"https://h.example/en/tickets/{by_mail_ref}"}))
        session.add(ContentGap(ticket_id=ticket_id, query=f"refund {MARK}", lang="en"))
        # Their visit before writing: the dashboard's self-service figures join it to the ticket
        session.add(SearchEvent(visit_id=VISIT, query="refund late", lang="en", result_count=2, abstained=False,
                                created_at=START))
        session.add(Deflection(visit_id=VISIT, article_key="en/refunds", created_at=START))
        session.add(Deflection(visit_id="visit-other", article_key="en/refunds", created_at=START))
        session.add(SuggestionEvent(ticket_id=ticket_id, agent_id=sara, kind="rejected", reason=f"not {MARK}",
                                    details={"what": "draft", "query": f"refund {MARK}"}))
    return {"customer": form.customer_id, "ticket": ticket_id, "form": form.id, "dup": dup.customer_id,
            "admin": admin, "other": other.ticket_id or 0}


def text_holding(desk: Desk, needle: str) -> list[str]:
    """Every table.column whose text (a string or JSON column) holds `needle`, case folded: the generic scan."""
    found = []
    with desk.db.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None and needle in str(value).casefold():
                        found.append(f"{table.name}.{column.name}")
    return sorted(set(found))


def files_holding(root: Path, needle: str) -> list[str]:
    """The files under the data directory that hold `needle`, by name or bytes; not the SQLite database's own (its
    old pages keep erased text until SQLite reuses them: the README says so, and what to do about backups)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  and not p.name.startswith("helpdesk.sqlite")
                  and (needle in p.name.casefold() or needle.encode() in p.read_bytes().lower()))


def kpis(desk: Desk) -> tuple[object, ...]:
    period = metrics.Filters(START - timedelta(days=7), datetime.now(UTC) + timedelta(days=1))
    board = metrics.figures(desk.db, period, desk.hours, as_of=datetime.now(UTC) + timedelta(hours=1))
    csat = replace(board.csat, low=[(r.ticket_id, r.rating) for r in board.csat.low])  # type: ignore[list-item]
    adoption = replace(board.adoption, rejections=[(r.ticket_id, r.lang) for r in board.adoption.rejections])  # type: ignore[list-item]
    return (board.tickets, board.backlog.total, board.backlog.buckets, csat, board.agents, adoption, board.days,
            board.self_service)


def test_an_erase_leaves_no_text_of_theirs_in_any_table_nor_their_files_and_the_figures_unchanged(desk: Desk) -> None:
    ids = populate(desk)
    data = desk.settings.data_dir
    assert text_holding(desk, MARK)  # the scan sees what they wrote before
    assert files_holding(data, MARK)
    before = kpis(desk)
    with desk.db.session() as session:
        statuses_before = session.execute(select(TicketStatusChange.ticket_id, TicketStatusChange.new_status)
                                          .order_by(TicketStatusChange.id)).all()
        references = list(session.scalars(select(Ticket.reference).where(Ticket.customer_id == ids["customer"])))
        updated = {i: when for i, when in session.execute(select(Ticket.id, Ticket.updated_at))}
        survey_token = session.scalar(select(CsatSurvey.token).where(CsatSurvey.ticket_id == ids["ticket"]))
        file_id, file_ref = session.execute(select(Attachment.id, Ticket.reference).join(Ticket)
                                            .where(Ticket.id == ids["ticket"])).one()
    assert survey_token is not None and desk.attachments.get(file_id, reference=file_ref) is not None
    summary = desk.erasure.summary(ids["customer"])
    assert (summary.tickets, summary.duplicates, summary.attachments) == (3, 1, 1)
    result = desk.erasure.erase(ids["customer"], f"  {EMAIL.upper()} ", by=Actor.agent(ids["admin"]))
    assert text_holding(desk, MARK) == []
    assert files_holding(data, MARK) == []
    assert result.files_left == [] and result.counts["tickets"] == 3 and result.counts["customers"] == 2
    assert kpis(desk) == before
    with desk.db.session() as session:  # the skeletons stay: the tickets, their messages, histories, the rating
        assert session.execute(select(TicketStatusChange.ticket_id, TicketStatusChange.new_status)
                               .order_by(TicketStatusChange.id)).all() == statuses_before
        assert session.scalars(select(Ticket.status).where(Ticket.id == ids["ticket"])).one() == "solved"
        assert {i: when for i, when in session.execute(select(Ticket.id, Ticket.updated_at))} == updated  # no activity
        assert session.scalar(select(CsatSurvey.rating).where(CsatSurvey.ticket_id == ids["ticket"])) == 2
        assert session.query(Message).filter(Message.ticket_id == ids["ticket"]).count() == 3
        row = session.get(Customer, ids["customer"])
        assert row is not None and row.erased_at is not None and row.name == "" and "@" not in row.email
        assert list(session.scalars(select(IdempotencyKey.key))) == ["k2"]  # another request's answer stays
        assert session.scalar(select(Attachment.path).where(Attachment.ticket_id == ids["ticket"])) is None
    # Their old ticket links go nowhere; the inbox search finds nothing of theirs, the other customer's still found
    assert all(desk.tickets.by_reference(r) is None for r in references)
    assert desk.surveys.by_token(survey_token) is None  # their survey link and file link open nothing
    assert desk.attachments.get(file_id, reference=file_ref) is None
    assert desk.inbox.page(InboxQuery(view="all", q=MARK), agent_id=0).rows == []
    assert [r.ticket.id for r in desk.inbox.page(InboxQuery(view="all", q=KEEP), agent_id=0).rows] == [ids["other"]]
    assert files_holding(data, KEEP)
    assert desk.customers.profile(ids["customer"]) is None
    assert ids["customer"] not in [r.id for r in desk.customers.page().rows]
    # One audit event: the counts, never the name or the email
    [event] = desk.audit.page(AuditQuery(action="customer_erased"), 0, 10).events
    assert (event.subject, event.actor_id) == (str(ids["customer"]), ids["admin"])
    assert event.after is not None and event.after["tickets"] == 3 and MARK not in str(event.after)
    erased = desk.erasure.erased_by(ids["customer"])
    assert erased is not None and erased.agent is not None and erased.agent.name == "Admin"
    # The same address writing again is a brand-new customer, linked to nothing
    again = desk.mail_in.receive(mail(EMAIL, "New question", "hello again"))
    fresh = desk.tickets.get(again.ticket_id or 0)
    assert fresh is not None and fresh.customer_id not in (ids["customer"], ids["dup"])
    assert [t.id for t in desk.tickets.by_customer_email(EMAIL)] == [fresh.id]


def test_refusals_name_the_field_and_write_nothing(desk: Desk) -> None:
    ids = populate(desk)
    scanned, kept_files = text_holding(desk, MARK), files_holding(desk.settings.data_dir, MARK)
    with pytest.raises(InputError, match="email: type the customer's email to confirm") as wrong:
        desk.erasure.erase(ids["customer"], "someone@example.com")
    assert wrong.value.field == "email"
    with pytest.raises(InputError, match="email"):
        desk.erasure.erase(ids["customer"], "")
    assert (text_holding(desk, MARK), files_holding(desk.settings.data_dir, MARK)) == (scanned, kept_files)
    with pytest.raises(InputError, match="customer: no customer #99999"):
        desk.erasure.erase(99999, EMAIL)
    with pytest.raises(MergedAwayError, match=f"was merged into customer #{ids['customer']}"):
        desk.erasure.erase(ids["dup"], f"{MARK}.work@example.org")
    assert desk.audit.page(AuditQuery(action="customer_erased"), 0, 10).events == []
    desk.erasure.erase(ids["customer"], EMAIL)
    with desk.db.session() as session:
        outbox_before = session.scalar(select(func.count()).select_from(OutboxMail))
    with pytest.raises(ErasedError, match="was erased already"):
        desk.erasure.erase(ids["customer"], EMAIL)
    assert len(desk.audit.page(AuditQuery(action="customer_erased"), 0, 10).events) == 1
    # Erased customers take no merge and no edit
    other = desk.tickets.get(ids["other"])
    assert other is not None
    with pytest.raises(InputError, match=r"into: customer #\d+ was erased"):
        desk.customers.merge(other.customer_id, ids["customer"])
    with pytest.raises(InputError, match="was erased"):
        desk.customers.edit(ids["customer"], "Back", "")
    with pytest.raises(InputError, match=r"ticket: the customer of ticket #\d+ was erased: there is no one"):
        desk.tickets.reply(ids["ticket"], ids["admin"], "Are you there?")
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == outbox_before


def test_a_file_left_by_a_crash_after_the_commit_is_removed_by_the_purge_pass(desk: Desk,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ids = populate(desk)
    monkeypatch.setattr(type(desk.erasure), "remove_files", lambda self, paths: 0)  # the process died here
    monkeypatch.setattr(type(desk.held_mail), "remove_originals", lambda self, rows: 0)
    desk.erasure.erase(ids["customer"], EMAIL)
    assert files_holding(desk.settings.data_dir, MARK)
    monkeypatch.undo()
    assert desk.erasure.remove_leftovers() == 1
    desk.held_mail.purge(timedelta(days=30))
    assert files_holding(desk.settings.data_dir, MARK) == []
    assert files_holding(desk.settings.data_dir, KEEP)


def test_an_erase_and_a_merge_into_the_customer_at_once_are_one_after_the_other(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Met after each read its rows: either the merge lands first and the erase takes the merged tickets too, or the
    erase does and the merge is refused (erased); never a merged ticket with its text kept on an erased customer."""
    kept = desk.tickets.create(NewTicket(email=EMAIL, subject=f"One {MARK}", body=MARK, lang="en", notify=False))
    dup = desk.tickets.create(NewTicket(email=f"{MARK}2@example.com", subject=f"Two {MARK}", body=MARK, lang="en",
                                        notify=False))
    from desk import customers as customers_module
    from desk import erasure as erasure_module

    results = at_once([lambda: desk.customers.merge(dup.customer_id, kept.customer_id),
                       lambda: desk.erasure.erase(kept.customer_id, EMAIL)],
                      [(customers_module, "row_by_id"), (erasure_module, "row_by_id")], monkeypatch)
    monkeypatch.undo()
    assert not all(refused(r) for r in results), results
    merged, erased = results
    if refused(erased):  # SQLite: the busy database's error; the merge went alone
        assert desk.tickets.get(dup.id).customer_id == kept.customer_id  # type: ignore[union-attr]
        desk.erasure.erase(kept.customer_id, EMAIL)
    assert not isinstance(erased, Exception) or refused(erased)
    with desk.db.session() as session:
        mine = session.scalars(select(Ticket).where(Ticket.customer_id == kept.customer_id)).all()
        dup_ticket = session.get(Ticket, dup.id)
        assert dup_ticket is not None
    if refused(merged):  # the erase went first: the duplicate keeps its own ticket and data
        assert "erased" in str(merged) or not isinstance(merged, InputError)  # else the busy database's
        assert dup_ticket.customer_id == dup.customer_id and [t.id for t in mine] == [kept.id]
    else:  # the merge went first: the erase took the moved ticket too
        assert sorted(t.id for t in mine) == sorted([kept.id, dup.id])
    assert text_holding(desk, f"{MARK}@") == []
    for ticket in mine:
        assert ticket.subject == ""


def test_the_erasure_migration_upgrades_the_previous_head(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from tests.conftest import migrate

    db, url = database_at(tmp_path, "tag_folds")
    assert "erased_at" not in {c["name"] for c in inspect(db.engine).get_columns("customers")}
    migrate(db, command.upgrade, "customer_erasure")
    assert "erased_at" in {c["name"] for c in inspect(db.engine).get_columns("customers")}
    migrate(db, command.downgrade, "tag_folds")
    assert "erased_at" not in {c["name"] for c in inspect(db.engine).get_columns("customers")}
    db.close()
    desk = Desk(Settings(data_dir=tmp_path, database_url=url))
    ticket = desk.tickets.create(NewTicket(email=EMAIL, subject="Hi", body="there", lang="en", notify=False))
    desk.erasure.erase(ticket.customer_id, EMAIL)
    assert desk.customers.get(ticket.customer_id).erased_at is not None  # type: ignore[union-attr]
    desk.close()


def test_an_agents_reply_racing_the_erase_is_emptied_or_refused(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """Met where the reply has found its customer not erased and the erase has emptied the messages (before it
    changes the tickets): without the erase holding the tickets first, PostgreSQL found a deadlock and the erase
    failed (or the reply's message landed after the emptying, its text kept). Now the reply waits for the erase and
    is refused (the customer erased), or lands first and is emptied: never a reply's text left on an erased ticket."""
    ticket = desk.tickets.create(NewTicket(email=EMAIL, subject=f"One {MARK}", body=MARK, lang="en", notify=False))
    sara = desk.accounts.create_agent("sara@example.com", "a-long-password-1", name="Sara").id
    from desk import erasure as erasure_module
    from desk import tickets as tickets_module

    results = at_once([lambda: desk.tickets.reply(ticket.id, sara, f"Dear {MARK}, here it is."),
                       lambda: desk.erasure.erase(ticket.customer_id, EMAIL)],
                      [(tickets_module, "refuse_erased"), (erasure_module, "new_reference")], monkeypatch)
    monkeypatch.undo()
    replied, erased = results
    if refused(erased):  # SQLite only (one writer: the busy database's error); the reply went alone
        assert desk.db.engine.dialect.name == "sqlite", erased  # PostgreSQL deadlocked here before the lock
        assert not isinstance(replied, Exception)
        desk.erasure.erase(ticket.customer_id, EMAIL)
    elif isinstance(replied, Exception):  # the erase went first
        assert "was erased" in str(replied) or refused(replied)
    assert text_holding(desk, MARK) == []
