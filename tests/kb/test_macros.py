"""Macros: parsing, placeholders, and each `kb lint` macro rule failing and then passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.lint import lint_paths
from kb.macros import PLACEHOLDERS, MacroError, load_macro, load_macros

ROOT = Path(__file__).resolve().parents[2]
GOOD = """---
title: Refund on its way
tags: [refund]
actions:
  status: pending
  add_tags: [refund]
---
Hello {{ customer.first_name }},
request {{ ticket.reference }}.
{{ agent.name }}
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / "_macros" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rules(root: Path, paths: list[Path] | None = None) -> list[tuple[str, int, str]]:
    return [(Path(m.path).relative_to(root).as_posix(), m.line, m.rule) for m in lint_paths(root, paths)]


def test_a_macro_parses_renders_and_keeps_unknown_placeholders_visible(tmp_path: Path) -> None:
    macro = load_macro(write(tmp_path, "en/refund.md", GOOD), tmp_path)
    assert (macro.key, macro.lang, macro.title, macro.status, macro.add_tags) == (
        "refund", "en", "Refund on its way", "pending", ("refund",))
    assert [line for _, line in macro.placeholders()] == [8, 9, 10]
    text = macro.render({"customer.first_name": "Sara", "ticket.reference": "R-1"})
    assert text.startswith("Hello Sara,\nrequest R-1.") and text.endswith("{{ agent.name }}")


def test_the_shipped_macros_are_clean_and_come_in_both_languages() -> None:
    assert rules(ROOT / "content", [ROOT / "content" / "_macros"]) == []
    english, arabic = load_macros(ROOT / "content", "en"), load_macros(ROOT / "content", "ar")
    assert len(english) >= 6 and {m.key for m in english} == {m.key for m in arabic}
    assert all(name in PLACEHOLDERS for m in english + arabic for name, _ in m.placeholders())


def test_unknown_placeholder_fails_then_passes(tmp_path: Path) -> None:
    write(tmp_path, "ar/refund.md", GOOD)
    path = write(tmp_path, "en/refund.md", GOOD.replace("{{ ticket.reference }}", "{{ ticket.number }}"))
    assert rules(tmp_path) == [("_macros/en/refund.md", 9, "unknown-placeholder")]
    write(tmp_path, "en/refund.md", GOOD)
    assert rules(tmp_path, [path]) == []


def test_missing_translation_fails_then_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "en/refund.md", GOOD)
    assert rules(tmp_path) == [("_macros/en/refund.md", 1, "missing-macro-translation")]
    write(tmp_path, "ar/refund.md", GOOD.replace("Refund on its way", "المبلغ في الطريق"))
    assert rules(tmp_path, [path]) == []


def test_bad_front_matter_and_unknown_actions_fail_then_pass(tmp_path: Path) -> None:
    write(tmp_path, "ar/refund.md", GOOD)
    write(tmp_path, "en/refund.md", GOOD.replace("status: pending", "status: archived"))
    assert rules(tmp_path) == [("_macros/en/refund.md", 2, "macro-front-matter")]
    write(tmp_path, "en/refund.md", GOOD.replace("title: Refund on its way\n", ""))
    assert rules(tmp_path) == [("_macros/en/refund.md", 2, "macro-front-matter")]
    write(tmp_path, "en/refund.md", GOOD.replace("  add_tags", "  assign_to"))
    assert rules(tmp_path) == [("_macros/en/refund.md", 2, "macro-front-matter")]
    write(tmp_path, "en/refund.md", GOOD)
    assert rules(tmp_path) == []


def test_a_folder_that_is_not_a_language_fails_then_passes(tmp_path: Path) -> None:
    write(tmp_path, "en/refund.md", GOOD)
    write(tmp_path, "ar/refund.md", GOOD)
    stray = write(tmp_path, "english/refund.md", GOOD)
    assert rules(tmp_path) == [("_macros/english/refund.md", 1, "macro-lang-folder")]
    stray.unlink()
    assert rules(tmp_path) == []


