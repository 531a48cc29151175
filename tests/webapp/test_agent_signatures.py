"""Agents' signatures (desk.signatures; Zendesk's agent signature, Chatwoot's message signature): an agent sets one per
site language on their profile (an admin on the admin page), cleaned as names and notes are (a control character
refused naming the field, invisible characters dropped, a few lines at most), never a light agent's. The ticket
page's "Add my signature" (ticked, its preview under the box) signs a public reply: kept with the message, the
customer's page, the workspace and the mail (real SMTP on loopback; plain in the text part, escaped in the HTML)
show the body, the separator and the signature. Never signed: a note, a trigger's reply, a reply unticked, the
token API's reply unless it asks; signed once: a resend of the same page, a text ending with the signature, an
accepted draft (which has none), a problem's batch sent again. A follow-up is signed; an erased customer's messages
keep none. The migration goes up and down. A light app (no models); `--postgresql` runs it on PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from copilot.advice import TicketAdvice
from copilot.drafts import Draft
from desk.advice import thread_version
from desk.desk import Desk
from desk.models import AuditEvent, Message
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_at, migrate
from tests.desk.test_triggers import REPLY, new, open_desk
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.mail_commands import deliver_pending_mail

# Markup and Markdown in a signature are its own characters: escaped on pages and in the HTML mail, never formatted.
EN = "Sara Q.\nManzil support · <b>*VIP*</b>"
AR = "سارة\nفريق دعم منزل"
LANGUAGES = ("en", "ar")


@pytest.fixture
def app(light_settings: Settings, sink: SmtpSink) -> Flask:  # noqa: F811
    app = create_app(replace(light_settings, smtp_url=sink.url, base_url="https://help.manzil.example"))
    accounts = app.extensions["desk"].accounts
    sara = accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    accounts.set_signatures(sara.id, {"en": EN, "ar": AR}, LANGUAGES)
    accounts.create_agent("light@example.com", PASSWORD, name="Lina", role="light")
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    return app


def signatures_of(app: Flask, email: str) -> dict[str, str] | None:
    return app.extensions["desk"].accounts.find(email).signatures


def ticket(desk: Desk, lang: str = "en") -> int:
    if lang == "ar":
        made = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                             body="طلبي رقم 12345 لم يصل بعد", lang="ar"))
    else:
        made = desk.tickets.create(NewTicket(email="sam@example.com", name="Sam", subject="Lost parcel",
                                             body="Where is my parcel?", lang="en"))
    return made.id


def reply_form(client: FlaskClient, ticket_id: int) -> tuple[str, dict[str, str]]:
    """The ticket page and its reply form's hidden fields."""
    page = client.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    seen = re.search(r'name="seen_message_id" value="(\d+)"', page)
    assert seen is not None
    return page, {"csrf_token": csrf(page), "status": "pending", "seen_message_id": seen.group(1)}


def replies(desk: Desk, ticket_id: int) -> list[Message]:
    found = desk.tickets.get(ticket_id)
    assert found is not None
    return [m for m in found.messages if m.author == "agent"]


