"""desk.name_keys: the folded key's length bound (the column's size) and its fixed point, over every code point."""

from __future__ import annotations

import pytest

from desk.name_keys import MAX_EXPANSION, name_key

pytestmark = pytest.mark.no_database  # no database at all: the PostgreSQL run leaves it out

CODE_POINTS = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]  # surrogates are no text


def test_no_character_folds_to_more_than_max_expansion_and_a_key_is_its_own_key() -> None:
    assert max(len(name_key(c)) for c in CODE_POINTS) == MAX_EXPANSION  # U+FDFA
    assert name_key("\ufdfa") == "صلى الله عليه وسلم"
    assert [c for c in CODE_POINTS if name_key(name_key(c)) != name_key(c)] == []
