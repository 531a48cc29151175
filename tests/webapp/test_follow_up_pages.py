"""On the web and through the API a closed ticket is final, as it is by mail: the customer's reply on their closed
ticket's page starts a follow-up ticket and takes them there, told why (Arabic through the catalog); the page posted
again lands on the same follow-up; the API answers 201 naming the ticket the message landed on. The agent sees
"Follow-up of #N" on the new ticket and "Follow-up: #M" on the closed one. A message may be files alone (the contact
form, the ticket page, the API, an agent's reply): shown as its files with no empty bubble, mailed with their names;
one with neither text nor files is refused naming the field. The real app under waitress; SQLite, and PostgreSQL
with `--postgresql`."""

from __future__ import annotations

import re
from html import unescape

import requests
from flask import Flask

from desk.desk import Desk
from desk.tickets import NewTicket
from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import csrf, light_settings  # noqa: F401
from tests.webapp.test_customer_files import contact_form, customer_links, files, stored
from tests.webapp.test_reply_files import app, base_url, post_reply, signed_in  # noqa: F401
from webapp.mail_commands import deliver_pending_mail

PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot" * 50
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 10


def closed_ticket(desk: Desk) -> tuple[int, str]:
    """Omar's Arabic ticket, tagged, answered, solved and closed."""
    made = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                         body="طلبي رقم 12345 لم يصل بعد", lang="ar"))
    desk.tags.add([made.id], ["shipping"])
    agent = desk.accounts.agents()[0]
    desk.tickets.reply(made.id, agent.id, "وصل طلبك اليوم", status="solved")
    desk.tickets.update(made.id, status="closed")
    return made.id, made.reference


def reply_form(customer: requests.Session, url: str) -> dict[str, str]:
    page = customer.get(url, timeout=30).text
    key = re.search(r'name="submission" type="hidden" value="([^"]+)"', page)
    assert key is not None
    return {"csrf_token": csrf(page), "submission": key.group(1)}


