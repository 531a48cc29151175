"""Why the receiver did what it did with a mail (refused it, took it for a loop or a machine's), as a code and its
values rather than an English sentence, so the held-mail page can say it in the agent's language.

The desk stays English (`MailReason.text`: the CLI, the SMTP answer, the logs and the `reason` column, which old rows
only have); each code's English template is marked `N_`, so `pybabel extract -k N_` puts it in the catalog and the
web layer translates it with the values (webapp.desk_errors.mail_reason). A refusal that came from the desk's own input
checks (an address the desk cannot use) is code `input`, carrying that `InputError` as plain values, translated as
every desk error is (webapp.desk_errors). A row written before codes existed reads as code `text`: its English
sentence, shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desk.translatable import N_, TranslatableError

# code -> the English template its values fill (ints read with thousands separators). Codes are stored: never
# rename one; a new wording keeps the code (old rows then read in the new words).
TEMPLATES: dict[str, str] = {
    "too_large": N_("the message is %(size)s bytes; the limit is %(limit)s"),
    "not_an_email": N_("not an email: %(error)s"),
    "no_sender": N_("no sender address (From)"),
    "sender_too_long": N_("no sender address in the first %(limit)s characters of From (%(length)s characters)"),
    "unreadable": N_("the original is not readable: %(error)s"),
    "loop": N_("our own mail came back"),
    "duplicate": N_("already received"),
    # A machine's mail (parse.automatic_reason), by what gave it away.
    "auto_submitted": N_("Auto-Submitted: %(value)s"),
    "precedence": N_("Precedence: %(value)s"),
    "auto_header": N_("%(header)s header"),
    "delivery_status": N_("delivery status notification"),
    "mailing_list": N_("mailing list"),
    "daemon_sender": N_("sent by %(sender)s"),
    "auto_subject": N_("the subject begins \"%(prefix)s:\", as automatic replies do"),
    # A mail carrying a side conversation's token from someone not in it (desk.side_conversations).
    "side_stranger": N_("%(sender)s is not a participant of the side conversation it answers"),
    # A reply to an agent's notice of assignment or mention (desk.agent_notices) that cannot be that agent's note.
    "notice_stranger": N_("%(sender)s is not the agent the notice it answers was sent to"),
    "notice_inactive": N_("%(sender)s is not an active agent: a reply to a notice is a note only from its agent"),
    # From an address or domain an agent blocked (desk.trash: "Mark as spam", the admin page's list).
    "blocked_sender": N_("%(sender)s is a blocked sender"),
}
INPUT = "input"  # params: field, message, plural, values (an InputError's parts)
TEXT = "text"  # params: text (an English sentence from before codes, or a code this version does not know)


@dataclass(frozen=True)
class MailReason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_error(cls, error: TranslatableError) -> MailReason:
        """A refusal by the desk's input checks, kept as its template and values (JSON: the row stores them)."""
        values = {name: value if isinstance(value, int | float | str) else str(value)
                  for name, value in error.params.items()}
        return cls(INPUT, {"field": error.field, "message": error.message, "plural": error.plural, "values": values})

    @classmethod
    def stored(cls, code: str | None, params: dict[str, Any] | None, text: str | None) -> MailReason:
        """A row's reason: its code when this version knows it, else its English sentence as it is."""
        if code == INPUT or code in TEMPLATES:
            return cls(code, dict(params or {}))
        return cls(TEXT, {"text": text or ""})

    def error(self) -> TranslatableError:
        """Code `input`: the desk error it was, for webapp.desk_errors to translate."""
        params = self.params
        return TranslatableError(params["field"], params["message"], plural=params.get("plural"),
                                 **params.get("values", {}))

    def __str__(self) -> str:
        """In English, as `text`: a MailReason may be an error's value (the confirmation that names why a mail was
        refused on purpose), English in the error's `str()` and said in the reader's language where it is shown."""
        return self.text

    @property
    def text(self) -> str:
        """In English: what the CLI prints and the `reason` column keeps."""
        if self.code == TEXT:
            return str(self.params.get("text", ""))
        if self.code == INPUT:
            return str(self.error())
        return TEMPLATES[self.code] % english_values(self.params)


def english_values(params: dict[str, Any]) -> dict[str, Any]:
    return {name: f"{value:,}" if isinstance(value, int) else value for name, value in params.items()}


__all__ = ["INPUT", "TEMPLATES", "TEXT", "MailReason"]
