"""mailtext41: what mailwalk41 left in the desk's mail. The text part of a reply read as plain text (its Markdown
rendered, not shown), the From name in the mail's language, HTML-only customer mail without its empty paragraphs,
the HTML's dark-scheme declaration and the References header's folding. Mail delivered to a real SMTP sink on
loopback and received through the real listener, with mailwalk41's fixtures."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.mime.text import MIMEText

from desk.audit import Actor
from desk.desk import Desk
from desk.tickets import NewTicket
from kb.bidi_text import RLM
from kb.settings import Settings
from tests.desk import test_mail_walk as walk
from tests.desk.test_mail_walk import deliver, mail_in
from tests.smtp_sink import SmtpSink

# mailwalk41's fixtures: a desk on the test database, its settings mailing to the sink, the listener on loopback.
settings, desk, listener_port = walk.settings, walk.desk, walk.listener_port

MARKDOWN_REPLY = """## Your refund

Hello John, your refund is **approved** and _on its way_.

See [the refunds article](/en/articles/refunds) or <https://help.manzil.example/en/>.

1. Open **My orders**.
2. Press `Refund`:
   - choose *card*
   - or [wallet](https://pay.example/w)

| Country | Standard | Express |
|---|---|---|
| KSA | 19 SAR | 35 SAR |

> Quoted **line**

    code **stays**
"""


def text_part(mail: object) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]


def reply_mail(desk: Desk, settings: Settings, sink: SmtpSink, body: str, lang: str = "en") -> object:
    subject, first = ("طلبي", "أين طلبي؟") if lang == "ar" else ("Refund", "Where is my refund?")
    ticket = desk.tickets.create(NewTicket(email="john@example.com", name="John", subject=subject, body=first))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket.id, agent.id, body)
    assert deliver(desk, settings) == 2
    return sink.messages[-1]


def test_a_replys_text_part_reads_its_markdown_as_plain_text(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """The text part carried the agent's Markdown as typed: a customer whose client shows the text part (or a phone's
    preview line) read "**approved**", "[the refunds article](/en/articles/refunds)" (a link no client could open)
    and "| KSA | 19 SAR |". Rendered from the same token stream as the HTML part now."""
    text = text_part(reply_mail(desk, settings, sink, MARKDOWN_REPLY))
    body = text.split("\n\nSara\n")[0]
    assert body == (
        "Your refund\n\n"
        "Hello John, your refund is approved and on its way.\n\n"
        "See the refunds article <https://help.manzil.example/en/articles/refunds> or https://help.manzil.example/en/."
        "\n\n"
        "1. Open My orders.\n"
        "2. Press Refund:\n"
        "   - choose card\n"
        "   - or wallet <https://pay.example/w>\n\n"
        "- KSA — Standard: 19 SAR; Express: 35 SAR.\n\n"
        "> Quoted line\n\n"
        "code **stays**"
    )
    for markup in ("##", "[", "](", "_on", "| KSA"):
        assert markup not in body


def test_an_arabic_replys_text_part_keeps_its_lines_in_order(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """A list item opening on a Latin word reads right to left in plain text only with its mark (drafts41's
    kb.bidi_text.rtl_ordered): the Markdown rendering keeps the draft's marks and marks a typed reply's lines."""
    body = "مرحبًا جون،\n\n- **Visa** أو Mastercard: من 5 إلى 10 أيام عمل\n- [مدى](/ar/articles/mada): فوري"
    text = text_part(reply_mail(desk, settings, sink, body, lang="ar"))
    lines = text.split("\n")
    assert lines[:4] == ["مرحبًا جون،", "", f"- {RLM}Visa أو Mastercard: من 5 إلى 10 أيام عمل",
                         "- مدى <https://help.manzil.example/ar/articles/mada>: فوري"]


def test_a_side_conversations_text_part_is_plain_text_too(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", subject="Parcel", body="Where is it?"))
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.side_conversations.start(ticket.id, "carrier@example.com", "Parcel 55821",
                                  "Please check **parcel 55821** ([tracking](https://track.example/55821)).",
                                  Actor("agent", agent.id), lang="en")
    deliver(desk, settings)
    side = next(m for m in sink.messages if m["To"] == "carrier@example.com")
    assert text_part(side).startswith("Please check parcel 55821 (tracking <https://track.example/55821>).\n")


def test_an_arabic_mail_comes_from_the_help_centers_arabic_name(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    """From said "Manzil Help Center" on Arabic mail (one KB_MAIL_SENDER_NAME), under an Arabic body signed
    "مركز مساعدة منزل": the brand's Arabic name (content/_theme.yml) now, RFC 2047-encoded, English mail unchanged."""
    reply_mail(desk, settings, sink, "شحنتك في الطريق.", lang="ar")
    confirmation, reply = sink.messages
    for mail in (confirmation, reply):
        assert mail["From"].addresses[0].display_name == "مركز مساعدة منزل"
        assert mail["From"].addresses[0].addr_spec == "support@manzil.example"
    # The name's encoded words on From's own line, not on the line after it (the policy's folder put them there).
    raw_from = next(line for line in sink.raw[-1].split(b"\r\n") if line.startswith(b"From:"))
    assert raw_from.isascii() and raw_from.startswith(b"From: =?utf-8?")
    assert str(make_header(decode_header(raw_from.decode()[6:]))) == "مركز مساعدة منزل"


