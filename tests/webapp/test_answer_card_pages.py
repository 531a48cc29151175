"""The answer card on the help center, the contact form and GET /api/v1/answer, and its vote:
the real app over the indexed slice (real models, qdrant-edge, SQLite)."""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient

from copilot.engine import Engine
from copilot.model_drafters import build_drafter
from desk.models import AnswerFeedback, SearchEvent
from desk.tickets import NewTicket
from tests.copilot.test_model_drafters import Stub, stub  # noqa: F401
from tests.webapp.conftest import csrf, login
from tests.webapp.test_help_site import rows
from webapp import create_app

QUESTION = "how do I pay with Apple Pay?"


def card_html(page: str) -> str:
    found = re.search(r'<section class="answer-card".*?</section>', page, re.S)
    assert found, "no answer card on the page"
    return found.group(0)


def test_a_clear_question_shows_its_answer_first_with_the_steps_and_a_link(client: FlaskClient) -> None:
    page = client.get("/en/search", query_string={"q": QUESTION}).get_data(as_text=True)
    card = card_html(page)
    assert page.index('class="answer-card"') < page.index('class="results"')  # the answer first
    assert "<ol><li>Make sure you&#39;ve added a Visa, Mastercard or mada card to the Wallet app.</li>" in card
    assert 'href="/en/articles/apple-pay#pay-with-apple-pay"' in card and "Read the whole article" in card
    assert "Did this answer your question?" in card and 'name="csrf_token"' in card
    assert '<form class="answer-vote" method="post" action="/en/answer/feedback">' in card
    assert 'name="article" value="en/apple-pay"' in card and 'name="source" value="search"' in card


def test_keywords_and_unanswered_questions_get_no_card(client: FlaskClient) -> None:
    for query in ("apple pay", "what is the price of gold today?"):
        page = client.get("/en/search", query_string={"q": query}).get_data(as_text=True)
        assert 'class="answer-card"' not in page, query


def test_the_arabic_page_shows_an_arabic_card_with_arabic_labels(client: FlaskClient) -> None:
    page = client.get("/ar/search", query_string={"q": "متى يصل المبلغ المسترد إلى بطاقة مدى؟"}).get_data(as_text=True)
    card = card_html(page)
    assert "هل أجاب هذا عن سؤالك؟" in card and "اقرأ المقالة كاملة" in card
    assert '<div class="answer-body" lang="ar" dir="rtl">' in card
    assert 'href="/ar/articles/refund-timing#' in card
    assert '<th scope="col">طريقة الدفع</th>' in card and "<td>\u200fmada</td>" in card  # the table, as a table


def test_an_untranslated_answer_is_labelled_as_the_english_article(client: FlaskClient) -> None:
    page = client.get("/ar/search", query_string={"q": "how do I redeem a gift card?"}).get_data(as_text=True)
    card = card_html(page)
    assert "من المقالة الإنجليزية" in card and '<div class="answer-body" lang="en" dir="ltr">' in card


def test_the_api_answers_json_with_an_absolute_link_and_writes_nothing(app: Flask, client: FlaskClient) -> None:
    before = len(rows(app, SearchEvent))
    body = client.get("/api/v1/answer", query_string={"q": QUESTION, "lang": "en"}).get_json()
    assert body["reason"] == "answered"
    answer = body["answer"]
    assert answer["url"] == "http://localhost/en/articles/apple-pay#pay-with-apple-pay"
    assert (answer["lang"], answer["article"], answer["anchor"], answer["generated_by"]) == (
        "en", "apple-pay", "pay-with-apple-pay", "extractive")
    assert answer["steps"][0].startswith("Make sure you've added") and answer["text"].startswith("1. Make sure")
    none = client.get("/api/v1/answer", query_string={"q": "apple pay", "lang": "en"}).get_json()
    assert none == {"answer": None, "reason": "not_a_question", "typed_query": None}
    missing = client.get("/api/v1/answer")
    assert missing.status_code == 400 and "empty" in missing.get_json()["error"]
    assert client.get("/api/v1/answer", query_string={"q": QUESTION, "lang": "fr"}).status_code == 400
    assert len(rows(app, SearchEvent)) == before and rows(app, AnswerFeedback) == []