def test_a_reply_on_a_closed_tickets_page_starts_a_follow_up_and_goes_there(
    app: Flask, base_url: str  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    closed_id, closed_reference = closed_ticket(desk)
    customer = requests.Session()
    closed_url = f"{base_url}/ar/tickets/{closed_reference}"
    before = customer.get(closed_url, timeout=30).text
    assert 'id="closed-hint">هذا الطلب مغلق. سيبدأ ردك طلبًا جديدًا يكمله.' in before
    data = {**reply_form(customer, closed_url), "message": "انكسر الطلب بعد أسبوع"}
    sent = customer.post(closed_url, timeout=30, data=data, files=files(("صورة.png", PNG)))
    assert sent.status_code == 200 and sent.url != closed_url
    reference = sent.url.rsplit("/", 1)[1]
    new = desk.tickets.by_reference(reference)
    assert new is not None and new.id != closed_id and new.context["follow_up_of"] == closed_reference
    assert [m.body for m in new.messages] == ["انكسر الطلب بعد أسبوع"] and [t.tag for t in new.tags] == ["shipping"]
    page = unescape(sent.text)
    assert (f'طلبك السابق مغلق، لذا بدأت رسالتك طلبًا جديدًا يكمله. رقمه المرجعي <bdi class="keep-whole" dir="ltr">'
            f'{reference}</bdi>.') in page  # isolated, on one line (webapp.help.naming_reference)
    assert f'href="/ar/tickets/{closed_reference}"' in page and "هذا الطلب يكمل طلبًا سابقًا:" in page
    assert [name for _, name in customer_links(page, reference, "ar")] == ["صورة.png"]
    # The closed ticket is as it was, and points on to the follow-up.
    closed = desk.tickets.get(closed_id)
    assert closed is not None and closed.status == "closed" and len(closed.messages) == 2
    assert f'href="/ar/tickets/{reference}"' in customer.get(closed_url, timeout=30).text

    # The same page posted again (a reload, a double click): the same follow-up, nothing stored twice.
    counted = stored(app)
    again = customer.post(closed_url, timeout=30, data=data, files=files(("صورة.png", PNG)))
    assert again.status_code == 200 and again.url == sent.url and stored(app) == counted

    # The agent sees both ends of the link.
    agent = signed_in(base_url)
    follow_up_page = agent.get(f"{base_url}/agent/tickets/{new.id}", timeout=30).text
    assert re.search(rf'id="follow-up-of">Follow-up of <a href="/agent/tickets/{closed_id}">#{closed_id}</a>',
                     follow_up_page)
    closed_page = agent.get(f"{base_url}/agent/tickets/{closed_id}", timeout=30).text
    assert re.search(rf'id="follow-ups">Follow-up: <a href="/agent/tickets/{new.id}">#{new.id}</a>', closed_page)


def test_a_solved_ticket_reopens_on_its_own_page(app: Flask, base_url: str) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    made = desk.tickets.create(NewTicket(email="omar@example.com", subject="Parcel", body="Where is it?"))
    desk.tickets.update(made.id, status="solved")
    customer = requests.Session()
    url = f"{base_url}/en/tickets/{made.reference}"
    sent = customer.post(url, timeout=30, data={**reply_form(customer, url), "message": "Still nothing"})
    assert sent.status_code == 200 and sent.url == url and "closed-hint" not in sent.text
    found = desk.tickets.get(made.id)
    assert found is not None and found.status == "open" and found.messages[-1].body == "Still nothing"


def test_a_customers_message_of_files_alone(app: Flask, base_url: str, sink: SmtpSink) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    customer = requests.Session()
    # The contact form: a subject and a screenshot, no words.
    form = {**contact_form(customer, base_url), "message": ""}
    made = customer.post(f"{base_url}/en/contact", timeout=30, data=form, files=files(("screen.png", PNG)))
    assert made.status_code == 200 and "We received your request" in made.text
    reference = made.url.rsplit("/", 1)[1]
    ticket = desk.tickets.by_reference(reference)
    assert ticket is not None and [m.body for m in ticket.messages] == [""]
    # Shown as its files: no empty bubble; the confirmation names them where it quotes a message.
    assert '<div class="text"' not in made.text
    assert [name for _, name in customer_links(made.text, reference)] == ["screen.png"]
    assert deliver_pending_mail(desk, app.extensions["settings"]) == 1
    assert "Files attached: screen.png" in sink.wait_for(1)[0].get_body(("plain",)).get_content()

    # Their ticket's page: files alone again; then neither, refused under the message, nothing stored.
    url = made.url
    sent = customer.post(url, timeout=30, data={**reply_form(customer, url), "message": "  "},
                         files=files(("invoice.pdf", PDF)))
    assert sent.status_code == 200 and sent.url == url
    assert [name for _, name in customer_links(sent.text, reference)] == ["screen.png", "invoice.pdf"]
    counted = stored(app)
    refused = customer.post(url, timeout=30, data={**reply_form(customer, url), "message": ""})
    assert refused.status_code == 400 and "Write a message or attach a file." in refused.text
    assert stored(app) == counted
    empty = customer.post(f"{base_url}/ar/contact", timeout=30, data={**contact_form(customer, base_url, "ar"),
                                                                      "message": ""})
    assert empty.status_code == 400 and "اكتب رسالة أو أرفق ملفًا." in empty.text and stored(app) == counted


def test_an_agents_reply_of_files_alone_is_shown_and_mailed_with_their_names(
    app: Flask, base_url: str, sink: SmtpSink  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    made = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="الفاتورة",
                                         body="أرسلوا الفاتورة من فضلكم", lang="ar"))
    agent = signed_in(base_url)
    page = agent.get(f"{base_url}/agent/tickets/{made.id}", timeout=30).text
    assert re.search(r'<textarea id="reply-body"[^>]*\brequired\b', page) is None  # files alone may be sent
    sent = post_reply(agent, base_url, made.id, "", [("فاتورة.pdf", PDF)])
    assert sent.status_code == 200 and "Reply sent." in sent.text
    found = desk.tickets.get(made.id)
    assert found is not None and [m.body for m in found.messages] == ["أرسلوا الفاتورة من فضلكم", ""]
    assert unescape(sent.text).count('<div class="text" dir="auto">') == 1  # the customer's; the reply is its file
    refused = post_reply(agent, base_url, made.id, " ", [], lang="en")
    assert refused.status_code == 400 and "body: is empty" in refused.text

    assert deliver_pending_mail(desk, app.extensions["settings"]) == 2  # the confirmation and the reply
    reply = sink.wait_for(2)[-1]
    assert "الملفات المرفقة: فاتورة.pdf" in reply.get_body(("plain",)).get_content()
    assert "الملفات المرفقة:" in reply.get_body(("html",)).get_content()
    assert [a.get_filename() for a in reply.iter_attachments()] == ["فاتورة.pdf"]


