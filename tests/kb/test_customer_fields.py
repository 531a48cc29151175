"""Customer fields' definitions (task custfields36): content/_customer_fields.yml is read by the ticket fields' own
reader (the same types, labels per language and normalising), without the ticket fields' flags, and `kb lint` names
its file and line (rule `customer-fields`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.customer_fields import CUSTOMER_FIELDS_FILE, CustomerFields
from kb.lint import lint_paths
from kb.ticket_fields import FieldValueError, TicketFieldsError

GOOD = """\
- key: plan
  type: dropdown
  label: {en: Plan, ar: الخطة}
  options:
    - {key: free, label: {en: Free, ar: مجانية}}
    - {key: business, label: {en: Business, ar: الأعمال}}
- key: vip
  type: checkbox
  label: {en: VIP, ar: مميز}
"""


def test_the_file_is_read_with_the_ticket_fields_types_and_normalising() -> None:
    fields = CustomerFields.parse(GOOD)
    assert fields.keys == ("plan", "vip")
    assert fields.get("plan").label("ar") == "الخطة"  # type: ignore[union-attr]
    assert fields.get("vip").normalise("on") == "true"  # type: ignore[union-attr]
    with pytest.raises(FieldValueError, match="not one of free, business"):
        fields.get("plan").normalise("gold")  # type: ignore[union-attr]


def test_a_ticket_fields_flag_is_no_customer_fields_key() -> None:
    with pytest.raises(TicketFieldsError, match=r"_customer_fields.yml:13: field: unknown key 'required_to_solve'; "
                                                r"use key, type, label, options$"):
        CustomerFields.parse(GOOD + "- key: since\n  type: date\n  label: {en: Since, ar: منذ}\n"
                                    "  required_to_solve: true\n", CUSTOMER_FIELDS_FILE)


def test_lint_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / CUSTOMER_FIELDS_FILE).write_text(GOOD + "- key: vip\n  type: text\n  label: {en: V, ar: م}\n",
                                                 encoding="utf-8")
    [message] = [m for m in lint_paths(tmp_path) if m.rule == "customer-fields"]
    assert message.path.endswith(CUSTOMER_FIELDS_FILE) and message.line == 10 and message.severity == "error"
    assert "'vip' is defined twice" in message.message
    (tmp_path / CUSTOMER_FIELDS_FILE).write_text(GOOD, encoding="utf-8")
    assert not [m for m in lint_paths(tmp_path) if m.rule == "customer-fields"]


def test_the_shipped_demo_file_reads_well() -> None:
    fields = CustomerFields.load(Path(__file__).resolve().parents[2] / "content")
    assert fields.keys == ("plan", "account_id", "vip")
    assert [f.type for f in fields.fields] == ["dropdown", "text", "checkbox"]
