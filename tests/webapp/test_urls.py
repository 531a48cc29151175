"""The web layer builds every article link; search hands it keys and anchors only."""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Flask, url_for
from flask.testing import FlaskClient

from copilot.engine import Engine
from copilot.retrieval import SearchHit
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.conftest import csrf
from webapp import create_app
from webapp.urls import article_url, hit_url, public_link


def test_search_hits_carry_no_url() -> None:
    assert "url" not in {f for f in SearchHit.__dataclass_fields__}


def test_the_public_path_is_the_article_routes(app: Flask) -> None:
    with app.test_request_context():
        routed = url_for("help.article", lang="ar", article_id="reset-password", _anchor="steps")
    assert article_url(Settings(), "ar", "reset-password", "steps") == routed


def test_api_links_use_the_base_url_and_internal_hits_go_to_the_agents_view(indexed: Engine) -> None:
    settings = replace(indexed.settings, base_url="https://help.example/help")
    app = create_app(settings, engine=indexed)
    body = app.test_client().get("/api/v1/search", query_string={"q": "refund timing", "lang": "en"}).get_json()
    top = body["results"][0]
    assert top["url"].startswith("https://help.example/help/en/articles/refund-timing")
    hit = indexed.retriever.search("refund approval limits", lang="en", audience="agent").results[0]
    assert hit.internal
    with app.test_request_context():
        assert hit_url(hit).startswith("/agent/articles/en/refund-approval-limits")
        assert public_link(settings)(replace(hit, internal=False)) == hit_url(replace(hit, internal=False))


def test_search_page_links_articles_through_the_route_with_the_click_ids(client: FlaskClient) -> None:
    html = client.get("/en/search", query_string={"q": "refund timing"}).get_data(as_text=True)
    link = re.search(r'href="(/en/articles/refund-timing\?[^"]+)"', html)
    assert link is not None and "p=1" in link.group(1)


def test_an_inserted_draft_is_recorded_with_its_article_key(app: Flask, agent: FlaskClient) -> None:
    created = app.extensions["desk"].tickets.create(
        NewTicket(email="sam@example.com", name="Sam", subject="Refund timing",
                  body="How long does a refund take to reach my card?", lang="en")
    )
    html = agent.get(f"/agent/tickets/{created.id}").get_data(as_text=True)
    article = re.search(r'id="insert-draft"[^>]*data-article="([^"]*)"', html)
    assert article is not None and article.group(1) == "en/refund-timing"
    sent = agent.post(f"/agent/tickets/{created.id}/events", headers={"X-CSRFToken": csrf(html)},
                      json={"kind": "inserted", "what": "draft", "article": article.group(1)})
    assert sent.status_code == 200
    events = app.extensions["desk"].events.suggestion_events(created.id)
    assert [e.article_key for e in events if e.kind == "inserted"] == ["en/refund-timing"]
