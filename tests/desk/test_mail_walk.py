"""mailwalk41: the email round trip walked as a customer (Gmail, Outlook, Apple Mail, in Arabic and English) and an
agent. Real MIME built as those clients send it, received through the real aiosmtpd listener on loopback, and the
desk's mail delivered to a real SMTP sink on loopback; each test names what the walk found."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from pathlib import Path

import pytest

from desk.audit import Actor
from desk.desk import Desk
from desk.mail.attachments import Upload
from desk.mail.listener import start_listener
from desk.mail.outbox import deliver_pending
from desk.tickets import NewTicket
from kb.message_text import clean_message, without_quoted_lines
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from tests.smtp_sink import SmtpSink, free_port
from webapp.mail_templates import EmailTemplates

SUPPORT = "support@manzil.example"


@pytest.fixture
def settings(tmp_path: Path, sink: SmtpSink) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url_for_tests(), base_url="https://help.manzil.example",
                    mail_from=SUPPORT, smtp_url=sink.url)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    opened = Desk(settings)
    yield opened
    opened.close()


@pytest.fixture
def listener_port(desk: Desk) -> Iterator[int]:
    port = free_port()
    listener = start_listener(desk.mail_in, "127.0.0.1", port)
    yield port
    listener.stop()


def mail_in(port: int, message: EmailMessage | MIMEText | MIMEMultipart, to: str = SUPPORT) -> None:
    raw = message.as_string()  # a str: smtplib ends its lines CRLF (bytes go as they are, one long line)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("customer@example.com", [to], raw)


def deliver(desk: Desk, settings: Settings) -> int:
    return deliver_pending(desk.db, settings, EmailTemplates(settings))


def arabic_ticket(desk: Desk, settings: Settings, sink: SmtpSink) -> tuple[int, EmailMessage]:
    """Omar's Arabic ticket, answered by an agent: the reply as Omar's mailbox received it."""
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="طلبي لم يصل",
                                           body="طلبت جوالاً قبل أسبوع ولم يصل."))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة")
    desk.tickets.reply(ticket.id, agent.id, "مرحبًا عمر، شحنتك في الطريق.")
    deliver(desk, settings)
    return ticket.id, sink.messages[-1]


# Gmail in Arabic, as it sends its attribution line: the embeddings and marks included.
GMAIL_AR = ("\u202bفي الاثنين، 7 ديسمبر 2026 في 10:15 ص تمت كتابة ما يلي بواسطة \u202aManzil Help Center\u202c\u200f"
            " <\u202a{address}\u202c\u200f>:\u202c")


def test_gmails_arabic_attribution_line_is_cut_from_the_customers_reply(
        desk: Desk, settings: Settings, sink: SmtpSink, listener_port: int) -> None:
    """Gmail in Arabic heads the quoted thread with "في <date> تمت كتابة ما يلي بواسطة <sender>:", wrapped in bidi
    controls. Only "... كتب:" was known: every Arabic Gmail customer's reply reached the agent ending in a line naming
    the desk's own reply address."""
    ticket_id, reply = arabic_ticket(desk, settings, sink)
    answer = MIMEMultipart("alternative")
    answer["From"] = formataddr(("عمر", "omar@example.com"), "utf-8")
    answer["To"] = reply["Reply-To"]
    answer["Subject"] = Header(f"رد: {reply['Subject']}", "utf-8")
    answer["In-Reply-To"] = reply["Message-ID"]
    header = GMAIL_AR.format(address=reply["Reply-To"])
    answer.attach(MIMEText(f"الرابط لا يعمل.\n\n{header}\n\n> مرحبًا عمر، شحنتك في الطريق.\n", "plain", "utf-8"))
    answer.attach(MIMEText(f'<div dir="rtl">الرابط لا يعمل.</div><br><div class="gmail_quote"><div dir="ltr" '
                           f'class="gmail_attr">{header}<br></div><blockquote class="gmail_quote">مرحبًا عمر'
                           "</blockquote></div>", "html", "utf-8"))
    mail_in(listener_port, answer, reply["Reply-To"])
    ticket = desk.tickets.get(ticket_id)
    assert ticket is not None and ticket.messages[-1].body == "الرابط لا يعمل."


