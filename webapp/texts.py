"""Left only for the agent workspace's templates (`t.site`) until they move to gettext (the
workspace engineer's task); the help center's strings are in webapp/translations/ catalogs and its
brand in content/_theme.yml. Delete this file when `webapp/agent.py` no longer imports it."""

from __future__ import annotations


def labels(lang: str) -> dict[str, str]:
    return {"site": "Manzil Help Center"}
