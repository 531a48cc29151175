"""The help widget (webapp/widget.py) over HTTP: off by default (404), framable only by KB_WIDGET_ORIGINS and only on
its own pages, its posts refused without its signed token, no session cookie read or written, internal articles
never shown (even to a logged-in agent's browser), and its writes (votes, searches, tickets) on both engines."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from copilot.engine import Engine
from desk.models import ArticleFeedback, ArticleView, SearchEvent, Ticket
from kb.settings import Settings, SettingsError, widget_origins
from tests.webapp.conftest import PASSWORD, login
from webapp import create_app

SHOP = "http://shop.example"
INTERNAL = "refund-approval-limits"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def widget_app(indexed: Engine) -> Flask:
    app = create_app(settings=replace(indexed.settings, widget_origins=(SHOP, "https://docs.example:8443/")),
                     engine=indexed)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


@pytest.fixture
def widget(widget_app: Flask) -> FlaskClient:
    return widget_app.test_client()


def form_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1) or found.group(2)


def frame_ancestors(response) -> str:  # type: ignore[no-untyped-def]
    policy = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("frame-ancestors"))


def written(app: Flask) -> None:
    assert app.extensions["desk"].events.writer.flush(30)


def test_the_widget_is_off_by_default_and_the_site_is_never_framable(client: FlaskClient) -> None:
    assert client.get("/widget.js").status_code == 404
    assert client.get("/en/widget").status_code == 404
    assert client.get("/en/widget/contact").status_code == 404
    for lang, said in (("en", "The help panel is not available"), ("ar", "لوحة المساعدة غير متاحة")):
        off = client.get(f"/{lang}/widget").get_data(as_text=True)  # a customer's link to the panel, off
        assert said in off and 'id="widget-off"' in off and f'href="/{lang}/"' in off
        assert "KB_" not in off and "WIDGET_ORIGINS" not in off  # a customer never reads a setting's name
    for path in ("/en/", "/en/widget", "/en/articles/refund-timing"):
        assert frame_ancestors(client.get(path)) == "frame-ancestors 'none'"


def test_only_the_widget_pages_may_be_framed_by_the_configured_origins(widget: FlaskClient) -> None:
    for path in ("/en/widget", "/ar/widget", "/en/widget/search?q=refund", "/en/widget/articles/refund-timing",
                 "/en/widget/contact", "/en/widget/articles/no-such-article"):
        response = widget.get(path)
        assert frame_ancestors(response) == f"frame-ancestors {SHOP} https://docs.example:8443", path
    missing = widget.get("/en/widget/articles/no-such-article")
    assert missing.status_code == 404 and 'href="/en/widget?v=' in missing.get_data(as_text=True)  # in the frame
    for path in ("/en/", "/en/search?q=refund", "/en/articles/refund-timing", "/en/contact", "/agent/login"):
        assert frame_ancestors(widget.get(path)) == "frame-ancestors 'none'", path


def test_widget_js_is_self_contained_and_cached_with_an_etag(widget: FlaskClient) -> None:
    script = widget.get("/widget.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    body = script.get_data(as_text=True)
    assert "aria-expanded" in body and "aria-controls" in body and '"مساعدة"' in body
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body  # no outside request
    assert script.cache_control.max_age >= 3600 and script.headers["ETag"]
    again = widget.get("/widget.js", headers={"If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304


def test_origins_are_checked_at_start_naming_the_bad_one(indexed: Engine) -> None:
    assert widget_origins("https://Shop.example/, http://localhost:8000") == (
        "https://shop.example", "http://localhost:8000")
    assert widget_origins("*") == ("*",)
    assert widget_origins("") == ()
    for bad in ("shop.example", "https://shop.example/help", "https://*.example", "ftp://x.example", "*,https://a.b"):
        with pytest.raises(SettingsError, match="KB_WIDGET_ORIGINS"):
            Settings.from_env({"KB_WIDGET_ORIGINS": bad})
    anyone = create_app(settings=replace(indexed.settings, widget_origins=("*",)), engine=indexed).test_client()
    assert frame_ancestors(anyone.get("/en/widget")) == "frame-ancestors *"  # any site (the README says: risky)
    assert frame_ancestors(anyone.get("/en/")) == "frame-ancestors 'none'"
    with pytest.raises(SettingsError, match=re.escape("'https://shop.example/help'")):
        create_app(settings=replace(indexed.settings, widget_origins=("https://shop.example/help",)), engine=indexed)


def test_the_widget_never_sets_or_reads_the_session_cookie(widget: FlaskClient) -> None:
    for path in ("/en/widget", "/en/widget/search?q=refund", "/en/widget/articles/refund-timing",
                 "/en/widget/contact?q=refund"):
        response = widget.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
    page = widget.get("/en/widget/search?q=refund").get_data(as_text=True)
    # Its links stay in the frame, carrying the visit's token.
    assert re.search(r'href="/en/widget/articles/[\w/-]+\?[^"]*v=[\w.-]+', page)
    assert 'href="/en/articles/' not in page


def test_posts_without_the_widget_token_are_refused(widget_app: Flask, widget: FlaskClient) -> None:
    contact = {"name": "Sam", "email": "sam@example.com", "subject": "Refund", "message": "Where is my refund?"}
    refused = widget.post("/en/widget/contact", data=contact)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'data-reason="csrf"' in page
    assert "Where is my refund?" in page and form_token(page)  # the text kept, a fresh token to send it with
    forged = widget.post("/en/widget/contact", data={**contact, "csrf_token": "not.a.token"})
    assert forged.status_code == 400
    vote = widget.post("/en/widget/articles/refund-timing/feedback", data={"helpful": "yes"})
    assert vote.status_code == 400
    settled = widget.post("/en/widget/search/settled", json={"q": "refund"})
    assert settled.status_code == 400 and "csrf_token" in settled.get_json()["error"]
    # A token the site's own session form holds is no widget token either.
    site = widget.get("/en/contact").get_data(as_text=True)
    assert widget.post("/en/widget/contact", data={**contact, "csrf_token": form_token(site)}).status_code == 400
    with widget_app.extensions["desk"].db.session() as session:
        assert session.scalars(select(Ticket)).first() is None


def test_internal_articles_never_appear_even_to_an_agents_browser(widget: FlaskClient) -> None:
    assert login(widget, "agent@example.com").status_code == 302
    assert widget.get(f"/en/articles/{INTERNAL}").status_code == 200  # the agent reads it on the site...
    assert widget.get(f"/en/widget/articles/{INTERNAL}").status_code == 404  # ...never in the widget
    query = {"q": "refund approval limits for team leads", "lang": "en", "limit": 50}
    hits = widget.get("/en/widget/instant", query_string=query).get_json()["results"]
    assert hits and INTERNAL not in {hit["id"] for hit in hits}
    assert all(hit["url"].startswith("/en/widget/articles/") for hit in hits)
    page = widget.get("/en/widget/search", query_string={"q": query["q"]}).get_data(as_text=True)
    assert INTERNAL not in page and "Internal: agents only" not in page


def test_votes_searches_and_a_ticket_are_recorded_as_the_widgets(widget_app: Flask, widget: FlaskClient) -> None:
    page = widget.get("/en/widget/articles/refund-timing").get_data(as_text=True)
    token = form_token(page)
    voted = widget.post(f"/en/widget/articles/refund-timing/feedback?v={token}",
                        data={"helpful": "yes", "csrf_token": token})
    assert voted.status_code == 200 and "Thank you for your feedback." in voted.get_data(as_text=True)
    assert "Set-Cookie" not in voted.headers
    settled = widget.post("/en/widget/search/settled", json={"q": "refund"}, headers={"X-CSRFToken": token})
    assert settled.status_code == 200 and settled.get_json()["search_id"]
    widget.get("/en/widget/search", query_string={"q": "how long does a refund take", "v": token})
    contact = widget.get("/en/widget/contact", query_string={"q": "refund still missing", "v": token})
    html = contact.get_data(as_text=True)
    assert 'value="refund still missing"' in html  # the subject, pre-filled with the last search
    submission = re.search(r'name="submission" type="hidden" value="([\w-]+)"', html)
    assert submission
    fields = {"name": "Sam", "email": "sam@example.com", "subject": "refund still missing",
              "message": "My refund has not arrived.", "search": "refund still missing",
              "submission": submission.group(1), "csrf_token": form_token(html)}
    sent = widget.post("/en/widget/contact", data=fields)
    body = sent.get_data(as_text=True)
    assert sent.status_code == 200, body
    reference = re.search(r'<bdi class="reference">([^<]+)</bdi>', body)
    assert reference and 'target="_blank"' in body
    again = widget.post("/en/widget/contact", data=fields)  # the same page sent twice: one ticket
    assert reference.group(1) in again.get_data(as_text=True)
    written(widget_app)
    with widget_app.extensions["desk"].db.session() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 1 and tickets[0].reference == reference.group(1)
        visit = tickets[0].visit_id
        assert visit and tickets[0].context["via"] == "widget"
        assert tickets[0].context["searches"][0]["q"] == "refund still missing"
        votes = session.scalars(select(ArticleFeedback)).all()
        assert [(v.article_key, v.helpful, v.visit_id) for v in votes] == [("en/refund-timing", True, visit)]
        views = session.scalars(select(ArticleView)).all()
        assert [(v.article_key, v.visit_id) for v in views] == [("en/refund-timing", visit)]
        searches = session.scalars(select(SearchEvent).order_by(SearchEvent.id)).all()
        assert [(s.query, s.source, s.visit_id) for s in searches] == [
            ("refund", "widget", visit), ("how long does a refund take", "widget", visit)]


def test_the_admin_page_shows_the_snippet(widget_app: Flask) -> None:
    admin = widget_app.test_client()
    widget_app.extensions["desk"].accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    assert login(admin, "admin@example.com").status_code == 302
    page = admin.get("/agent/admin").get_data(as_text=True)
    assert '&lt;script src=&#34;http://localhost/widget.js&#34; data-lang=&#34;ar&#34; async&gt;' in page


def test_data_category_opens_the_panel_on_that_topic(widget: FlaskClient) -> None:
    page = widget.get("/en/widget", query_string={"category": "returns"}).get_data(as_text=True)
    assert re.search(r'<h1 id="topic-title"><bdi>[^<]+</bdi></h1>', page)
    assert re.search(r'href="/en/widget/articles/refund-timing\?v=', page)
    assert widget.get("/en/widget", query_string={"category": "no-such-topic"}).status_code == 200  # the topics


def test_an_answer_cards_vote_in_the_widget(widget_app: Flask, widget: FlaskClient) -> None:
    from desk.models import AnswerFeedback

    token = form_token(widget.get("/en/widget/contact").get_data(as_text=True))
    vote = {"helpful": "no", "article": "en/refund-timing", "anchor": "", "query": "when is my refund",
            "generated_by": "extractive", "source": "search", "csrf_token": token}
    answer = widget.post("/en/widget/answer/feedback", data=vote, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["followup"]["reasons"] and body["contact"].startswith("/en/widget/contact?")
    written(widget_app)
    with widget_app.extensions["desk"].db.session() as session:
        votes = session.scalars(select(AnswerFeedback)).all()
        assert [(v.article_key, v.helpful, v.source) for v in votes] == [("en/refund-timing", False, "widget")]


def test_the_widget_contact_form_takes_a_screenshot_past_1_mib(widget_app: Flask, widget: FlaskClient) -> None:
    """As the site's contact form (webapp.attachments.CUSTOMER_FORMS): a post with files is read up to the desk's
    limits for customers, not refused whole at the app's 1 MiB (413, the text lost)."""
    import io

    html = widget.get("/en/widget/contact").get_data(as_text=True)
    submission = re.search(r'name="submission" type="hidden" value="([\w-]+)"', html)
    assert submission
    screenshot = b"\x89PNG\r\n\x1a\n" + b"screenshot" * 130_000  # 1.3 MB
    sent = widget.post("/en/widget/contact", content_type="multipart/form-data", data={
        "name": "Sam", "email": "sam@example.com", "subject": "Broken", "message": "See the screenshot.",
        "submission": submission.group(1), "csrf_token": form_token(html),
        "files": (io.BytesIO(screenshot), "screenshot.png")})
    assert sent.status_code == 200, sent.status_code
    reference = re.search(r'<bdi class="reference">([^<]+)</bdi>', sent.get_data(as_text=True))
    assert reference
    ticket = widget_app.extensions["desk"].tickets.by_reference(reference.group(1))
    assert ticket is not None
