"""Hostile input against session 36's surfaces (hostile36): agents' signatures and the token API's replies, customer
fields (their content file, the profile, the API's PATCH, the inbox's filter), typed ticket numbers.

Each test a fault found and fixed (it failed before the fix) or a rule pinned beside one. The real app and desk;
SQLite and (`--postgresql`) PostgreSQL.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk import customer_fields
from desk.audit import SYSTEM
from desk.desk import Desk
from desk.field_values import values_in
from desk.models import Message
from desk.tickets import InputError, NewTicket, ticket_number
from kb.customer_fields import CUSTOMER_FIELDS_FILE, CustomerFields
from kb.lint import lint_paths
from kb.settings import Settings
from kb.ticket_fields import FIELDS_FILE, TicketFieldsError
from tests.kb.test_customer_fields import GOOD
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    app = create_app(light_settings)
    accounts = app.extensions["desk"].accounts
    sara = accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    accounts.set_signatures(sara.id, {"en": "Sara, Manzil support"}, ("en", "ar"))
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    return app


def new_ticket(desk: Desk, email: str = "sam@example.com") -> int:
    return desk.tickets.create(NewTicket(email=email, name="Sam", subject="Lost parcel", body="Where is it?",
                                         lang="en")).id


def ticket_values(desk: Desk, ticket: int) -> dict[str, str]:
    with desk.db.session() as session:
        return values_in(session, ticket)


def agent_messages(desk: Desk) -> list[str]:
    with desk.db.session() as session:
        return [m.body for m in session.query(Message).filter(Message.author == "agent").order_by(Message.id)]


@pytest.mark.parametrize("change", [{"role": "light"}, {"active": False}])
def test_a_reply_by_an_agent_made_light_or_deactivated_since_it_was_checked_is_refused(
        app: Flask, change: dict[str, object]) -> None:
    """The token API checks the reply's agent (desk.accounts.replier), then sends (`send_reply`); an admin who made
    them light or deactivated them between the two (or while the ticket page was open) let the reply go out under
    their name: a light agent never replies to customers. The send checks again on the agent's row it holds: refused
    naming "agent", nothing written, and no follow-up started from a closed ticket either. Before the fix each call
    below sent."""
    desk: Desk = app.extensions["desk"]
    sara = desk.accounts.find("sara@example.com").id
    ticket, closed = new_ticket(desk), new_ticket(desk, "omar@example.com")
    desk.tickets.send_reply(ticket, sara, "Checking now.")
    desk.tickets.update(closed, status="closed")
    desk.accounts.manage(sara, SYSTEM, **change)  # type: ignore[arg-type]
    tries = [lambda: desk.tickets.send_reply(ticket, sara, "Your parcel left today.", signature=True),
             lambda: desk.tickets.agent_follow_up(closed, sara, "One more thing"),
             lambda: desk.accounts.replier(sara)]
    for attempt in tries:
        with pytest.raises(InputError) as refused:
            attempt()
        assert refused.value.field == "agent", refused.value
    assert agent_messages(desk) == ["Checking now."]
    assert [t.id for t in desk.tickets.history(desk.tickets.get(closed).customer_id)] == [closed]
    api = app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('partner')}"}
    answer = api.post(f"/api/v1/tickets/{ticket}/replies", headers=auth, json={"agent": sara, "body": "x"})
    assert answer.status_code == 400 and answer.get_json()["error"].startswith("agent: ")


# The kb test's plan (free, business) and VIP, and a text field whose Arabic label ends in a zero-width non-joiner.
GOOD_FIELDS = GOOD + """\
- key: account_id
  type: text
  label: {en: Account ID, ar: "رقم الحساب\u200c"}
