"""What a ticket tag may be, in the one place both its users can import: the desk, which folds and checks the tags
an agent or a macro adds (desk.tags.clean_tag), and `kb lint`, which checks a macro's `actions.add_tags` before a
macro that the desk would refuse at send time ships (kb cannot import desk: data flows kb -> ... -> desk).

A tag is folded to one form (lower case, whitespace runs to one hyphen) so "VIP" and "vip " are one tag; it is
letters, digits, - and _ in any script ("شحن" is a tag), at most MAX_TAG characters.
"""

from __future__ import annotations

import re

MAX_TAG = 60
_TAG = re.compile(r"^[\w-]+$")


def folded_tag(value: str) -> str:
    """The tag's one form: lower case, whitespace runs one hyphen, the ends trimmed ("" when nothing is left)."""
    return "-".join(value.strip().lower().split())


def is_tag(tag: str) -> bool:
    """Whether a folded tag is one the desk keeps: letters, digits, - and _, 1 to MAX_TAG characters."""
    return 0 < len(tag) <= MAX_TAG and bool(_TAG.match(tag))
