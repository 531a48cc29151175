"""Messages as text: HTML mail to lines, one customer message without its quoted history, signature, greeting and
sign-off, and an agent's Markdown as the plain text a mail's text part carries (`markdown_text`).

Tickets arrive as email or chat threads; both the copilot (the search query for a ticket) and the
desk (importing and receiving mail) need the customer's own words, so the clean-up lives here, below
both, rather than in either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

import nh3
from markdown_it.token import Token

from kb.bidi_text import BIDI_CONTROLS, in_reading_order, without_bidi_controls
from kb.table_text import table_lines

# Everything after one of these is the previous message of the thread or the sender's footer.
_CUT_AFTER = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\ message|forwarded\ message|الرسالة\ الأصلية|(?:ال)?رسالة\ (?:ال)?مُ?عاد\ توجيهها)\s*-{2,}.*
      | begin\ forwarded\ message:|بداية\ الرسالة\ (?:ال)?مُ?عاد\ توجيهها:  # Apple Mail's forward
      | (?:from|من):\s.+$                             # Outlook header block of the quoted message
      | --\s*$                                        # RFC 3676 signature separator
      | sent\ from\ my\ .*
      | get\ outlook\ for\ .*
      | (?:أُ?رسلت|مرسل|تم\ الإرسال)\ من\ .*           # أرسلت من iPhone الخاص بي
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# The bidi controls and marks a mail client wraps an attribution line in (kb.bidi_text.BIDI_CONTROLS): Gmail in
# Arabic sends "\u202bفي ... \u202aName\u202c\u200f <...>:\u202c".
_BIDI = re.escape("".join(sorted(BIDI_CONTROLS)))
# Gmail's "On <date>, <sender> wrote:" (often wrapped over two lines) and its Arabic forms: Apple Mail's and Outlook's
# "في <date>، <sender> كتب:" and "في <date>، كتب <sender>:", and Gmail's own "في <date> تمت كتابة ما يلي بواسطة
# <sender>:" (its sender often wrapped to the next line), each possibly wrapped in bidi controls. Gmail's form was
# not cut: every Arabic Gmail customer's reply showed the agent the line naming the desk's own address (mailwalk41).
_QUOTE_HEADER = re.compile(
    rf"^[ \t{_BIDI}]*(?:on\s[^\n]{{3,200}}?(?:\n[^\n]{{0,200}}?)?\swrote:"
    r"|في\s[^\n]{3,200}?(?:\n[^\n]{0,200}?)?\s(?:كتب|كتبت)(?:\s[^\n]{1,200}?)?\s?:"
    rf"|في\s[^\n]{{3,200}}?\sتمت\s+كتابة\s+ما\s+يلي\s+بواسطة\s[^\n]{{0,200}}?(?:\n[^\n]{{0,200}}?)?:)[\s{_BIDI}]*$",
    re.IGNORECASE | re.MULTILINE,
)
# A sign-off on a short line of its own: the rest (a name, a title, a phone number) is signature.
# A message forwarded inline, below the sender's own words: Gmail's separator (English and Arabic) and Apple Mail's.
_INLINE_FORWARD = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:forwarded\ message|(?:ال)?رسالة\ (?:ال)?مُ?عاد\ توجيهها)[ \t]*-{2,}"
    r"|begin\ forwarded\ message:|بداية\ الرسالة\ (?:ال)?مُ?عاد\ توجيهها:)[ \t]*$",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank\ you|thx|many\ thanks|regards|best(?:\ regards|\ wishes)?|kind\ regards|cheers|sincerely"
    r"|مع\ الشكر|شكرا|شكرًا|شكراً|شكرا\ لكم|شكرًا\ لكم|مع\ تحياتي|تحياتي|مع\ خالص\ التحية|وشكرا|ودمتم)"
    r"(?:\ \S++){0,2}+\s*+[,،.!]*+\s*+$",  # possessive: a long run of spaces is not re-split (linear)
    re.IGNORECASE | re.VERBOSE,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good\ (?:morning|afternoon|evening)|greetings"
    r"|السلام\ عليكم(?:\ ورحمة\ الله(?:\ وبركاته)?)?|مرحب[\u064Bا]*|[أا]هل[\u064Bا]*|هلا"
    r"|صباح\ الخير|مساء\ الخير|عزيزي|عزيزتي)"
    r"(?:(?:\ \S+){0,2}?\s*[,،!:.]+|\s*$|\s+)",
    re.IGNORECASE | re.VERBOSE,
)
_NAME_LINE = re.compile(r"[^\W\d_]+(?:[ .'-]+[^\W\d_]+){0,2}\.?")
SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|رد|إعادة توجيه|تحويل)\s*:\s*)+", re.IGNORECASE)
# "[^<>]" not "[^>]": a scan from one "<" stops at the next, so "<p" x 50,000 stays linear.
_BLOCK_TAG = re.compile(r"<\s*+(?:br|/p|/div|/li|/tr|/h\d|p|div|li|tr)\b[^<>]*+>", re.IGNORECASE)
# Known tags only: "<support@manzil.example>" in a plain-text quote header is not HTML.
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|div|p|br|span|font|b|i|u|strong|em|a|img|table|tr|td|ul|ol|li|blockquote|h\d|style)\b[^<>]*+>",
    re.IGNORECASE,
)
# Two or more line breaks with nothing but white space (a no-break space included) between them.
_BLANK_RUN = re.compile(r"\n(?:[^\S\n]*+\n)++")

# C0 and C1 control characters but tab and line breaks: a BEL or an ESC sequence in a subject, a header or an
# article is no text (it reaches `kb` listings and logs as a terminal command) and PostgreSQL refuses NUL. Format
# characters (ZWNJ, RLM) are not controls. The desk drops them from what it stores, `kb lint` names them.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

QUOTED_AND_HIDDEN = frozenset({"blockquote", "script", "style", "head", "title"})


def html_to_lines(text: str, drop: frozenset[str] = QUOTED_AND_HIDDEN) -> str:
    """HTML to text that keeps line breaks (quote and signature detection work on lines).

    The content of `drop` tags goes too: by default quoted history (HTML mail puts it in
    <blockquote>) besides what is never shown. kb.parsing's `html_to_text` flattens to one line,
    which suits article blocks but not emails.
    """
    if not _HTML_TAG.search(text):
        return text
    text = _BLOCK_TAG.sub("\n", text)
    stripped = nh3.clean(text, tags=set(), attributes={}, clean_content_tags=set(drop))
    # Outlook and Gmail part paragraphs with empty ones ("<p>&nbsp;</p>", "<div><br></div>") and every <p> opens
    # and closes a line: one blank line between paragraphs, not four (mailtext41). A blank line is one of spaces.
    return _BLANK_RUN.sub("\n\n", html.unescape(stripped))


def without_quoted_lines(text: str) -> list[str]:
    """The message's own lines: cut at the quoted message's header (English or Arabic), an Outlook
    separator or a signature marker, and without ">" quoted lines; trailing blank lines dropped."""
    text = text.replace("\r\n", "\n")
    header = _QUOTE_HEADER.search(text)
    if header:
        text = text[: header.start()]
    lines: list[str] = []
    for line in text.split("\n"):
        if _CUT_AFTER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        lines.append(line.strip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def inline_forward(text: str) -> str:
    """The message the sender forwarded inline (Gmail's "---------- Forwarded message ---------" and its Arabic,
    Apple Mail's "Begin forwarded message:"), its header lines and text as they stand after the separator; "" for
    none. A separator inside quoted history (after the thread's quote header) is not the sender's forward.
    `without_quoted_lines` cuts at it: the customer's "see below" reached the agent with nothing below (mailwalk41)."""
    text = text.replace("\r\n", "\n")
    found = _INLINE_FORWARD.search(text)
    if found is None:
        return ""
    header = _QUOTE_HEADER.search(text)
    if header is not None and header.start() < found.start():
        return ""
    return text[found.end():].strip("\n")


def cut_at_word(text: str, limit: int) -> str:
    """`text` whole when it fits `limit` characters, else cut at the last word that fits, with " …": a message's or
    a note's excerpt in a mail (the ticket has the whole)."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def clean_message(message: str) -> str:
    """One customer message without HTML, quoted history, signature, greeting and sign-off."""
    lines = without_quoted_lines(html_to_lines(message))
    # A sign-off near the end ("Thanks,\nDaniel"): what follows is a name or a footer.
    for index in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
        if _SIGN_OFF.match(lines[index]):
            del lines[index:]
            break
    # A bare name set apart on the last line ("...\n\nOmar Haddad") signs without a sign-off.
    if len(lines) >= 3 and not lines[-2] and _NAME_LINE.fullmatch(lines[-1]):
        del lines[-1]
    text = "\n".join(lines).strip()
    previous = None
    while previous != text:  # "Hi team, good morning, ..." carries more than one greeting
        previous = text
        text = _GREETING.sub("", text, count=1).lstrip()
    return text


def first_name(full_name: str) -> str:
    """The first word of a customer's name, for a greeting ("" when there is none). Bidi controls go first:
    "\u202e Sam" is "Sam", not a greeting to a lone RIGHT-TO-LEFT OVERRIDE."""
    words = without_bidi_controls(full_name).split()
    return words[0] if words else ""


class _Container:
    """A block quote or a list item: the text its first line starts with, and every line after."""

    def __init__(self, first: str, rest: str) -> None:
        self.first: str | None = first
        self.rest = rest


class _PlainText:
    """The lines of `markdown_text`, written from the block tokens in order."""

    def __init__(self, lang: str, link: Callable[[str], str]) -> None:
        self.lang, self.link = lang, link
        self.lines: list[str] = []
        self.open: list[_Container] = []
        self.rows: list[list[str]] = []  # the table being read: its rows' cells, the header's first
        self.cells: list[str] = []
        self.list_opened = False  # a list has opened and no text of it is written yet

    def _prefix(self) -> str:
        parts = []
        for container in self.open:
            parts.append(container.rest if container.first is None else container.first)
            container.first = None
        return "".join(parts)

    def block(self, text: str, tight: bool = False) -> None:
        """A block's lines under the open containers' markers, after a blank line unless `tight` (a tight list's
        item, a list nested in one)."""
        if self.lines and self.lines[-1].strip() and not tight:
            self.lines.append("".join(c.rest for c in self.open if c.first is None).rstrip())
        for line in text.split("\n"):
            self.lines.append((self._prefix() + line).rstrip())

    def inline(self, children: Sequence[Token]) -> str:
        out: list[str] = []
        links: list[tuple[str, int]] = []  # each open link's address and where its text starts in `out`
        for child in children:
            if child.type in ("softbreak", "hardbreak"):
                out.append("\n")
            elif child.type == "link_open":
                links.append((self.link(str(child.attrGet("href") or "")), len(out)))
            elif child.type == "link_close" and links:
                href, start = links.pop()
                text = "".join(out[start:])
                if href and text not in (href, href.removeprefix("mailto:")):
                    out.append(f" <{href}>")
            elif child.type == "image":
                src = self.link(str(child.attrGet("src") or ""))
                out.append(f"{child.content} <{src}>" if child.content else src)
            elif child.type in ("text", "text_special", "code_inline", "html_inline"):
                out.append(child.content)
        return "".join(out)

    def write(self, tokens: Sequence[Token]) -> str:
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "inline":
                parent = tokens[index - 1] if index else None
                text = self.inline(token.children or [])
                if parent is not None and parent.type in ("th_open", "td_open"):
                    self.cells.append(text.replace("\n", " ").strip())
                else:
                    # A list's first item is set apart from what is above it, unless the list is nested in an item.
                    first_item = self.list_opened and len([c for c in self.open if c.first is None]) == 0
                    self.block(text, tight=parent is not None and parent.hidden and not first_item)
                self.list_opened = False
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.list_opened = True
            elif kind == "blockquote_open":
                self.open.append(_Container("> ", "> "))
            elif kind == "list_item_open":
                marker = f"{token.info}{token.markup} " if token.info else f"{token.markup} "
                self.open.append(_Container(marker, " " * len(marker)))
            elif kind in ("blockquote_close", "list_item_close"):
                closed = self.open.pop()
                if closed.first is not None:  # an empty item or quote: its marker alone
                    self.block(closed.first.rstrip(), tight=not self.list_opened)
                    self.list_opened = False
            elif kind in ("fence", "code_block"):
                self.block(token.content.rstrip("\n"))
            elif kind == "hr":
                self.block("---")
            elif kind == "tr_close":
                self.rows.append(self.cells)
                self.cells = []
            elif kind == "table_close":  # its cells as they are: a cell's own "|" (typed "\|") is no cell of its own
                self.block("\n".join(table_lines(self.rows[0], self.rows[1:], self.lang)))
                self.rows = []
        return "\n".join(self.lines)


def markdown_text(tokens: Sequence[Token], lang: str, link: Callable[[str], str] = str) -> str:
    """An agent's Markdown (a reply, a sent draft, a macro), parsed by markdown-it, as plain text a customer reads
    in a mail's text part or a phone's preview line: emphasis dropped, a link as "text <address>" (the address
    alone when it is the text), `link` making each address absolute, headings as their text, code as it is, lists
    and quotes with their markers, a table's rows as kb.table_text's list lines, and in a right-to-left language
    each line marked to read in order (kb.bidi_text.rtl_ordered, as kb.table_text.reply_form marks a draft's)."""
    text = _PlainText(lang, link).write(tokens)
    return in_reading_order(text, lang)
