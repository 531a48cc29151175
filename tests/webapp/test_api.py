"""End to end: real models, real qdrant-edge, the real Flask app."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from copilot.engine import Engine


def test_english_search_finds_the_article_at_its_section(client: FlaskClient) -> None:
    body = client.get("/api/v1/search", query_string={"q": "how long until my refund reaches my card"}).get_json()
    assert body["lang"] == "en" and body["mode"] == "hybrid"
    top = body["results"][0]
    assert top["id"] == "refund-timing" and top["lang"] == "en"
    assert top["url"].startswith("/en/articles/refund-timing")
    assert set(top) == {"id", "lang", "title", "section", "anchor", "snippet", "url", "score", "locale_fallback",
                        "internal"}
    assert top["internal"] is False
    assert isinstance(body["took_ms"], float)


def test_arabic_and_mixed_queries(client: FlaskClient) -> None:
    body = client.get("/api/v1/search", query_string={"q": "نسيت كلمة المرور"}).get_json()
    assert body["lang"] == "ar"
    assert body["results"][0]["id"] == "reset-password"
    assert all(r["lang"] == "ar" for r in body["results"] if not r["locale_fallback"])
    mixed = client.get("/api/v1/search", query_string={"q": "كيف اسوي reset للباسورد"}).get_json()
    assert mixed["lang"] == "ar" and mixed["results"][0]["id"] == "reset-password"


def test_missing_translation_falls_back_to_english_with_a_label(client: FlaskClient) -> None:
    body = client.get("/api/v1/search", query_string={"q": "كيف أستخدم بطاقة الهدايا من منزل"}).get_json()
    fallback = [r for r in body["results"] if r["locale_fallback"]]
    assert fallback and fallback[0]["id"] == "gift-cards" and fallback[0]["lang"] == "en"


@pytest.mark.parametrize(
    "query",
    [
        "refund approval limits",
        "Refund approval limits for agents and team leads",
        "team lead approval above 500 SAR finance queue",
        "حدود الموافقة على الاسترداد",
        "refund-approval-limits",
    ],
)
def test_internal_articles_never_reach_customers(client: FlaskClient, indexed: Engine, query: str) -> None:
    body = client.get("/api/v1/search", query_string={"q": query, "limit": 50}).get_json()
    assert body["results"], "the query should still find public articles"
    assert all(r["id"] != "refund-approval-limits" for r in body["results"])
    agent = indexed.retriever.search(query, limit=50, audience="agent")
    assert any(h.id == "refund-approval-limits" for h in agent.results)  # the article is indexed
    assert client.get("/en/articles/refund-approval-limits").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/answer"])
@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"q": ""}, "q", "empty"),
        ({"q": "   \t "}, "q", "empty"),
        ({"q": "abc\x00def"}, "q", "NUL"),
        ({"q": "refund", "limit": "lots"}, "limit", "whole number"),
        ({"q": "refund", "limit": "0"}, "limit", "whole number"),
        ({"q": "refund", "lang": "fr"}, "lang", "unknown language"),
    ],
)
def test_bad_queries_get_a_clear_400_naming_the_parameter(client: FlaskClient, path: str, params: dict[str, str],
                                                           field: str, fragment: str) -> None:
    """Like the ticket API's "subject: is empty": the error starts with the parameter to fix."""
    if path.endswith("/answer") and field == "limit":
        return  # the answer card takes no limit
    response = client.get(path, query_string=params)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.startswith(f"{field}: ") and fragment in error


def test_overlong_queries_are_cut_not_rejected(client: FlaskClient) -> None:
    response = client.get("/api/v1/search", query_string={"q": "refund to my card " * 100})
    body = response.get_json()
    assert response.status_code == 200 and body["truncated"] is True
    assert len(body["query"]) <= 512


def test_pages_render_with_language_and_direction(client: FlaskClient) -> None:
    page = client.get("/ar/search", query_string={"q": "رسوم التوصيل"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "delivery-fees" in page
    article = client.get("/ar/articles/delivery-fees")
    assert article.status_code == 200 and "Content-Security-Policy" in article.headers
    assert client.get("/", headers={"Accept-Language": "ar,en;q=0.5"}).headers["Location"].endswith("/ar/")


def test_the_server_adapter_serves_the_same_search(indexed: Engine, embedders) -> None:
    settings = replace(indexed.settings, qdrant_url="memory", collection="e2e")
    server = Engine(settings, embedders)
    try:
        report = server.index(show_progress=False)
        assert report.chunks_embedded == 0 and len(report.added) == 11
        top = server.retriever.search("how long until my refund reaches my card").results[0]
        assert top.id == "refund-timing"
        public = server.retriever.search("refund approval limits", limit=50).results
        assert all(h.id != "refund-approval-limits" for h in public)
    finally:
        server.close()
