"""A Qdrant outage seen from the web: a named 503 that says to retry, never a bare 500."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from flask import Flask

from indexer.stores.base import StoreQuery


@pytest.fixture
def outage(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    def refuse(queries: Sequence[StoreQuery]) -> list:
        raise ConnectionError("qdrant: connection refused")

    monkeypatch.setattr(app.extensions["engine"].store, "query", refuse)
    return app


def test_the_api_answers_a_json_503_with_the_reason(outage: Flask) -> None:
    response = outage.test_client().get("/api/v1/search", query_string={"q": "refund"})
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    body = response.get_json()
    assert body["reason"] == "index_unavailable" and "unavailable" in body["error"]


@pytest.mark.parametrize(("lang", "title"), [("en", "Search is briefly unavailable"), ("ar", "البحث غير متاح مؤقتًا")])
def test_the_search_page_says_so_in_the_customers_language(outage: Flask, lang: str, title: str) -> None:
    response = outage.test_client().get(f"/{lang}/search", query_string={"q": "refund"})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert title in html and f'lang="{lang}"' in html
