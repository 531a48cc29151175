"""Issue #12 item 11: the results page, /api/v1/suggest and /api/v1/tickets are rate limited per
token and per IP, and attempts with bad tokens count (guessing tokens is slow work)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.webapp.light_app import Guarded, light_app, light_settings  # noqa: F401
from webapp.security import API_BAD_TOKEN_LIMIT, API_SUGGEST_TOKEN_LIMIT, API_TOKEN_LIMIT, SEARCH_PAGE_LIMIT


def allowed(limit: str) -> int:
    return int(limit.split()[0])


def client_at(guarded: Guarded, ip: str) -> FlaskClient:
    client = guarded.app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_the_results_page_is_limited_per_ip(light_app: Guarded) -> None:  # noqa: F811
    client = client_at(light_app, "192.0.2.1")
    statuses = [client.get("/en/search").status_code for _ in range(allowed(SEARCH_PAGE_LIMIT) + 1)]
    assert statuses[:-1] == [200] * allowed(SEARCH_PAGE_LIMIT) and statuses[-1] == 429
    assert client_at(light_app, "192.0.2.2").get("/en/search").status_code == 200


def test_bad_tokens_are_limited_per_ip_and_answered_in_json(light_app: Guarded) -> None:  # noqa: F811
    client = client_at(light_app, "192.0.2.3")
    for path in ("/api/v1/tickets", "/api/v1/suggest"):
        statuses = [
            client.post(path, json={}, headers={"Authorization": f"Bearer kb_guess{i}"}).status_code
            for i in range(allowed(API_BAD_TOKEN_LIMIT) + 1)
        ]
        assert statuses == [401] * allowed(API_BAD_TOKEN_LIMIT) + [429]
    limited = client.post("/api/v1/tickets", json={}, headers={"Authorization": f"Bearer {light_app.revoked}"})
    assert limited.status_code == 429 and limited.is_json and limited.headers["Retry-After"]
    # The valid token from another address is not affected.
    other = client_at(light_app, "192.0.2.4").post("/api/v1/tickets", json={},
                                                     headers={"Authorization": f"Bearer {light_app.token}"})
    assert other.status_code == 400


def test_each_token_has_its_own_budget_wherever_it_comes_from(light_app: Guarded) -> None:  # noqa: F811
    headers = {"Authorization": f"Bearer {light_app.token}"}
    statuses = [
        client_at(light_app, f"198.51.100.{i % 200}").post("/api/v1/tickets", json={"subject": 5}, headers=headers)
        .status_code for i in range(allowed(API_TOKEN_LIMIT) + 1)
    ]
    assert statuses == [400] * allowed(API_TOKEN_LIMIT) + [429]
    suggest = [
        client_at(light_app, f"203.0.113.{i}").post("/api/v1/suggest", json={"subject": 5}, headers=headers)
        .status_code for i in range(allowed(API_SUGGEST_TOKEN_LIMIT) + 1)
    ]
    assert suggest == [400] * allowed(API_SUGGEST_TOKEN_LIMIT) + [429]
    other = light_app.app.extensions["desk"].accounts.create_token("second partner")
    fresh = client_at(light_app, "198.51.100.1").post("/api/v1/tickets", json={"subject": 5},
                                                       headers={"Authorization": f"Bearer {other}"})
    assert fresh.status_code == 400
