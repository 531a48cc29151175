"""A macro's `actions.set_fields` (task fieldviews33): parsed with the macro, and `kb lint` (rule macro-fields) names
a key the fields file lacks or a value its field refuses, at the set_fields line; fixed, it passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.lint import lint_paths
from kb.macros import MacroError, load_macro
from kb.ticket_fields import FIELDS_FILE
from tests.kb.test_macros import GOOD, rules, write
from tests.webapp.test_api_ticket_fields import FIELDS

WITH_FIELDS = GOOD.replace("  add_tags: [refund]\n",
                           "  add_tags: [refund]\n  set_fields: {reason: refund, vip: true}\n")


@pytest.mark.parametrize(("fields", "message"), [
    ("{reason: warranty}", "actions.set_fields.reason: 'warranty': not one of refund, delivery"),
    ("{amount: lots}", "actions.set_fields.amount: 'lots': not a number"),
    ("{colour: red}", "actions.set_fields.colour: no ticket field 'colour' in content/_ticket_fields.yml"),
])
def test_a_bad_set_fields_is_the_macros_lint_error_at_its_line(tmp_path: Path, fields: str, message: str) -> None:
    (tmp_path / FIELDS_FILE).write_text(FIELDS, encoding="utf-8")
    write(tmp_path, "ar/refund.md", WITH_FIELDS)
    path = write(tmp_path, "en/refund.md", WITH_FIELDS.replace("{reason: refund, vip: true}", fields))
    assert rules(tmp_path) == [("_macros/en/refund.md", 7, "macro-fields")]
    assert message in next(m.message for m in lint_paths(tmp_path, [path]))
    write(tmp_path, "en/refund.md", WITH_FIELDS)
    assert rules(tmp_path) == []
    assert load_macro(path, tmp_path).set_fields == (("reason", "refund"), ("vip", True))


def test_set_fields_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "en/refund.md", WITH_FIELDS.replace("{reason: refund, vip: true}", "[reason]"))
    with pytest.raises(MacroError, match=r"actions\.set_fields: expected a mapping"):
        load_macro(path, tmp_path)