def test_an_agent_sets_a_signature_per_language_and_a_bad_one_is_refused_by_field(app: Flask) -> None:
    sara = client_for(app, "sara@example.com")
    page = sara.get("/agent/profile").get_data(as_text=True)
    assert 'id="signatures"' in page and "Signature in English" in page and "Signature in Arabic" in page
    assert re.search(r'<textarea id="signature-ar" name="signature_ar"[^>]* lang="ar" dir="rtl"', page)
    assert "Manzil support · &lt;b&gt;*VIP*&lt;/b&gt;</textarea>" in page and f"{AR}</textarea>" in page

    # Saved: a zero-width space and a U+202E (it reversed every line after it in a plain-text mail) dropped, spaces
    # collapsed, a CRLF a line break; an empty language is none.
    token = csrf(page)
    saved = sara.post("/agent/profile", data={"csrf_token": token, "part": "signature",
                                              "signature_en": "Sara\u200b  Q.\r\n\u202eManzil team\r\n\r\n",
                                              "signature_ar": ""})
    assert saved.status_code == 302 and signatures_of(app, "sara@example.com") == {"en": "Sara Q.\nManzil team"}

    # A control character, or too many lines: refused naming the field, nothing written (the other language's
    # good text is not kept either), what was typed shown again.
    for field, data, problem in [
        ("signature_en", {"signature_en": "Sara\x07", "signature_ar": "سارة"}, "contains a control character"),
        ("signature_ar", {"signature_en": "Sara", "signature_ar": "\n".join("سطر" for _ in range(7))},
         "has 7 lines; the limit is 6"),
        ("signature_en", {"signature_en": "x" * 401, "signature_ar": ""}, "is 401 characters long; the limit is 400"),
    ]:
        refused = sara.post("/agent/profile", data={"csrf_token": token, "part": "signature", **data})
        text = unescape(refused.get_data(as_text=True))
        language = "English" if field.endswith("en") else "Arabic"
        assert refused.status_code == 400 and f"signature in {language}: {problem}" in text, text
        assert f'id="{field}-error"' in text and 'aria-invalid="true"' in text
        assert "سارة</textarea>" in text or "سطر\nسطر" in text or "x" * 401 in text  # kept
        assert signatures_of(app, "sara@example.com") == {"en": "Sara Q.\nManzil team"}
    # The field named in the reader's language.
    arabic = sara.post("/agent/profile", headers={"Accept-Language": "ar"},
                       data={"csrf_token": token, "part": "signature", "signature_en": "Sara\x1b"})
    assert arabic.status_code == 400 and "التوقيع بالإنجليزية" in arabic.get_data(as_text=True)

    # A light agent never replies publicly: no box on the profile nor on a ticket, and a post is refused.
    lina = client_for(app, "light@example.com")
    profile = lina.get("/agent/profile").get_data(as_text=True)
    assert 'id="signatures"' not in profile and "signature_en" not in profile
    assert lina.post("/agent/profile", data={"csrf_token": csrf(profile), "part": "signature",
                                             "signature_en": "Lina"}).status_code == 403
    assert signatures_of(app, "light@example.com") is None
    ticket_id = ticket(app.extensions["desk"])
    assert 'id="add-signature"' not in lina.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)

    # An admin sets another agent's on the admin page, as the time zone; a light agent's row has no box, and a
    # crafted post for them is refused naming the agent.
    admin = client_for(app, "admin@example.com")
    page = admin.get("/agent/admin").get_data(as_text=True)
    sara_id = app.extensions["desk"].accounts.find("sara@example.com").id
    lina_id = app.extensions["desk"].accounts.find("light@example.com").id
    assert f'id="signature-{sara_id}-ar"' in page and f'id="signature-{lina_id}-en"' not in page
    done = admin.post("/agent/admin", data={"csrf_token": csrf(page), "action": "signature", "agent_id": sara_id,
                                            "signature_en": EN, "signature_ar": AR})
    assert done.status_code == 200 and signatures_of(app, "sara@example.com") == {"en": EN, "ar": AR}
    light = admin.post("/agent/admin", data={"csrf_token": csrf(page), "action": "signature", "agent_id": lina_id,
                                             "signature_en": "Lina"})
    assert "a light agent does not reply to customers" in light.get_data(as_text=True)
    assert signatures_of(app, "light@example.com") is None


