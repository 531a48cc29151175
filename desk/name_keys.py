"""One key per name an agent types, for "unique without case": the desk folds in Python, never in SQL.

SQLite's `lower()` folds ASCII only and PostgreSQL's follows the database's locale, so a uniqueness rule on
`lower(name)` kept "ÉCOLE" and "école" as two saved views on SQLite and one on PostgreSQL. The key is the name
folded by kb.name_fold (NFKC, case-folded, NFKC again: the rule ticket tags follow too, kb.tag_rule), whitespace
runs one space, stored beside the name with the unique rule on it, so both engines compare the same strings byte
for byte. A change here needs a migration refolding the stored keys (see `saved_view_keys`).

Homoglyphs are a separate question (`mixed_script_word`, kb.name_fold): "Rеfunds" with a Cyrillic "е" folds to its
own key.
"""

from __future__ import annotations

from kb.bidi_text import name_characters, without_invisible
from kb.message_text import CONTROL_CHARACTERS
from kb.name_fold import MAX_EXPANSION, fold_name, mixed_script_word

# A key column holds MAX_EXPANSION times the name's length (60 characters: 1,080, at most 1,980 bytes of UTF-8,
# under PostgreSQL's 2,704-byte index entry).
__all__ = ["MAX_EXPANSION", "free_name", "mixed_script_word", "name_key", "tidy_name"]


def name_key(name: str) -> str:
    """The name's folded key: invisible characters out (a name's joiners too: "Bill\u200cing" is a twin of
    "Billing"), NFKC, case-folded, NFKC again, whitespace runs one space."""
    return " ".join(fold_name(without_invisible(name)).split())


def tidy_name(name: str) -> str:
    """A name as stored (a saved view's, a skill's, an organization's, a signature's line): control and invisible
    characters dropped (a U+202E reversed the flash quoting it; a zero-width space made a name no one sees, or a twin
    of another: `name_key` leaves joiners out) but a ZWNJ or ZWJ inside a word (kb.bidi_text.name_characters: Persian
    and Arabic names and emoji sequences need them), whitespace runs one space. A change here needs a migration tidying
    the stored names (see `search_text_refold`)."""
    return " ".join(name_characters(CONTROL_CHARACTERS.sub("", name.replace("\r\n", "\n"))).split())


def free_name(name: str, taken: set[str], limit: int) -> str:
    """`name` with the first suffix " (2)", " (3)", ... whose key is not in `taken`, cut to fit `limit` characters:
    how an upgrade keeps two names of one owner that a new rule makes alike (migrations `saved_view_keys`,
    `search_text_refold`)."""
    number = 2
    while True:
        suffix = f" ({number})"
        renamed = name[:limit - len(suffix)].rstrip() + suffix
        if name_key(renamed) not in taken:
            return renamed
        number += 1
