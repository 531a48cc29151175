"""Hostile JSON bodies (issue #12, session 13): every JSON post, the token API's and the pages' scripts',
goes through one parser (`webapp.security.json_object`) that answers 400 naming what is wrong: a lone
surrogate, a duplicate key, a field the API does not know, a wrong-typed value (falsy ones included, which
`body.get(...) or default` used to turn silently into the default). Before: the pages' scripts' posts were
500s on a list or a string body, a lone surrogate was stored or a 500, and `"lang": 0` detected the language.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from desk.models import Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings, login  # noqa: F401
from webapp import create_app

GOOD = {"email": "sam@example.com", "subject": "Lost parcel", "body": "Where is it?"}


def _tickets(guarded: Guarded) -> int:
    with guarded.app.extensions["desk"].db.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket)) or 0


@pytest.fixture
def api(light_app: Guarded) -> tuple[FlaskClient, dict[str, str]]:  # noqa: F811
    return light_app.app.test_client(), {"Authorization": f"Bearer {light_app.token}"}


def _post_raw(api: tuple[FlaskClient, dict[str, str]], raw: str, path: str = "/api/v1/tickets"):  # type: ignore[no-untyped-def]
    client, headers = api
    return client.post(path, data=raw.encode("utf-8"), headers=headers, content_type="application/json")


def test_unknown_ticket_fields_are_named(api: tuple[FlaskClient, dict[str, str]], light_app: Guarded) -> None:  # noqa: F811
    client, headers = api
    response = client.post("/api/v1/tickets", json={**GOOD, "prioity": "high", "cc": "x"}, headers=headers)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"].startswith("cc, prioity: unknown field")
    assert _tickets(light_app) == 0  # nothing half-written


def test_the_allowed_fields_are_the_served_schemas(api: tuple[FlaskClient, dict[str, str]]) -> None:
    client, headers = api
    document = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/tickets", "/api/v1/suggest"):
        schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["additionalProperties"] is False
    ticket = document["paths"]["/api/v1/tickets"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # Every field the schema serves, each a value it allows (its enum's first, as `category`'s), is accepted.
    every = {name: {} if field.get("type") == "object" else (field.get("enum") or ["x"])[0]
             for name, field in ticket["properties"].items()}
    response = client.post("/api/v1/tickets", json={**every, **GOOD, "lang": "en", "priority": "high"},
                           headers=headers)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"email": "sam@example.com", "subject": "\\ud800", "body": "b"}', "subject"),
        ('{"email": "sam@example.com", "subject": "s", "body": "b", "name": "x\\udfff"}', "name"),
        ('{"email": "sam@example.com", "subject": "s", "body": "b", "\\ud800": 1}', "\\ud800"),
        ('{"email": "sam@example.com", "subject": "s", "subject": "t", "body": "b"}', "subject"),
        ('{"email": "sam@example.com", "subject": "s", "body": NaN}', "body"),
    ],
)
def test_lone_surrogates_duplicate_keys_and_nan_name_the_field(api: tuple[FlaskClient, dict[str, str]],
                                                               light_app: Guarded, raw: str, field: str) -> None:  # noqa: F811
    response = _post_raw(api, raw)
    assert response.status_code == 400 and response.is_json, response.get_data(as_text=True)
    assert response.get_json()["error"].startswith(field), response.get_json()
    assert _tickets(light_app) == 0


@pytest.mark.parametrize("value", [0, False, [], {}, 1.5])
@pytest.mark.parametrize("field", ["name", "lang", "priority", "external_id", "email", "subject", "body"])
def test_wrong_typed_values_are_refused_not_defaulted(api: tuple[FlaskClient, dict[str, str]], light_app: Guarded,  # noqa: F811
                                                      field: str, value: object) -> None:
    client, headers = api
    response = client.post("/api/v1/tickets", json={**GOOD, field: value}, headers=headers)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"].startswith(f"{field}:"), response.get_json()
    assert _tickets(light_app) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"subject": "s", "body": "b", "lang": 0}, "lang"), ({"subject": "s", "body": "b", "x": 1}, "x"),
    ({"subject": "s", "body": "b", "customer_name": 0}, "customer_name"), ({"subject": [], "body": "b"}, "subject"),
])
def test_suggest_refuses_wrong_types_and_unknown_fields(api: tuple[FlaskClient, dict[str, str]], body: dict,
                                                        field: str) -> None:
    client, headers = api
    response = client.post("/api/v1/suggest", json=body, headers=headers)
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"].startswith(f"{field}:")


@pytest.mark.parametrize("email", ["sam@evil.example@example.com", "a@b@c.de", "@example.com", "sam@", "sam@@x.de"])
def test_an_address_with_two_ats_is_refused_by_name(api: tuple[FlaskClient, dict[str, str]], email: str) -> None:
    client, headers = api
    response = client.post("/api/v1/tickets", json={**GOOD, "email": email}, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"].startswith("email:")


@pytest.fixture
def agent_page(light_app: Guarded) -> tuple[FlaskClient, int, str]:  # noqa: F811
    client = light_app.app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    ticket = light_app.app.extensions["desk"].tickets.create(NewTicket(**GOOD))
    return client, ticket.id, csrf(client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True))


@pytest.mark.parametrize("endpoint", ["shown", "presence", "events"])
@pytest.mark.parametrize("raw", ["[1]", '"text"', "5", "null", "{", '{"a": 1, "a": 2}', '{"kind": "\\ud800"}',
                                 '{"details": {"passages": 5}, "version": "v"}',
                                 '{"details": {"passages": {"a": 1}}, "version": "v"}'])
def test_the_agent_pages_json_posts_are_400_never_500(agent_page: tuple[FlaskClient, int, str], endpoint: str,
                                                      raw: str) -> None:
    client, ticket_id, token = agent_page
    response = client.post(f"/agent/tickets/{ticket_id}/{endpoint}", data=raw.encode(),
                           content_type="application/json", headers={"X-CSRFToken": token})
    if endpoint == "presence" and raw == '{"kind": "\\ud800"}':
        assert response.status_code == 400  # not a field presence reads, but no text with a lone surrogate
    assert response.status_code in (200, 400) and response.is_json, response.get_data(as_text=True)[:300]
    if raw in ("[1]", '"text"', "5", "null", "{", '{"a": 1, "a": 2}'):
        assert response.status_code == 400


@pytest.mark.parametrize("raw", ["[1]", '"q"', "{", '{"q": ["a"]}', '{"q": "\\ud800"}'])
def test_the_search_boxs_settled_post_is_a_400(light_app: Guarded, raw: str) -> None:  # noqa: F811
    client = light_app.app.test_client()
    page = client.get("/en/").get_data(as_text=True)
    token = page.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = client.post("/en/search/settled", data=raw.encode(), content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.is_json


# Text with lone surrogates now and then: json.dumps writes them as "\\ud800" escapes, as a hostile client would.
TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=20)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.sampled_from(["en", "ar", "high"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
TICKET_FIELDS = st.sampled_from(["email", "subject", "body", "name", "lang", "priority", "external_id", "other"])
VALID = st.fixed_dictionaries({"email": st.just("sam@example.com"), "subject": TEXT, "body": TEXT})


@pytest.fixture
def unlimited(light_settings: Settings) -> tuple[FlaskClient, dict[str, str]]:  # noqa: F811
    """The light app without rate limits (hypothesis sends far more than a client would), a token, and the
    page's CSRF token for the search box's post."""
    app = create_app(replace(light_settings, rate_limits=False))
    client = app.test_client()
    page = client.get("/en/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    return client, {"Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('fuzz')}",
                    "X-CSRFToken": token.group(1)}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=JSON_VALUES | st.dictionaries(TICKET_FIELDS, JSON_VALUES, max_size=8)
       | st.builds(lambda valid, more: {**valid, **more}, VALID, st.dictionaries(TICKET_FIELDS, JSON_VALUES)))
def test_no_json_value_is_a_500(unlimited: tuple[FlaskClient, dict[str, str]], body: object) -> None:
    """Any JSON value, or any object over the ticket's own field names, to both token endpoints and the
    search box's post: a 201/200 or a JSON 4xx, never a 500 (raw text: lone surrogates and all)."""
    client, headers = unlimited
    raw = json.dumps(body, ensure_ascii=True)  # NaN and Infinity as JSON's common extension writes them
    for path in ("/api/v1/tickets", "/api/v1/suggest", "/en/search/settled"):
        response = client.post(path, data=raw.encode(), headers=headers, content_type="application/json")
        assert response.status_code < 500 and response.is_json, (path, raw, response.get_data(as_text=True)[:200])
        assert response.status_code not in (401, 429) and "CSRF" not in response.get_data(as_text=True)


def test_nul_in_any_json_text_is_never_a_500(agent_page: tuple[FlaskClient, int, str], light_app: Guarded) -> None:  # noqa: F811
    """PostgreSQL refuses NUL in text and in JSONB: an agent's rejection reason with a "\\u0000" was a 500
    there (psycopg DataError). Every JSON post with one answers 400 naming the field, on both databases."""
    client, ticket_id, token = agent_page
    headers = {"X-CSRFToken": token, "Authorization": f"Bearer {light_app.token}"}
    nul = "a\x00b"
    posts = {
        f"/agent/tickets/{ticket_id}/shown": {"version": nul, "details": {"passages": [nul], "query": nul}},
        f"/agent/tickets/{ticket_id}/events": {"kind": "rejected", "reason": nul, "article": nul, "url": nul,
                                               "what": nul},
        f"/agent/tickets/{ticket_id}/presence": {"seen_message_id": 0, "replying": nul},
        "/en/search/settled": {"q": nul},
        "/api/v1/tickets": {**GOOD, "name": nul, "subject": nul, "external_id": nul},
    }
    for path, body in posts.items():
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 400 and response.is_json, (path, response.get_data(as_text=True))
        assert "NUL" in response.get_json()["error"]
