"""What an API token may do: its scopes, as Zendesk's OAuth scopes and GitHub's fine-grained tokens limit theirs.

A token holds a set of scopes (stored space-separated, as OAuth writes them); every token route names exactly one
(webapp.api.token_required), and a token without it is refused (403, RFC 6750's `insufficient_scope`). The public
routes take `search`: a token with it searches and reads as an agent (internal articles), one without it as the
public. A scope implies no other (`tickets:write` does not read tickets): a token gets exactly what was ticked.
Existing tokens got every scope when the scopes came (migration api_token_scopes), so their scripts kept working.
"""

from __future__ import annotations

from collections.abc import Iterable

from desk.translatable import N_

# Order: as the admin page lists them and the README's table. A new scope is granted to no existing token.
SCOPES = (
    "tickets:read", "tickets:write", "customers:read", "customers:write", "customers:erase", "suggest",
    "metrics:read", "search", "sync:read", "organizations:read", "organizations:write", "tickets:deleted",
    "agents:read", "agents:write",
)
MAX_EXPIRES_DAYS = 3650  # ten years: a longer one is a typo (or "never", which is leaving the field empty)


def clean_scopes(values: Iterable[str]) -> tuple[str, ...]:
    """The scopes chosen, in SCOPES' order, or an InputError naming "scopes": none, or one that is not a scope."""
    from desk.tickets import InputError  # here: `kb --help` lists SCOPES without loading the desk

    chosen = set()
    for value in values:
        if value not in SCOPES:
            raise InputError("scopes", N_("%(value)s is not a scope; use one of %(allowed)s"),
                             value=repr(str(value)[:40]), allowed=", ".join(SCOPES))
        chosen.add(value)
    if not chosen:
        raise InputError("scopes", N_("choose at least one scope"))
    return tuple(scope for scope in SCOPES if scope in chosen)


def clean_expires_days(value: object) -> int | None:
    """Days until the token expires: a whole number from 1 to MAX_EXPIRES_DAYS, or None ("" too) for never."""
    from desk.tickets import InputError

    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        value = int(value) if value.isdecimal() and len(value) < 8 else value
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXPIRES_DAYS:
        raise InputError("expires_days", N_("must be a whole number of days from 1 to %(max)s, or empty for never"),
                         max=MAX_EXPIRES_DAYS)
    return value


def parse_scopes(stored: str | None) -> frozenset[str]:
    """A token's stored scopes ("tickets:read suggest"); a word that is no longer a scope grants nothing."""
    return frozenset(word for word in (stored or "").split() if word in SCOPES)
