"""Every route of the app under hostile input (session 25): the pages, forms and polls added since the
campaign of issue #12 (workspace views, macros, notes, tags, bulk actions, reports with ?days and ?tz, the
admin page, the customer's "my tickets", feedback, the answer card, the metrics API) had only hand-picked cases.

hypothesis draws, for each route, a query string (raw: invalid UTF-8 percent-escapes, NUL, RTL overrides,
repeated keys, huge and negative numbers, bad dates and zones) or a form (missing, repeated, oversized and
hostile fields; a right, wrong or missing CSRF token), sent as an anonymous visitor, an agent or an admin.
Whatever comes, no answer is a 500 or shows a traceback, a GET writes nothing, and a refused post (4xx)
leaves the database as it was. CI runs KB_FUZZ_EXAMPLES (default 40) per property; the campaign ran 20x.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from desk.models import Base, CsatSurvey, utcnow
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_mail_in import plain_mail
from tests.webapp.light_app import PASSWORD, csrf, light_settings  # noqa: F401
from webapp import create_app
from webapp.dashboard import TABLES
from webapp.reports import REPORTS

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

# Values that broke a parser somewhere once, written as they travel in a URL or a form (percent-escapes raw).
RAW_VALUES = [
    "", "%00", "a%00b", "%ff%fe", "%c3%28", "%e2%80%ae", "%", "%zz", "%25", "+", "%0d%0aX-Injected:%20yes",
    "-1", "0", "-9223372036854775809", "2147483648", "9223372036854775808", "9" * 30, "9" * 5000, "1e309", "nan",
    "inf", "-inf", "%C2%B2", "%D9%A1%D9%A2", "1.5", "0x10", "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31",
    "0001-01-01", "2026-01-01T25:61", "9999-12-31T23:59", "Mars/Olympus", "../../etc/passwd", "UTC", "Etc/GMT%2B12",
    "Etc/GMT-14", "%2Fagent%2F", "%2F%2Fevil.example", "/agent/%0d%0aX:%20y", "javascript:alert(1)", "me", "none",
    "open", "solved", "high", "en", "ar", "%3Cscript%3E", "x" * 3000, "%D8%A7" * 40,
]  # fmt: skip
PARAMS = [
    "q", "page", "lang", "view", "status", "tag", "sort", "since", "next", "days", "tz", "from", "to", "agent",
    "channel", "category", "hl", "limit", "complete", "src", "s", "p", "helpful", "article", "rating", "answer_vote",
    "notice_terms", "verbatim", "typed_query",
]  # fmt: skip
RAW = st.sampled_from(RAW_VALUES) | st.text(max_size=30).map(lambda s: quote(s, safe=""))
QUERY = st.lists(st.tuples(st.sampled_from(PARAMS) | st.text(max_size=8).map(lambda s: quote(s, safe="")), RAW),
                 max_size=6).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))

# Form values as text (the test client encodes them): what a hostile or careless browser posts.
TEXT_VALUES = [
    "", "\x00", "a\x00b", "\u202e", "\r\n", "/agent/\r\nX: y", "//evil.example", "²", "١٢", "-1", "0", "1",
    "2147483648", "9223372036854775808", "9" * 30, "9" * 5000, "nan", "inf", "1e309", "2026-02-30T10:00",
    "9999-12-31T23:59", "0001-01-01T00:00", "Mars/Olympus", "UTC", "Europe/Berlin", "me", "none", "open", "solved",
    "high", "assign", "solve", "tag", "due", "clear", "agent", "token", "revoke", "role", "password", "deactivate",
    "time_zone", "admin", "en", "ar", "yes", "no", "x" * 6000, "😀", "<script>", "agent@example.com",
]  # fmt: skip
VALUE = st.sampled_from(TEXT_VALUES) | st.sampled_from(TEXT_VALUES) | st.text(max_size=40)
FORM_FIELDS = {
    "/agent/login": ["email", "password", "remember"],
    "/agent/bulk": ["ticket", "action", "value", "back"],
    "/agent/preferences": ["locale", "back"],
    "/agent/profile": ["time_zone"],
    "/agent/admin": ["action", "email", "password", "name", "role", "token_id", "agent_id", "time_zone"],
    "/agent/dashboard/notices": ["hours", "text_en", "text_ar", "terms", "hl"],
    "/agent/dashboard/notices/{notice}/end": ["hl"],
    "/agent/tickets/{ticket}/reply": ["body", "status", "inserted_draft", "seen_message_id", "send_anyway",
                                      "add_tag", "inserted_what", "macro", "citation"],
    "/agent/tickets/{ticket}/note": ["body"],
    "/agent/tickets/{ticket}/tags": ["tags", "remove"],
    "/agent/tickets/{ticket}/merge": ["target"],
    "/agent/tickets/{ticket}/update": ["assignee", "status", "priority"],
    "/agent/tickets/{ticket}/due": ["due", "due_zone", "action"],
    "/agent/logout": [],
    "/en/contact": ["name", "email", "subject", "message", "search", "submission"],
    "/ar/tickets/{reference}": ["message", "submission"],
    "/en/my-tickets": ["email"],
    "/en/survey/{survey}": ["rating", "comment"],
    "/en/answer/feedback": ["article", "helpful", "query", "anchor", "source", "reason", "comment", "followup",
                            "generated_by"],
    "/en/articles/{article}/feedback": ["helpful", "reason", "comment", "article"],
    "/agent/held/{held}/recover": ["confirm", "sender"],
    "/agent/held/{held}/delete": [],
    "/agent/held/2147483648/delete": [],
}  # fmt: skip
GET_PATHS = [
    "/", "/en/", "/ar/", "/xx/", "/en/search", "/en/contact", "/en/my-tickets", "/en/my-tickets/{signed}",
    "/en/my-tickets/not.a.signature", "/en/tickets/{reference}", "/en/tickets/nothing", "/en/survey/{survey}",
    "/en/survey/nothing", "/en/articles/{article}", "/en/categories/{category}", "/agent/", "/agent/login",
    "/agent/updates", "/agent/profile", "/agent/admin", "/agent/tickets/{ticket}", "/agent/tickets/2147483648",
    "/agent/articles/en/{article}", "/agent/dashboard/", "/agent/reports/", "/agent/attachments/2147483648",
    "/en/tickets/{reference}/attachments/2147483648", "/api/v1/search", "/api/v1/answer", "/api/v1/metrics",
    "/api/v1/health", "/api/v1/hooks/git/status", "/theme.css", "/favicon.ico", "/media/..%2F_theme.yml",
    "/api/v1/tickets/{ticket}", "/api/v1/tickets/2147483648", "/agent/held/", "/agent/held/{held}",
    "/agent/held/2147483648", "/ar/search",
    *(f"/agent/dashboard/{name}.csv" for name in TABLES),
    *(f"/agent/reports/{name}" for name in REPORTS), *(f"/agent/reports/{name}.csv" for name in REPORTS),
]  # fmt: skip
# Weighted towards requests that reach a view (a signed-in client, the right token): the rest stop at a guard.
ROLES = st.sampled_from(["anonymous", "agent", "agent", "admin", "admin", "admin"])
TOKENS = st.sampled_from(["right"] * 6 + ["wrong", "missing", "twice"])
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"/")


@dataclass
class Site:
    app: Flask
    clients: dict[str, FlaskClient]  # anonymous, agent, admin
    tokens: dict[str, str]  # each client's CSRF token
    values: dict[str, str]  # what the paths' {placeholders} stand for
    api_token: str


# What the help center's pages log as they are read, by design (the search log, article views and clicks, the
# contact page's deflections: the content team's reports): left out of what a GET must not change.
READ_LOGS = {"search_events", "article_views", "deflections"}


def _fingerprint(app: Flask, skip: set[str] | frozenset[str] = frozenset()) -> str:
    """Every row of every table but `skip`, hashed: equal before and after means nothing was written. A token's
    last use is left out too: a call with a token stamps it by design (the admin page shows it)."""
    digest = hashlib.sha256()
    with app.extensions["desk"].db.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            columns = [c for c in table.columns if c.name != "last_used_at"]
            for row in session.execute(select(*columns).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def site(light_settings: Settings) -> Iterator[Site]:  # noqa: F811
    """The light app (no models) without rate limits, an admin and an agent logged in, a ticket with a reply
    (so it has a survey and a customer's link), a notice, and the CSRF token each client's pages carry."""
    app = create_app(replace(light_settings, rate_limits=False))
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    desk.tickets.send_reply(ticket.id, agent.id, "It is on its way.", status="solved")
    notice = desk.notices.publish("Checkout is slow", "", utcnow() + timedelta(hours=1), "checkout", agent.id)
    with desk.db.session() as session:
        survey = session.scalar(select(CsatSurvey.token))
    assert survey is not None
    clients = {"anonymous": app.test_client(), "agent": app.test_client(), "admin": app.test_client()}
    for role in ("agent", "admin"):
        client = clients[role]
        page = client.get("/agent/login").get_data(as_text=True)
        assert client.post("/agent/login", data={"email": f"{role}@example.com", "password": PASSWORD,
                                                 "csrf_token": csrf(page)}).status_code == 302
    tokens = {role: csrf(client.get("/en/contact").get_data(as_text=True)) for role, client in clients.items()}
    from webapp.my_tickets import SALT
    from webapp.security import signer

    with app.test_request_context():
        signed = signer(SALT).dumps("sam@example.com")
    # Held mail (session 26's pages): a loop of the desk's own address, held with a kept original.
    held = desk.mail_in.receive(plain_mail("copy", "Our own reply", sender="support@manzil.example")).inbound_id
    values = {"ticket": str(ticket.id), "reference": ticket.reference, "survey": survey, "signed": signed,
              "notice": str(notice.id), "article": "returns/refund-timing", "category": "returns",
              "held": str(held)}
    yield Site(app, clients, tokens, values, desk.accounts.create_token("fuzz"))


def _check(response, what: object) -> None:  # type: ignore[no-untyped-def]
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (what, response.status_code, body[:400])
    assert not TRACEBACK.search(body), (what, body[:400])


@FUZZ
@given(path=st.sampled_from(GET_PATHS), query=QUERY, role=ROLES)
def test_no_query_string_is_a_500_and_a_get_writes_nothing(site: Site, path: str, query: str, role: str) -> None:
    before = _fingerprint(site.app, READ_LOGS)
    response = site.clients[role].get(path.format(**site.values), query_string=query,
                                      headers={"Authorization": f"Bearer {site.api_token}"})
    _check(response, (path, query, role))
    assert _fingerprint(site.app, READ_LOGS) == before, (path, query, role)


FORMS = st.sampled_from(sorted(FORM_FIELDS)).flatmap(lambda path: st.tuples(
    st.just(path),
    st.lists(st.tuples(st.sampled_from(FORM_FIELDS[path] or ["x"]) | st.text(max_size=6), VALUE), max_size=8),
))


@FUZZ
@given(form=FORMS, role=ROLES, token=TOKENS)
def test_no_form_is_a_500_and_a_refused_post_writes_nothing(site: Site, form: tuple[str, list[tuple[str, str]]],
                                                            role: str, token: str) -> None:
    path, fields = form
    data = list(fields)
    if token != "missing":
        data.append(("csrf_token", site.tokens[role] if token != "wrong" else "forged"))
    if token == "twice":
        data.append(("csrf_token", "forged"))
    before = _fingerprint(site.app)
    response = site.clients[role].post(path.format(**site.values), data=MultiDict(data))
    _check(response, (path, data, role, token))
    if 400 <= response.status_code < 500:
        assert _fingerprint(site.app) == before, (path, data, role, token, response.status_code)
    if token in ("wrong", "missing") and path != "/agent/logout":
        assert response.status_code == 400 or _fingerprint(site.app) == before, (path, data, role)


# --- what the campaign found, each answered a 500 before its fix --------------------------------------------------


def test_an_id_past_a_postgresql_integer_is_a_404(site: Site) -> None:
    """Every id column is an INTEGER, 32 bits on PostgreSQL, but ids were bounded at 2**63 - 1 (SQLite's): from
    2**31 up every id in a URL or a form was "integer out of range", a 500, on PostgreSQL."""
    client, token = site.clients["admin"], site.tokens["admin"]
    for path in ("/agent/tickets/2147483648", "/agent/attachments/2147483648",
                 f"/en/tickets/{site.values['reference']}/attachments/2147483648"):
        assert client.get(path).status_code == 404, path
    before = _fingerprint(site.app)
    for post in ("note", "reply", "tags", "update", "due", "merge", "shown", "presence", "events"):
        response = client.post(f"/agent/tickets/2147483648/{post}", data={"csrf_token": token},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 404, post
    assert client.post("/agent/dashboard/notices/2147483648/end", data={"csrf_token": token}).status_code == 404
    assert _fingerprint(site.app) == before


NUMBER_FIELDS = [
    ("/agent/tickets/{ticket}/merge", "target", {}),
    ("/agent/bulk", "ticket", {"action": "solve"}),
    ("/agent/bulk", "value", {"ticket": "{ticket}", "action": "assign"}),
    ("/agent/tickets/{ticket}/update", "assignee", {}),
    ("/agent/tickets/{ticket}/reply", "seen_message_id", {"body": ""}),
    ("/agent/admin", "agent_id", {"action": "role", "role": "agent"}),
    ("/agent/admin", "agent_id", {"action": "time_zone", "time_zone": "UTC"}),
    ("/agent/admin", "token_id", {"action": "revoke"}),
]


def test_a_number_no_row_can_have_is_refused_and_writes_nothing(site: Site) -> None:
    """`str.isdigit` passed "²" to `int()` (ValueError), and 5000 digits are past what `int()` reads; an id past
    2**31 overflowed PostgreSQL's INTEGER, and one past 2**63 SQLite's: each was a 500."""
    before = _fingerprint(site.app)
    for path, field, data in NUMBER_FIELDS:
        form = {key: value.format(**site.values) for key, value in data.items()}
        for number in ("²", "9" * 5000, "2147483648", "9" * 30):
            response = site.clients["admin"].post(path.format(**site.values),
                                                  data={**form, field: number, "csrf_token": site.tokens["admin"]})
            assert response.status_code in (200, 302, 400), (path, field, number[:40])
    assert _fingerprint(site.app) == before


def test_the_dashboards_agent_filter_refuses_what_is_no_agent_id(site: Site) -> None:
    for agent in ("²", "2147483648", "9" * 30):
        for path in ("/agent/dashboard/", "/agent/dashboard/summary.csv"):
            response = site.clients["admin"].get(path, query_string={"agent": agent})
            assert response.status_code == 400 and "agent" in response.get_data(as_text=True), (path, agent)
        metrics = site.clients["anonymous"].get(
            "/api/v1/metrics", headers={"Authorization": f"Bearer {site.api_token}"},
            query_string={"from": "2026-01-01", "to": "2026-01-31", "agent": agent})
        assert metrics.status_code == 400 and metrics.get_json()["error"].startswith("agent"), agent


def test_a_back_address_that_is_no_workspace_path_goes_to_the_inbox(site: Site) -> None:
    """A line break in "back" reached the redirect's Location header: werkzeug refused it, a 500."""
    client, token = site.clients["agent"], site.tokens["agent"]
    for back in ("/agent/\r\nX-Injected: yes", "/agent/\n", "/agent/%0d%0aX: y", "//evil.example/agent/"):
        for path, data in (("/agent/preferences", {"locale": "en"}),
                           ("/agent/bulk", {"ticket": site.values["ticket"], "action": "solve"})):
            response = client.post(path, data={**data, "back": back, "csrf_token": token})
            assert response.status_code == 302 and response.headers["Location"] == "/agent/", (path, back)


def test_a_customers_reply_of_control_characters_only_is_refused_by_field(site: Site) -> None:
    """The form's "required" passed "\\x1b"; the desk, which drops control characters, found it empty and raised
    InputError, which the customer's ticket page did not catch (the contact form did): a 500."""
    client, reference = site.clients["anonymous"], site.values["reference"]
    before = _fingerprint(site.app)
    for lang, text in (("en", "\x1b"), ("ar", "\x00\x07 \t")):
        page = client.get(f"/{lang}/tickets/{reference}").get_data(as_text=True)
        response = client.post(f"/{lang}/tickets/{reference}", data={"message": text, "csrf_token": csrf(page)})
        assert response.status_code == 400 and 'class="field-error"' in response.get_data(as_text=True), lang
    assert _fingerprint(site.app) == before


def test_a_multipart_part_without_a_name_is_a_json_400(site: Site) -> None:
    """werkzeug keys a form-data part with no name as None, and the unknown-field check printed it: a 500
    (found by schemathesis's negative cases at 20x the CI budget)."""
    before = _fingerprint(site.app)
    response = site.clients["anonymous"].post(
        "/api/v1/tickets", data=b"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--\r\n",
        headers={"Authorization": f"Bearer {site.api_token}", "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400 and "has no name" in response.get_json()["error"]
    assert _fingerprint(site.app) == before
