"""One outbox row to one `EmailMessage`: headers, threading, the two bodies and a reply's files.

Headers are the desk's business (they decide where a reply lands); the bodies come from a
`MailRenderer` the web layer provides (templates, translations, absolute links), so this module
stays free of Flask. MIME is built by the standard `email` package with `MAIL_POLICY`: the SMTP policy, its
Subject folded as RFC 2047 asks (`EncodedSubject`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, formataddr
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.mail.addresses import message_id, reply_address, subject_tag, thread_token
from desk.mail.attachments import attachment_file, message_files
from desk.mail_suggestions import ArticleFinder, suggestions_for
from desk.models import (
    AGENT_NOTICE_KINDS,
    Attachment,
    CsatSurvey,
    Customer,
    InboundMail,
    Message,
    OutboxMail,
    SideConversation,
    SideMessage,
    Ticket,
    TicketCc,
)
from kb.bidi_text import plain_name, without_bidi_controls
from kb.message_text import CONTROL_CHARACTERS, cut_at_word
from kb.settings import Settings

# Mail clients group a thread by References; a handful of ids is enough, and headers stay short.
MAX_REFERENCES = 10
EXCERPT_CHARS = 600


class EncodedSubject(UnstructuredHeader, BaseHeader):
    """The Subject folded by `email.header.Header`, not by the policy's folder: CPython 3.11.7's folder
    (gh-144156, fixed upstream in February 2026) left the blank between two encoded words outside them, where a
    reader drops it ("معي أحد" arrived as "معيأحد"), and moved a subject that fits a line of its own onto the next
    line, where the reader keeps the blank it begins with (" Re: ..."). Header splits non-ASCII text into encoded
    words of at most 75 characters with every blank inside one (RFC 2047 section 2: lines of at most 76; the
    blanks between encoded words are dropped), and folds ASCII text at its blanks. Text that reads as an encoded
    word ("=?") is encoded too, so a reader does not decode it. Never raw UTF-8: SMTPUTF8 is not asked for (a relay
    bounces such mail when the customer's server lacks it; bench/RESULTS.md, session 21, mailfold21)."""

    max_count = 1  # as the standard Subject (UniqueUnstructuredHeader): a second Subject is refused

    def fold(self, *, policy: Policy) -> str:
        text = str(self)
        charset = "us-ascii" if text.isascii() and "=?" not in text else "utf-8"
        folded = Header(text, charset, header_name=self.name, maxlinelen=76).encode(linesep=policy.linesep)
        return f"{self.name}: {folded}{policy.linesep}"


class MessageIds(UnstructuredHeader, BaseHeader):
    """In-Reply-To and References: message ids, never encoded, folded only between two ids. The policy's folder
    (mailtext41) wrote an id longer than a line (Outlook's "<DB9PR08MB...@DB9PR08MB....prod.outlook.com>" runs past
    78) as RFC 2047 encoded words, where no client finds the id (the reply threads nowhere), and began References
    on the line after its name. Each id is kept whole on its line (RFC 5322 allows 998)."""

    max_count = 1

    def fold(self, *, policy: Policy) -> str:
        lines = [f"{self.name}:"]
        for identifier in str(self).split():
            if lines[-1].endswith(":") or len(lines[-1]) + 1 + len(identifier) <= 78:
                lines[-1] += f" {identifier}"
            else:
                lines.append(f" {identifier}")
        return policy.linesep.join(lines) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("subject", EncodedSubject)
_HEADERS.map_to_type("in-reply-to", MessageIds)
_HEADERS.map_to_type("references", MessageIds)
# How a mail is built, stored and sent: the SMTP policy (lines of 78, CRLF) with the Subject and the ids above. A mail
# stored by an older version with longer lines is refolded the same way when sent (refold_source "long").
MAIL_POLICY = SMTP.clone(header_factory=_HEADERS)
# Marks our own mail, so a copy that comes back in (an auto-forward, a mailing list) is seen as a loop.
LOOP_HEADER = "X-Manzil-Loop"


@dataclass(frozen=True)
class MailContent:
    """What the templates see: plain data, no database objects."""

    kind: str
    lang: str
    customer_name: str = ""
    subject: str = ""
    reference: str = ""
    excerpt: str = ""
    body: str = ""
    agent_name: str = ""
    sent_at: datetime | None = None
    survey_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The names of the message's kept files: a reply (or a first message) of files alone says what it carries.
    files: tuple[str, ...] = ()
    # The agent's signature the reply was sent with (Message.signature, desk.signatures): under the body after the
    # separator, plain text in the text part, escaped in the HTML; "" for none.
    signature: str = ""
    # The articles an acknowledgement suggests (desk.mail_suggestions), in its order: each link carries its token.
    suggestions: tuple[SuggestedArticle, ...] = ()


@dataclass(frozen=True)
class SuggestedArticle:
    token: str
    title: str
    anchor: str  # the section's, "" for the article's top
    snippet: str


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    # From's display name in the mail's language (the help center's Arabic name on Arabic mail); "" for
    # `Settings.mail_sender_name`.
    sender: str = ""


class MailRenderer(Protocol):
    def render(self, content: MailContent) -> RenderedMail: ...


def _thread_ids(session: Session, ticket_id: int, before: int, mail_from: str) -> list[str]:
    """The Message-IDs of the ticket's earlier mails, oldest first: what came in and what went out."""
    inbound = session.execute(
        select(InboundMail.received_at, InboundMail.mail_message_id)
        .where(InboundMail.ticket_id == ticket_id, InboundMail.mail_message_id.is_not(None))
        .order_by(InboundMail.id)
    ).all()
    outbound = session.execute(
        select(OutboxMail.created_at, OutboxMail.mail_message_id)
        .where(OutboxMail.ticket_id == ticket_id, OutboxMail.id < before, OutboxMail.kind.not_in(AGENT_NOTICE_KINDS))
        .order_by(OutboxMail.id)
    ).all()
    timed = [(str(at), str(mid)) for at, mid in inbound if mid]
    timed += [(str(at), message_id(local, mail_from)) for at, local in outbound]
    return [mid for _, mid in sorted(timed)]


def threaded(mail: EmailMessage, earlier: list[str]) -> None:
    """In-Reply-To the last of `earlier` (Message-IDs, oldest first) and References the first with the latest few:
    how a mail client groups the thread. Only ids a header carries as they are (MessageIds: printable ASCII, no
    blank): a customer's Message-ID with an Arabic letter made the mail unsendable (UnicodeEncodeError while sending,
    which stopped every delivery pass there), one with a blank read as two ids (hostile42)."""
    earlier = [mid for mid in earlier if mid.isascii() and mid.isprintable() and " " not in mid]
    if earlier:
        mail["In-Reply-To"] = earlier[-1]
        mail["References"] = " ".join(earlier[:1] + earlier[1:][-(MAX_REFERENCES - 1):])


def content_for(session: Session, row: OutboxMail, settings: Settings,
                finder: ArticleFinder | None = None) -> MailContent:
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    suggested = (suggestions_for(session, row, ticket, settings.mail_suggested_articles, finder,
                                 settings.mail_suggestions_timeout_seconds)
                 if ticket is not None and row.kind == "confirmation" else [])
    message = session.get(Message, row.message_id) if row.message_id else None
    survey = session.get(CsatSurvey, row.survey_id) if row.survey_id else None
    first = ticket.messages[0].body if ticket and ticket.messages else ""
    excerpt = cut_at_word(first, EXCERPT_CHARS)
    return MailContent(
        kind=row.kind,
        lang=row.lang,
        # Plain text in a mail client (a subject line, "Hello NAME,"): no markup can isolate a customer's
        # U+202E there, so bidi controls are dropped (an override reversed the subject's thread tag).
        customer_name=without_bidi_controls((ticket.customer.name if ticket else row.payload.get("name", "")) or ""),
        subject=without_bidi_controls(ticket.subject if ticket else ""),
        reference=ticket.reference if ticket else "",
        excerpt=excerpt,
        body=message.body if message else "",
        agent_name=plain_name(message.agent.name if message and message.agent else ""),  # it signs the mail
        sent_at=message.created_at if message else row.created_at,
        survey_token=survey.token if survey else None,
        extra=dict(row.payload),
        files=tuple(a.filename for a in message_files(session, message.id)) if message else (),
        signature=(message.signature or "") if message else "",
        suggestions=tuple(SuggestedArticle(s.token, s.title, s.anchor, s.snippet) for s in suggested),
    )


def one_line(text: str) -> str:
    """A subject as a header carries it: each line break one space. The email package refuses a header value that
    str.splitlines() breaks (\\n, \\r, but also U+2028, U+2029, \\v, \\f), and a subject typed through the API or
    mailed in may hold one: the mail was never composed, the customer's confirmation or the side conversation's
    message lost (hostile34)."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def compose_side(session: Session, row: OutboxMail, settings: Settings, renderer: MailRenderer) -> EmailMessage:
    """A side conversation's message (desk.side_conversations) to all its participants: its own reply address,
    subject tag and References (its earlier mails, out and in), never the ticket's; the ticket's files the agent
    forwarded attached. Nothing of the ticket's customer: no name, no link to their page."""
    message = session.get(SideMessage, row.side_message_id)
    if message is None:
        raise ValueError(f"side conversation message {row.side_message_id} is gone")
    side = session.get(SideConversation, message.side_conversation_id)
    assert side is not None
    content = MailContent(
        kind=row.kind, lang=row.lang, subject=without_bidi_controls(side.subject), body=message.body,
        agent_name=plain_name(message.agent.name if message.agent else ""), sent_at=message.created_at,
        files=tuple(str(f.get("filename")) for f in message.files or []),
    )
    rendered = renderer.render(content)
    mail = EmailMessage(policy=MAIL_POLICY)
    set_sender(mail, rendered, settings)
    # The participants when it was queued (an address removed since is not sent it); a row from before: as now.
    queued_to = row.payload.get("to") if isinstance(row.payload, dict) else None
    mail["To"] = ", ".join(queued_to if isinstance(queued_to, list) and queued_to else side.participants)
    stamp(mail, row, settings)
    mail["Reply-To"] = reply_address(settings.mail_from, side.token)
    # Its earlier messages' Message-IDs, oldest first: the agents' mails we sent, the third parties' we received.
    earlier: list[str] = []
    for out, inbound in session.execute(
            select(OutboxMail.mail_message_id, SideMessage.mail_message_id)
            .select_from(SideMessage).outerjoin(OutboxMail, OutboxMail.side_message_id == SideMessage.id)
            .where(SideMessage.side_conversation_id == side.id, SideMessage.id < message.id)
            .order_by(SideMessage.id, OutboxMail.id)):
        if out:
            earlier.append(message_id(out, settings.mail_from))
        elif inbound:
            earlier.append(inbound)
    threaded(mail, earlier)
    mail["Subject"] = f"{one_line(rendered.subject)} {subject_tag(side.token)}"
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    for entry in message.files or []:
        attached = session.get(Attachment, entry.get("attachment_id")) if entry.get("attachment_id") else None
        if attached is None or attached.path is None:
            # The mail waits (retried, then failed with this reason), never sent without it.
            raise ValueError(f"forwarded file {entry.get('attachment_id')} is gone")
        attach(mail, attachment_file(settings.data_dir, attached).read_bytes(), attached)
    return with_language(mail, row.lang)


def stamp(mail: EmailMessage, row: OutboxMail, settings: Settings) -> None:
    """What every mail the desk sends carries, whatever it is: Date (when it was queued), its own Message-ID, and
    LOOP_HEADER (a copy that comes back in is seen as ours)."""
    mail["Date"] = format_datetime(row.created_at if row.created_at.tzinfo else row.created_at.astimezone())
    mail["Message-ID"] = message_id(row.mail_message_id, settings.mail_from)
    mail[LOOP_HEADER] = "1"


def set_sender(mail: EmailMessage, rendered: RenderedMail, settings: Settings) -> None:
    """From: the help center's name in the mail's language (the renderer's, its Arabic name on Arabic mail;
    `Settings.mail_sender_name` otherwise) at the desk's address, RFC 2047-encoded when it is not ASCII. Written as
    is when it fits a line: the policy's folder began a non-ASCII From on the line after its name (mailtext41). The
    name is one line without control characters: content/_theme.yml's "Acme\r\nBcc: ..." wrote a Bcc header of its
    own, which smtplib mailed every customer's mail to, and a longer one failed every mail (hostile42)."""
    name = one_line(CONTROL_CHARACTERS.sub("", rendered.sender or settings.mail_sender_name))
    address = f"<{settings.mail_from}>"
    value = formataddr((name, settings.mail_from))
    if name and not (name.isascii() and len(f"From: {value}") <= 78):
        # Encoded words of at most 76 characters (RFC 2047), the first line counting "From: ": an ASCII name past a
        # line too, whose quotes the policy's folder dropped ("... Bcc: evil@x.example" read as a group of that
        # address, "Acme, Support" as two addresses: hostile42).
        words = Header(name, "utf-8", header_name="From", maxlinelen=76).encode(linesep=mail.policy.linesep)
        last = f"From: {words}".rsplit(mail.policy.linesep, 1)[-1]
        value = words + (" " if len(last) + 1 + len(address) <= 78 else mail.policy.linesep + " ") + address
    mail.set_raw("From", value)  # an address past a line stays whole on its own (RFC 5322 allows 998)


def attach(mail: EmailMessage, data: bytes, attached: Attachment) -> None:
    """One file on the mail: its name RFC 2231-encoded in Content-Disposition (the standard; the email package's), and
    a name other than ASCII also as RFC 2047 encoded words in Content-Type's `name`, as Gmail and Thunderbird send it:
    Outlook reading mail over IMAP or POP knows only that form and showed an Arabic file name as "Untitled attachment"
    or ATT00001.bin (mailwalk41). The value is stored as written (`set_raw`), each line within the policy's 78
    characters so it is never refolded (the package would fold it back to RFC 2231)."""
    maintype, _, subtype = attached.content_type.partition("/")
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=attached.filename)
    name = attached.filename
    if name.isascii():
        return
    *_, part = mail.iter_attachments()  # the one just added
    # ' name="' opens the first line, '"' closes the last: each encoded word within 76 (RFC 2047), each line within 78.
    words = Header(name, "utf-8", maxlinelen=68).encode(linesep="\n").split("\n")
    linesep = mail.policy.linesep
    del part["Content-Type"]
    part.set_raw("Content-Type", f"{maintype}/{subtype};{linesep} name=\"" + linesep.join(
        word if index == 0 else f" {word.strip()}" for index, word in enumerate(words)) + '"')