def test_the_api_names_the_follow_up_a_message_to_a_closed_ticket_started(
    app: Flask, base_url: str  # noqa: F811
) -> None:
    desk: Desk = app.extensions["desk"]
    closed_id, closed_reference = closed_ticket(desk)
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    path = f"{base_url}/api/v1/tickets/{closed_id}/messages"
    sent = requests.post(path, timeout=30, headers=auth, json={"body": "It broke again"})
    assert sent.status_code == 201, sent.text
    answer = sent.json()
    new = desk.tickets.by_reference(answer["ticket_reference"])
    assert new is not None and new.id == answer["ticket_id"] != closed_id
    assert answer["follow_up_of"] == closed_id and answer["ticket_status"] == "open"
    assert new.context["follow_up_of"] == closed_reference and new.messages[0].id == answer["id"]
    # Sent again (a client's retry): the message already stored, on the same follow-up.
    again = requests.post(path, timeout=30, headers=auth, json={"body": "It broke again"}).json()
    assert (again["id"], again["ticket_id"], again["follow_up_of"]) == (answer["id"], new.id, closed_id)
    # Both tickets read back with the link, as their pages show it.
    assert requests.get(f"{base_url}/api/v1/tickets/{closed_id}", timeout=30, headers=auth).json()[
        "follow_ups"] == [new.id]
    read = requests.get(f"{base_url}/api/v1/tickets/{new.id}", timeout=30, headers=auth).json()
    assert (read["follow_up_of"], read["follow_ups"]) == (closed_id, [])
    # Files alone, to the follow-up itself: on it (not a follow-up), with its file.
    files_only = requests.post(f"{base_url}/api/v1/tickets/{new.id}/messages", timeout=30, headers=auth,
                               files=[("attachments[]", ("photo.png", PNG, "image/png"))])
    assert files_only.status_code == 201, files_only.text
    body = files_only.json()
    assert (body["body"], body["ticket_id"], body["ticket_reference"], body["follow_up_of"]) == (
        "", new.id, new.reference, None)
    assert [f["filename"] for f in body["attachments"]] == ["photo.png"]
    # A ticket of files alone through the API.
    made = requests.post(f"{base_url}/api/v1/tickets", timeout=30, headers=auth,
                         data={"email": "lina@example.com", "subject": "Screenshot"},
                         files=[("attachments[]", ("screen.png", PNG, "image/png"))])
    assert made.status_code == 201 and len(made.json()["attachments"]) == 1


def test_a_closed_tickets_page_is_read_only_and_creates_a_follow_up(
    app: Flask, base_url: str, sink: SmtpSink  # noqa: F811
) -> None:
    """Session 27 left it: the agent's reply form on a closed ticket reopened it. Now the page shows the thread
    read-only (no note, tag, status, team, due or merge form) with "Create follow-up", which starts the linked
    follow-up with the reply as its agent message and mails it as a reply; a reply posted to the closed ticket (a page
    drawn before it closed) is a 409 that keeps the text and offers the follow-up. Arabic through the catalog."""
    desk: Desk = app.extensions["desk"]
    closed_id, closed_reference = closed_ticket(desk)
    agent = signed_in(base_url)
    page = agent.get(f"{base_url}/agent/tickets/{closed_id}", timeout=30).text
    assert f'action="/agent/tickets/{closed_id}/follow-up"' in page and 'id="create-follow-up"' in page
    for gone in ("note-form", "update-form", "team-form", "due-form", "merge-form", "tag-form", 'id="send-reply"'):
        assert gone not in page, gone
    arabic = agent.get(f"{base_url}/agent/tickets/{closed_id}", timeout=30, headers={"Accept-Language": "ar"}).text
    assert "هذه التذكرة مغلقة" in arabic and "إنشاء متابعة" in arabic

    # A reply form drawn before the ticket closed: refused, the text kept in the follow-up form.
    late = agent.post(f"{base_url}/agent/tickets/{closed_id}/reply", timeout=30,
                      data={"csrf_token": csrf(page), "body": "هل وصلك المبلغ؟", "status": "pending"})
    assert late.status_code == 409 and "is closed: create a follow-up" in unescape(late.text)
    assert "هل وصلك المبلغ؟</textarea>" in late.text and 'id="create-follow-up"' in late.text
    assert len(desk.tickets.get(closed_id).messages) == 2  # type: ignore[union-attr]

    made = agent.post(f"{base_url}/agent/tickets/{closed_id}/follow-up", timeout=30,
                      data={"csrf_token": csrf(page), "body": "هل وصلك المبلغ؟", "status": "pending"},
                      files=[("files", ("إيصال.pdf", PDF, "application/pdf"))])
    assert made.status_code == 200 and re.search(r"/agent/tickets/(\d+)$", made.url)
    new_id = int(made.url.rsplit("/", 1)[1])
    assert new_id != closed_id and f"Follow-up #{new_id} created and sent to the customer." in made.text
    assert re.search(rf'id="follow-up-of">Follow-up of <a href="/agent/tickets/{closed_id}">#{closed_id}</a> '
                     r'<span class="muted">\(closed: an agent wrote again\)', made.text)
    assert 'id="send-reply"' in made.text  # the follow-up is open to work on
    new = desk.tickets.get(new_id)
    assert new is not None and new.context["follow_up_of"] == closed_reference
    assert [(m.author, m.body) for m in new.messages] == [("agent", "هل وصلك المبلغ؟")] and new.status == "pending"
    closed = desk.tickets.get(closed_id)
    assert closed is not None and closed.status == "closed" and len(closed.messages) == 2
    # The first ticket's confirmation and solving reply, then this one's: a reply, no "we received your request".
    assert deliver_pending_mail(desk, app.extensions["settings"]) == 3
    mail = sink.wait_for(3)[-1]
    assert "هل وصلك المبلغ؟" in mail.get_body(("plain",)).get_content()
    assert [a.get_filename() for a in mail.iter_attachments()] == ["إيصال.pdf"]
    # A follow-up asked of an open ticket: refused naming the ticket, nothing made.
    refused = agent.post(f"{base_url}/agent/tickets/{new_id}/follow-up", timeout=30,
                         data={"csrf_token": csrf(made.text), "body": "again"})
    assert refused.status_code == 400 and "is not closed: reply on it" in unescape(refused.text)


