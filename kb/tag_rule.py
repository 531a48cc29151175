"""What a ticket tag may be, in the one place both its users can import: the desk, which folds and checks the tags
an agent or a macro adds (desk.tags.clean_tag), and `kb lint`, which checks a macro's `actions.add_tags` before a
macro that the desk would refuse at send time ships (kb cannot import desk: data flows kb -> ... -> desk).

A tag is folded to one form by the rule saved views' names follow (kb.name_fold: NFKC, case-folded, so "VIP",
"vip " and the full-width "ＶＩＰ" are one tag, and "ﬁle" is "file"), whitespace runs one hyphen; it is letters,
digits, - and _ in any script ("شحن" is a tag), at most MAX_TAG characters once folded, and no word of it mixes
Latin, Cyrillic or Greek letters ("rеfund" with a Cyrillic "е" would be a twin of "refund" that reads the same).
A change to the fold needs a migration refolding the stored tags (see `tag_folds`).
"""

from __future__ import annotations

import re

from kb.name_fold import fold_name

MAX_TAG = 60
_TAG = re.compile(r"^[\w-]+$")


def folded_tag(value: str) -> str:
    """The tag's one form: folded (kb.name_fold), whitespace runs one hyphen, the ends trimmed ("" when nothing is
    left)."""
    return "-".join(fold_name(value).split())


def sought_tag(value: str) -> str:
    """A tag typed into a filter (the inbox's `?tag=`, the tags page's box): its folded form, or the value as typed
    (trimmed) when that fold is no tag: a tag the old rule stored whose new form the desk refuses ("½" folds to
    "1⁄2") is kept as it was by the `tag_folds` migration, and only its own spelling finds it."""
    folded = folded_tag(value)
    return folded if is_tag(folded) or not folded else value.strip()


def is_tag(tag: str) -> bool:
    """Whether a folded tag is one the desk keeps: letters, digits, - and _, 1 to MAX_TAG characters (its words
    checked apart, as typed: kb.name_fold.mixed_script_word, before folding, as view names are: the micro sign of
    "10µs" folds to a Greek "μ")."""
    return 0 < len(tag) <= MAX_TAG and bool(_TAG.match(tag))