def with_language(mail: EmailMessage, lang: str) -> EmailMessage:
    """The mail's language (RFC 3282 Content-Language) on its top part, set last: `set_content` drops every
    Content-* header a mail has, and `add_attachment` moves them to the part it wraps, so a Content-Language set
    with the other headers never left the desk (mailwalk41)."""
    del mail["Content-Language"]
    mail["Content-Language"] = lang
    return mail


def compose_agent_notice(session: Session, row: OutboxMail, settings: Settings, renderer: MailRenderer
                         ) -> EmailMessage:
    """An agent's mail about a ticket (desk.agent_notices: assigned to them, or a note mentioning them): in their
    language (the site's first when theirs is none the site has), the same subject for every notice of the ticket and
    In-Reply-To/References to the earlier ones sent to this agent, so a mail client groups them per ticket. No
    Reply-To and none of the customer's thread: a reply to it never reaches the ticket or the customer."""
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is None:
        raise ValueError(f"ticket {row.ticket_id} is gone")
    lang = row.lang if row.lang in settings.languages else settings.languages[0]
    content = MailContent(
        kind=row.kind, lang=lang, customer_name=plain_name(str(row.payload.get("name", ""))),
        subject=without_bidi_controls(ticket.subject), reference=ticket.reference,
        body=str(row.payload.get("note", "")), agent_name=plain_name(str(row.payload.get("by", ""))),
        sent_at=row.created_at, extra={**row.payload, "ticket_id": ticket.id},
    )
    rendered = renderer.render(content)
    mail = EmailMessage(policy=MAIL_POLICY)
    set_sender(mail, rendered, settings)
    mail["To"] = row.to_address
    stamp(mail, row, settings)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: the agent's out-of-office does not answer it
    earlier = [message_id(local, settings.mail_from) for local in session.scalars(
        select(OutboxMail.mail_message_id)
        .where(OutboxMail.ticket_id == ticket.id, OutboxMail.kind.in_(AGENT_NOTICE_KINDS),
               OutboxMail.to_address == row.to_address, OutboxMail.id < row.id)
        .order_by(OutboxMail.id))]
    threaded(mail, earlier)
    mail["Subject"] = one_line(rendered.subject)
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    return with_language(mail, lang)