def test_an_admins_edit_of_an_agents_signature_is_audited_and_the_agents_own_is_not(app: Flask) -> None:
    """An admin's edit of another agent's signature was in no audit log. Audited as customers' notes are: which
    language's signature was added, changed or cleared, never its text; the agent's own edit is not (as their
    availability), nor a save that changes nothing."""
    desk = app.extensions["desk"]
    sara_id = desk.accounts.find("sara@example.com").id
    admin_id = desk.accounts.find("admin@example.com").id

    def events() -> list[tuple[object, ...]]:
        with desk.db.session() as session:
            return [tuple(row) for row in session.execute(
                select(AuditEvent.actor_id, AuditEvent.subject, AuditEvent.before, AuditEvent.after)
                .where(AuditEvent.action == "signature_changed", AuditEvent.actor == "agent")  # not the set-up's
                .order_by(AuditEvent.id))]

    sara = client_for(app, "sara@example.com")
    own = sara.post("/agent/profile", data={"csrf_token": csrf(sara.get("/agent/profile").get_data(as_text=True)),
                                            "part": "signature", "signature_en": "Sara", "signature_ar": AR})
    assert own.status_code == 302 and events() == []
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/admin").get_data(as_text=True))
    for typed in ({"signature_en": "Sara, Manzil", "signature_ar": ""}, {"signature_en": "Sara, Manzil"}):
        assert admin.post("/agent/admin", data={"csrf_token": token, "action": "signature", "agent_id": sara_id,
                                                **typed}).status_code == 200
    assert events() == [(admin_id, str(sara_id), None, {"signature_en": "changed", "signature_ar": "cleared"})]
    admin.post("/agent/admin", data={"csrf_token": token, "action": "signature", "agent_id": sara_id,
                                     "signature_en": "Sara, Manzil", "signature_ar": AR})
    assert events()[-1][3] == {"signature_ar": "added"}
    assert "Signature changed" in admin.get("/agent/admin/audit").get_data(as_text=True)
    assert "توقيع" in admin.get("/agent/admin/audit", headers={"Accept-Language": "ar"}).get_data(as_text=True)


def test_a_signed_reply_reads_the_same_on_both_pages_and_in_the_mail(app: Flask, sink: SmtpSink) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    ticket_id = ticket(desk)
    sara = client_for(app, "sara@example.com")
    page, form = reply_form(sara, ticket_id)
    # Ticked by default, the preview under the box as the customer will read it.
    assert re.search(r'<input type="checkbox" id="add-signature" name="signature" value="yes" checked>', page)
    assert ('id="signature-preview" dir="auto" lang="en">-- \nSara Q.\nManzil support · &lt;b&gt;*VIP*&lt;/b&gt;'
            in page)
    sent = sara.post(f"/agent/tickets/{ticket_id}/reply", data={**form, "body": "Your parcel left today.",
                                                                "signature": "yes"})
    assert sent.status_code == 302
    [reply] = replies(desk, ticket_id)
    assert reply.body == "Your parcel left today." and reply.signature == EN
    # The same page posted again (a double click): the reply already sent, no second one, no second mail.
    again = sara.post(f"/agent/tickets/{ticket_id}/reply", data={**form, "body": "Your parcel left today.",
                                                                 "signature": "yes"})
    assert again.status_code == 302 and len(replies(desk, ticket_id)) == 1

    shown = '<div class="signature" dir="auto">-- \nSara Q.\nManzil support · &lt;b&gt;*VIP*&lt;/b&gt;</div>'
    assert shown in sara.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    found = desk.tickets.get(ticket_id)
    assert found is not None
    customer = app.test_client().get(f"/en/tickets/{found.reference}").get_data(as_text=True)
    assert shown in customer

    assert deliver_pending_mail(desk, app.extensions["settings"]) == 2  # the confirmation and the reply
    mail = [m for m in sink.wait_for(2) if "Your parcel" in m.get_body(("plain",)).get_content()]
    assert len(mail) == 1
    text = mail[0].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Your parcel left today.\n\n-- \nSara Q.\nManzil support · <b>*VIP*</b>\n" in text
    assert "\nSara\n" not in text  # the signature stands for the mail's sign-off: signed once
    html = mail[0].get_body(("html",)).get_content()
    assert ('<p dir="auto" class="signature">-- <br>Sara Q.<br>Manzil support · &lt;b&gt;*VIP*&lt;/b&gt;</p>'
            in html)
    assert "<em>VIP</em>" not in html and "<b>" not in html

    # Unticked (an unticked box sends nothing), a note, a text that ends with the signature already: none added.
    _, form = reply_form(sara, ticket_id)
    sara.post(f"/agent/tickets/{ticket_id}/reply", data={**form, "body": "Anything else?"})
    sara.post(f"/agent/tickets/{ticket_id}/note", data={"csrf_token": form["csrf_token"], "body": "Check courier",
                                                        "signature": "yes"})
    _, form = reply_form(sara, ticket_id)
    pasted = f"Tracking: 1182\n\n-- \n{EN}"
    sara.post(f"/agent/tickets/{ticket_id}/reply", data={**form, "body": pasted, "signature": "yes"})
    assert [(m.body, m.internal, m.signature) for m in replies(desk, ticket_id)] == [
        ("Your parcel left today.", False, EN), ("Anything else?", False, None), ("Check courier", True, None),
        (pasted, False, None)]

    # The token API shows each message's signature (null: unsigned); a customer's message through it is never
    # signed: a "signature" field is refused as any unknown field, nothing stored.
    token = desk.accounts.create_token("partner")
    api = app.test_client()
    read = api.get(f"/api/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(m["body"], m["signature"]) for m in read["messages"] if m["author"] == "agent"] == [
        ("Your parcel left today.", EN), ("Anything else?", None), (pasted, None)]
    refused = api.post(f"/api/v1/tickets/{ticket_id}/messages", headers={"Authorization": f"Bearer {token}"},
                       json={"body": "Still waiting", "signature": True})
    assert refused.status_code == 400 and "signature" in refused.get_json()["error"]
    assert len(desk.tickets.get(ticket_id).messages) == 5

    # An Arabic ticket is signed in Arabic, shown right to left (dir=auto: its first letter is Arabic).
    arabic_id = ticket(desk, "ar")
    page, form = reply_form(sara, arabic_id)
    assert f'id="signature-preview" dir="auto" lang="ar">-- \n{AR}</div>' in page
    sara.post(f"/agent/tickets/{arabic_id}/reply", data={**form, "body": "وصل طلبك اليوم", "signature": "yes"})
    assert [m.signature for m in replies(desk, arabic_id)] == [AR]


