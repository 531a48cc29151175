"""Customer messages as text: HTML mail to lines, and one message without its quoted history,
signature, greeting and sign-off.

Tickets arrive as email or chat threads; both the copilot (the search query for a ticket) and the
desk (importing and receiving mail) need the customer's own words, so the clean-up lives here, below
both, rather than in either.
"""

from __future__ import annotations

import html
import re

import nh3

from kb.bidi_text import without_bidi_controls

# Everything after one of these is the previous message of the thread or the sender's footer.
_CUT_AFTER = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\ message|forwarded\ message)\s*-{2,}.*
      | (?:from|من):\s.+$                             # Outlook header block of the quoted message
      | --\s*$                                        # RFC 3676 signature separator
      | sent\ from\ my\ .*
      | get\ outlook\ for\ .*
      | (?:أُ?رسلت|مرسل|تم\ الإرسال)\ من\ .*           # أرسلت من iPhone الخاص بي
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Gmail's "On <date>, <sender> wrote:" (often wrapped over two lines) and its Arabic forms
# ("في <date>، <sender> كتب:" and "في <date>، كتب <sender>:").
_QUOTE_HEADER = re.compile(
    r"^[ \t]*(?:on\s[^\n]{3,200}?(?:\n[^\n]{0,200}?)?\swrote:"
    r"|في\s[^\n]{3,200}?(?:\n[^\n]{0,200}?)?\s(?:كتب|كتبت)(?:\s[^\n]{1,200}?)?\s?:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# A sign-off on a short line of its own: the rest (a name, a title, a phone number) is signature.
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
    return html.unescape(stripped)


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
