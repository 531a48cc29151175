"""Agents' signatures (Zendesk's agent signature, Chatwoot's message signature, Intercom's): plain text an agent sets
per site language on their profile (an admin on the admin page), put under their public replies when they choose.

A signature is a few short lines of plain text: cleaned as the desk cleans what people type into a name or a note
(`desk.customers.clean_customer_text`: a control character refused naming the field, a lone CR a line break, the
length checked) and then each line as a saved view's name is (`desk.name_keys.tidy_name`: invisible characters,
bidi controls among them, dropped, so a U+202E cannot reverse the lines after it in a plain-text mail; spaces
collapsed). Empty: no signature in that language.

A reply carries its signature in `Message.signature`, beside the body and as it was when sent: the customer's page,
the mail and the workspace show the body, the separator and that text (a later edit of the profile changes no reply
sent). The body is the agent's own words, so a resend of the same page (a double click) is still found by its text,
and the copilot's draft, which never holds the signature, is signed once when sent. A reply whose text already ends
with the signature (pasted, or sent from a page that showed it signed) is not signed again.

Who is signed: an agent's public reply from the ticket page (its "Add my signature" box, ticked by default when
the agent has one in the ticket's language), a macro applied there and sent, a follow-up from a closed ticket's
page, a problem's solving reply and its copies to the incidents (desk.problems.solve: sent from the same box, each
incident's reply is the agent's reply to that customer, signed in the incident's language); a token's reply only
when it asks (`"signature": true`: an integration writes its own text). Never: internal notes, the rules' replies
(triggers, automations: no agent), a light agent (who never replies publicly: no signature field either).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desk.customers import clean_customer_text
from desk.name_keys import tidy_name
from desk.tickets import InputError
from desk.translatable import N_

MAX_SIGNATURE = 400  # characters, line breaks counted
MAX_SIGNATURE_LINES = 6
# Between a reply's text and its signature, in plain text (the mail's text part, the API's `signed_body`): "-- " on a
# line of its own, the Usenet and RFC 3676 signature separator that mail clients recognise.
SEPARATOR = "-- "


def field(lang: str) -> str:
    """The form's (and the error's) field of the signature in `lang`: signature_en, signature_ar."""
    return f"signature_{lang}"


def clean_signature(lang: str, value: object) -> str:
    """The signature in `lang` as stored ("" for none), refused naming `signature_<lang>` when it is not text, holds a
    control character, is over MAX_SIGNATURE characters or MAX_SIGNATURE_LINES lines."""
    text = clean_customer_text(field(lang), value, MAX_SIGNATURE, one_line=False)
    lines = [tidy_name(line) for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    if len(lines) > MAX_SIGNATURE_LINES:
        raise InputError(field(lang), N_("has %(lines)s lines; the limit is %(limit)s"), lines=len(lines),
                         limit=MAX_SIGNATURE_LINES)
    return "\n".join(lines)


def clean_signatures(raw: Mapping[str, object], languages: tuple[str, ...]) -> dict[str, str]:
    """Every site language's signature from `raw` (a language not sent: none), all checked before any is kept: the
    first refused one raises, nothing is half-written. Only non-empty ones are returned."""
    cleaned = {lang: clean_signature(lang, raw.get(lang, "")) for lang in languages}
    return {lang: text for lang, text in cleaned.items() if text}


def signature_in(signatures: Mapping[str, Any] | None, lang: str) -> str:
    """The agent's signature (their `Agent.signatures`) in `lang`, "" for none."""
    value = (signatures or {}).get(lang)
    return value if isinstance(value, str) else ""


def to_sign(text: str, signature: str) -> str | None:
    """The signature a reply with `text` is sent with: None when there is none, or when the text already ends with it
    (pasted, or a page that showed it signed posted again): a reply is signed once."""
    if not signature or text.rstrip().endswith(signature):
        return None
    return signature


def signed_body(body: str, signature: str | None) -> str:
    """The reply as plain text reads it: the body, then the separator and the signature on lines of their own."""
    if not signature:
        return body
    return f"{body}\n\n{SEPARATOR}\n{signature}" if body else f"{SEPARATOR}\n{signature}"