def compose(session: Session, row: OutboxMail, settings: Settings, renderer: MailRenderer,
            finder: ArticleFinder | None = None) -> EmailMessage:
    """`finder`: how a new ticket's acknowledgement finds the articles it suggests (desk.mail_suggestions); None
    suggests none (`kb mail deliver` without an index)."""
    if row.side_message_id is not None:
        return compose_side(session, row, settings, renderer)
    if row.kind in AGENT_NOTICE_KINDS:
        return compose_agent_notice(session, row, settings, renderer)
    content = content_for(session, row, settings, finder)
    rendered = renderer.render(content)
    mail = EmailMessage(policy=MAIL_POLICY)
    set_sender(mail, rendered, settings)
    mail["To"] = row.to_address
    if row.kind == "reply" and row.ticket_id is not None and row.survey_id is None:
        # The ticket's CCs as they are now (desk.ccs): one mail, so a reply-all keeps everyone on the thread. Never on
        # a mail carrying the requester's survey, a confirmation or a solved mail.
        copied = session.scalars(
            select(Customer.email).join(TicketCc, TicketCc.customer_id == Customer.id)
            .where(TicketCc.ticket_id == row.ticket_id, Customer.erased_at.is_(None),
                   Customer.email != row.to_address)
            .order_by(TicketCc.added_at, Customer.id)
        ).all()
        if copied:
            mail["Cc"] = ", ".join(copied)
    stamp(mail, row, settings)
    if row.kind != "reply":
        # RFC 3834: machine-made mail, so the customer's auto-responder does not answer it.
        mail["Auto-Submitted"] = "auto-generated"
    subject = one_line(rendered.subject)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None:
        token = thread_token(session, ticket)
        subject = f"{subject} {subject_tag(token)}"
        mail["Reply-To"] = reply_address(settings.mail_from, token)
        threaded(mail, _thread_ids(session, ticket.id, row.id, settings.mail_from))
    mail["Subject"] = subject
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    if row.kind == "reply" and row.message_id is not None:
        # The agent's files, as real attachments; the name RFC 2231-encoded by the email package (Arabic kept).
        # A file gone from disk raises: the mail waits and is retried, never sent without it.
        for attached in message_files(session, row.message_id):
            attach(mail, attachment_file(settings.data_dir, attached).read_bytes(), attached)
    return with_language(mail, row.lang)
