"""Session 42's hostile input against session 41's mail (hostile42), composed by the real outbox and delivered to a
real SMTP server on loopback (aiosmtpd), on both engines: a help center's name with a line break must not write a
header of its own, and an agent's reply nested deeper than the Markdown parser goes keeps every word in both parts.
Each test failed before its fix (its docstring says how)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desk.desk import Desk
from desk.mail.compose import MailContent
from kb.settings import Settings
from tests.desk.test_mail_out import arabic_ticket, bodies, deliver, desk, settings  # noqa: F401
from tests.smtp_sink import SmtpSink
from webapp.mail_templates import EmailTemplates


@pytest.mark.parametrize("name", ["Acme\r\nBcc: evil@attacker.example", "Acme\nBcc: evil@attacker.example",
                                  "Acme\rBcc: evil@attacker.example", "Acme\x0bBcc: evil@attacker.example",
                                  "A" * 70 + "\r\nBcc: evil@attacker.example", "منزل\r\nBcc: evil@attacker.example",
                                  "A" * 70 + " Bcc: evil@attacker.example", "Acme Support, evil@attacker.example" * 3])
def test_a_help_center_name_with_a_line_break_writes_no_header_of_its_own(
        desk: Desk, settings: Settings, sink: SmtpSink, tmp_path: Path, name: str) -> None:  # noqa: F811
    """content/_theme.yml's name is the From header's display name (mailtext41's set_sender). A name holding CR or LF
    was written raw: "Acme\\r\\nBcc: evil@..." put a Bcc header of its own on every mail, and smtplib's send_message
    read it, so each customer's confirmation and reply went to the attacker as well. A longer one failed every mail
    ("address parts cannot contain CR or LF"): nothing was sent. A name past a line went to the policy's folder,
    which dropped its quotes: "AAA... Bcc: evil@..." read as a group of evil's address, "Acme, evil@..." as two
    From addresses. The name is one line now, whatever it holds, and encoded when it is past a line. Before the fix
    the sink's envelope named evil@attacker.example (or no mail was sent), or From read as another address."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "_theme.yml").write_text(f"name: {{en: {name!r}, ar: {name!r}}}\n".replace("'", '"'), "utf-8")
    settings = replace(settings, content_dir=content, smtp_url=sink.url)
    arabic_ticket(desk)
    assert deliver(desk, settings) == 1
    assert [recipients for _, recipients in sink.handler.envelopes] == [["omar@example.com"]]
    mail = sink.messages[0]
    assert mail["Bcc"] is None and mail["To"] == "omar@example.com"
    assert "\n" not in str(mail["From"]) and "\r" not in str(mail["From"])
    assert [address.addr_spec for address in mail["From"].addresses] == ["support@manzil.example"]
    assert "evil@attacker.example" in mail["From"].addresses[0].display_name


@pytest.mark.parametrize("nested", ["> " * 25, "- " * 25, "".join("  " * depth + "- level\n" for depth in range(30))
                                    + "  " * 30, "1. " * 12 + "> " * 12])
def test_a_reply_nested_deeper_than_markdown_goes_keeps_every_word_in_both_parts(
        desk: Desk, settings: Settings, sink: SmtpSink, nested: str) -> None:  # noqa: F811
    """The reply mail's Markdown (its HTML part and, since mailtext41, its text part: kb.message_text.markdown_text)
    went through markdown-it, which stops at 20 levels of quotes and lists and drops the rest of the reply unsaid:
    an agent who pasted a long quoted thread ("> > > ...") sent the customer a mail ending there, the answer under
    it lost from both parts. Such a reply is sent as its text now, every word kept. Before the fix neither part held
    the deepest words nor the paragraph after them."""
    settings = replace(settings, smtp_url=sink.url)
    ticket = arabic_ticket(desk)
    agent = desk.accounts.create_agent("sara@manzil.example", "a long password", name="Sara")
    desk.tickets.reply(ticket.id, agent.id, f"Hello,\n\n{nested}the deepest words\n\nThe answer after them.")
    assert deliver(desk, settings) == 2
    for part in bodies(sink.messages[1]):
        assert "the deepest words" in part and "The answer after them." in part and "Hello," in part


def test_a_reply_within_markdowns_depth_is_still_markdown() -> None:
    """The other side of the fallback above: quotes and lists a few levels deep stay quotes and lists."""
    templates = EmailTemplates(Settings(base_url="https://help.manzil.example"))
    mail = templates.render(MailContent(kind="reply", lang="en", body="> > quoted\n\n- one\n  - two\n\n**bold**",
                                        reference="R1"))
    assert "<blockquote" in mail.html and "<li" in mail.html and "<strong>bold</strong>" in mail.html
    assert "> > quoted" in mail.text and "- one" in mail.text and "**" not in mail.text


@pytest.mark.parametrize("message_id", ["<عمر-1@mail.example>", "<omar\u00a0one@mail.example>", "<ok@mail.example>"])
def test_a_customers_message_id_no_header_can_carry_jams_no_mail(
        desk: Desk, settings: Settings, sink: SmtpSink, message_id: str) -> None:  # noqa: F811
    """A reply's In-Reply-To and References name the customer's Message-ID as it came in; since mailtext41 they are
    written as they are, never encoded. A customer's mail whose Message-ID held a letter other than ASCII (a broken
    or hostile client's) made every mail threaded under it unsendable: serialising it raised UnicodeEncodeError in
    the middle of the delivery pass, which stopped there, and every later pass stopped at the same mail, so no mail
    of the desk went out again; one with a no-break space was stored with a blank and read as two ids. An id no header
    can carry is left out of the thread's ids now. Before the fix the pass raised and the other customer's
    acknowledgement waited with it (In-Reply-To held a blank)."""
    settings = replace(settings, smtp_url=sink.url)
    for sender, mid in (("omar@example.com", message_id), ("lina@example.com", "<lina-1@mail.example>")):
        raw = (f"From: {sender}\r\nTo: support@manzil.example\r\nSubject: Where is my order\r\n"
               f"Message-ID: {mid}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n").encode()
        desk.mail_in.receive(raw)
    assert deliver(desk, settings) == 2
    assert sorted(m["To"] for m in sink.messages) == ["lina@example.com", "omar@example.com"]
    for raw in sink.raw:
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii() and all(len(line) <= 998 for line in head.split(b"\r\n"))
    threaded_to = {m["To"]: m["In-Reply-To"] for m in sink.messages}
    assert threaded_to["lina@example.com"] == "<lina-1@mail.example>"
    assert threaded_to["omar@example.com"] == (message_id if message_id == "<ok@mail.example>" else None)


def test_a_queued_mail_no_server_can_carry_fails_alone_and_the_others_go(
        desk: Desk, settings: Settings, sink: SmtpSink) -> None:  # noqa: F811
    """A mail composed before hostile42's fix keeps its bytes (`raw`: a retry sends what was composed), so a row whose
    In-Reply-To held a customer's Arabic Message-ID stays in the outbox after the upgrade. Sending it raised
    UnicodeEncodeError, which no branch of the delivery pass caught: the pass stopped there, and every later pass
    stopped at the same row, so no mail of the desk went out again. It fails alone now (failed, the reason kept for
    the agent), and the other customer's mail goes. Before the fix deliver() raised."""
    from sqlalchemy import select

    from desk.models import OutboxMail

    settings = replace(settings, smtp_url=sink.url)
    for sender in ("omar@example.com", "lina@example.com"):
        raw = (f"From: {sender}\r\nTo: support@manzil.example\r\nSubject: Where is my order\r\n"
               f"Message-ID: <{sender}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n").encode()
        desk.mail_in.receive(raw)
    with desk.db.session() as session:
        first = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).first()
        assert first is not None
        first.raw = ("From: support@manzil.example\nTo: omar@example.com\nIn-Reply-To: <عمر-1@mail.example>\n"
                     "Subject: Re: Where is my order\nContent-Type: text/plain; charset=utf-8\n\nWe are on it\n")
        session.commit()
        first_id = first.id
    assert deliver(desk, settings) == 1
    assert [m["To"] for m in sink.messages] == ["lina@example.com"]
    with desk.db.session() as session:
        row = session.get(OutboxMail, first_id)
        assert row is not None and row.status == "failed" and "could not be sent" in (row.last_error or "")
    assert deliver(desk, settings) == 0  # the next pass neither sends it nor stops at it
