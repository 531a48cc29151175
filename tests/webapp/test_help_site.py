"""The customers' help center end to end: real models, real qdrant-edge, real Flask app, SQLite."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from copilot import result_floor
from copilot.engine import Engine
from desk.models import ArticleFeedback, Deflection, SearchEvent
from tests.webapp.conftest import csrf
from webapp import create_app


def rows(app: Flask, model: type) -> list:
    """The rows of `model`, after the background analytics writer has written what was queued."""
    desk = app.extensions["desk"]
    assert desk.events.writer is None or desk.events.writer.flush()
    with desk.db.session() as session:
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
    link = re.search(r'href="(/ar/articles/reset-password\?s=([\w-]+)&amp;p=1[^"]*)"', page)
    assert link, page
    event = rows(app, SearchEvent)[0]
    assert (event.query, event.lang, event.abstained) == ("نسيت كلمة المرور", "ar", False) and event.result_count >= 1
    assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200
    clicked = rows(app, SearchEvent)[0]
    assert (clicked.clicked_article, clicked.clicked_position) == ("ar/reset-password", 1)


def test_search_page_shows_results_down_to_the_floor_and_the_rest_behind_more(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(result_floor, "RELATIVE_FLOOR", 0.999)
    html = client.get("/en/search", query_string={"q": "refund card payment"}).get_data(as_text=True)
    shown, more = html.split('class="more-results"')
    assert shown.count('class="result"') == 1 and more.count('class="result"') >= 1
    assert "more result" in more
    only = client.get("/en/search", query_string={"q": "refund card payment", "category": "payments"})
    assert "/en/articles/apple-pay" in only.get_data(as_text=True)
    assert "/en/articles/refund-timing" not in only.get_data(as_text=True)
    assert html.count('role="search"') == 1 and html.count("Still need help?") == 1  # one form, one offer


def test_results_have_plain_text_snippets_with_the_query_marked(client: FlaskClient) -> None:
    html = client.get("/en/search", query_string={"q": "refund fees"}).get_data(as_text=True)
    snippets = re.findall(r'<p class="snippet" dir="auto">(.*?)</p>', html, re.S)
    assert snippets and all("|" not in s and not re.search(r"(^|\s)(- |\d+\. )", s) for s in snippets)
    assert any("<mark>" in s for s in snippets)
    arabic = client.get("/ar/search", query_string={"q": "استرجع المبلغ"}).get_data(as_text=True)
    assert re.search(r"<mark>[^<]*(استرجا|استرد|المبلغ)", arabic), arabic


def test_category_pages_list_their_articles_with_counts_and_every_link_points_there(client: FlaskClient) -> None:
    page = client.get("/en/categories/returns")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Returns and refunds</h1>" in html
    assert "/en/articles/refund-timing" in html and "1 article" in html
    assert "Send an item back" in html  # the description from _categories.yml
    arabic = client.get("/ar/categories/returns").get_data(as_text=True)
    assert "الإرجاع والاسترداد" in arabic and "مقالة واحدة" in arabic
    assert client.get("/en/categories/agent-procedures").status_code == 404  # internal only
    assert client.get("/en/categories/nope").status_code == 404
    home = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/categories/returns"' in home and "search?category=" not in home
    article = client.get("/en/articles/refund-timing").get_data(as_text=True)
    assert 'href="/en/categories/returns"' in article and "search?category=" not in article
    old = client.get("/en/search?category=returns")
    assert old.status_code == 301 and old.headers["Location"].endswith("/en/categories/returns")


def test_articles_without_sections_have_no_contents_box_and_favicon_exists(client: FlaskClient) -> None:
    assert 'class="toc"' not in client.get("/en/articles/reset-password").get_data(as_text=True)
    icon = client.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and b"<svg" in icon.data


def test_no_vote_asks_what_was_missing_and_offers_contact_naming_the_article(app: Flask, client: FlaskClient) -> None:
    asked = client.get("/en/articles/refund-timing?helpful=no").get_data(as_text=True)
    assert "What was missing?" in asked and 'href="/en/contact?article=refund-timing"' in asked
    response = client.post("/en/articles/refund-timing/feedback",
                           data={"helpful": "no", "comment": "no wallet times", "csrf_token": csrf(asked)})
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your feedback." in after and 'href="/en/contact?article=refund-timing"' in after
    [vote] = rows(app, ArticleFeedback)
    assert (vote.helpful, vote.comment) == (False, "no wallet times")
    contact = client.get("/en/contact?article=refund-timing").get_data(as_text=True)
    assert "About “When will I get my refund?”" in contact and 'name="article" value="refund-timing"' in contact


def test_a_second_vote_from_the_same_visit_replaces_the_first(app: Flask, client: FlaskClient) -> None:
    """Back, then vote again (or a resend): one visitor's say on one article counts once, the latest."""
    url = "/en/articles/refund-timing/feedback"
    token = csrf(client.get("/en/articles/refund-timing").get_data(as_text=True))
    assert client.post(url, data={"helpful": "yes", "csrf_token": token}).status_code == 302
    assert client.post(url, data={"helpful": "yes", "csrf_token": token}).status_code == 302
    no = {"helpful": "no", "comment": "no wallet times", "csrf_token": token}
    assert client.post(url, data=no).status_code == 302
    [vote] = rows(app, ArticleFeedback)
    assert (vote.article_key, vote.helpful, vote.comment) == ("en/refund-timing", False, "no wallet times")
    other = app.test_client()  # another visitor's vote is their own
    other.post(url, data={"helpful": "yes", "csrf_token": csrf(other.get("/en/articles/refund-timing").get_data(
        as_text=True))})
    assert sorted(v.helpful for v in rows(app, ArticleFeedback)) == [False, True]


