"""The audience comes from who is asking: an agent session or an API token, else the public."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

INTERNAL = "refund-approval-limits"
QUERY = {"q": "refund approval limits for team leads", "lang": "en", "limit": 50}


def ids(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {hit["id"] for hit in response.get_json()["results"]}


def test_anonymous_and_bad_tokens_get_public_articles_only(client: FlaskClient) -> None:
    assert INTERNAL not in ids(client.get("/api/v1/search", query_string=QUERY))
    assert "Internal: agents only" not in client.get("/en/search", query_string=QUERY).get_data(as_text=True)
    forged = client.get("/api/v1/search", query_string=QUERY, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 200 and INTERNAL not in ids(forged)
    assert client.get(f"/en/articles/{INTERNAL}").status_code == 404


def test_an_api_token_is_the_agent_audience(app: Flask, client: FlaskClient) -> None:
    token = app.extensions["desk"].accounts.create_token("other help desk")
    answer = client.get("/api/v1/search", query_string=QUERY, headers={"Authorization": f"Bearer {token}"})
    assert INTERNAL in ids(answer)


def test_only_a_token_with_the_search_scope_is_the_agent_audience(app: Flask, client: FlaskClient) -> None:
    """A reporting tool's token (no `search`) searches and reads as the public; an expired one too (task scopes33)."""
    accounts = app.extensions["desk"].accounts
    for token in (accounts.create_token("bi", scopes=["metrics:read", "tickets:read"]),):
        headers = {"Authorization": f"Bearer {token}"}
        answer = client.get("/api/v1/search", query_string=QUERY, headers=headers)
        assert answer.status_code == 200 and INTERNAL not in ids(answer)
        assert client.get(f"/en/articles/{INTERNAL}", headers=headers).status_code == 404
    searcher = {"Authorization": f"Bearer {accounts.create_token('chatbot', scopes=['search'])}"}
    assert INTERNAL in ids(client.get("/api/v1/search", query_string=QUERY, headers=searcher))
    assert client.get(f"/en/articles/{INTERNAL}", headers=searcher).status_code == 200
    expired = accounts.create_token("old", scopes=["search"], expires_days=1)
    from sqlalchemy import update

    from desk.models import ApiToken, utcnow

    with app.extensions["desk"].db.session() as session:
        session.execute(update(ApiToken).where(ApiToken.name == "old").values(expires_at=utcnow()))
    late = client.get("/api/v1/search", query_string=QUERY, headers={"Authorization": f"Bearer {expired}"})
    assert late.status_code == 200 and INTERNAL not in ids(late)


def test_a_logged_in_agent_is_the_agent_audience(agent: FlaskClient) -> None:
    results = agent.get("/api/v1/search", query_string=QUERY).get_json()["results"]
    internal = [hit for hit in results if hit["id"] == INTERNAL]
    assert internal and internal[0]["internal"] is True and internal[0]["url"].startswith("/agent/articles/")
    assert agent.get(f"/en/articles/{INTERNAL}").status_code == 200
    page = agent.get("/en/search", query_string=QUERY).get_data(as_text=True)
    assert "Internal: agents only" in page  # the site labels what customers would not see