def test_an_accepted_draft_is_signed_once_and_a_triggers_reply_never(
    app: Flask, tmp_path: Path
) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id = ticket(desk)
    draft = "Hi Sam,\n\nYour parcel left our warehouse today.\n\nBest regards,\nSara\nManzil Customer Care"
    advice = TicketAdvice(None, Draft(draft, [], False, [], "grounded"), None)
    desk.advice.save(ticket_id, thread_version(desk.tickets.get(ticket_id)), "", advice.as_plain())
    sara = client_for(app, "sara@example.com")
    page, form = reply_form(sara, ticket_id)
    shown = unescape(page.split('id="draft-text"', 1)[1].split("</pre>", 1)[0].split(">", 1)[1])
    assert shown == draft and "-- " not in shown and "Manzil support" not in shown  # the draft has none
    sara.post(f"/agent/tickets/{ticket_id}/reply", data={**form, "body": shown, "inserted_draft": shown,
                                                         "signature": "yes"})
    [reply] = replies(desk, ticket_id)
    assert reply.body == draft and reply.signature == EN

    # A trigger's reply_macro has no agent: never signed (the same desk code, on a desk with the rule).
    ruled = open_desk(tmp_path / "ruled", REPLY)
    try:
        agent = ruled.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
        ruled.accounts.set_signatures(agent.id, {"en": EN}, LANGUAGES)
        made = new(ruled, "I want a refund")
        auto = [m for m in replies(ruled, made.id) if not m.internal]
        assert len(auto) == 1 and auto[0].agent_id is None and auto[0].signature is None
    finally:
        ruled.close()


def test_a_problems_reply_is_signed_on_each_incident_in_its_language(app: Flask) -> None:
    """Problem batch solve: the agent's reply on each incident, signed in the incident's language when ticked."""
    desk: Desk = app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com")
    problem, english, arabic = ticket(desk), ticket(desk), ticket(desk, "ar")
    desk.problems.mark(problem, sara.id)
    desk.problems.link([english, arabic], problem, sara.id)
    bodies = {"ar": "أصلحنا الخلل"}
    seen = max(m.id for m in desk.tickets.get(problem).messages)  # the page's last message, as the form posts it
    report = desk.problems.solve(problem, sara.id, "We fixed it.", bodies, seen_message_id=seen, signature=True)
    assert sorted(report.solved) == sorted([english, arabic])
    assert [m.signature for m in replies(desk, english)] == [EN]
    assert [m.signature for m in replies(desk, arabic)] == [AR]
    # Sent again (a double click on the batch): nothing twice.
    desk.problems.solve(problem, sara.id, "We fixed it.", bodies, seen_message_id=seen, signature=True)
    assert [m.signature for m in replies(desk, problem)] == [EN]
    assert len(replies(desk, arabic)) == 1 and len(replies(desk, problem)) == 1