@pytest.mark.parametrize(("front", "line", "fragment"), [
    ("title: T\ntags: 5", 3, "'tags' must be a list of text"),
    ("title: T\nactions:\n  add_tags: refund", 3, "'actions.add_tags' must be a list of text"),
    ("title: T\nwhen: 2026-02-30", 3, "day is out of range"),
    ("title: T\nx: &a [1, 1]\ny: [*a, *a]", 4, "alias"),
    ("title: T\nx: " + "[" * 5000 + "]" * 5000, 3, "nested more than"),
    ("title: T\ntitle: U", 3, "'title' is given twice (lines 2 and 3)"),
    ("tags: [a]\ntitle: {a: 1}", 3, "title: must be text"),  # was the title "{'a': 1}" in the picker
])
def test_a_hostile_macro_front_matter_is_its_files_error(tmp_path: Path, front: str, line: int, fragment: str) -> None:
    """Session 14: macros read their front matter with plain yaml.safe_load and trusted its shapes: `tags: 5`
    raised TypeError (the agent's every ticket page answered 500, `kb lint` crashed), an invalid date a
    ValueError, deep nesting a RecursionError; `add_tags: refund` became six one-letter tags; aliases and a
    key given twice passed. They now go through the articles' front-matter reader, and lint names the line."""
    path = write(tmp_path, "en/bad.md", f"---\n{front}\n---\nHello.\n")
    write(tmp_path, "en/good.md", GOOD)
    with pytest.raises(MacroError) as caught:
        load_macro(path, tmp_path)
    assert (caught.value.line, caught.value.rule) == (line, "macro-front-matter") and fragment in str(caught.value)
    assert [m.key for m in load_macros(tmp_path)] == ["good"]
    assert ("_macros/en/bad.md", line, "macro-front-matter") in rules(tmp_path)


def test_a_macro_that_is_not_utf8_is_its_files_error(tmp_path: Path) -> None:
    path = write(tmp_path, "en/bad.md", "")
    path.write_bytes(b"---\ntitle: T\n---\nHello \xff\n")
    with pytest.raises(MacroError, match=r"not valid UTF-8 \(byte 0xff\)") as caught:
        load_macro(path, tmp_path)
    assert caught.value.line == 4


@pytest.mark.parametrize("tag", ["<b> x", "refund!", "x" * 61, "طلب؟"])
def test_a_tag_the_desk_refuses_is_the_macros_lint_error_at_its_line(tmp_path: Path, tag: str) -> None:
    """Session 14 left it: a macro's `add_tags` value that the desk refuses when the reply is sent ("<b> x" cannot
    be a tag) passed `kb lint`; the agent learnt it at send time (nothing sent). Lint applies the desk's own rule
    (kb.tag_rule, which desk.tags.clean_tag uses) and names the file and the add_tags line."""
    write(tmp_path, "ar/refund.md", GOOD)
    path = write(tmp_path, "en/refund.md", GOOD.replace("add_tags: [refund]", f"add_tags: [refund, '{tag}']"))
    assert rules(tmp_path) == [("_macros/en/refund.md", 6, "macro-tag")]
    message = next(m.message for m in lint_paths(tmp_path, [path]))
    assert "cannot be a tag: use letters, digits, - and _ (at most 60 characters)" in message
    write(tmp_path, "en/refund.md", GOOD.replace("add_tags: [refund]", "add_tags: [refund, VIP Customer, شحن]"))
    assert rules(tmp_path) == []


@pytest.mark.parametrize("tag", ["r\u0435fund", "VIP-\u0441lients", "\u03bfrders"])  # Cyrillic е, с; Greek ο
def test_a_tag_mixing_latin_cyrillic_or_greek_is_the_macros_lint_error_at_its_line(tmp_path: Path, tag: str) -> None:
    """Task tags31: the desk refuses a tag with a word that mixes Latin, Cyrillic or Greek letters (a twin of
    "refund" that reads the same), as it refuses such a view name; lint names the file and the add_tags line."""
    write(tmp_path, "ar/refund.md", GOOD)
    path = write(tmp_path, "en/refund.md", GOOD.replace("add_tags: [refund]", f"add_tags: [refund, '{tag}']"))
    assert rules(tmp_path) == [("_macros/en/refund.md", 6, "macro-tag")]
    message = next(m.message for m in lint_paths(tmp_path, [path]))
    assert "mixes Latin, Cyrillic or Greek letters in one word" in message
    write(tmp_path, "en/refund.md", GOOD.replace("add_tags: [refund]", "add_tags: [Ｒｅｆｕｎｄ, возврат, ﬁle]"))
    assert rules(tmp_path) == []


def test_the_shipped_arabic_macros_never_call_the_ticket_reference_an_order() -> None:
    """Session 15, walk6: in Arabic "طلب" is both an order and a request; "الطلب R-1" and "لطلبك R-1" read
    as the order's number, while the English macros say "request R-1". The ticket is "طلب الدعم"."""
    for macro in load_macros(ROOT / "content", "ar"):
        text = macro.render({"ticket.reference": "R-1"})
        if "R-1" in text:
            assert "طلب الدعم R-1" in text, macro.key
