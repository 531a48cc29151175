"""The desk's input errors reach the agent in the agent's language (webapp/desk_errors.py).

Before, every failed action flashed the desk's English "field: message" to an Arabic agent too.
The desk still raises in English (its str() is for the CLI, logs and API); the pages translate it.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale

from desk.tickets import CrossedReplyError, InputError, NewTicket
from desk.translatable import N_
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings, login  # noqa: F401
from webapp.desk_errors import FIELDS, desk_error

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def agent(light_app: Guarded) -> FlaskClient:  # noqa: F811
    client = light_app.app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return client


def _ticket(light_app: Guarded) -> int:  # noqa: F811
    ticket = light_app.app.extensions["desk"].tickets.create(
        NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    return int(ticket.id)


def _post(agent: FlaskClient, ticket_id: int, action: str, data: dict[str, str], lang: str) -> str:
    token = csrf(agent.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True))
    response = agent.post(f"/agent/tickets/{ticket_id}/{action}", data={**data, "csrf_token": token},
                          headers={"Accept-Language": lang}, follow_redirects=True)
    return unescape(response.get_data(as_text=True))


def test_an_arabic_agents_failed_actions_are_named_in_arabic(light_app: Guarded, agent: FlaskClient) -> None:  # noqa: F811
    ticket_id = _ticket(light_app)
    page = _post(agent, ticket_id, "merge", {"target": str(ticket_id)}, "ar")
    assert "التذكرة المدموج فيها: لا يمكن دمج التذكرة في نفسها" in page
    assert "cannot be merged" not in page and "target:" not in page
    page = _post(agent, ticket_id, "note", {"body": "  "}, "ar")
    assert "الملاحظة: الحقل فارغ" in page and "is empty" not in page
    page = _post(agent, ticket_id, "update", {"status": "later"}, "ar")
    assert "الحالة: يجب أن يكون واحدًا من" in page and "'later'" in page and "must be one of" not in page
    page = _post(agent, ticket_id, "reply", {"body": "", "status": "pending"}, "ar")
    assert "النص: الحقل فارغ" in page


def test_the_english_page_reads_as_before(light_app: Guarded, agent: FlaskClient) -> None:  # noqa: F811
    ticket_id = _ticket(light_app)
    assert "target: a ticket cannot be merged into itself" in _post(agent, ticket_id, "merge",
                                                                     {"target": str(ticket_id)}, "en")
    assert "note: is empty" in _post(agent, ticket_id, "note", {"body": "  "}, "en")
    page = _post(agent, ticket_id, "update", {"status": "later"}, "en")
    assert "status: must be one of new, open, pending, on_hold, solved, closed, not 'later'" in page


def test_the_english_text_of_every_error_is_its_str(light_app: Guarded) -> None:  # noqa: F811
    errors = [InputError("target", N_("a ticket cannot be merged into itself")),
              InputError("ticket", N_("ticket %(ticket)s was already merged into %(target)s"), ticket=3, target=4),
              InputError("somewhere", N_("is empty")), CrossedReplyError([("customer", "hi")] * 2)]
    with light_app.app.test_request_context(), force_locale("en"):
        for error in errors:
            assert desk_error(error) == str(error)
    assert str(errors[1]) == "ticket: ticket 3 was already merged into 4"
    assert str(errors[3]) == "body: 2 new messages arrived while you were writing"


@pytest.mark.parametrize(("count", "arabic"), [(1, "وصلت رسالة جديدة"), (2, "وصلت رسالتان جديدتان"),
                                                 (3, "وصلت 3 رسائل جديدة"), (11, "وصلت 11 رسالة جديدة")])
def test_a_count_takes_the_arabic_plural_form(light_app: Guarded, count: int, arabic: str) -> None:  # noqa: F811
    with light_app.app.test_request_context(), force_locale("ar"):
        assert desk_error(CrossedReplyError([("customer", "hi")] * count)) == f"النص: {arabic} أثناء كتابتك"


def test_every_field_the_desk_names_has_a_translated_name() -> None:
    """A new `InputError("field", ...)` (or a checked field) in desk/ or webapp/ needs its name in FIELDS,
    or an Arabic agent reads the bare English identifier."""
    pattern = re.compile(r'(?:InputError|SurveyError|FilterError|clean_text|_optional_text|_choice)\(\s*"([a-z_]+)"')
    named = {m.group(1) for folder in ("desk", "webapp") for path in (ROOT / folder).rglob("*.py")
             for m in pattern.finditer(path.read_text(encoding="utf-8"))}
    assert {"target", "note", "ends_at", "token", "rating"} <= named  # the scan sees the desk's fields
    assert named - set(FIELDS) == set()


def test_a_customers_survey_answer_that_cannot_be_saved_says_why_in_arabic(light_app: Guarded) -> None:  # noqa: F811
    """The survey page is the customer's, in the URL's language; its reason was the desk's English."""
    desk = light_app.app.extensions["desk"]
    ticket_id = _ticket(light_app)
    desk.tickets.update(ticket_id, status="solved")
    survey = desk.surveys.latest_for_ticket(ticket_id)
    client = light_app.app.test_client()
    for lang, reason in (("ar", "التقييم: يجب أن يكون عددًا صحيحًا من 1 إلى 5"),
                         ("en", "rating: must be a whole number from 1 to 5")):
        token = csrf(client.get(f"/{lang}/survey/{survey.token}").get_data(as_text=True))
        page = client.post(f"/{lang}/survey/{survey.token}", data={"csrf_token": token, "rating": "9"},
                           follow_redirects=True).get_data(as_text=True)
        assert reason in unescape(page)


