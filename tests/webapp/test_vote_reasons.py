"""A customer's "no" on an answer card or an article takes a reason (what went wrong) and a short comment,
both optional, through the real app: inline (JSON, what answer.js does) and as plain form posts; the
follow-up replaces the visit's bare "no"; markup is dropped; a GET writes nothing; both languages; the
content report counts the reasons per article."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from desk.models import AnswerFeedback, ArticleFeedback
from tests.webapp.conftest import csrf, login
from tests.webapp.test_help_site import rows

QUESTION = "how do I pay with Apple Pay?"
CARD = {"article": "en/apple-pay", "anchor": "pay-with-apple-pay", "query": QUESTION, "generated_by": "extractive",
        "source": "search"}
JSON = {"Accept": "application/json"}


def test_an_answer_cards_no_asks_what_went_wrong_inline_and_the_answer_replaces_the_vote(
    app: Flask, client: FlaskClient
) -> None:
    token = csrf(client.get("/en/search", query_string={"q": QUESTION}).get_data(as_text=True))
    no = client.post("/en/answer/feedback", data={**CARD, "helpful": "no", "csrf_token": token}, headers=JSON)
    followup = no.get_json()["followup"]
    assert followup["question"] == "What went wrong?" and followup["limit"] == 500
    assert [key for key, _label in followup["reasons"]] == ["unanswered", "unclear", "outdated", "other"]
    assert [(v.helpful, v.reason, v.comment) for v in rows(app, AnswerFeedback)] == [(False, None, None)]
    told = client.post("/en/answer/feedback", headers=JSON, data={
        **CARD, "helpful": "no", "followup": "1", "reason": "outdated", "csrf_token": token,
        "comment": "  The <b>fee</b> changed <script>alert(1)</script>last month  "})
    assert told.status_code == 200 and told.get_json()["followup"] is None
    [vote] = rows(app, AnswerFeedback)  # the follow-up replaced the bare "no": one vote, the latest
    assert (vote.helpful, vote.reason, vote.comment) == (False, "outdated", "The fee changed last month")
    # Sent with no choice ticked: still the follow-up (no second question), the reason stays unknown.
    client.post("/en/answer/feedback", headers=JSON, data={**CARD, "helpful": "no", "followup": "1",
                                                           "csrf_token": token})
    assert [(v.reason, v.comment) for v in rows(app, AnswerFeedback)] == [(None, None)]
    # A later "yes" drops what went wrong: nothing did.
    client.post("/en/answer/feedback", data={**CARD, "helpful": "yes", "reason": "other", "csrf_token": token})
    assert [(v.helpful, v.reason) for v in rows(app, AnswerFeedback)] == [(True, None)]


def test_without_javascript_the_card_asks_on_the_page_it_returns_to(app: Flask, client: FlaskClient) -> None:
    token = csrf(client.get("/en/search", query_string={"q": QUESTION}).get_data(as_text=True))
    no = client.post("/en/answer/feedback", data={**CARD, "helpful": "no", "csrf_token": token})
    assert no.status_code == 302 and no.headers["Location"].endswith(
        "/en/search?q=how+do+I+pay+with+Apple+Pay?&answer_vote=no#answer")
    before = len(rows(app, AnswerFeedback))
    page = client.get(no.headers["Location"]).get_data(as_text=True)
    assert len(rows(app, AnswerFeedback)) == before  # the page asking writes nothing
    card = re.search(r'<section class="answer-card".*?</section>', page, re.S).group(0)  # type: ignore[union-attr]
    assert 'class="answer-reason"' in card and 'class="answer-vote"' not in card
    assert 'name="reason" value="unclear"' in card and "It is hard to understand" in card
    assert 'maxlength="500"' in card and 'name="followup" value="1"' in card
    sent = client.post("/en/answer/feedback", data={**CARD, "helpful": "no", "followup": "1", "reason": "unclear",
                                                    "comment": "too many steps", "csrf_token": csrf(card)})
    assert sent.status_code == 302 and "answer_vote" not in sent.headers["Location"]
    assert [(v.reason, v.comment) for v in rows(app, AnswerFeedback)] == [("unclear", "too many steps")]
    arabic = client.get("/ar/search", query_string={"q": "كيف أدفع عبر Apple Pay؟", "answer_vote": "no"})
    assert "ما المشكلة؟" in arabic.get_data(as_text=True)


def test_a_bad_reason_or_a_long_comment_is_refused_and_nothing_changes(app: Flask, client: FlaskClient) -> None:
    token = csrf(client.get("/en/search", query_string={"q": QUESTION}).get_data(as_text=True))
    client.post("/en/answer/feedback", data={**CARD, "helpful": "no", "csrf_token": token}, headers=JSON)
    for bad in ({"reason": "spam"}, {"comment": "x" * 501}):
        refused = client.post("/en/answer/feedback", headers=JSON,
                              data={**CARD, "helpful": "no", "followup": "1", "csrf_token": token, **bad})
        assert refused.status_code == 400
    assert [(v.reason, v.comment) for v in rows(app, AnswerFeedback)] == [(None, None)]


def test_an_articles_no_takes_a_reason_inline_or_on_its_own_page(app: Flask, client: FlaskClient) -> None:
    article = client.get("/en/articles/refund-timing").get_data(as_text=True)
    assert '<div id="feedback-followup" hidden>' in article and "article.js" in article  # shown in place by JS
    asked = client.get("/en/articles/refund-timing?helpful=no").get_data(as_text=True)
    assert "What went wrong?" in asked and 'name="reason" value="outdated"' in asked
    url = "/en/articles/refund-timing/feedback"
    refused = client.post(url, data={"helpful": "no", "reason": "spam", "csrf_token": csrf(asked)})
    after = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Please choose one of the reasons offered." in after and rows(app, ArticleFeedback) == []
    client.post(url, data={"helpful": "no", "reason": "unanswered", "comment": "<i>no</i> wallet times",
                           "csrf_token": csrf(asked)})
    [vote] = rows(app, ArticleFeedback)
    assert (vote.helpful, vote.reason, vote.comment) == (False, "unanswered", "no wallet times")
    arabic = app.test_client().get("/ar/articles/refund-timing?helpful=no").get_data(as_text=True)
    assert "ما المشكلة؟" in arabic and "معلوماته قديمة" in arabic


def test_the_content_report_counts_reasons_per_article(app: Flask) -> None:
    events = app.extensions["desk"].events
    for visit, reason in (("v1", "outdated"), ("v2", "outdated"), ("v3", "unclear")):
        events.feedback("en/apple-pay", False, f"comment {visit}", visit, reason=reason)
    events.answer_feedback("en/apple-pay", "pay-with-apple-pay", QUESTION, "en", False, "v4", reason="unanswered",
                           comment="card comment")
    assert events.writer is None or events.writer.flush()
    lead = app.test_client()
    assert login(lead, "admin@example.com").status_code == 302
    html = lead.get("/agent/reports/unhelpful").get_data(as_text=True)
    section = html.split('id="report-unhelpful"')[1].split("</section>")[0]
    assert "It is out of date: 2; It did not answer my question: 1; It is hard to understand: 1" in section
    assert "card comment; comment v3; comment v2" in section and "Answer card: not helpful" in section
    csv = lead.get("/agent/reports/unhelpful.csv").get_data(as_text=True)
    assert "outdated: 2; unanswered: 1; unclear: 1" in csv
    arabic = lead.get("/agent/reports/unhelpful", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "معلوماته قديمة: 2" in arabic


def test_the_dashboard_lists_what_went_wrong_per_article(app: Flask) -> None:
    events = app.extensions["desk"].events
    events.feedback("en/apple-pay", True, None, "v0")
    for visit, reason in (("v1", "outdated"), ("v2", "outdated"), ("v3", "unclear"), ("v4", None)):
        events.feedback("en/apple-pay", False, f"comment {visit}", visit, reason=reason)
    assert events.writer is None or events.writer.flush()
    lead = app.test_client()
    assert login(lead, "admin@example.com").status_code == 302
    csv = lead.get("/agent/dashboard/articles.csv").get_data(as_text=True)
    assert ("en/apple-pay,1,5,0.2,It is out of date: 2; It is hard to understand: 1,"
            "comment v4; comment v3; comment v2") in csv
    arabic = lead.get("/agent/dashboard/articles.csv?hl=ar").get_data(as_text=True)
    assert "معلوماته قديمة: 2; صعب الفهم: 1" in arabic
