"""Wrong rule files (content/_ticket_fields.yml, _triggers.yml, _business_hours.yml), each with the line and the
words its refusal names: one table for the readers' own tests (kb.ticket_fields, kb.triggers through the desk) and
the desk's reload (tests/desk/test_rules_reload.py), which must name them alike when a running desk refuses them."""

from __future__ import annotations

# (file text, line, words of the refusal)
FIELD_MISTAKES = [
    ("- key: a\n  type: colour\n  label: {en: A, ar: B}\n", 2, "field a.type: 'colour' is no type"),
    ("- key: a\n  type: text\n  label: {en: A}\n", 3, "field a.label: no 'ar' label"),
    ("- key: Order\n  type: text\n", 1, "'Order' is not a lowercase ascii slug"),
    ("- key: a\n  type: text\n  label: {en: A, ar: B}\n  agent_only: yes please\n", 4, "unknown key 'agent_only'"),
    ("- key: a\n  type: dropdown\n  label: {en: A, ar: B}\n", 1, "a dropdown needs a list of options"),
    ("- key: a\n  type: text\n  label: {en: A, ar: B}\n- key: a\n  type: date\n  label: {en: A, ar: B}\n", 4,
     "'a' is defined twice"),
    ("- key: a\n  type: text\n  label: {en: A, ar: B}\n  required_on_form: true\n", 4, "not on the contact form"),
    ("- key: a\n  type: text\n  label: {en: A, ar: B}\n  required_to_solve: sometimes\n", 4, "true or false"),
    ("- key: a\n  type: [text\n", 3, "not valid YAML"),
    ("teams: 1\n", 1, "expected a list of fields"),
]

AT = r"trigger 1 \(A\)\."
# (file text, line, a regular expression of the field and words)
TRIGGER_MISTAKES = [
    ("- name: A\n  if: {lang: ar}\n  then: {add_tags: x}\n", 1, r"trigger 1 \(A\)\.on: missing"),
    ("- name: A\n  on: created\n  then:\n    add_tags: x\n    tag: y\n", 5, AT + r"then\.tag: unknown action"),
    ("- name: A\n  on: created\n  if: {lang: ar, langs: en}\n  then: {add_tags: x}\n", 3,
     r"trigger 1 \(A\)\.if\.langs: unknown condition"),
    ("- name: A\n  on: created\n  then: {team: kas}\n", 3, AT + r"then\.team: no team 'kas'"),
    ("- name: A\n  on: created\n  then: {reply_macro: refund}\n", 3, AT + r"then\.reply_macro: no macro 'refund'"),
    ("- name: A\n  on: created\n  then: {add_tags: ['a b!']}\n", 3, AT + r"then\.add_tags: 'a b!' cannot be a tag"),
    ("- name: A\n  on: created\n  then: {status: solved}\n", 3, AT + r"then\.status: 'solved' is not one of"),
    ("- name: A\n  on: updated\n  then: {priority: high}\n", 2, AT + r"on: expected one or more of created"),
]

# (file text, line, words of the refusal)
HOURS_MISTAKES = [
    ("teams:\n  ksa:\n    name: KSA\n    hours: [\"09:00\"]\n", 4, "teams.ksa.hours: expected"),
    ("teams:\n  ksa: {name: KSA}\nrouting:\n  - {lang: ar, team: ksa}\n  - team: kas\n    lang: en\n", 5,
     "routing rule 2: team: no team 'kas'"),
    ("teams:\n  ksa:\n    name: KSA\n    time_zone: Asia/Riyadh\n", 4, "teams.ksa: unknown key 'time_zone'"),
]