def test_the_vote_is_recorded_with_the_section_and_the_query(app: Flask, client: FlaskClient) -> None:
    page = client.get("/en/search", query_string={"q": QUESTION}).get_data(as_text=True)
    form = {"article": "en/apple-pay", "anchor": "pay-with-apple-pay", "query": QUESTION, "generated_by": "extractive",
            "source": "search", "csrf_token": csrf(page)}
    json = {"Accept": "application/json"}
    answered = client.post("/en/answer/feedback", data={**form, "helpful": "no"}, headers=json)
    assert answered.status_code == 200 and answered.get_json() == {
        "message": "Thank you for telling us.", "contact_label": "Contact support",
        "contact": "/en/contact?q=how+do+I+pay+with+Apple+Pay?", "followup": answered.get_json()["followup"]}
    assert answered.get_json()["followup"]["question"] == "What went wrong?"  # tests/webapp/test_vote_reasons.py
    back = client.post("/en/answer/feedback", data={**form, "helpful": "yes"})
    assert back.status_code == 302
    assert back.headers["Location"].endswith("/en/search?q=how+do+I+pay+with+Apple+Pay?#answer")
    # The same visit changing its mind is one vote, the latest: a second click never counts twice.
    votes = rows(app, AnswerFeedback)
    assert [(v.article_key, v.anchor, v.query, v.lang, v.helpful, v.source) for v in votes] == [
        ("en/apple-pay", "pay-with-apple-pay", QUESTION, "en", True, "search"),
    ]


def test_a_vote_without_its_token_or_for_an_internal_article_is_refused(app: Flask, client: FlaskClient) -> None:
    form = {"article": "en/apple-pay", "anchor": "", "query": QUESTION, "helpful": "yes", "source": "search"}
    assert client.post("/en/answer/feedback", data=form).status_code == 400  # no CSRF token
    token = csrf(client.get("/en/contact").get_data(as_text=True))
    internal = client.post("/en/answer/feedback", data={**form, "article": "en/refund-approval-limits",
                                                        "csrf_token": token}, headers={"Accept": "application/json"})
    assert internal.status_code == 400
    assert rows(app, AnswerFeedback) == []


def test_the_contact_form_shows_the_card_for_the_search_it_came_from(client: FlaskClient) -> None:
    page = client.get("/en/contact", query_string={"q": QUESTION}).get_data(as_text=True)
    card = card_html(page)
    assert page.index('class="answer-card"') < page.index('<form class="contact"')  # outside the ticket form
    assert 'name="source" value="contact"' in card and 'data-api="/api/v1/answer"' in page


def test_an_agent_on_the_site_never_gets_internal_text_in_a_card(agent: FlaskClient) -> None:
    for query in ("what are the refund approval limits?", "how do I approve a refund above my limit?"):
        page = agent.get("/en/search", query_string={"q": query}).get_data(as_text=True)
        if 'class="answer-card"' in page:
            assert "refund-approval-limits" not in card_html(page)
        body = agent.get("/api/v1/answer", query_string={"q": query, "lang": "en"}).get_json()
        assert body["answer"] is None or body["answer"]["article"] != "refund-approval-limits"


def test_with_a_model_configured_the_card_is_written_by_it_and_checked(indexed: Engine, stub: Stub) -> None:  # noqa: F811
    """KB_LLM_URL set: the engine's drafter is the OpenAI-compatible one, here a loopback stub."""
    indexed.__dict__["drafter"] = build_drafter(replace(indexed.settings, llm_url=stub.url))
    client = create_app(engine=indexed).test_client()
    stub.script("Add a card to the Wallet app, then choose Apple Pay at checkout [1].")
    answer = client.get("/api/v1/answer", query_string={"q": QUESTION, "lang": "en"}).get_json()["answer"]
    assert answer["generated_by"] == "openai-compatible"
    assert answer["text"] == "Add a card to the Wallet app, then choose Apple Pay at checkout."
    assert "Pay with Apple Pay" in stub.requests[0]["messages"][3]["content"]
    page = client.get("/en/search", query_string={"q": QUESTION}).get_data(as_text=True)  # the same card, cached
    assert "Written automatically from the article." in card_html(page) and len(stub.requests) == 1
    stub.script("Choose Apple Pay at checkout, see https://elsewhere.example [1].")
    other = client.get("/api/v1/answer", query_string={"q": "how can I pay with Apple Pay?", "lang": "en"}).get_json()
    assert other["answer"]["generated_by"] == "extractive"  # a link of its own: the extractive card instead
    stub.script("NO_ANSWER")
    declined = client.get("/api/v1/answer", query_string={"q": "how to pay with Apple Pay?", "lang": "en"}).get_json()
    assert declined["reason"] == "model_abstained"  # the model declined: the gates' section is still the answer
    assert declined["answer"]["generated_by"] == "extractive" and declined["answer"]["steps"]


