"""Hostile input against session 31's surfaces (hostile31b): erasing a customer (the form, the API) under junk emails
and races, what of theirs answers after it, and the tags page's rename and delete under junk names and races,
through the real app.

Concrete cases first (each a fault found and fixed, or a rule pinned), then hypothesis campaigns: whatever a form or a
JSON body carries, never a 500, and a refusal writes nothing. The light app, SQLite and (`--postgresql`) PostgreSQL;
KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import inspect
import json
import os
import threading
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import desk.mail.receive as receive_module
import desk.surveys as survey_module
import desk.tickets as ticket_module
from desk.audit import SYSTEM
from desk.erasure import Erasure
from desk.models import Agent, AuditEvent, CsatSurvey, Customer, MailThread, SavedView, Ticket, TicketTag, utcnow
from desk.surveys import SurveyError, open_survey
from desk.tags import Tags
from desk.tickets import NewTicket, TicketStore
from kb.settings import Settings
from tests.races import MEETING_WAIT, at_once, refused
from tests.webapp.light_app import PASSWORD, light_settings, signed_in  # noqa: F401
from tests.webapp.test_hostile_session29 import desk_of, encoded, everything

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
LINA = "lina@example.com"


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """An admin, a lead and an agent; Lina (two tickets, tagged "vip" and "refund") and Omar (one, "vip")."""
    from webapp import create_app

    app = create_app(replace(light_settings, rate_limits=False))
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    for subject, tags in (("Refund", ["vip", "refund"]), ("Invoice", ["vip"])):
        desk.tickets.create(NewTicket(email=LINA, name="Lina", subject=subject, body="Where is it?", tags=tags,
                                      notify=False))
    desk.tickets.create(NewTicket(email="omar@example.com", name="Omar", subject="Parcel", body="Late", tags=["vip"],
                                  notify=False))
    app.config["api_token"] = desk.accounts.create_token("partner")
    return app


def lina(app: Flask) -> int:
    with desk_of(app).db.session() as session:
        found = session.scalar(select(Customer.id).where(Customer.email == LINA))
        assert found is not None
        return found


def api_erase(app: Flask, customer_id: int | str, raw: bytes):  # type: ignore[no-untyped-def]
    return app.test_client().post(f"/api/v1/customers/{customer_id}/erase", data=raw,
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {app.config['api_token']}"})


def form_post(app: Flask, path: str, fields: dict[str, str | bytes], signed: tuple[Any, str]):  # type: ignore[no-untyped-def]
    client, token = signed
    return client.post(path, data=encoded({**fields, "csrf_token": token}).encode("ascii"),
                       content_type="application/x-www-form-urlencoded")


# --- the erase under junk emails ----------------------------------------------------------------------------------

JUNK_EMAILS: list[object] = [
    "", " ", "omar@example.com", "\x00", "lina@example.com" + "x" * 10_000, "x" * 10_000,
    "lina\u200b@example.com", "\u202elina@example.com", "lina@exämple.com", "lina@xn--exmple-cua.com",
    "lina@example.com.evil", "lina@example.co", "LINA@EXAMPLE.COM\u00a0x", "erased-1", None, 1, 1.5, True, [LINA],
    {"email": LINA}, [], {},
]


def test_the_api_erase_refuses_a_junk_email_naming_it(app: Flask) -> None:
    before = everything(app)
    for email in JUNK_EMAILS:
        answer = api_erase(app, lina(app), json.dumps({"email": email}).encode())
        assert answer.status_code == 400, (email, answer.get_data(as_text=True))
        body = answer.get_json()
        assert set(body) == {"error"} and body["error"].startswith("email: "), (email, body)
    assert everything(app) == before


def test_the_erase_form_refuses_a_junk_email_with_the_page(app: Flask) -> None:
    signed = signed_in(app, "admin@example.com")
    before = everything(app)
    for email in [e for e in JUNK_EMAILS if isinstance(e, str)]:
        answer = form_post(app, f"/agent/customers/{lina(app)}/erase", {"email": email}, signed)
        assert answer.status_code == 400, (email, answer.get_data(as_text=True)[:500])
    for lang in ("en", "ar"):  # the confirmation (a GET) reads only
        confirm = signed[0].get(f"/agent/customers/{lina(app)}/erase", headers={"Accept-Language": lang})
        assert confirm.status_code == 200
    assert everything(app) == before


@pytest.mark.parametrize("email", ["LINA@Example.COM", "  lina@example.com  ", "lina@example.com."])
def test_the_erase_takes_the_email_as_stored(app: Flask, email: str) -> None:
    answer = api_erase(app, lina(app), json.dumps({"email": email}).encode())
    assert answer.status_code == 200, answer.get_data(as_text=True)


# --- races ---------------------------------------------------------------------------------------------------------


def erased_tickets_hold_nothing(app: Flask) -> None:
    """No ticket of an erased customer has a subject or a message body left."""
    with desk_of(app).db.session() as session:
        for ticket in session.scalars(select(Ticket).join(Customer).where(Customer.erased_at.is_not(None))):
            assert ticket.subject == "", ticket.subject
            assert all(m.body == "" for m in ticket.messages), [m.body for m in ticket.messages]


def erase_meanwhile(app: Flask, customer: int, monkeypatch: pytest.MonkeyPatch, hooked: tuple[object, str],
                    work: Any) -> list[object]:
    """`work` in a thread that, once `hooked` ran (its read of the customer), lets the erase of `customer` run to its
    end (unless `work` holds a lock the erase waits for: SQLite's one writer; then they meet as at_once's do)."""
    reached, erased = threading.Event(), threading.Event()
    owner, name = hooked
    original = getattr(owner, name)

    def wait(*args: object, **kwargs: object) -> object:
        found = original(*args, **kwargs)
        if threading.current_thread().name == "work":
            reached.set()
            erased.wait(timeout=MEETING_WAIT)
        return found

    static = isinstance(inspect.getattr_static(owner, name), staticmethod)
    monkeypatch.setattr(owner, name, staticmethod(wait) if static else wait)
    results: list[object] = [None, None]

    def run(number: int, call: Any) -> None:
        if number == 1:
            reached.wait(timeout=MEETING_WAIT)
        try:
            results[number] = call()
        except Exception as error:
            results[number] = error
        finally:
            if number == 1:
                erased.set()

    threads = [threading.Thread(target=run, args=(0, work), name="work"),
               threading.Thread(target=run, args=(1, lambda: desk_of(app).erasure.erase(customer, LINA)))]
    threads[0].start()
    threads[1].start()
    for thread in threads:
        thread.join()
    return results


def test_a_new_ticket_from_the_address_racing_its_erase_lands_on_a_new_customer(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the ticket read Lina's row, waited on the erase's lock, and landed, with its subject and body, on
    the erased skeleton (no one to reply to; their words kept). Now it follows the address to a new customer."""
    new = NewTicket(email=LINA, name="Lina", subject="Again", body="Me again", notify=False)
    done = erase_meanwhile(app, lina(app), monkeypatch, (ticket_module, "reached_customer"),
                           lambda: desk_of(app).tickets.create(new))
    assert not any(isinstance(d, Exception) for d in done), done
    erased_tickets_hold_nothing(app)
    with desk_of(app).db.session() as session:
        again = session.scalar(select(Ticket).where(Ticket.subject == "Again"))  # else it came first, and was erased
        assert again is None or (again.customer.erased_at is None and again.customer.email == LINA)


