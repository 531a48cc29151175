"""A query typed with the wrong keyboard layout, through the real app: the page's notice and its "search instead"
link, the API's typed_query (its search and its answer card), search as you type, and what the search log records."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from urllib.parse import parse_qs, quote, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot.engine import Engine
from copilot.keyboard_layout import to_arabic, to_us
from desk.models import SearchEvent
from tests.webapp.test_help_site import rows
from webapp import create_app
from webapp.openapi import OPENAPI

TYPED = to_us("كلمة المرور")  # ";glm hglv,v": password, typed with the English layout on
MEANT = "كلمة المرور"
NOTICE = '<p class="layout-notice" role="status">'


def test_the_page_shows_results_for_the_reading_and_links_the_query_as_typed(app: Flask, client: FlaskClient) -> None:
    page = client.get("/ar/search", query_string={"q": TYPED}).get_data(as_text=True)
    # The notice (the search box carries its words for the as-you-type list on every page: the notice is what counts).
    assert f'{NOTICE}يتم عرض نتائج البحث عن <q><bdi>{MEANT}</bdi></q>' in page
    assert 'href="/ar/articles/reset-password' in page
    link = re.search(r'<a class="verbatim-link" href="([^"]+)"><q><bdi>([^<]+)</bdi></q></a>', page)
    assert link is not None and html.unescape(link.group(2)) == TYPED
    target = urlparse(html.unescape(link.group(1)))
    assert target.path == "/ar/search" and parse_qs(target.query) == {"q": [TYPED], "verbatim": ["1"]}
    # The link searches what was typed, as typed: no notice, the typed text is the query.
    verbatim = client.get(target.path, query_string=target.query).get_data(as_text=True)
    assert NOTICE not in verbatim and "verbatim-link" not in verbatim
    assert f"<bdi>{html.escape(TYPED)}</bdi>" in verbatim
    # The log: what was searched, and what was typed when that differs.
    assert [(e.query, e.typed_query, e.source) for e in rows(app, SearchEvent)] == [
        (MEANT, TYPED, "page"), (TYPED, None, "page"),
    ]


def test_a_query_typed_right_has_no_notice(client: FlaskClient) -> None:
    page = client.get("/en/search", query_string={"q": "reset my password"}).get_data(as_text=True)
    assert NOTICE not in page and "verbatim-link" not in page


def test_the_api_names_the_query_typed_and_verbatim_searches_it(client: FlaskClient) -> None:
    body = client.get("/api/v1/search", query_string={"q": TYPED, "lang": "ar"}).get_json()
    assert (body["query"], body["typed_query"]) == (MEANT, TYPED)
    assert body["results"][0]["id"] == "reset-password"
    plain = client.get("/api/v1/search", query_string={"q": TYPED, "lang": "ar", "verbatim": "1"}).get_json()
    assert (plain["query"], plain["typed_query"]) == (TYPED, None)
    refused = client.get("/api/v1/search", query_string={"q": TYPED, "verbatim": "yes"})
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("verbatim:")
    right = client.get("/api/v1/search", query_string={"q": "reset password", "lang": "en"}).get_json()
    assert right["typed_query"] is None
    schema = OPENAPI["paths"]["/api/v1/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["properties"]["typed_query"]["nullable"] is True
    assert "verbatim" in {p["name"] for p in OPENAPI["paths"]["/api/v1/search"]["get"]["parameters"]}


def test_the_answer_api_answers_the_reading_names_the_query_typed_and_verbatim_answers_it(client: FlaskClient) -> None:
    """/api/v1/answer reads the query as /api/v1/search does: the same `verbatim` and the same `typed_query`."""
    question = "how do I pay with Apple Pay?"
    typed = to_arabic(question)  # the Arabic layout on
    body = client.get("/api/v1/answer", query_string={"q": typed, "lang": "en"}).get_json()
    assert (body["reason"], body["typed_query"]) == ("answered", typed)
    assert (body["answer"]["article"], body["answer"]["anchor"]) == ("apple-pay", "pay-with-apple-pay")
    plain = client.get("/api/v1/answer", query_string={"q": typed, "lang": "en", "verbatim": "1"}).get_json()
    assert plain["typed_query"] is None and plain["answer"] is None
    right = client.get("/api/v1/answer", query_string={"q": question, "lang": "en"}).get_json()
    assert (right["reason"], right["typed_query"]) == ("answered", None)
    refused = client.get("/api/v1/answer", query_string={"q": question, "verbatim": "yes"})
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("verbatim:")
    answer, search = (OPENAPI["paths"][f"/api/v1/{name}"]["get"] for name in ("answer", "search"))
    schema = answer["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["properties"]["typed_query"] == (
        search["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["typed_query"])
    assert [p for p in answer["parameters"] if p["name"] == "verbatim"] == (
        [p for p in search["parameters"] if p["name"] == "verbatim"])


def test_search_as_you_type_reads_the_half_typed_query_and_the_settled_search_logs_both(
    app: Flask, client: FlaskClient
) -> None:
    half = to_arabic("reset passwo")  # "قثسثف حشسسصخ": English meant, the Arabic layout on, the last word half typed
    whole = client.get("/api/v1/search", query_string={"q": half, "lang": "en"}).get_json()
    assert whole["typed_query"] is None  # as a whole query "passwo" is no word: one of two words is no majority
    typed = client.get("/api/v1/search", query_string={"q": half, "lang": "en", "complete": "1"}).get_json()
    assert typed["typed_query"] == half and typed["completed_query"] == "reset password"
    assert typed["results"] and typed["results"][0]["id"] == "reset-password"
    assert rows(app, SearchEvent) == []  # keystrokes are not searches
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/en/").get_data(as_text=True)).group(1)
    settled = client.post("/en/search/settled", json={"q": half}, headers={"X-CSRFToken": token})
    assert isinstance(settled.get_json()["search_id"], str)
    assert [(e.query, e.typed_query, e.source) for e in rows(app, SearchEvent)] == [
        (typed["completed_query"], half, "instant"),
    ]


# Hostile queries for the reading and the search's parameters (session 27): any Unicode, long strings, combining
# marks, Arabic presentation forms, Tashkeel alone, joiners, bidi controls, and `verbatim`/`lang`/`complete` with odd
# values. A lone surrogate or invalid UTF-8 cannot be in a URL's decoded text (werkzeug decodes with U+FFFD), so they
# are sent raw, percent-escaped.
PIECES = st.sampled_from([
    TYPED, MEANT, "hgfhs,v]", "ثءحخقف", "b", "B", "ﻻ", "ﻷ", "\ufdf2", "\u064b\u064e\u0651", "\u0652" * 40, "\u200d",
    "\u200c", "\u0301" * 30, "\u202e", "\ufeff", "ـ", " ", "x1", "@", "%", "&", "#", "+", "?", "😀", "\U000e0041",
])
QUERIES = st.lists(PIECES | st.text(max_size=8), max_size=10).map("".join) | st.text(max_size=40) | st.sampled_from(
    ["hgfhs,v] " * 60, "b" * 3000, "b" * 3000 + "!", "ﻻ" * 1000, "\u064b" * 1500, ""])
ODD = st.sampled_from(["", "0", "1", "2", "yes", "true", "١", "1 ", " 1", "%00", "%ff", "%ed%a0%80", "1&verbatim=0",
                       "ar", "en", "EN", "xx", "x" * 200])
FIELD = re.compile(r"(q|lang|verbatim|limit|complete|src|category): ")


@pytest.fixture
def unlimited(indexed: Engine) -> tuple[Flask, FlaskClient, str]:
    """The real app over the indexed slice without rate limits (hypothesis sends more than any customer), and the
    CSRF token the search box's settled post carries."""
    app = create_app(replace(indexed.settings, rate_limits=False), engine=indexed)
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/en/").get_data(as_text=True))
    assert token is not None
    return app, client, token.group(1)


