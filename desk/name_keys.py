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

from kb.name_fold import MAX_EXPANSION, fold_name, mixed_script_word

# A key column holds MAX_EXPANSION times the name's length (60 characters: 1,080, at most 1,980 bytes of UTF-8,
# under PostgreSQL's 2,704-byte index entry).
__all__ = ["MAX_EXPANSION", "mixed_script_word", "name_key"]


def name_key(name: str) -> str:
    """The name's folded key: NFKC, case-folded, NFKC again, whitespace runs one space."""
    return " ".join(fold_name(name).split())
