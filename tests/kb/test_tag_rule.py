"""kb.tag_rule: one folding rule for tags, the one view names follow (kb.name_fold), and homoglyph words refused."""

from __future__ import annotations

import pytest

from desk.name_keys import name_key
from kb.name_fold import fold_name, mixed_script_word
from kb.tag_rule import folded_tag, is_tag


@pytest.mark.parametrize(("typed", "tag"), [
    ("ＲＥＦＵＮＤ", "refund"),  # full-width letters (lower() alone kept them full-width)
    ("Refund", "refund"),
    ("ﬁle", "file"),  # a ligature
    ("ﻣﺴﺘﺮﺩﺍﺕ", "مستردات"),  # Arabic presentation forms
    ("STRASSE", "strasse"), ("straße", "strasse"),  # case folding, not lower()
    ("  VIP   customer ", "vip-customer"),
    ("Ｖｉｐ\u3000Ｃｕｓｔｏｍｅｒ", "vip-customer"),  # an ideographic space is whitespace once folded
])
def test_tags_typed_in_any_form_fold_to_one(typed: str, tag: str) -> None:
    assert folded_tag(typed) == tag and is_tag(tag)
    assert folded_tag(tag) == tag  # the fold of a fold is itself


def test_tags_and_view_names_fold_by_one_rule() -> None:
    for typed in ("ＲＥＦＵＮＤ", "ﬁle", "ﻣﺴﺘﺮﺩﺍﺕ", "ÉCOLE", "straße"):
        assert folded_tag(typed) == name_key(typed) == fold_name(typed)


@pytest.mark.parametrize("tag", ["r\u0435fund", "vip-\u0441lients", "\u03bfrders"])  # Cyrillic е, с; Greek ο
def test_a_word_mixing_latin_cyrillic_or_greek_is_named(tag: str) -> None:
    assert is_tag(folded_tag(tag))  # letters all: only the script check refuses it
    assert mixed_script_word(tag) is not None


@pytest.mark.parametrize("tag", ["refund", "возврат", "vip-клиенты", "شحن-refund", "10µs"])
def test_one_alphabet_a_word_is_fine(tag: str) -> None:
    assert mixed_script_word(tag) is None
