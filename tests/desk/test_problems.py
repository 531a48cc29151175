"""Problem and incident tickets (desk.problems): marking, linking with its refusals, both tickets' history and the
webhooks' snapshot, merges, the migration, and solving a problem whose incidents' customers mailed in, through a real
SMTP server on loopback, each answered in their own language."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import IntegrityError

from desk.desk import Desk
from desk.inbox import InboxQuery
from desk.models import WITH_DELETED, Customer, Ticket, TicketProblemChange, WebhookDelivery
from desk.tickets import ClosedTicketError, InputError, NewTicket, ticket_number
from kb.settings import Settings
from tests.conftest import ROOT, database_at, database_url_for_tests, load_script, migrate
from tests.desk.test_ccs import mail
from tests.desk.test_mail_out import deliver
from tests.smtp_sink import SmtpSink


@pytest.fixture
def settings(tmp_path: Path, sink: SmtpSink) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from="support@manzil.example", smtp_url=sink.url, webhook_allow_private=True)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


def new(desk: Desk, email: str, subject: str = "Payment failed", body: str = "My card payment failed") -> int:
    return desk.tickets.create(NewTicket(email=email, subject=subject, body=body, notify=False)).id


def history(desk: Desk, ticket_id: int) -> list[tuple[str, int | None]]:
    with desk.db.session() as session:
        return [(row.kind, row.other_id) for row in session.scalars(
            select(TicketProblemChange).where(TicketProblemChange.ticket_id == ticket_id)
            .order_by(TicketProblemChange.id))]


def refusal(call) -> InputError:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as raised:
        call()
    return raised.value


def test_link_and_unlink_are_in_both_histories_the_snapshot_and_the_webhook(desk: Desk) -> None:
    desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.updated"])
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    problem, first, second = (new(desk, f"{name}@example.com") for name in ("ops", "lina", "omar"))
    assert desk.problems.mark(problem, agent) and not desk.problems.mark(problem, agent)
    assert desk.problems.link([first, second], problem, agent) == 2
    assert desk.problems.link([first], problem, agent) == 0  # linked there already: nothing written
    assert [i.id for i in desk.problems.incidents(problem)] == [first, second]
    assert history(desk, first) == [("linked", problem)]
    assert history(desk, problem) == [("marked", None), ("incident_linked", first), ("incident_linked", second)]
    assert [type(c).__name__ for c in desk.tickets.changes(first)] == ["TicketProblemChange"]
    with desk.db.session() as session:
        deliveries = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.ticket_id == first)))
    [linked] = deliveries
    assert linked.data["changes"]["problem_id"] == {"old": None, "new": problem}
    assert (linked.data["ticket"]["kind"], linked.data["ticket"]["problem_id"]) == ("incident", problem)
    refused = refusal(lambda: desk.problems.unmark(problem, agent))
    assert refused.field == "kind" and "2 incidents" in str(refused)
    assert desk.problems.unlink(first, agent) and not desk.problems.unlink(first, agent)
    assert history(desk, problem)[-1] == ("incident_unlinked", first)
    assert history(desk, first)[-1] == ("unlinked", problem)
    ticket = desk.tickets.get(first)
    assert ticket is not None and ticket.problem_id is None


def test_a_link_is_refused_naming_the_field_for_each_bad_problem(desk: Desk) -> None:
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    plain, report, problem, other = (new(desk, f"{name}@example.com") for name in ("a", "b", "c", "d"))
    desk.problems.mark(problem, agent)
    cases = {
        "is not a problem ticket": (report, plain),
        "cannot be an incident of itself": (problem, problem),
        "no ticket 999999": (report, 999_999),
        "no ticket 99999999999999": (report, 99_999_999_999_999),  # past any id column: named, not a 500
    }
    for words, (incident, target) in cases.items():
        refused = refusal(lambda incident=incident, target=target: desk.problems.link([incident], target, agent))
        assert refused.field == "problem_id" and words in str(refused), (words, str(refused))
    # A problem with incidents of its own cannot become an incident; one without does (a known problem's report).
    desk.problems.link([report], problem, agent)
    desk.problems.mark(other, agent)
    refused = refusal(lambda: desk.problems.link([problem], other, agent))
    assert refused.field == "problem_id" and "incidents of its own" in str(refused)
    # An incident is not marked a problem (it would be both): unlink first.
    assert refusal(lambda: desk.problems.mark(report, agent)).field == "kind"
    # Closed and merged problems are refused.
    desk.tickets.update(other, status="closed")
    assert "is closed" in str(refusal(lambda: desk.problems.link([plain], other, agent)))
    twin = new(desk, "c@example.com")
    desk.problems.mark(twin, agent)
    desk.tickets.merge(twin, problem, agent, "merged")
    assert "was merged into" in str(refusal(lambda: desk.problems.link([plain], twin, agent)))
    # A closed incident is final.
    with pytest.raises(ClosedTicketError):
        desk.problems.link([other], problem, agent)


def test_linking_many_is_all_or_nothing(desk: Desk) -> None:
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    problem, first, closed = (new(desk, f"{name}@example.com") for name in ("ops", "lina", "omar"))
    desk.problems.mark(problem, agent)
    desk.tickets.update(closed, status="closed")
    with pytest.raises(ClosedTicketError):
        desk.problems.link([first, closed], problem, agent)
    assert desk.problems.incidents(problem) == [] and history(desk, first) == []


def test_numbers_that_are_not_numbers_are_refused() -> None:
    for bad in ("", "abc", "-4", "1e3", "১২", "12.0", "#", True, 1.5, None, "9" * 40, 0, -3, 2**31):
        with pytest.raises(InputError) as raised:
            ticket_number(bad, "problem_id")
        assert raised.value.field == "problem_id"
    assert [ticket_number(typed, "problem_id") for typed in ("#12", " 12 ", 12)] == [12, 12, 12]
    # Arabic-Indic, Persian and full-width digits, as time spent reads them
    assert [ticket_number(typed, "problem_id") for typed in ("#١٢", "۱۲", "１２")] == [12, 12, 12]


def test_two_agents_linking_crosswise_at_once_leave_no_cycle(desk: Desk) -> None:
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    left, right = new(desk, "a@example.com"), new(desk, "b@example.com")
    desk.problems.mark(left, agent)
    desk.problems.mark(right, agent)
    start, outcomes = threading.Barrier(2), []

    def link(incident: int, problem: int) -> None:
        start.wait()
        try:
            desk.problems.link([incident], problem, agent)
            outcomes.append("linked")
        except InputError as error:
            outcomes.append(error.field)

    threads = [threading.Thread(target=link, args=pair) for pair in ((left, right), (right, left))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["linked", "problem_id"]
    with desk.db.session() as session:
        rows = {t.id: (t.kind, t.problem_id) for t in session.scalars(select(Ticket))}
    # One is the other's incident; neither is both a problem and an incident.
    assert sorted(rows.values(), key=str) in ([("problem", None), (None, right)], [("problem", None), (None, left)],
                                              [(None, left), ("problem", None)], [(None, right), ("problem", None)])


def test_merges_carry_the_links(desk: Desk) -> None:
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    problem = new(desk, "ops@example.com")
    duplicate, kept = new(desk, "lina@example.com"), new(desk, "lina@example.com", subject="again")
    desk.problems.mark(problem, agent)
    desk.problems.link([duplicate], problem, agent)
    desk.tickets.merge(duplicate, kept, agent, "merged")  # the link moves to the ticket kept
    assert [i.id for i in desk.problems.incidents(problem)] == [kept]
    # A problem merged away takes its incidents to the ticket it is merged into, which becomes the problem.
    other_problem = new(desk, "ops@example.com", subject="outage")
    desk.tickets.merge(problem, other_problem, agent, "merged")
    moved = desk.tickets.get(other_problem)
    assert moved is not None and moved.kind == "problem"
    assert [i.id for i in desk.problems.incidents(other_problem)] == [kept]
    assert desk.problems.incidents(problem) == []
    # ... refused, nothing written, when that ticket is another problem's incident.
    third, fourth = new(desk, "ops@example.com", subject="third"), new(desk, "ops@example.com", subject="fourth")
    desk.problems.mark(third, agent)
    desk.problems.link([fourth], third, agent)
    refused = refusal(lambda: desk.tickets.merge(other_problem, fourth, agent, "merged"))
    assert refused.field == "target" and "is an incident of" in str(refused)
    assert [i.id for i in desk.problems.incidents(other_problem)] == [kept]


def test_inbox_filters_and_saved_views_keep_them(desk: Desk) -> None:
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    problem, first, _plain = (new(desk, f"{name}@example.com") for name in ("ops", "lina", "omar"))
    desk.problems.mark(problem, agent)
    desk.problems.link([first], problem, agent)
    assert [r.ticket.id for r in desk.inbox.page(InboxQuery(problems=True), agent).rows] == [problem]
    assert [r.ticket.id for r in desk.inbox.page(InboxQuery(incidents_of=problem), agent).rows] == [first]
    saved = desk.saved_views.save(agent, "Outage", {"incidents_of": f"#{problem}", "problems": ""})
    again = desk.saved_views.get(saved.id, agent)
    assert again is not None and again.query.incidents_of == problem and not again.query.problems
    for bad in ("-1", "x", "1" * 30):
        assert refusal(lambda bad=bad: desk.saved_views.save(agent, "Bad", {"incidents_of": bad})).field == \
            "incidents_of"


def test_solving_a_problem_mails_each_incident_in_its_language(desk: Desk, settings: Settings,
                                                               sink: SmtpSink) -> None:
    """End to end: three customers mail in (two in English, one in Arabic), the agent links them to a problem and
    solves it with an English and an Arabic reply; each customer receives one mail, in their language, and each
    incident is solved. A fourth incident whose customer was erased fails alone, named; a closed one is skipped."""
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    problem = new(desk, "ops@manzil.example", subject="Card payments failing")
    desk.problems.mark(problem, agent)
    mails = (("lina@example.com", "Payment failed", "My card payment failed twice today."),
             ("sam@example.com", "Cannot pay", "The checkout says my card was declined."),
             ("omar@example.com", "فشل الدفع", "فشلت عملية الدفع بالبطاقة مرتين اليوم، ما المشكلة؟"))
    received = [desk.mail_in.receive(mail(body, sender=sender, subject=subject)).ticket_id
                for sender, subject, body in mails]
    incidents = [ticket_id for ticket_id in received if ticket_id is not None]
    assert len(incidents) == 3
    erased, closed = new(desk, "gone@example.com"), new(desk, "done@example.com")
    desk.problems.link([*incidents, erased, closed], problem, agent)
    desk.tickets.update(closed, status="closed")
    customer = desk.tickets.get(erased)
    assert customer is not None
    desk.erasure.erase(customer.customer_id, "gone@example.com")
    assert [t.lang for t in map(desk.tickets.get, incidents) if t is not None] == ["en", "en", "ar"]
    assert desk.problems.open_languages(problem) == ["ar", "en"]
    # The Arabic text is asked for before anything is sent.
    refused = refusal(lambda: desk.problems.solve(problem, agent, "Fixed: please try again.", {"ar": " "}))
    assert refused.field == "body_ar"
    deliver(desk, settings)  # the confirmations of the mailed tickets
    before = len(sink.messages)
    english, arabic = "The payment provider fixed it: please try again.", "أصلح مزوّد الدفع المشكلة، حاول مرة أخرى."
    shown = desk.tickets.get(problem)
    assert shown is not None
    seen = max(m.id for m in shown.messages)  # the last message on the agent's screen, as the page posts it
    report = desk.problems.solve(problem, agent, english, {"ar": arabic}, seen_message_id=seen)
    assert (report.solved, report.skipped, [n for n, _ in report.failed]) == (incidents, [closed], [erased])
    assert "erased" in str(report.failed[0][1])
    deliver(desk, settings)
    sent = sink.messages[before:]
    by_address = {str(m["To"]): m.get_body(("plain",)).get_content() for m in sent}
    assert len(sent) == 4 and set(by_address) == {"ops@manzil.example", "lina@example.com", "sam@example.com",
                                                    "omar@example.com"}
    assert english in by_address["lina@example.com"] and english in by_address["sam@example.com"]
    assert arabic in by_address["omar@example.com"] and english not in by_address["omar@example.com"]
    assert all(t is not None and t.status == "solved" for t in map(desk.tickets.get, [problem, *incidents]))
    # Sent again (a double click, a resumed batch): nothing goes out twice.
    again = desk.problems.solve(problem, agent, english, {"ar": arabic}, seen_message_id=seen)
    assert again.sent.resent and again.already == incidents and again.solved == []
    deliver(desk, settings)
    assert len(sink.messages) == before + 4


def test_the_migration_adds_the_columns_and_the_history(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "side_conversation_more")
    migrate(db, command.upgrade, "problem_tickets")
    columns = {c["name"] for c in inspect(db.engine).get_columns("tickets")}
    assert {"kind", "problem_id"} <= columns
    assert "ix_tickets_problem_id" in {i["name"] for i in inspect(db.engine).get_indexes("tickets")}
    assert "ticket_problem_changes" in inspect(db.engine).get_table_names()
    assert {"problems", "incidents_of"} <= {c["name"] for c in inspect(db.engine).get_columns("saved_views")}
    migrate(db, command.downgrade, "side_conversation_more")
    assert not {"kind", "problem_id"} & {c["name"] for c in inspect(db.engine).get_columns("tickets")}
    assert "ticket_problem_changes" not in inspect(db.engine).get_table_names()
    db.close()


def test_an_incident_never_points_at_a_ticket_that_is_gone(desk: Desk) -> None:
    """`problem_id` had no foreign key: a problem's row removed (by hand, a restore from a partial dump) left its
    incidents naming no ticket. Now its key sets them unlinked; the purge of a deleted problem and an erasure work."""
    with desk.db.session() as session:
        customer = session.scalar(select(Customer).where(Customer.id == desk.tickets.get(new(desk, "a@x.example"))
                                                         .customer_id))
        bare = Ticket(reference="bare-problem", customer=customer, subject="Card outage", lang="en", kind="problem")
        session.add(bare)
        session.flush()
        bare_id = bare.id
    incident = new(desk, "b@x.example")
    with desk.db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == incident).values(problem_id=bare_id))
    with desk.db.engine.begin() as connection:  # the row itself, past every helper
        connection.execute(delete(Ticket.__table__).where(Ticket.__table__.c.id == bare_id))
    assert desk.tickets.get(incident).problem_id is None  # type: ignore[union-attr]
    with pytest.raises(IntegrityError), desk.db.session() as session:  # and no link to no ticket can be written
        session.execute(update(Ticket).where(Ticket.id == incident).values(problem_id=bare_id))

    # A deleted incident does not keep its deleted problem from being purged, nor its customer from being erased.
    problem, other = new(desk, "c@x.example"), new(desk, "d@x.example")
    desk.problems.mark(problem, None)
    desk.problems.link([other], problem, None)
    desk.trash.delete([other])
    desk.trash.delete([problem])
    assert desk.trash.purge_ids([problem]) == 1
    with desk.db.session() as session:
        session.info[WITH_DELETED] = True
        assert session.scalar(select(Ticket.problem_id).where(Ticket.id == other)) is None
    erased = desk.erasure.erase(desk.tickets.get(incident).customer_id, "b@x.example")  # type: ignore[union-attr]
    assert erased.counts


def test_the_foreign_key_migration_unlinks_dangling_incidents_and_goes_down(tmp_path: Path) -> None:
    before = load_script(ROOT / "desk/migrations/versions/problem_foreign_key.py", "problem_foreign_key").down_revision
    db, _ = database_at(tmp_path, before)  # the head it was written on (a merge may move it)
    with db.engine.begin() as connection:
        run = connection.exec_driver_sql
        run("INSERT INTO customers (id, email, name, created_at) VALUES (1, 'a@x.example', 'A', '2026-12-01')")
        for ticket_id, kind, problem in ((1, "problem", None), (2, None, 1), (3, None, 999)):
            run("INSERT INTO tickets (id, reference, customer_id, subject, lang, status, priority, channel, context, "
                "created_at, updated_at, due_by_hand, kind, problem_id) VALUES "
                f"({ticket_id}, 'r{ticket_id}', 1, 'S', 'en', 'open', 'normal', 'web', '{{}}', '2026-12-01', "
                f"'2026-12-01', false, {'NULL' if kind is None else repr(kind)}, "
                f"{'NULL' if problem is None else problem})")
            run("INSERT INTO messages (ticket_id, author, body, internal, created_at) VALUES "
                f"({ticket_id}, 'customer', 'help', false, '2026-12-01')")

    def links() -> dict[int, int | None]:
        with db.engine.connect() as connection:
            return dict(connection.exec_driver_sql("SELECT id, problem_id FROM tickets ORDER BY id").all())

    def keys() -> list[tuple[object, ...]]:
        return [(k["constrained_columns"], k["referred_table"], (k.get("options") or {}).get("ondelete"))
                for k in inspect(db.engine).get_foreign_keys("tickets") if k["constrained_columns"] == ["problem_id"]]

    assert keys() == []
    migrate(db, command.upgrade, "problem_foreign_key")
    assert links() == {1: None, 2: 1, 3: None}  # the dangling one unlinked, the real one kept
    assert keys() == [(["problem_id"], "tickets", "SET NULL")]
    assert "ix_tickets_problem_id" in {i["name"] for i in inspect(db.engine).get_indexes("tickets")}
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM messages").scalar() == 3  # nothing under it lost
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    migrate(db, command.downgrade, before)
    assert keys() == [] and links() == {1: None, 2: 1, 3: None}
    migrate(db, command.upgrade, "head")
    db.close()


def test_a_problem_merged_into_its_own_incident_makes_that_one_the_problem(desk: Desk) -> None:
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara").id
    problem, own, other = (new(desk, email) for email in ("ops@example.com", "ops@example.com", "lina@example.com"))
    desk.problems.mark(problem, agent)
    desk.problems.link([own, other], problem, agent)
    desk.tickets.merge(problem, own, agent, "merged")
    kept = desk.tickets.get(own)
    assert kept is not None and (kept.kind, kept.problem_id) == ("problem", None)
    assert [i.id for i in desk.problems.incidents(own)] == [other]  # never an incident of itself
    assert history(desk, own)[-3:] == [("unlinked", problem), ("marked", None), ("incident_linked", other)]


def test_two_api_patches_linking_crosswise_at_once_lock_in_one_order(desk: Desk) -> None:
    """Each PATCH locks its ticket; the one naming a lower problem locks the problem first, so two PATCHes linking
    A to B and B to A wait on each other in one order (on PostgreSQL they deadlocked: a 500) and one is refused."""
    from desk.audit import SYSTEM
    from desk.ticket_patch import TicketPatch, patch_ticket

    left, right = new(desk, "a@example.com"), new(desk, "b@example.com")
    desk.problems.mark(left, None)
    desk.problems.mark(right, None)
    start, outcomes = threading.Barrier(2), []

    def link(ticket: int, problem: int) -> None:
        start.wait()
        try:
            patch_ticket(desk.tickets, ticket, TicketPatch(problem_id=problem), SYSTEM)
            outcomes.append("linked")
        except InputError as error:
            outcomes.append(error.field)
        except Exception as error:  # what the test is about: no other failure
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=link, args=pair) for pair in ((left, right), (right, left))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["linked", "problem_id"]
