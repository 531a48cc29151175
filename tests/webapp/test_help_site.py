"""The customers' help center end to end: real models, real qdrant-edge, real Flask app, SQLite."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from copilot.engine import Engine
from desk.models import ArticleFeedback, Deflection, SearchEvent
from tests.webapp.conftest import csrf
from webapp import create_app, help


def rows(app: Flask, model: type) -> list:
    with app.extensions["desk"].db.session() as session:
        return list(session.scalars(select(model)))


def test_home_per_language_sets_lang_and_direction(client: FlaskClient) -> None:
    assert client.get("/", headers={"Accept-Language": "ar,en;q=0.5"}).headers["Location"].endswith("/ar/")
    arabic = client.get("/ar/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "إعادة تعيين كلمة المرور" in arabic
    english = client.get("/en/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "When will I get my refund?" in english
    assert client.get("/fr/").status_code == 404
    assert "default-src 'self'" in client.get("/en/").headers["Content-Security-Policy"]


def test_search_page_records_the_search_and_the_clicked_result(app: Flask, client: FlaskClient) -> None:
    page = client.get("/ar/search", query_string={"q": "نسيت كلمة المرور"}).get_data(as_text=True)
    link = re.search(r'href="(/ar/articles/reset-password\?s=(\d+)&amp;p=1[^"]*)"', page)
    assert link, page
    event = rows(app, SearchEvent)[0]
    assert (event.query, event.lang, event.abstained) == ("نسيت كلمة المرور", "ar", False) and event.result_count >= 1
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200
    clicked = rows(app, SearchEvent)[0]
    assert (clicked.clicked_article, clicked.clicked_position) == ("ar/reset-password", 1)


def test_search_page_filters_by_category_and_pages(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(help, "PAGE_SIZE", 1)
    first = client.get("/en/search", query_string={"q": "refund card payment"}).get_data(as_text=True)
    assert 'rel="next"' in first and "Page 1 of" in first
    second = client.get("/en/search", query_string={"q": "refund card payment", "page": 2}).get_data(as_text=True)
    assert "Page 2 of" in second and 'rel="prev"' in second
    only = client.get("/en/search", query_string={"q": "refund card payment", "category": "payments"})
    assert "/en/articles/apple-pay" in only.get_data(as_text=True)
    assert "/en/articles/refund-timing" not in only.get_data(as_text=True)


def test_abstaining_search_says_so_and_offers_contact_with_the_query(client: FlaskClient) -> None:
    page = client.get("/en/search", query_string={"q": "what is the airspeed of an unladen swallow"})
    html = page.get_data(as_text=True)
    assert "No article matches your search." in html
    assert 'href="/en/contact?q=what+is+the+airspeed' in html


def test_article_page_has_contents_translation_related_and_hides_internal(client: FlaskClient) -> None:
    html = client.get("/en/articles/refund-timing").get_data(as_text=True)
    assert 'class="toc"' in html and 'href="/ar/articles/refund-timing"' in html
    assert 'class="related"' in html
    assert client.get("/en/articles/refund-approval-limits").status_code == 404
    assert client.get("/ar/articles/refund-approval-limits").status_code == 404


def test_helpful_vote_needs_the_csrf_token_and_is_stored(app: Flask, client: FlaskClient) -> None:
    html = client.get("/ar/articles/refund-timing").get_data(as_text=True)
    url = "/ar/articles/refund-timing/feedback"
    assert client.post(url, data={"helpful": "no"}).status_code == 400
    response = client.post(url, data={"helpful": "no", "comment": "لم أجد المدة", "csrf_token": csrf(html)})
    assert response.status_code == 302
    assert "شكرًا على ملاحظاتك" in client.get(response.headers["Location"]).get_data(as_text=True)
    [vote] = rows(app, ArticleFeedback)
    assert (vote.article_key, vote.helpful, vote.comment) == ("ar/refund-timing", False, "لم أجد المدة")


def test_contact_form_prefills_the_search_and_creates_a_ticket_with_the_visit(app: Flask, client: FlaskClient) -> None:
    client.get("/ar/search", query_string={"q": "متى يرجع المبلغ"})
    client.get("/ar/articles/refund-timing")
    form = client.get("/ar/contact").get_data(as_text=True)
    assert 'value="متى يرجع المبلغ"' in form
    data = {"name": "ليلى", "email": "layla@example.com", "subject": "المبلغ ما رجع", "message": "مر أسبوعان",
            "csrf_token": csrf(form)}
    bad = client.post("/ar/contact", data=data | {"email": "layla", "message": "x" * 5001})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "يرجى إدخال بريد إلكتروني صحيح" in html and "5000" in html
    created = client.post("/ar/contact", data=data)
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    reference = created.headers["Location"].rsplit("/", 1)[1]
    assert reference in page and "مر أسبوعان" in page
    ticket = app.extensions["desk"].tickets.by_reference(reference)
    assert ticket.channel == "web" and ticket.lang == "ar"
    assert [s["q"] for s in ticket.context["searches"]] == ["متى يرجع المبلغ"]
    assert [v["key"] for v in ticket.context["viewed"]] == ["ar/refund-timing"]
    assert client.get("/ar/tickets/not-my-ticket").status_code == 404


def test_contact_form_is_rate_limited(client: FlaskClient) -> None:
    token = csrf(client.get("/en/contact").get_data(as_text=True))
    statuses = [client.post("/en/contact", data={"csrf_token": token}).status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429


def test_opening_an_article_from_the_contact_form_is_a_deflection(app: Flask, client: FlaskClient) -> None:
    client.get("/en/articles/reset-password?from=contact")
    [row] = rows(app, Deflection)
    assert row.article_key == "en/reset-password"


def test_instant_search_through_the_api_is_recorded_with_an_id(app: Flask, client: FlaskClient) -> None:
    body = client.get("/api/v1/search", query_string={"q": "apple pay", "src": "instant"}).get_json()
    assert isinstance(body["search_id"], int)
    assert "search_id" not in client.get("/api/v1/search", query_string={"q": "apple pay"}).get_json()
    assert [e.source for e in rows(app, SearchEvent)] == ["instant"]


def test_a_stale_translation_shows_a_notice_linking_the_current_source(indexed: Engine) -> None:
    source = indexed.settings.content_dir / "en" / "returns" / "refund-timing.md"
    source.write_text(source.read_text("utf-8") + "\n## New section\n\nRefunds to wallets now take one day.\n", "utf-8")
    client = create_app(engine=indexed).test_client()
    stale = client.get("/ar/articles/refund-timing").get_data(as_text=True)
    assert 'class="notice stale"' in stale and 'href="/en/articles/refund-timing"' in stale
    assert 'class="notice stale"' not in client.get("/ar/articles/reset-password").get_data(as_text=True)
    assert 'class="notice stale"' not in client.get("/en/articles/refund-timing").get_data(as_text=True)