@settings(max_examples=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=QUERIES, verbatim=ODD, lang=ODD, complete=ODD)
def test_no_query_or_odd_parameter_is_a_5xx(unlimited: tuple[Flask, FlaskClient, str], query: str, verbatim: str,
                                             lang: str, complete: str) -> None:
    """The search API and answer card, the results page and the search box's settled post: a 200 or a 4xx naming the
    parameter (JSON on the API), never a 5xx; a query read with the other layout answers `typed_query`, the text as
    typed."""
    _, client, token = unlimited
    raw = "&".join([f"q={quote(query, safe='')}", f"verbatim={verbatim}", f"lang={lang}", f"complete={complete}"])
    for path in ("/api/v1/search", "/api/v1/answer"):
        response = client.get(path, query_string=raw)
        assert response.status_code in (200, 400, 414) and response.is_json, (path, raw, response.status_code)
        body = response.get_json()
        if response.status_code == 400:
            assert FIELD.match(body["error"]), (path, raw, body)
        elif response.status_code == 200:
            assert body["typed_query"] is None or isinstance(body["typed_query"], str), body
    for lang_path in ("en", "ar"):
        page = client.get(f"/{lang_path}/search", query_string=raw)
        assert page.status_code in (200, 400, 414), (lang_path, raw, page.status_code)
        assert "Traceback" not in page.get_data(as_text=True)
    settled = client.post("/ar/search/settled", json={"q": query}, headers={"X-CSRFToken": token})
    assert settled.status_code in (200, 400) and settled.is_json, (query, settled.status_code)