@pytest.mark.parametrize("header", [
    # The sender's name and address wrapped to a line of their own (Gmail's plain text part folds long lines).
    "في الأحد، 13 سبتمبر 2026 في 7:58 م، تمت كتابة ما يلي بواسطة Zahnarztpraxis\nDr. Jaghsi <info@example.com>:",
    "\u200fفي الأحد، ١٥ مارس ٢٠٢٦, ٥:٢٤ ص Omar <omar@example.com> كتب:\u200f",  # Apple Mail's, marked
    "\u202bOn Mon, Dec 7, 2026 at 10:15 AM Manzil <support@manzil.example> wrote:\u202c",
])
def test_an_attribution_line_in_bidi_controls_or_wrapped_is_cut(header: str) -> None:
    assert without_quoted_lines(f"تم، شكرًا.\n\n{header}\n> old") == ["تم، شكرًا."]
    # A sentence that only begins "في ..." and has a colon is the customer's.
    assert without_quoted_lines("في المنزل كتبت لكم: الطلب لم يصل") == ["في المنزل كتبت لكم: الطلب لم يصل"]


def test_every_mail_names_its_language_with_files_or_without(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """Content-Language was set with the other headers, then dropped by `set_content` (it clears every Content-*
    header); with files `add_attachment` would have moved it inside. No mail ever carried it."""
    ticket = desk.tickets.create(NewTicket(email="john@example.com", subject="Order", body="Where is order 5521?"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket.id, agent.id, "Here is your invoice.", files=[Upload("فاتورة.pdf", b"%PDF-1.4\n")])
    assert deliver(desk, settings) == 2
    confirmation, reply = sink.messages
    assert confirmation["Content-Language"] == "en" and reply["Content-Language"] == "en"
    assert reply.get_content_type() == "multipart/mixed"
    assert [part["Content-Language"] for part in reply.walk()] == ["en"] + [None] * 4


def test_the_signing_block_of_an_arabic_named_agent_follows_an_english_mails_direction(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """The name and the help center signed in one `<p dir="auto">`: an agent's Arabic name made the paragraph right to
    left, so an English customer read "Manzil Help Center" flush right under a left-aligned reply. The name is
    isolated (<bdi>), the paragraph the mail's."""
    ticket = desk.tickets.create(NewTicket(email="john@example.com", subject="Order", body="Where is order 5521?"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة من منزل")
    desk.tickets.reply(ticket.id, agent.id, "It ships today.")
    deliver(desk, settings)
    html = sink.messages[-1].get_body(("html",)).get_content()
    assert '<html lang="en" dir="ltr">' in html
    assert "<p><bdi>سارة من منزل</bdi><br>Manzil Help Center</p>" in html


@pytest.mark.parametrize(("separator", "own", "header"), [
    ("---------- Forwarded message ---------", "Please help with this.", "From: Shop <shop@example.com>"),
    ("---------- الرسالة المُعاد توجيهها ---------", "أرجو المساعدة في هذا الطلب", "من: متجر <shop@example.com>"),
    ("Begin forwarded message:", "See below.", "From: Shop <shop@example.com>"),
])
def test_a_message_forwarded_inline_is_quoted_below_the_customers_words(
        desk: Desk, listener_port: int, separator: str, own: str, header: str) -> None:
    """A forward typed inline (Gmail's separator, its Arabic, Apple Mail's) was cut at its separator (the Arabic one
    was left as a line of its own, cut at the "من:" below it): "please help with this" reached the agent with
    nothing below. It is quoted as a forward sent as an attachment is; the copilot's clean-up still reads the
    customer's words only."""
    forward = MIMEText(f"{own}\n\n{separator}\n{header}\nDate: Sun, Dec 6, 2026\n\nYour order 5521 shipped.\n",
                       "plain", "utf-8")
    forward["From"] = "john@example.com"
    forward["To"] = SUPPORT
    forward["Subject"] = "Fwd: Your order shipped"
    mail_in(listener_port, forward)
    [listed], _ = desk.tickets.inbox()
    ticket = desk.tickets.get(listed.id)
    assert ticket is not None
    body = ticket.messages[0].body
    assert body == (f"{own}\n\n---------- Forwarded message ----------\n> {header}\n> Date: Sun, Dec 6, 2026\n>\n"
                    "> Your order 5521 shipped.")
    assert clean_message(body) == own


def test_a_forward_inside_the_quoted_thread_is_not_the_customers(desk: Desk, listener_port: int) -> None:
    reply = MIMEText("Thanks.\n\nOn Mon, Dec 7, 2026 at 10:15 AM Sara <s@example.com> wrote:\n\n"
                     "---------- Forwarded message ---------\nFrom: Shop\n\nOld text.\n", "plain", "utf-8")
    reply["From"] = "john@example.com"
    reply["Subject"] = "Question"
    mail_in(listener_port, reply)
    [listed], _ = desk.tickets.inbox()
    ticket = desk.tickets.get(listed.id)
    assert ticket is not None and ticket.messages[0].body == "Thanks."


def test_mail_that_asks_for_no_auto_reply_gets_no_acknowledgement(
        desk: Desk, settings: Settings, sink: SmtpSink, listener_port: int) -> None:
    """Exchange's out-of-office mail carries "X-Auto-Response-Suppress: All", often without Auto-Submitted: it became
    a ticket (kept: it may be a person's) and was answered "We received your message: Automatic reply: ...", an
    auto-reply to an auto-reply. Zammad sends none to such mail; nor does the desk now. (Its "Automatic reply:"
    subject alone now makes it a machine's, held (mailedge42): here one whose relay rewrote the subject.)"""
    away = MIMEText("I am out of the office until 10 December.", "plain", "utf-8")
    away["From"] = "newperson@example.com"
    away["Subject"] = "Invoice"
    away["X-Auto-Response-Suppress"] = "All"
    mail_in(listener_port, away)
    person = MIMEText("Where is my invoice?", "plain", "utf-8")
    person["From"] = "lina@example.com"
    person["Subject"] = "Invoice"
    person["X-Auto-Response-Suppress"] = "DR, RN, NRN"  # Outlook's on a person's mail: receipts only
    mail_in(listener_port, person)
    tickets, _ = desk.tickets.inbox()
    assert sorted(t.customer.email for t in tickets) == ["lina@example.com", "newperson@example.com"]
    assert deliver(desk, settings) == 1
    assert [m["To"] for m in sink.messages] == ["lina@example.com"]


def test_a_side_conversations_mail_names_its_language(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """`compose_side` set Content-Language as `compose` did, and lost it the same way."""
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="طلبي لم يصل", body="لم يصل طلبي."))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.side_conversations.start(ticket.id, "carrier@example.com", "Parcel 55821", "Where is it?",
                                  Actor("agent", agent.id), lang="en")
    assert deliver(desk, settings) == 2
    side = next(m for m in sink.messages if m["To"] == "carrier@example.com")
    assert side["Content-Language"] == "en"


@pytest.mark.parametrize("filename", ["فاتورة.pdf",
                                      "فاتورة الطلب رقم 55821 لشهر ديسمبر مع الضريبة والشحن والتغليف.pdf"])
def test_an_arabic_file_name_reaches_outlook_as_rfc_2047_too(
        desk: Desk, settings: Settings, sink: SmtpSink, filename: str) -> None:
    """The name was only RFC 2231 (Content-Disposition's filename*0*=utf-8''...): Outlook over IMAP or POP reads the
    RFC 2047 `name` of Content-Type alone, and showed "Untitled attachment". Both now, as Gmail and Thunderbird send;
    every line within 78 characters, so the email package never refolds it."""
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="فاتورة", body="أرسلوا الفاتورة"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="سارة")
    desk.tickets.reply(ticket.id, agent.id, "تفضل.", files=[Upload(filename, b"%PDF-1.4\n" * 50)])
    assert deliver(desk, settings) == 2
    [part] = sink.messages[-1].iter_attachments()
    assert part.get_filename() == filename and part.get_param("name") == filename
    assert part.get_content_type() == "application/pdf" and part.get_content() == b"%PDF-1.4\n" * 50
    raw = sink.raw[-1]
    assert b' name="=?utf-8?b?' in raw and re.search(rb"filename\*(?:0\*)?=utf-8''%", raw)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_the_text_parts_keep_their_blank_lines(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """The templates' blank line after the greeting and before the signing block was eaten by trim_blocks (the line
    break after a block tag goes): a plain-text reader got "Hello John,\\nWe received ..." and the agent's name on the
    line under the reply's last words. The HTML parts were right."""
    ticket = desk.tickets.create(NewTicket(email="john@example.com", name="John", subject="Order", body="Where?"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket.id, agent.id, "It ships today.")
    desk.tickets.update(ticket.id, status="solved")
    assert deliver(desk, settings) == 3
    confirmation, reply, solved = (m.get_body(("plain",)).get_content().replace("\r\n", "\n") for m in sink.messages)
    assert confirmation.startswith("Hello John,\n\nWe received your message")
    assert reply.startswith("It ships today.\n\nSara\nManzil Help Center\n")
    assert solved.startswith("Hello John,\n\nWe have marked your ticket as solved.")