def test_a_note_of_files_alone(app: Flask, base_url: str) -> None:  # noqa: F811
    desk: Desk = app.extensions["desk"]
    made = desk.tickets.create(NewTicket(email="omar@example.com", subject="Parcel", body="Damaged"))
    agent = signed_in(base_url)
    page = agent.get(f"{base_url}/agent/tickets/{made.id}", timeout=30).text
    assert re.search(r'<textarea id="note-body"[^>]*\brequired\b', page) is None  # files alone may be sent
    added = agent.post(f"{base_url}/agent/tickets/{made.id}/note", timeout=30,
                       data={"csrf_token": csrf(page), "body": ""},
                       files=[("files", ("scan.png", PNG, "image/png"))])
    assert added.status_code == 200 and "Note added." in added.text
    found = desk.tickets.get(made.id)
    assert found is not None and [(m.body, m.internal) for m in found.messages][-1] == ("", True)
    refused = agent.post(f"{base_url}/agent/tickets/{made.id}/note", timeout=30,
                         data={"csrf_token": csrf(page), "body": " "})
    assert refused.status_code == 400 and "note: is empty" in refused.text


def test_a_mail_of_nothing_is_marked_for_the_agent_and_one_of_files_alone_shows_its_files(
    app: Flask, base_url: str  # noqa: F811
) -> None:
    """A mail with neither text nor files is still a ticket (never dropped); the agent's page says "an empty mail"
    where its text would be. A mail of files alone shows its files, with no marker and no "(no text)"."""
    from email.message import EmailMessage

    desk: Desk = app.extensions["desk"]
    empty = EmailMessage()
    empty["From"], empty["Subject"] = "lina@example.com", ""
    files_only = EmailMessage()
    files_only["From"], files_only["Subject"] = "lina@example.com", "Photo"
    files_only.add_attachment(PNG, maintype="image", subtype="png", filename="photo.png")
    nothing = desk.mail_in.receive(empty.as_bytes())
    photo = desk.mail_in.receive(files_only.as_bytes())
    agent = signed_in(base_url)
    page = agent.get(f"{base_url}/agent/tickets/{nothing.ticket_id}", timeout=30).text
    assert '<p class="muted empty-message">(an empty mail: no text and no files)</p>' in page
    arabic = agent.get(f"{base_url}/agent/tickets/{nothing.ticket_id}", timeout=30,
                       headers={"Accept-Language": "ar"}).text
    assert "(رسالة بريد فارغة: لا نص فيها ولا ملفات)" in arabic
    shown = agent.get(f"{base_url}/agent/tickets/{photo.ticket_id}", timeout=30).text
    assert "photo.png" in shown and "empty-message" not in shown and "(no text)" not in shown