@pytest.mark.parametrize(("query", "english"), [("from=2026-13-45", "is not a date"),
                                                ("from=2027-01-01&to=2020-01-01", "must not be after"),
                                                ("lang=zz", "use one of"), ("agent=abc", "must be an agent id")])
def test_a_leads_bad_dashboard_filter_is_named_in_arabic(light_app: Guarded, query: str, english: str) -> None:  # noqa: F811
    """The dashboard's filter errors were the English "from: '2026-13-45' is not a date" on the Arabic page;
    the metrics API keeps them English (a script reads them)."""
    lead = light_app.app.test_client()
    assert login(lead, "admin@example.com").status_code == 302
    response = lead.get(f"/agent/dashboard/?{query}&hl=ar")
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and english not in page
    field = "agent" if query.startswith("agent") else "lang" if query.startswith("lang") else "from"
    with light_app.app.test_request_context(), force_locale("ar"):
        assert f"{FIELDS[field]}:" in page and str(FIELDS[field]) != field
    with light_app.app.test_request_context(), force_locale("en"):
        from webapp.dashboard import FilterError, parse_filters

        with pytest.raises(FilterError) as error:
            parse_filters(dict(p.split("=") for p in query.split("&")), ("en", "ar"))
        assert english in str(error.value) and desk_error(error.value) == str(error.value)


def test_dates_inside_an_arabic_sentence_keep_their_order(light_app: Guarded) -> None:  # noqa: F811
    """After an Arabic word the digits of "2026-11-26" are Arabic numbers to the bidi algorithm and the
    hyphens split them: the dashboard's Arabic period line showed "26-11-2026". The dates sit in an LTR isolate."""
    lead = light_app.app.test_client()
    assert login(lead, "admin@example.com").status_code == 302
    page = lead.get("/agent/dashboard/?from=2026-11-26&to=2026-12-02&hl=ar").get_data(as_text=True)
    period = page.split('<p class="muted">', 1)[1].split("</p>", 1)[0]
    assert '<bdi dir="ltr">2026-11-26</bdi>' in period and '<bdi dir="ltr">2026-12-02</bdi>' in period
