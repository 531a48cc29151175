"""Answer cards on the help center: the card for a settled search, its JSON, and its "Did this answer
your question?" vote.

The decision and the text are copilot.answer_card's; this module adds what the web knows: links
(absolute in JSON, for other front ends), the configured model (the engine's drafter, when it can
reach one), and the vote, recorded like article votes (a POST with the CSRF token; the card's GET
never writes). A card is a bonus on a page that works without it, so any failure to make one is
logged and means no card, never a broken results page.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import cast

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext
from wtforms import HiddenField

from copilot.answer_card import AnswerCard, AnswerCards, CardDecision, ChatModel
from copilot.retrieval import SearchResult
from desk.events import MAX_VOTE_COMMENT
from webapp import state, visits
from webapp.forms import VoteReasonForm, at_most, vote_reasons
from webapp.security import FEEDBACK_LIMIT, limiter
from webapp.urls import absolute_base, article_url

bp = Blueprint("answers", __name__)
log = logging.getLogger(__name__)
SOURCES = ("search", "contact")


class AnswerVoteForm(VoteReasonForm):
    """The card's vote: which section answered which query (hidden), the button pressed, and after a
    "no" (the follow-up form, which posts "no" again) what went wrong."""

    helpful = HiddenField()
    article = HiddenField(validators=[at_most(300)])  # "lang/id"
    anchor = HiddenField(validators=[at_most(300)])
    query = HiddenField(validators=[at_most(600)])
    generated_by = HiddenField(validators=[at_most(40)])
    source = HiddenField()


def answer_cards() -> AnswerCards:
    """The app's card maker, built on first use over the engine's retriever and configured model
    (which words the cards of KB_LLM_CARD_LANGUAGES' questions only; the others quote the section)."""
    cards = current_app.extensions.get("answer_cards")
    if cards is None:
        engine = state.engine()
        # The model drafters (copilot.model_drafters) expose `complete`; the grounded drafter has no model.
        model = cast(ChatModel, engine.drafter) if callable(getattr(engine.drafter, "complete", None)) else None
        cards = current_app.extensions["answer_cards"] = AnswerCards(
            engine.retriever, model=model, model_languages=state.settings().llm_card_languages
        )
    return cards


def card_decision(result: SearchResult | None) -> CardDecision:
    """The card for a settled search; no card (reason "no_results") when making one fails."""
    try:
        return answer_cards().answer(result)
    except Exception:
        log.exception("could not make an answer card")
        return CardDecision(None, "no_results")


def card_url(card: AnswerCard) -> str:
    """The section's public address, absolute: a chat widget or an app shows it outside our pages."""
    settings = state.settings()
    return article_url(replace(settings, base_url=absolute_base(settings)), card.lang, card.article, card.anchor)


def card_json(decision: CardDecision) -> dict[str, object]:
    """`{answer: null | {...}, reason}`: the API's view of a decision (webapp/openapi.py, AnswerCard)."""
    card = decision.card
    if card is None:
        return {"answer": None, "reason": decision.reason}
    body: dict[str, object] = {
        "title": card.title,
        "section": card.section,
        "text": card.text,
        "url": card_url(card),
        "lang": card.lang,
        "article": card.article,
        "anchor": card.anchor,
        "other_language": card.other_language,
        "generated_by": card.generated_by,
        "blocks": [{"kind": block.kind, "lines": list(block.lines)} for block in card.blocks],
    }
    if card.steps:
        body["steps"] = card.steps
    return {"answer": body, "reason": decision.reason}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/<lang>/answer/feedback")
@limiter.limit(FEEDBACK_LIMIT)
def feedback(lang: str):  # type: ignore[no-untyped-def]
    """Record "Did this answer your question?"; answers JSON to answer.js, else goes back to the page."""
    if lang not in state.settings().languages:
        abort(404)
    form = AnswerVoteForm(lang)
    source = form.source.data if form.source.data in SOURCES else "search"
    back = url_for("help.search" if source == "search" else "help.contact", lang=lang, q=form.query.data or None,
                   _anchor="answer")
    article_lang, _, article_id = (form.article.data or "").partition("/")
    found = state.catalog().get(article_lang, article_id, audience="public") if article_id else None
    if not form.validate_on_submit() or form.helpful.data not in ("yes", "no") or found is None:
        problem = gettext("Your answer could not be recorded. Please try again.")
        if _wants_json():
            return jsonify({"error": problem}), 400
        flash(problem, "error")
        return redirect(back)
    state.desk().events.answer_feedback(
        found.key, form.anchor.data or "", form.query.data or "", lang, form.helpful.data == "yes",
        visits.visit_id(), generated_by=form.generated_by.data or "extractive", source=source,
        reason=form.reason.data or None, comment=form.comment.data,
    )
    thanks = gettext("Thank you for telling us.")
    # Not answered: support can help, as after a "no" on an article (the results stay below the card).
    contact = None if form.helpful.data == "yes" else url_for("help.contact", lang=lang, q=form.query.data or None)
    # A bare "no" (the card's button, not its follow-up form) is asked what went wrong; the answer, posted
    # with "no" again, replaces this vote (one visit's vote on a card counts once, the latest).
    ask = form.helpful.data == "no" and not request.form.get("followup")
    if _wants_json():
        followup = None if not ask else {
            "question": gettext("What went wrong?"), "reasons": vote_reasons(),
            "comment": gettext("Anything else? (optional)"), "limit": MAX_VOTE_COMMENT, "send": gettext("Send"),
        }
        return jsonify({"message": thanks, "contact": contact, "contact_label": gettext("Contact support"),
                        "followup": followup})
    flash(thanks, "answer-vote")
    if ask:  # the page again, with the follow-up form in the card's place (a GET: it writes nothing)
        back = url_for("help.search" if source == "search" else "help.contact", lang=lang,
                       q=form.query.data or None, answer_vote="no", _anchor="answer")
    return redirect(back)
