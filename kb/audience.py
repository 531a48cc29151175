"""Who may read what: the one audience type shared by search, the catalog and the web app.

Articles are `public` (customers) or `internal` (agents only, front matter `visibility: internal`).
Every reader asks as an `Audience`, and access fails closed: only the exact value "agent" sees
internal articles; anything else (a typo, None, a value from an untyped caller) is treated as the
public. The web app decides the audience from who is asking (webapp/audience.py), never from a
string literal per page.
"""

from __future__ import annotations

from typing import Literal

Audience = Literal["public", "agent"]
PUBLIC: Audience = "public"
AGENT: Audience = "agent"


def sees_internal(audience: object) -> bool:
    """True only for the agent audience: the fail-closed test every filter goes through."""
    return audience == AGENT


def visible(internal: bool, audience: object) -> bool:
    """Whether an article with this `internal` flag may be shown to `audience`."""
    return not internal or sees_internal(audience)


def visibilities(audience: object) -> tuple[str, ...] | None:
    """The article visibilities an index query for `audience` may match; None means all."""
    return None if sees_internal(audience) else ("public",)