def test_tag_rename_a_to_b_while_b_to_a(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = desk_of(app)
    done = at_once([lambda: desk.tags.rename("vip", "refund", SYSTEM),
                    lambda: desk.tags.rename("refund", "vip", SYSTEM)],
                   [(Tags, "_change")], monkeypatch)
    assert all(not isinstance(d, Exception) or refused(d) for d in done), done
    with desk.db.session() as session:
        tags = sorted(set(session.scalars(select(TicketTag.tag))))
    assert len(tags) == 1, tags


# --- after the erase: nothing of theirs answers the customer; every agent page renders the skeleton ----------------

AGENT_PAGES = ["/agent/?view=all", "/agent/tickets/{ticket}", "/agent/reports/", "/agent/dashboard/",
               "/agent/admin/audit", "/agent/customers", "/agent/tags", "/agent/?view=all&tag=vip"]


def test_after_the_erase_their_links_are_gone_and_agent_pages_render(app: Flask) -> None:
    from webapp.my_tickets import SALT
    from webapp.security import signer

    desk = desk_of(app)
    customer = lina(app)
    ticket = desk.tickets.get(1)
    with desk.db.session() as session:
        token = open_survey(session, session.get(Ticket, 1), None, utcnow()).token
    with app.test_request_context():
        magic = f"/en/my-tickets/{signer(SALT).dumps(LINA)}"
    assert app.test_client().get(f"/en/tickets/{ticket.reference}").status_code == 200
    assert app.test_client().get(f"/en/survey/{token}").status_code == 200
    assert "Refund" in app.test_client().get(magic).get_data(as_text=True)
    assert api_erase(app, customer, json.dumps({"email": LINA}).encode()).status_code == 200
    client, _ = signed_in(app, "admin@example.com")
    before = everything(app)
    for lang in ("en", "ar"):
        assert app.test_client().get(f"/{lang}/tickets/{ticket.reference}").status_code == 404
        assert app.test_client().get(f"/{lang}/survey/{token}").status_code == 404
        assert app.test_client().post(f"/{lang}/survey/{token}", data={"rating": "5"}).status_code in (400, 404)
        mine = app.test_client().get(magic.replace("/en/", f"/{lang}/"))
        assert mine.status_code in (200, 404) and "Refund" not in mine.get_data(as_text=True)
        for path in AGENT_PAGES:
            page = client.get(path.format(ticket=ticket.id), headers={"Accept-Language": lang})
            assert page.status_code == 200, (lang, path, page.status_code)
    headers = {"Authorization": f"Bearer {app.config['api_token']}"}
    assert app.test_client().get("/api/v1/tickets/1", headers=headers).status_code == 200
    assert app.test_client().get(f"/api/v1/customers/{customer}", headers=headers).status_code == 404
    after = everything(app)
    after.pop("agents"), before.pop("agents")  # the page views' last-seen stamps
    assert after == before


def test_a_customer_reply_racing_the_erase_is_refused_or_erased(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the reply read the ticket by its reference, the erase emptied it meanwhile, and the reply's message
    (the customer's words) was kept on the erased skeleton. Now the reply holds the ticket first: it finds no such
    ticket (the reference is a new one), or came first and was emptied with the rest."""
    reference = desk_of(app).tickets.get(1).reference
    done = erase_meanwhile(app, lina(app), monkeypatch, (TicketStore, "live_ticket"),
                           lambda: desk_of(app).tickets.customer_reply(reference, "My new address is 5 Elm St"))
    assert not isinstance(done[1], Exception) and (not isinstance(done[0], Exception) or refused(done[0])), done
    erased_tickets_hold_nothing(app)


def test_a_survey_answer_racing_the_erase_keeps_no_comment(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both engines: the answer read the survey by its token, the erase dropped the comments and the token meanwhile,
    and the answer's comment was written on the erased ticket's survey. Now the answer holds the survey first: it
    finds no such survey (the token is a new one), or came first and its comment was dropped."""
    desk = desk_of(app)
    with desk.db.session() as session:
        token = open_survey(session, session.get(Ticket, 1), None, utcnow()).token
    done = erase_meanwhile(app, lina(app), monkeypatch, (survey_module, "answerable"),
                           lambda: desk.surveys.answer(token, 1, "Lina, 5 Elm St, call 555-0100"))
    # The answer waited (a busy database is waited out since hostile37: Database.write) and then found no such
    # survey, or met the busy database's error, or came first.
    gone = isinstance(done[0], SurveyError) and "no such survey" in str(done[0])
    assert not isinstance(done[1], Exception) and (not isinstance(done[0], Exception) or refused(done[0]) or gone), done
    with desk.db.session() as session:
        survey = session.scalar(select(CsatSurvey).where(CsatSurvey.ticket_id == 1))
        assert survey is not None and survey.comment is None and survey.token != token


@pytest.mark.parametrize("lina_kept", [True, False])
def test_a_merge_racing_the_erase_either_way_leaves_no_words(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                                             lina_kept: bool) -> None:
    desk = desk_of(app)
    customer = lina(app)
    omar = desk.tickets.get(3).customer_id
    dup, kept = (omar, customer) if lina_kept else (customer, omar)
    done = at_once([lambda: desk.customers.merge(dup, kept, SYSTEM), lambda: desk.erasure.erase(customer, LINA)],
                   [(Erasure, "_customer_ids")], monkeypatch)
    assert all(not isinstance(d, Exception) or refused(d) for d in done), done
    erased_tickets_hold_nothing(app)
    with desk.db.session() as session:  # no live customer is left holding a ticket with Lina's words
        for ticket in session.scalars(select(Ticket).where(Ticket.subject.in_(["Refund", "Invoice"]))):
            assert ticket.customer.erased_at is None and ticket.customer.merged_into_id is None


def test_a_saved_view_follows_a_rename_and_still_opens(app: Flask) -> None:
    desk = desk_of(app)
    client, _ = signed_in(app, "agent@example.com")
    with desk.db.session() as session:
        agent = session.scalar(select(Agent.id).where(Agent.email == "agent@example.com"))
    assert agent is not None
    view = desk.saved_views.save(agent, "Big ones", {"view": "all", "tag": "vip"})
    lead, lead_token = signed_in(app, "lead@example.com")
    assert lead.post("/agent/tags/rename", data={"tag": "vip", "to": "ＧＯＬＤ", "csrf_token": lead_token}
                     ).status_code == 302
    for lang in ("en", "ar"):
        page = client.get("/agent/", query_string={"saved": view.id}, headers={"Accept-Language": lang})
        assert page.status_code == 200 and "Parcel" in page.get_data(as_text=True)
    with desk.db.session() as session:
        assert session.scalar(select(SavedView.tag).where(SavedView.id == view.id)) == "gold"


def test_a_mail_reply_racing_the_erase_becomes_a_new_customers_ticket(app: Flask,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Both engines: the mail found Lina's ticket by its thread's token, the erase emptied the ticket and dropped the
    thread meanwhile, and the mail's words were then appended to the skeleton. Now the intake holds the customer
    first and, finding them erased, files the mail as a new ticket from the address (a new customer)."""
    desk = desk_of(app)
    with desk.db.session() as session:
        session.add(MailThread(ticket_id=1, token="abcdefghijklmnop"))
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = LINA, "support+abcdefghijklmnop@manzil.example", "Re: Refund"
    mail.set_content("My card ends 4242")
    done = erase_meanwhile(app, lina(app), monkeypatch, (receive_module, "find_ticket"),
                           lambda: desk.mail_in.receive(mail.as_bytes()))
    assert not any(isinstance(d, Exception) for d in done), done
    erased_tickets_hold_nothing(app)


def test_a_second_erase_at_once_is_refused_and_writes_one_event(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = desk_of(app)
    customer = lina(app)
    done = at_once([lambda: desk.erasure.erase(customer, LINA), lambda: desk.erasure.erase(customer, LINA)],
                   [(Erasure, "_customer_ids")], monkeypatch)
    assert sum(not isinstance(d, Exception) for d in done) == 1 and any(refused(d) for d in done), done
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "customer_erased")) == 1


# --- tags: junk names, races -----------------------------------------------------------------------------------

JUNK_TAGS: list[str] = ["", " ", "\x00", "vip\x00", "v" * 10_000, "\u202evip", "vip\u2066", "\ufe8d\ufe8e" * 40,
                        "a" * 61, "vip/../x", "<b>vip</b>", "rеfund", "%00", "\ud7ff" * 3]


def tag_rows(app: Flask) -> list[tuple[int, str]]:
    with desk_of(app).db.session() as session:
        return sorted((t, tag) for t, tag in session.execute(select(TicketTag.ticket_id, TicketTag.tag)))


def test_rename_and_delete_refuse_junk_tags_naming_the_field(app: Flask) -> None:
    signed = signed_in(app, "lead@example.com")
    client, _ = signed
    before = everything(app)
    for junk in JUNK_TAGS:
        for fields in ({"tag": junk, "to": "new"}, {"tag": "vip", "to": junk}):
            answer = form_post(app, "/agent/tags/rename", fields, signed)
            assert answer.status_code == 400, (fields, answer.status_code)
        assert form_post(app, "/agent/tags/delete", {"tag": junk}, signed).status_code == 400, junk
        for query in ({"tag": junk, "to": "new"}, {"tag": "vip", "to": junk}):
            assert client.get("/agent/tags/rename", query_string=query).status_code in (200, 400, 414)
        assert client.get("/agent/tags/delete", query_string={"tag": junk}).status_code in (200, 400, 414)
        assert client.get("/agent/tags", query_string={"q": junk}).status_code in (200, 400, 414)
        assert client.get("/agent/", query_string={"view": "all", "tag": junk}).status_code in (200, 400, 414)
    assert everything(app) == before


def test_the_inbox_finds_a_tag_by_its_old_spelling(app: Flask) -> None:
    client, _ = signed_in(app, "agent@example.com")
    page = client.get("/agent/", query_string={"view": "all", "tag": "ＶＩＰ"}).get_data(as_text=True)
    assert "Parcel" in page and "Refund" in page


def test_tag_rename_a_to_b_while_b_to_c(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = desk_of(app)
    done = at_once([lambda: desk.tags.rename("vip", "refund", SYSTEM),
                    lambda: desk.tags.rename("refund", "paid", SYSTEM)],
                   [(Tags, "_change")], monkeypatch)
    assert all(not isinstance(d, Exception) or refused(d) for d in done), done
    tags = {tag for _, tag in tag_rows(app)}
    assert "vip" not in tags or "refund" not in tags, tags  # each rename applied whole, or was refused whole


def test_a_rename_racing_an_agent_tagging_a_ticket_keeps_one_tag_each(app: Flask,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    desk = desk_of(app)
    done = at_once([lambda: desk.tags.rename("refund", "vip", SYSTEM), lambda: desk.tags.add([3], ["refund"])],
                   [(Tags, "_change"), (ticket_module, "add_tags")], monkeypatch)
    assert all(not isinstance(d, Exception) or refused(d) for d in done), done
    rows = tag_rows(app)
    assert len(rows) == len(set(rows))


def test_a_rename_racing_bulk_tagging_onto_the_new_name(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = desk_of(app)
    done = at_once([lambda: desk.tags.rename("vip", "gold", SYSTEM), lambda: desk.tags.add([1, 2, 3], ["gold"])],
                   [(Tags, "_change"), (ticket_module, "add_tags")], monkeypatch)
    assert all(not isinstance(d, Exception) or refused(d) for d in done), done
    rows = tag_rows(app)
    assert len(rows) == len(set(rows))


@FUZZ
@given(tag=st.text(max_size=80), to=st.text(max_size=80))
def test_any_rename_form_is_a_page_never_a_500(app: Flask, tag: str, to: str) -> None:
    client, token = app.config.setdefault("lead", signed_in(app, "lead@example.com"))  # once: a sign-in hashes
    for fields in ({"tag": tag, "to": to}, {"tag": "vip", "to": to}):
        answer = client.post("/agent/tags/rename", data=encoded({**fields, "csrf_token": token}).encode("ascii"),
                             content_type="application/x-www-form-urlencoded")
        assert answer.status_code in (302, 400), (fields, answer.status_code)


def test_a_tag_only_the_old_rule_stored_is_found_listed_and_renamed(app: Flask) -> None:
    """"½" was a tag (lower() only); it folds to "1⁄2", which is none, so tag_folds kept it as it was for a lead to
    rename. The inbox filtered by it (the tags page's link) folded it to "1⁄2" and found nothing; now a value whose
    fold is no tag is looked up as typed."""
    desk = desk_of(app)
    with desk.db.session() as session:
        session.add(TicketTag(ticket_id=3, tag="½"))
    client, token = signed_in(app, "lead@example.com")
    listed = client.get("/agent/tags").get_data(as_text=True)
    assert "½" in listed
    inbox = client.get("/agent/", query_string={"view": "all", "tag": "½"}).get_data(as_text=True)
    assert "Parcel" in inbox and "Refund" not in inbox
    assert "½" in client.get("/agent/tags", query_string={"q": "½"}).get_data(as_text=True)
    assert client.get("/agent/tags/rename", query_string={"tag": "½", "to": "half"}).status_code == 200
    done = client.post("/agent/tags/rename", data={"tag": "½", "to": "half", "csrf_token": token})
    assert done.status_code == 302 and (3, "half") in tag_rows(app)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["email", "Email", "id", ""]), JSON, max_size=3) | JSON,
       email=st.text(max_size=60))
def test_any_erase_body_is_a_json_refusal_that_writes_nothing(app: Flask, body: object, email: str) -> None:
    customer = lina(app)
    for sent in (body, {"email": email}):
        answer = api_erase(app, customer, json.dumps(sent).encode())
        assert answer.status_code == 400, (sent, answer.get_data(as_text=True))
        assert set(answer.get_json()) == {"error"}
    assert desk_of(app).customers.get(customer).erased_at is None