"""


@pytest.mark.parametrize(("text", "line", "words"), [
    # The second `key:` won silently: the writer's `plan` was a field `plans` (a filter, a PATCH named another).
    (GOOD_FIELDS.replace("- key: plan\n", "- key: plan\n  key: plans\n"), 2, "'key' is given twice (first on line 1)"),
    (GOOD_FIELDS.replace("{en: Plan, ar: الخطة}", "{en: Plan, ar: الخطة, en: Tier}"), 3,
     "'en' is given twice (first on line 3)"),
    # A label is shown as written: a U+202E reversed the inbox's "(customer)" after it, zero-width ones were blank.
    (GOOD_FIELDS.replace("{en: Plan,", '{en: "\u202ePlan",'), 3, r"field plan.label.en: '\u202ePlan' holds a control"),
    (GOOD_FIELDS.replace("label: {en: Free,", 'label: {en: "\u200b\u200f",'), 5,
     r"field plan.options.free.label.en: '\u200b\u200f' holds"),
    (GOOD_FIELDS.replace("{en: Account ID,", '{en: "Account\\tID",'), 12, "field account_id.label.en: 'Account\\tID'"),
])
def test_a_customer_fields_file_with_a_key_given_twice_or_an_unshowable_label_is_refused_at_its_line(
        tmp_path: Path, text: str, line: int, words: str) -> None:
    """content/_customer_fields.yml (and every rule file: one YAML reader, kb.yaml_lines) as a careless or hostile
    content writer has it: refused by `kb lint` at the line, as the desk refuses to start with it. Before the fix
    each read well. Markup in a label is its own characters (escaped on the pages) and a zero-width non-joiner
    within Persian or Arabic words is spelling: both read."""
    assert CustomerFields.parse(GOOD_FIELDS).get("account_id").label("ar").endswith("\u200c")  # type: ignore[union-attr]
    (tmp_path / CUSTOMER_FIELDS_FILE).write_text(text, encoding="utf-8")
    [message] = [m for m in lint_paths(tmp_path) if m.rule == "customer-fields"]
    assert (message.line, message.severity) == (line, "error") and words in message.message, message
    with pytest.raises(TicketFieldsError):
        CustomerFields.parse(text)


def test_a_rule_files_yaml_merge_may_still_override_its_alias() -> None:
    """The duplicate-key refusal is the mapping's own keys': a `<<: *alias` merge's keys are overridden by the
    mapping's, as YAML means (not a key given twice)."""
    merged = GOOD_FIELDS.replace("- key: plan\n", "- &plan\n  key: plan\n") + "- {<<: *plan, key: tier}\n"
    assert CustomerFields.parse(merged).keys == ("plan", "vip", "account_id", "tier")


def test_a_typed_ticket_number_reads_full_width_and_arabic_digits_but_no_superscript_or_circled_ones(
        app: Flask) -> None:
    """desk.tickets.ticket_number read typed digits by NFKC (kb.arabic.typed_digits), which also folds superscript,
    circled and mathematical digits: "²" linked ticket #2 and "⑫" ticket #12 as incidents' problem (and in the bulk
    link, a saved view, sign-in codes), where the desk's other id readers refuse "²". Now only full-width forms and
    Arabic-Indic and Persian digits are read; the refusal quotes what was typed whole (a 40 digit one lost its
    closing quote, an int's was cut)."""
    desk: Desk = app.extensions["desk"]
    problem, incident = new_ticket(desk), new_ticket(desk, "omar@example.com")
    desk.problems.mark(problem, desk.accounts.find("sara@example.com").id)
    client = client_for(app, "sara@example.com")
    token = csrf(client.get(f"/agent/tickets/{incident}").get_data(as_text=True))
    for typed in ("²", "¹", "①", "⑴", "𝟏", "⒈"):
        refused = client.post(f"/agent/tickets/{incident}/problem", data={"action": "link", "problem_id": typed,
                                                                          "csrf_token": token})
        assert refused.status_code == 400 and f"{typed!r} is not a ticket" in unescape(
            refused.get_data(as_text=True)), typed
    assert desk.tickets.get(incident).problem_id is None  # type: ignore[union-attr]
    arabic = "＃" + str(problem).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for typed, number in (("１２", 12), ("\u3000۱ ", 1), (arabic, problem)):
        assert ticket_number(typed, "problem_id") == number
    with pytest.raises(InputError, match=r"^problem_id: '1{40}' is not a ticket's number$"):
        ticket_number("1" * 50, "problem_id")
    with pytest.raises(InputError, match=rf"^problem_id: {2**70} is not a ticket's number$"):
        ticket_number(2**70, "problem_id")
    linked = client.post(f"/agent/tickets/{incident}/problem", data={"action": "link", "problem_id": arabic,
                                                                      "csrf_token": token})
    assert linked.status_code == 302 and desk.tickets.get(incident).problem_id == problem  # type: ignore[union-attr]


MARKUP = "<script>alert(1)</script>"


def test_markup_in_a_customer_fields_labels_and_a_value_is_text_on_every_page_in_both_languages(
        light_settings: Settings) -> None:  # noqa: F811
    """Pinned (no fault found): a content writer's label or option label with markup, and an agent's value with it,
    are their own characters on the profile (form and history), the ticket page's customer card, the inbox's filter
    (its "(customer)" label), in English and Arabic pages alike."""
    text = (GOOD_FIELDS.replace("{en: Plan, ar: الخطة}", f'{{en: "{MARKUP}Plan", ar: "{MARKUP}الخطة"}}')
            .replace("{en: Business,", f'{{en: "{MARKUP}Business",'))
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(text, encoding="utf-8")
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    ticket = new_ticket(desk)
    customer = desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
    api = app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}
    saved = api.patch(f"/api/v1/customers/{customer}", headers=auth,
                      json={"fields": {"plan": "business", "account_id": MARKUP}})
    assert saved.status_code == 200 and saved.get_json()["fields"]["account_id"] == MARKUP
    client = client_for(app, "sara@example.com")
    for language in ("en", "ar"):
        headers = {"Accept-Language": language}
        for path in (f"/agent/customers/{customer}", f"/agent/tickets/{ticket}", "/agent/?customer.plan=business"):
            page = client.get(path, headers=headers).get_data(as_text=True)
            assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page, (language, path)


EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "25"))
VALUES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
          | st.sampled_from(["free", "business", "true", "", " ", "\u200b", "\u202e", "٣", "١٢٣", "x" * 1001, "\x00",
                             "\x1b[2J", "<b>", "plan", "1e3"])
          | st.text(max_size=12) | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3),
                                                                                          st.integers(), max_size=2))
KEYS = st.sampled_from(["plan", "account_id", "vip", "PLAN", "plan.x", "customer.plan", "", "__proto__", "x" * 60])


def test_a_patch_of_any_fields_object_is_stored_whole_or_refused_naming_a_field_and_writes_nothing(
        light_settings: Settings) -> None:  # noqa: F811
    """Property (KB_FUZZ_EXAMPLES, default 25): PATCH /api/v1/customers/<id> with any JSON `fields` object (known and
    unknown keys, dotted and prefixed keys, any JSON value) answers 200 with exactly what is stored, or a 400 naming
    `fields` or `fields.<key>` with nothing changed: never a 500, never half of it written."""
    (light_settings.content_dir / CUSTOMER_FIELDS_FILE).write_text(GOOD_FIELDS, encoding="utf-8")
    app = create_app(replace(light_settings, rate_limits=False))
    desk: Desk = app.extensions["desk"]
    customer = desk.tickets.get(new_ticket(desk)).customer_id  # type: ignore[union-attr]
    api = app.test_client()
    auth = {"Authorization": f"Bearer {desk.accounts.create_token('crm')}"}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(fields=st.dictionaries(KEYS, VALUES, max_size=4))
    def patch(fields: dict[str, object]) -> None:
        before = customer_fields.values_of(desk.db, customer)
        answer = api.patch(f"/api/v1/customers/{customer}", headers=auth, json={"fields": fields})
        after = customer_fields.values_of(desk.db, customer)
        assert answer.status_code in (200, 400), answer.get_data(as_text=True)
        if answer.status_code == 400:
            assert answer.get_json()["error"].startswith("fields"), answer.get_json()
            assert after == before
        else:
            assert answer.get_json()["fields"] == after and set(after) <= {"plan", "account_id", "vip"}

    patch()


def test_a_fields_form_saved_after_another_agents_change_keeps_the_fields_it_did_not_change(
        light_settings: Settings) -> None:  # noqa: F811
    """Two agents on one customer's profile (and one ticket's fields panel): Sara opens it, Omar sets VIP and the
    account id, Sara changes the plan and saves. Her form posted every field as she had read it (an unticked box,
    the old account id) and the save wrote them all: Omar's VIP and account id were undone without a word. A form now
    carries the values it showed; a field posted as it was shown keeps what is stored now, the ones she changed are
    written. Before the fix Omar's values were gone."""
    for name in (CUSTOMER_FIELDS_FILE, FIELDS_FILE):
        (light_settings.content_dir / name).write_text(GOOD_FIELDS, encoding="utf-8")
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    for email in ("sara@example.com", "omar@example.com"):
        desk.accounts.create_agent(email, PASSWORD, name=email[:4])
    ticket = new_ticket(desk)
    customer = desk.tickets.get(ticket).customer_id  # type: ignore[union-attr]
    sara, omar = client_for(app, "sara@example.com"), client_for(app, "omar@example.com")
    for page, post, stored in ((f"/agent/customers/{customer}", f"/agent/customers/{customer}/fields",
                                lambda: customer_fields.values_of(desk.db, customer)),
                               (f"/agent/tickets/{ticket}", f"/agent/tickets/{ticket}/fields",
                                lambda: ticket_values(desk, ticket))):
        read = sara.get(page).get_data(as_text=True)
        omars = csrf(omar.get(page).get_data(as_text=True))
        assert omar.post(post, data={"csrf_token": omars, "field.plan": "", "field.account_id": "A-7",
                                     "field.vip": "true"}).status_code == 302
        shown = dict(re.findall(r'<input type="hidden" name="(seen\.[a-z_]+)" value="([^"]*)"', read))
        saved = sara.post(post, data={"csrf_token": csrf(read), "field.plan": "business", "field.account_id": "",
                                      **shown})
        assert saved.status_code == 302
        assert stored() == {"plan": "business", "account_id": "A-7", "vip": "true"}, post
        assert shown == {"seen.plan": "", "seen.account_id": "", "seen.vip": ""}, post
        # What she did change is written, even back to blank: clearing the account id she saw clears it.
        read = sara.get(page).get_data(as_text=True)
        shown = dict(re.findall(r'<input type="hidden" name="(seen\.[a-z_]+)" value="([^"]*)"', read))
        sara.post(post, data={"csrf_token": csrf(read), "field.plan": "business", "field.account_id": "", **shown})
        assert stored() == {"plan": "business", "vip": "false"}, post