def test_the_apis_reply_is_signed_only_when_it_asks(app: Flask) -> None:
    """POST /api/v1/tickets/<id>/replies: an integration sends its own text, signed with `"signature": true` only; a
    retry under its Idempotency-Key sends nothing twice; a bad field names it, nothing sent."""
    desk: Desk = app.extensions["desk"]
    ticket_id = ticket(desk)
    sara, lina = (desk.accounts.find(f"{who}@example.com").id for who in ("sara", "light"))
    api = app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    path = f"/api/v1/tickets/{ticket_id}/replies"
    plain = api.post(path, headers=auth, json={"agent": sara, "body": "Your parcel left today."})
    assert plain.status_code == 201 and plain.get_json()["signature"] is None
    assert plain.get_json()["ticket_status"] == "pending"
    keyed = {**auth, "Idempotency-Key": "reply-1182"}
    signed = api.post(path, headers=keyed, json={"agent": sara, "body": "Tracking: 1182", "signature": True})
    again = api.post(path, headers=keyed, json={"agent": sara, "body": "Tracking: 1182", "signature": True})
    assert signed.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert signed.get_json() == again.get_json() and signed.get_json()["signature"] == EN
    for sent, problem in [({"agent": sara, "body": "x", "signature": "yes"}, "signature: must be true or false"),
                          ({"agent": lina, "body": "x"}, "agent: a light agent does not reply to customers"),
                          ({"agent": 9999, "body": "x"}, "agent: no agent 9999"),
                          ({"agent": sara, "body": ""}, "body: is empty")]:
        refused = api.post(path, headers=auth, json=sent)
        assert refused.status_code == 400 and refused.get_json()["error"] == problem, refused.get_json()
    assert [(m.body, m.signature) for m in replies(desk, ticket_id)] == [
        ("Your parcel left today.", None), ("Tracking: 1182", EN)]
    desk.tickets.update(ticket_id, status="closed")
    assert api.post(path, headers=auth, json={"agent": sara, "body": "More"}).status_code == 409

    # The closed ticket's page sends a follow-up, signed as any reply.
    client = client_for(app, "sara@example.com")
    page = client.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert 'id="add-signature"' in page
    client.post(f"/agent/tickets/{ticket_id}/follow-up", data={"csrf_token": csrf(page), "body": "One more thing",
                                                               "status": "pending", "signature": "yes"})
    [follow_up] = [t for t in desk.tickets.history(desk.tickets.get(ticket_id).customer_id) if t.id != ticket_id]
    assert [(m.body, m.signature) for m in replies(desk, follow_up.id)] == [("One more thing", EN)]

    # Erasing the customer leaves their tickets' messages as skeletons: no text, no signature.
    customer = desk.tickets.get(ticket_id).customer
    desk.erasure.erase(customer.id, customer.email)
    assert {(m.body, m.signature) for t in (ticket_id, follow_up.id) for m in replies(desk, t)} == {("", None)}


def test_the_migration_adds_the_signature_columns_and_goes_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "dashboard_indexes")

    def added() -> tuple[bool, bool]:
        found = inspect(db.engine)
        return ("signatures" in {c["name"] for c in found.get_columns("agents")},
                "signature" in {c["name"] for c in found.get_columns("messages")})

    migrate(db, command.upgrade, "agent_signatures")
    assert added() == (True, True)
    migrate(db, command.downgrade, "dashboard_indexes")
    assert added() == (False, False)
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("messages")}
    assert {"ix_messages_created_author", "ix_messages_ticket_author"} <= indexes  # kept through SQLite's copy
    db.close()