def test_an_english_mail_keeps_the_configured_sender_name(desk: Desk, settings: Settings, sink: SmtpSink) -> None:
    reply_mail(desk, settings, sink, "It ships today.")
    assert {m["From"] for m in sink.messages} == {"Manzil Help Center <support@manzil.example>"}


def test_html_only_mail_reaches_the_ticket_without_its_empty_paragraphs(
        desk: Desk, listener_port: int) -> None:
    """Outlook's and Gmail's HTML-only mail: each <p> and each empty "&nbsp;" paragraph became blank lines, the
    customer's five lines arrived spread over nineteen (14 blank)."""
    html = ('<html><body><p class="MsoNormal">Hello,</p><p class="MsoNormal">&nbsp;</p><p class="MsoNormal">'
            "My order 5521 has not arrived.</p><p>&nbsp;</p><p>&nbsp;</p><div><br></div>"
            "<p>It was due on Monday.<br>Please check.</p><p>&nbsp;</p><p>Lina</p></body></html>")
    mail = MIMEText(html, "html", "utf-8")
    mail["From"] = "lina@example.com"
    mail["Subject"] = "Order"
    mail_in(listener_port, mail)
    [listed], _ = desk.tickets.inbox()
    ticket = desk.tickets.get(listed.id)
    assert ticket is not None
    assert ticket.messages[0].body == ("Hello,\n\nMy order 5521 has not arrived.\n\nIt was due on Monday.\n"
                                       "Please check.\n\nLina")


OUTLOOK_ID = "<DB9PR08MB6588D2F4A0F1C1A4A8B1C2D3E4F5A6B7C8D9E0F1@DB9PR08MB6588.eurprd08.prod.outlook.com>"


def test_a_reply_to_outlooks_long_message_id_threads(
        desk: Desk, settings: Settings, sink: SmtpSink, listener_port: int) -> None:
    """Outlook's Message-IDs run past a 78-character line: the policy's folder wrote In-Reply-To as RFC 2047 encoded
    words ("=?utf-8?q?=3CDB9PR08MB...") where no client finds the id, so the agent's answer threaded nowhere; and
    References began on the line after its name. Each id whole now, References on its own line's start."""
    first = MIMEText("Where is my order 5521?", "plain", "utf-8")
    first["From"] = "lina@example.com"
    first["Subject"] = "Order"
    first["Message-ID"] = OUTLOOK_ID
    mail_in(listener_port, first)
    [listed], _ = desk.tickets.inbox()
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    assert deliver(desk, settings) == 1
    again = MIMEText("It is urgent.", "plain", "utf-8")
    again["From"] = "lina@example.com"
    again["To"] = sink.messages[-1]["Reply-To"]
    again["Subject"] = f"RE: {sink.messages[-1]['Subject']}"
    again["Message-ID"] = OUTLOOK_ID.replace("<DB9", "<AM0")
    again["In-Reply-To"] = sink.messages[-1]["Message-ID"]
    mail_in(listener_port, again, sink.messages[-1]["Reply-To"])
    desk.tickets.reply(listed.id, agent.id, "It ships today.")
    assert deliver(desk, settings) == 1
    reply = sink.messages[-1]
    assert reply["In-Reply-To"] == OUTLOOK_ID.replace("<DB9", "<AM0")
    assert reply["References"].split()[0] == OUTLOOK_ID
    lines = sink.raw[-1].split(b"\r\n")
    assert f"In-Reply-To: {OUTLOOK_ID.replace('<DB9', '<AM0')}".encode() in lines
    assert f"References: {OUTLOOK_ID}".encode() in lines
    assert b"=?utf-8?q?=3C" not in sink.raw[-1]