def test_an_empty_email_is_one_error_and_the_ticket_confirmation_shows_once(client: FlaskClient) -> None:
    form = client.get("/en/contact").get_data(as_text=True)
    data = {"name": "Sam", "email": "", "subject": "Late", "message": "Where is it?", "csrf_token": csrf(form)}
    html = client.post("/en/contact", data=data).get_data(as_text=True)
    assert html.count('class="field-error"') == 1 and "This field is required." in html
    created = client.post("/en/contact", data=data | {"email": "sam@example.com"})
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert page.count("We received your request.") == 1


def test_customer_ticket_page_isolates_text_and_dates_read_in_order(client: FlaskClient) -> None:
    form = client.get("/ar/contact").get_data(as_text=True)
    data = {"name": "ليلى", "email": "layla@example.com", "subject": "Order MZ-1234", "message": "وين طلبي؟",
            "csrf_token": csrf(form)}
    created = client.post("/ar/contact", data=data)
    html = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "<bdi>Order MZ-1234</bdi>" in html
    when = re.search(r'<time datetime="[^"]+"[^>]*><bdi>([^<]+)</bdi></time>', html)
    assert when and re.search(r"\d{1,2} [\u0600-\u06FF]+ \d{4}، \d{1,2}:\d{2} [صم]", when.group(1)), html
    assert "طلبك" in html and "مفتوح" in html


def test_only_settled_searches_are_recorded_and_typing_completes_the_last_word(app: Flask, client: FlaskClient) -> None:
    typed = client.get("/api/v1/search", query_string={"q": "refu", "lang": "en", "complete": "1"}).get_json()
    assert typed["completed_query"].startswith("refund") and typed["results"]
    assert typed["results"][0]["id"] == "refund-timing"
    arabic = client.get("/api/v1/search", query_string={"q": "نسي", "lang": "ar", "complete": "1"}).get_json()
    assert arabic["completed_query"].startswith("نسي") and len(arabic["completed_query"]) > 3
    assert rows(app, SearchEvent) == []  # keystrokes are not searches
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/en/").get_data(as_text=True)).group(1)
    settled = client.post("/en/search/settled", json={"q": "refu"}, headers={"X-CSRFToken": token})
    assert isinstance(settled.get_json()["search_id"], str)
    assert [(e.query, e.source) for e in rows(app, SearchEvent)] == [("refund", "instant")]
    assert client.post("/en/search/settled", json={"q": "refund"}).status_code == 400  # no CSRF token


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
    assert isinstance(body["search_id"], str) and body["search_id"]
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
