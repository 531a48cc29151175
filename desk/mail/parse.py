"""One RFC 822 message as the desk needs it: who, what (the new text without quoted history), which
thread it answers, whether a machine sent it, and its files.

Mail in the wild is broken in every way, so nothing here raises on a bad part: a header that does
not decode, an unknown charset or a truncated MIME tree becomes a `problems` entry and the rest is
kept. Only a message with no sender address at all is unparseable (`UnparseableMail`). Bodies are
read with the declared charset (windows-1256 and ISO-8859-6 Arabic mail included); HTML is reduced
to text by nh3 (kb.message_text), never stored as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.errors import NoBoundaryInMultipartDefect
from email.message import Message
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr
from itertools import islice

from charset_normalizer import from_bytes
from mailparser_reply import EmailReplyParser

from desk.mail.reasons import MailReason
from kb.message_text import (
    CONTROL_CHARACTERS,
    QUOTED_AND_HIDDEN,
    SUBJECT_PREFIX,
    html_to_lines,
    inline_forward,
    without_quoted_lines,
)

# A real mail has a handful of parts; 500 is an attack or a broken generator. Past this we stop looking.
MAX_PARTS = 100
# The email package parses some headers in time quadratic in their length (each encoded word, parameter or
# address re-slices the rest: 280 KB of them took 25 s). A real header is under 1,000 characters, a
# References line of 60 ids 4,000; past this a value is cut before it is parsed. And one name's first
# values only ("Subject" 20,000 times is no subject the desk needs 20,000 of).
MAX_HEADER_CHARS = 4_000
MAX_HEADER_VALUES = 20
MAX_ATTACHMENTS = 20
# A customer forwards one mail, sometimes a few; past this they stay in the raw .eml.
MAX_FORWARDED = 5
FORWARDED_SEPARATOR = "---------- Forwarded message ----------"  # Gmail's; kb.message_text cuts at it
# The legacy charsets of the desk's two languages, for text that names no charset (undeclared_text):
# Windows Arabic first, as Arabic mail clients wrote it, then ISO Arabic and Windows Western.
LEGACY_CHARSETS = ("cp1256", "iso8859_6", "cp1252")
# The languages whose reply headers mail-parser-reply knows besides English (it has no Arabic; the
# Arabic "في ... كتب:" header is kb.message_text's).
REPLY_PARSER_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)([+@]|$)", re.IGNORECASE)


class _BoundedPolicy(EmailPolicy):
    """email.policy.default, each header value cut at MAX_HEADER_CHARS before it is parsed (every part's too)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return super().header_fetch_parse(name, value[:MAX_HEADER_CHARS])  # type: ignore[no-any-return]


BOUNDED_POLICY = _BoundedPolicy()


class UnparseableMail(ValueError):
    """Not an email the desk can use (no sender address); `why` is the reason held mail records, `str()` its
    English."""

    def __init__(self, why: MailReason) -> None:
        super().__init__(why.text)
        self.why = why


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    from_name: str
    from_address: str
    recipients: list[str]
    subject: str
    in_reply_to: str
    references: str
    text: str
    full_text: str
    automatic: MailReason | None  # why it looks sent by a machine
    loop: bool
    attachments: list[ParsedAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # (name, address) of `To:` and `Cc:`: who the sender copied (desk.ccs keeps those that are not ours)
    copied: list[tuple[str, str]] = field(default_factory=list)
    # The sender asks for no automatic answer (`no_auto_reply`): the new ticket it opens gets no acknowledgement.
    no_auto_reply: bool = False


# Line breaks and tabs left by folding are one space (other controls go: kb.message_text.CONTROL_CHARACTERS).
_HEADER_BREAKS = re.compile("[ \t]*[\t\r\n]+[ \t]*")


def header_text(value: object) -> str:
    """A header's value as text any database and page can take. Raw 8-bit header bytes (UTF-8 sent without
    RFC 2047, common from Arabic clients) reach Python as surrogate escapes, which UTF-8 cannot encode (the
    message was lost at the write): they are read as UTF-8, a byte that is not becomes U+FFFD. Control
    characters are dropped, line breaks and tabs become a space; the ends are trimmed."""
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _HEADER_BREAKS.sub(" ", CONTROL_CHARACTERS.sub("", text)).strip()


def _raw_values(message: Message, name: str) -> list[str]:
    """A header's first MAX_HEADER_VALUES values, unparsed (each is parsed, cut, when it is read)."""
    return list(islice((value for key, value in message.raw_items() if key.lower() == name.lower()), MAX_HEADER_VALUES))


def _header(message: Message, name: str, problems: list[str]) -> str:
    raw = _raw_values(message, name)
    try:
        return header_text(" ".join(str(message.policy.header_fetch_parse(name, value)) for value in raw))
    except Exception as error:  # a header the policy cannot decode must not lose the mail
        problems.append(f"header {name}: {error}")
        # Its raw text: parsing it again raised again (50,000 nested "(": a RecursionError).
        return header_text(" ".join(value[:MAX_HEADER_CHARS] for value in raw))


def address_pairs(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs in address headers' text; none when the email package's parser recurses past
    Python's limit (50,000 nested "(" in a From: a RecursionError, which no one caught, lost the mail)."""
    try:
        return [(name, address) for name, address in getaddresses(values) if address]
    except RecursionError:
        return []


def _sender(message: Message, problems: list[str]) -> tuple[str, str]:
    """The From (else Sender) display name and address, decoded (RFC 2047 names included)."""
    for name in ("From", "Sender"):
        try:
            header = message.get(name)
            addresses = getattr(header, "addresses", None)
            if addresses:
                return header_text(addresses[0].display_name), header_text(addresses[0].addr_spec)
        except Exception as error:
            problems.append(f"header {name}: {error}")
        found = address_pairs([_header(message, name, problems)])
        if found:
            return found[0]
    return "", ""


def part_text(part: Message) -> str:
    """A text part decoded with its declared charset (unknown ones as UTF-8, bad bytes replaced). A codec that
    cannot replace ("idna", "undefined") raises UnicodeError: read as UTF-8 too, or the mail was never stored.
    A part that declares no charset is read by `undeclared_text`."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    if charset is None:
        return undeclared_text(payload)
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, UnicodeError):
        return payload.decode("utf-8", errors="replace")


def undeclared_text(payload: bytes) -> str:
    """8-bit text whose part names no charset: as UTF-8 when it is UTF-8, else in the legacy charset of the desk's
    languages the bytes read best in (charset-normalizer, limited to LEGACY_CHARSETS: an open guess among every
    codec reads a short Arabic line as Korean or UTF-16), else as UTF-8 with bad bytes replaced. Old Arabic
    Outlook and webmail send windows-1256 with no charset; read as UTF-8 it was all replacement marks."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(payload, cp_isolation=list(LEGACY_CHARSETS)).best()
        return str(best) if best is not None else payload.decode("utf-8", errors="replace")


def _parts(message: Message, problems: list[str]) -> list[Message]:
    parts: list[Message] = []
    for part in message.walk():
        if len(parts) >= MAX_PARTS:
            problems.append(f"more than {MAX_PARTS} MIME parts: the rest were not read")
            break
        parts.append(part)
    return parts


def _content_type(part: Message) -> str:
    """The part's type for reading its text. A "multipart/*" with no boundary parameter cannot be split: the email
    package keeps its body whole as a string payload (NoBoundaryInMultipartDefect); that is the sender's text."""
    if any(isinstance(defect, NoBoundaryInMultipartDefect) for defect in part.defects) and not part.is_multipart():
        return "text/plain"
    return part.get_content_type()


def _forwarded_parts(parts: list[Message]) -> set[int]:
    """The ids of the parts inside a forwarded message (message/rfc822 and the like): not the sender's own."""
    return {id(inner) for part in parts if part.get_content_maintype() == "message"
            for inner in islice(part.walk(), 1, MAX_PARTS)}


def _readable(parts: list[Message], forwarded: set[int], own: bool) -> str:
    """The text/plain part, else the HTML part reduced to text, among the sender's own parts or the forwarded ones."""
    by_type: dict[str, str] = {}
    for part in (part for part in parts if (id(part) in forwarded) is not own):
        kind = _content_type(part)
        if kind in ("text/plain", "text/html") and kind not in by_type and not part.get_filename():
            by_type[kind] = part_text(part)
    if "text/plain" in by_type:
        return by_type["text/plain"]
    if "text/html" in by_type:
        return html_to_lines(by_type["text/html"], drop=QUOTED_AND_HIDDEN - {"blockquote"}).strip()
    return ""


def email_text(message: Message, parts: list[Message] | None = None) -> str:
    """The readable body: the text/plain part, else the HTML part reduced to text (HTML mail is common).

    Quoted history stays in (the agent may need it); only hidden parts go.
    """
    parts = parts if parts is not None else _parts(message, [])
    # A forwarded message (message/rfc822) is not the sender's own words: its text counts only when the mail has
    # none of its own (before, its text/plain beat the sender's HTML and the customer's words were lost).
    forwarded = _forwarded_parts(parts)
    return _readable(parts, forwarded, own=True) or _readable(parts, forwarded, own=False)


def forwarded_quotes(parts: list[Message], inside: set[int], problems: list[str]) -> str:
    """The messages the sender forwarded ("forward as attachment": message/rfc822 parts of the mail itself), each
    behind FORWARDED_SEPARATOR with its From, Date and Subject, every line quoted "> ", to show below the sender's
    own words (as Zendesk and Chatwoot do); they were kept only in the raw .eml. Empty when there are none.
    `inside` holds the parts within a forwarded message (`_forwarded_parts`): a forward's own forward is not shown."""
    blocks: list[str] = []
    for part in parts:
        if part.get_content_type() != "message/rfc822" or id(part) in inside:
            continue
        inner = part.get_payload(0) if part.is_multipart() else None
        if not isinstance(inner, Message):
            continue
        if len(blocks) >= MAX_FORWARDED:
            problems.append(f"more than {MAX_FORWARDED} forwarded messages: the rest were not shown")
            break
        lines = [f"{name}: {value}" for name in ("From", "Date", "Subject")
                 if (value := _header(inner, name, problems))]
        text = email_text(inner).replace("\r\n", "\n").replace("\x00", "").strip()
        blocks.append(quoted_forward([*lines, "", *text.split("\n")]))
    return "\n\n".join(blocks)


def quoted_forward(lines: list[str]) -> str:
    """A forwarded message as the ticket shows it below the sender's words: FORWARDED_SEPARATOR, every line "> "."""
    return "\n".join([FORWARDED_SEPARATOR, *(f"> {line}".rstrip() for line in lines)])


def new_text(full: str) -> str:
    """The customer's new words: mail-parser-reply's cut, then kb.message_text's (Arabic headers, '>')."""
    try:
        latest = EmailReplyParser(languages=REPLY_PARSER_LANGUAGES).parse_reply(full) or full
    except Exception:  # the parser's regexes on hostile input: fall back to our own cut
        latest = full
    text = "\n".join(without_quoted_lines(latest)).strip()
    return text or full.strip()


def automatic_reason(message: Message, sender: str, problems: list[str]) -> MailReason | None:
    """Why this mail was sent by a machine (RFC 3834 auto-replies, bulk and list mail, bounces), else None."""
    auto = _header(message, "Auto-Submitted", problems).lower()
    if auto and auto != "no":
        return MailReason("auto_submitted", {"value": auto[:100]})
    precedence = _header(message, "Precedence", problems).lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return MailReason("precedence", {"value": precedence})
    for name in _AUTO_HEADERS:
        if name in message:  # present is enough: nothing to parse
            return MailReason("auto_header", {"header": name})
    if message.get_content_type() == "multipart/report" or any(
        p.get_content_type() in ("message/delivery-status", "message/disposition-notification")
        for p in _parts(message, [])
    ):
        return MailReason("delivery_status")
    if _header(message, "List-Id", problems) or _header(message, "List-Unsubscribe", problems):
        return MailReason("mailing_list")
    if _DAEMON.match(sender):
        return MailReason("daemon_sender", {"sender": sender[:320]})
    return None


def no_auto_reply(message: Message, problems: list[str]) -> bool:
    """Whether the sender asks that no automatic answer be sent: Microsoft's X-Auto-Response-Suppress naming all of
    them, auto-replies or out-of-office ones (Exchange's own out-of-office mail carries "All", often without
    Auto-Submitted). The mail is a person's as far as the desk knows (its ticket is kept); only the acknowledgement is
    not sent, as Zammad does: one went back to an out-of-office mail, an auto-reply answering an auto-reply
    (mailwalk41)."""
    asked = {word.strip().lower() for word in _header(message, "X-Auto-Response-Suppress", problems).split(",")}
    return bool(asked & {"all", "autoreply", "oof"})


def clean_subject(subject: str) -> str:
    return SUBJECT_PREFIX.sub("", subject).strip()


def _attachments(parts: list[Message], problems: list[str]) -> list[ParsedAttachment]:
    found: list[ParsedAttachment] = []
    for part in parts:
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        if not filename and disposition != "attachment":
            continue
        if len(found) >= MAX_ATTACHMENTS:
            problems.append(f"more than {MAX_ATTACHMENTS} attachments: the rest were not kept")
            break
        try:
            data = part.get_payload(decode=True)
        except Exception as error:
            problems.append(f"attachment {filename!r}: {error}")
            continue
        payload = data if isinstance(data, bytes) else b""
        found.append(ParsedAttachment(str(filename or "attachment"), part.get_content_type(), payload))
    return found


def glimpse(raw: bytes) -> tuple[str, str]:
    """The From and Subject text of a mail `parse_mail` refused (too large, no sender address), so the agents'
    list of held mail shows what it was; the first 64 KB only (the headers), empty where even that fails."""
    try:
        message = message_from_bytes(raw[:65_536], policy=BOUNDED_POLICY)
        problems: list[str] = []
        return _header(message, "From", problems), _header(message, "Subject", problems)
    except Exception:  # a glimpse: the refusal is recorded whatever this finds
        return "", ""


def parse_mail(raw: bytes, own_address: str = "", sender_if_none: str = "") -> ParsedMail:
    """`sender_if_none`: the address an agent recovering a held mail gives when the mail names none (desk.mail.held)."""
    try:
        message = message_from_bytes(raw, policy=BOUNDED_POLICY)
    except Exception as error:  # the parser is lenient; this is truly not a message
        raise UnparseableMail(MailReason("not_an_email", {"error": str(error)[:300]})) from None
    problems = [str(d) for d in getattr(message, "defects", [])][:10]
    name, sender = _sender(message, problems)
    if (not sender or "@" not in sender) and sender_if_none:
        name, sender = "", sender_if_none
    if not sender or "@" not in sender:
        longest = max(map(len, _raw_values(message, "From")), default=0)
        if longest > MAX_HEADER_CHARS:
            raise UnparseableMail(MailReason("sender_too_long", {"limit": MAX_HEADER_CHARS, "length": longest}))
        raise UnparseableMail(MailReason("no_sender"))
    sender = sender.lower()
    recipients = [
        address.lower()
        for _, address in address_pairs(
            [_header(message, h, problems) for h in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")]
        )
    ]
    copied = [(header_text(name)[:200], address.lower())
              for name, address in address_pairs([_header(message, h, problems) for h in ("To", "Cc")])]
    parts = _parts(message, problems)
    forwarded = _forwarded_parts(parts)
    own_text = _readable(parts, forwarded, own=True)
    full = (own_text or _readable(parts, forwarded, own=False)).replace("\r\n", "\n").replace("\x00", "")
    text = new_text(full)
    own = parseaddr(own_address)[1].lower()
    loop = "X-Manzil-Loop" in message or (bool(own) and sender == own)
    subject = _header(message, "Subject", problems)
    message_id = _header(message, "Message-ID", problems) or None
    automatic = automatic_reason(message, sender, problems)
    # Below the sender's own words, when there are some (a mail that is only a forwarded message shows its text as
    # the body) and a person sent it (a bounce's returned mail is our own).
    quotes = forwarded_quotes(parts, forwarded, problems) if own_text.strip() and automatic is None else ""
    # A message forwarded inline (below a separator in the sender's own text) is quoted the same way; the cut
    # (`new_text`) stopped at its separator. A mail that is only the forward shows it whole already.
    inline = inline_forward(full) if automatic is None else ""
    if inline and text != full.strip():
        quotes = "\n\n".join(filter(None, [quoted_forward(inline.split("\n")), quotes]))
    if quotes:
        text, full = f"{text}\n\n{quotes}", f"{full.rstrip()}\n\n{quotes}"
    return ParsedMail(
        message_id=message_id[:300] if message_id else None,
        from_name=name.strip()[:200],
        from_address=sender,
        recipients=recipients,
        subject=subject,
        in_reply_to=_header(message, "In-Reply-To", problems),
        references=_header(message, "References", problems),
        text=text,
        full_text=full,
        automatic=automatic,
        loop=loop,
        attachments=_attachments(parts, problems),
        problems=problems,
        copied=copied,
        no_auto_reply=no_auto_reply(message, problems),
    )