def test_with_a_model_configured_arabic_cards_stay_extractive_and_a_flipped_yes_no_is_refused(
    indexed: Engine, stub: Stub  # noqa: F811
) -> None:
    """KB_LLM_URL set (a loopback stub), KB_LLM_CARD_LANGUAGES left at its default (English): the Arabic
    question's card quotes the section and never reaches the model; an English yes/no question whose
    model answer says yes where the section says no gets the section instead."""
    assert indexed.settings.llm_card_languages == ("en",)
    settings = replace(indexed.settings, llm_url=stub.url)
    indexed.__dict__["drafter"] = build_drafter(settings)
    client = create_app(engine=indexed).test_client()
    stub.script("نعم، يمكنك الدفع عبر Apple Pay [1].")
    arabic = client.get("/api/v1/answer", query_string={"q": "هل يمكنني الدفع عبر Apple Pay؟", "lang": "ar"}).get_json()
    assert arabic["reason"] == "answered" and arabic["answer"]["generated_by"] == "extractive"
    assert stub.requests == []  # the model was not asked
    stub.script("Yes, gift cards are refundable within 30 days [1].")
    flipped = client.get("/api/v1/answer", query_string={"q": "are gift cards refundable?", "lang": "en"}).get_json()
    assert len(stub.requests) == 1 and "Gift cards" in stub.requests[0]["messages"][3]["content"]
    assert flipped["answer"]["generated_by"] == "extractive" and "can't be returned" in flipped["answer"]["text"]
    page = client.get("/en/search", query_string={"q": "are gift cards refundable?"}).get_data(as_text=True)
    assert "Written automatically from the article." not in card_html(page)


def test_the_card_languages_setting_reaches_the_cards(indexed: Engine, stub: Stub) -> None:  # noqa: F811
    """KB_LLM_CARD_LANGUAGES=en,ar: the Arabic card is the model's (prompted in Arabic)."""
    settings = replace(indexed.settings, llm_url=stub.url, llm_card_languages=("en", "ar"))
    indexed.__dict__["drafter"] = build_drafter(settings)
    client = create_app(settings=settings, engine=indexed).test_client()
    stub.script("يمكنك الدفع عبر Apple Pay من iPhone في السعودية والإمارات [1].")
    body = client.get("/api/v1/answer", query_string={"q": "هل يمكنني الدفع عبر Apple Pay؟", "lang": "ar"}).get_json()
    assert body["answer"]["generated_by"] == "openai-compatible", body
    assert body["answer"]["text"] == "يمكنك الدفع عبر Apple Pay من iPhone في السعودية والإمارات."
    assert "أجب عن سؤال العميل" in stub.requests[0]["messages"][3]["content"]


def test_a_table_answer_reads_right_on_the_page_in_the_api_in_a_draft_and_in_a_passage(
    app: Flask, client: FlaskClient
) -> None:
    """drafts41: a draft quoting the refund times table sent "mada | 3-7 أيام عمل" to the customer, and so did an
    inserted passage and the snippets; the card's text (what a chat widget shows) kept the pipes; a line or a cell
    opening on "Visa" was laid out left to right."""
    question = "متى يصل المبلغ المسترد إلى بطاقة مدى؟"
    card = card_html(client.get("/ar/search", query_string={"q": question}).get_data(as_text=True))
    assert "<td>\u200fmada</td>" in card  # a cell is its own paragraph: a Latin first word is declared right to left
    answer = client.get("/api/v1/answer", query_string={"q": question, "lang": "ar"}).get_json()["answer"]
    assert "|" not in answer["text"] and "- \u200fmada: 3-7 أيام عمل." in answer["text"].split("\n")
    assert [b["lines"][0].split(" | ")[0] for b in answer["blocks"] if b["kind"] == "rows"] == ["طريقة الدفع"]
    token = app.extensions["desk"].accounts.create_token("partner")
    ticket = {"subject": "استرداد", "body": "متى يوصل المبلغ المسترد لبطاقة مدى؟", "lang": "ar"}
    found = client.post("/api/v1/suggest", json=ticket, headers={"Authorization": f"Bearer {token}"}).get_json()
    draft = found["draft"]
    assert not draft["abstained"] and "|" not in draft["text"]
    lines = draft["text"].split("\n")
    assert "- \u200fmada: 3-7 أيام عمل." in lines and "- \u200fVisa أو Mastercard أو Meeza: 5-10 أيام عمل." in lines
    assert "طريقة الدفع" not in draft["text"]  # the header names the cells; it is no line of the reply
    assert draft["citations"][0].startswith("http://localhost/ar/articles/refund-timing#")
    assert found["passages"] and not [p["snippet"] for p in found["passages"] if "|" in p["snippet"]]
    made = app.extensions["desk"].tickets.create(NewTicket(email="m@example.com", subject=ticket["subject"],
                                                           body=ticket["body"], channel="chat"))
    agent = app.test_client()
    login(agent, "agent@example.com")
    page = agent.get(f"/agent/tickets/{made.id}").get_data(as_text=True)
    inserted = re.findall(r'<textarea class="passage-text" hidden>(.*?)</textarea>', page, re.S)
    assert inserted and not [text for text in inserted if " | " in text]
    assert any("- \u200fmada: 3-7 أيام عمل." in text for text in inserted)
