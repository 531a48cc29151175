"""content/_ticket_fields.yml (kb.ticket_fields): each mistake refused naming its line and field, values normalised
per type, and `kb lint`'s ticket-fields rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.lint import lint_paths
from kb.ticket_fields import FIELDS_FILE, FieldValueError, TicketFields, TicketFieldsError
from tests.rule_file_mistakes import FIELD_MISTAKES

GOOD = """\
- key: order_number
  type: text
  label: {en: Order number, ar: رقم الطلب}
  required_to_solve: true
- key: amount
  type: number
  label: {en: Refund amount, ar: مبلغ الاسترداد}
- key: reason
  type: dropdown
  label: {en: Reason, ar: السبب}
  options:
    - {key: refund, label: {en: Refund, ar: استرداد}}
    - {key: other, label: {en: Other, ar: أخرى}}
  on_contact_form: true
  required_on_form: true
"""


def test_a_good_file_reads_every_field() -> None:
    fields = TicketFields.parse(GOOD)
    assert fields.keys == ("order_number", "amount", "reason")
    assert [f.key for f in fields.required_to_solve()] == ["order_number"]
    assert [f.key for f in fields.on_form()] == ["reason"]
    reason = fields.get("reason")
    assert reason is not None and reason.option("refund") is not None and reason.label("ar") == "السبب"


@pytest.mark.parametrize(("text", "line", "words"), FIELD_MISTAKES)
def test_each_mistake_names_its_line_and_field(text: str, line: int, words: str) -> None:
    with pytest.raises(TicketFieldsError) as refused:
        TicketFields.parse(text, "content/_ticket_fields.yml")
    assert refused.value.line == line, str(refused.value)
    assert words in str(refused.value) and str(refused.value).startswith(f"content/_ticket_fields.yml:{line}: ")


def test_values_are_normalised_per_type() -> None:
    fields = TicketFields.parse(GOOD + "- key: since\n  type: date\n  label: {en: Since, ar: منذ}\n"
                               "- key: vip\n  type: checkbox\n  label: {en: VIP, ar: مميز}\n")
    amount, since, vip, reason = (fields.get(k) for k in ("amount", "since", "vip", "reason"))
    assert amount and since and vip and reason
    assert amount.normalise("12.50") == "12.5" and amount.normalise("٣٫٥") == "3.5" and amount.normalise(7) == "7"
    assert since.normalise("2026-12-05") == "2026-12-05" and vip.normalise(True) == "true"
    assert vip.normalise("off") == "false" and amount.normalise("  ") is None and reason.normalise("refund") == "refund"
    for field, bad in ((amount, "12 dollars"), (amount, "1e9"), (since, "05/12/2026"), (since, "20261205"),
                       (since, "2026-02-30"), (vip, "maybe"), (reason, "Refund"), (amount, True)):
        with pytest.raises(FieldValueError):
            field.normalise(bad)


def test_lint_reports_the_file_with_its_line(tmp_path: Path) -> None:
    (tmp_path / FIELDS_FILE).write_text("- key: a\n  type: text\n  label: {en: A, ar: B}\n  colour: red\n",
                                        encoding="utf-8")
    [message] = [m for m in lint_paths(tmp_path) if m.rule == "ticket-fields"]
    assert message.severity == "error" and message.line == 4 and message.path.endswith(FIELDS_FILE)
    assert "unknown key 'colour'" in message.message
    (tmp_path / FIELDS_FILE).write_text(GOOD, encoding="utf-8")
    assert not [m for m in lint_paths(tmp_path) if m.rule == "ticket-fields"]


def test_the_demo_file_is_good() -> None:
    fields = TicketFields.load(Path(__file__).parents[2] / "content")
    assert fields.keys == ("order_number", "reason")
    reason = fields.get("reason")
    assert reason is not None and [o.key for o in reason.options] == ["refund", "delivery", "account", "other"]


def test_visible_to_customer_is_read_and_checked() -> None:
    from kb.ticket_fields import TicketFields as Fields
    from kb.ticket_fields import TicketFieldsError as Wrong

    text = ("- key: reason\n  type: text\n  label: {en: Reason, ar: السبب}\n  visible_to_customer: true\n"
            "- key: note\n  type: text\n  label: {en: Note, ar: ملاحظة}\n")
    fields = Fields.parse(text)
    assert [f.key for f in fields.for_customers()] == ["reason"]  # agents only unless marked
    with pytest.raises(Wrong, match=r":4: field reason.visible_to_customer: expected true or false"):
        Fields.parse(text.replace("visible_to_customer: true", "visible_to_customer: maybe"))
