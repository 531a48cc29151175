"""The answer card: when it shows, what it quotes, and the model path's citation check.

Unit tests use hand-made hits and a scripted model; the rest run the real retriever over the
indexed test slice (tests/conftest.py), so the decision is made on real search results.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from copilot.answer_card import (
    OPEN_GATES,
    AnswerCard,
    AnswerCards,
    Block,
    CardDecision,
    ModelError,
    SectionRanking,
    Thresholds,
    article_margin,
    asks_how_long,
    blocks,
    card_messages,
    checked_card,
    duration_coverage,
    later_part,
    numbers,
    quoted_amounts,
    reads_as_question,
    runner_up,
    section_wording,
    wishes,
    word_coverage,
)
from copilot.drafts import NO_ANSWER
from copilot.engine import Engine
from copilot.model_drafters import PROMPTS
from copilot.retrieval import SearchHit, SearchResult

HIT = SearchHit(
    id="start-a-return", lang="en", title="Start a return", section="Request a return", anchor="request-a-return",
    snippet="", score=0.05, locale_fallback=False, category="returns", internal=False,
    text="1. Go to Account > Orders.\n2. Tap Return items.\nYou'll get an email.",
)
FEE = replace(HIT, section="Pickup fee", anchor="pickup-fee", text="- Change of mind: 15 SAR.\n- Damaged: free.")


@pytest.mark.parametrize(
    "query",
    ["how do I return an item", "can I pay with mada", "do you deliver to Abha?", "كيف ارجع منتج",
     "الشحن بكام في مصر", "ينفع ادفع كاش للمندوب", "ليه اتخصم مني فلوس مرتين", "so how does the warranty work",
     "employee left the company what should I do with their account", "ابغى ارجع الطلب", "I want to return a lamp",
     "الفواتير توصل على ايميل مين وكيف اغيره", "ما الفرق بين أدوار المسؤولين", "ومين يقدر يغير الباسورد",
     "شلون اغير رقمي", "فين الفاتورة"],
)
def test_questions_read_as_questions(query: str) -> None:
    assert reads_as_question(query)


@pytest.mark.parametrize(
    "query",
    ["refund", "reset password", "app crashes when I open the cart", "can't remember my login details",
     "المندوب ما لقى البيت", "فلوسي ما رجعت", "تتبع الطلب", "خصم من البطاقة مرتين", "ما وصلني الطلب",
     "كمية الطلب ناقصة"],
)
def test_keywords_and_statements_are_not_questions(query: str) -> None:
    assert not reads_as_question(query)


def test_amounts_of_money_are_read_in_both_languages_and_digit_sets() -> None:
    assert quoted_amounts("لماذا خُصم مني 19 ريالًا؟") == {"19"}
    assert quoted_amounts("ليه اتخصم مني ٦٩ جنيه") == {"69"}
    assert quoted_amounts("why was I charged SAR 25.5 and $5?") == {"25.5", "5"}
    assert quoted_amounts("does the app work on iOS 14 after 8 months?") == set()  # not money
    assert numbers("الرسوم ١٩ ريالًا شهريًا، أو 190 سنويًا") == {"19", "190"}
    assert numbers("free over 1,000 EGP") == quoted_amounts("is it free over 1000 EGP?") == {"1000"}


EMAIL = replace(
    HIT, lang="ar", id="change-email", title="تغيير البريد الإلكتروني ورقم الجوال", section="تغيير البريد الإلكتروني",
    anchor="تغيير-البريد-الإلكتروني", text="1. افتح حسابي.\n2. اختر البريد الإلكتروني واكتب العنوان الجديد.",
)


def test_word_coverage_finds_a_word_of_the_other_script_through_its_readings() -> None:
    """"كيف اغير الـ email": spelling never matches "email" in an Arabic section; its reading does."""
    query = "كيف اغير الـ email"
    blind = word_coverage(query, EMAIL, lambda word: [])
    read = word_coverage(query, EMAIL, lambda word: ["البريد"] if word == "email" else [])
    assert blind < 1.0 <= read
    assert word_coverage("كيف اغير الـ backup", EMAIL, lambda word: ["الاحتياط"] if word == "backup" else []) < 1.0


def test_a_word_the_section_does_not_hold_is_read_as_its_reading_the_section_holds() -> None:
    """"عايز أغير العنوان؟" against a section that says "تغيير العنوان": the verb is read as the section's
    verbal noun, the dialect "want" stays (no reading of it is in the section), the punctuation stays;
    a word the section holds is never replaced, and a reading the section does not hold changes nothing."""
    address = replace(HIT, lang="ar", title="تعديل الطلب", section="تغيير العنوان", text="يمكنك تغيير العنوان.")
    readings = {"أغير": ["تبديل", "تغيير"], "عايز": ["اريد"], "العنوان": ["عناوين"], "الموعد": ["ميعاد"]}.get
    assert section_wording("عايز أغير العنوان؟", address, lambda w: readings(w, [])) == "عايز تغيير العنوان؟"
    assert section_wording("عايز أغير الموعد", address, lambda w: readings(w, [])) == "عايز تغيير الموعد"


def test_thresholds_refuse_in_the_cards_order_and_only_on_measured_signals() -> None:
    gates = Thresholds(split={"plain": 0.85}, coverage={"plain": 0.9}, section_split=0.95)
    assert gates.refusal({"margin": 0.9}, "plain") == "split"
    assert gates.refusal({"margin": 0.5}, "plain") is None  # the section was not ranked yet
    assert gates.refusal({"margin": 0.5, "coverage": 0.5, "section_margin": 0.99}, "plain") == "not_covered"
    assert gates.refusal({"margin": 0.5, "coverage": 1.0, "section_margin": 0.99}, "plain") == "split_sections"
    assert gates.refusal({"margin": 0.5, "coverage": 1.0, "section_margin": 0.99, "steps": 1.0}, "plain") is None
    assert OPEN_GATES.refusal({"margin": 1.0, "coverage": 0.0, "section_margin": 1.0}, "mixed") is None
    # A close runner-up splits the evidence only when one of its sections covers the question too.
    assert gates.refusal({"margin": 0.9, "runner_coverage": 0.9}, "plain") == "split"
    assert gates.refusal({"margin": 0.9, "runner_coverage": 0.5}, "plain") is None
    assert gates.refusal({"margin": 0.9, "runner_coverage": 0.5, "coverage": 0.5}, "plain") == "not_covered"


def test_the_article_margin_reads_scores_without_the_own_chunk_means_credit() -> None:
    """The means' rank credit adds nearly the same to each of the first five articles: a clear winner
    (0.05 against 0.035, a share of 0.7) read with it (0.08 against 0.064, 0.8) looks closer than it is."""
    first = replace(HIT, score=0.08, means_credit=0.03)
    second = replace(HIT, id="return-policy", score=0.064, means_credit=0.029)
    assert article_margin([first, second]) == pytest.approx(0.7)
    assert article_margin([replace(first, means_credit=0.0), replace(second, means_credit=0.0)]) == pytest.approx(0.8)
    # The means lifted the first over an article that led it before their credit: split evidence.
    lifted = replace(HIT, id="refund-timing", score=0.079, means_credit=0.025)
    assert article_margin([first, lifted]) > 1.0
    # The best other article counts, wherever the credit left it; a fallback article and the same
    # article's other chunks never do.
    assert article_margin([first, second, lifted]) > 1.0
    assert article_margin([first, replace(HIT, score=0.07), replace(second, locale_fallback=True)]) == 0.0
    assert runner_up([first, second, lifted]) == lifted and runner_up([first, replace(HIT, score=0.07)]) is None


def test_only_what_precedes_a_numbered_procedure_and_its_first_part_answer_alone() -> None:
    def part(anchor: str, heading: str) -> SearchHit:
        return replace(HIT, anchor=anchor, section=f"Notifications not working > {heading}" if heading else "")

    article = [part("", ""), part("before", "Before you start"), part("one", "1. Allow notifications on your phone"),
               part("two", "2. Turn on notifications in the app"), part("still", "Still nothing?")]
    assert [a.anchor for a in article if later_part(a.anchor, article)] == ["two", "still"]
    arabic = [part("", ""), part("p1", "أولًا: اسمح بالإشعارات"), part("p2", "ثانيًا: فعّل الإشعارات"),
              part("p3", "لم يتغير شيء؟")]
    assert [a.anchor for a in arabic if later_part(a.anchor, arabic)] == ["p2", "p3"]
    plain = [part("", ""), part("fees", "Pickup fee"), part("steps", "Request a return")]  # no procedure
    assert not any(later_part(a.anchor, plain) for a in plain)


def test_blocks_keep_steps_whole_and_in_order() -> None:
    found = blocks("Before you start:\n1. Open the order.\n2. Tap Return items.\n- a note\n- another\nDone.\n"
                   "Method | Time\nmada | 3-7 days")
    assert found == (
        Block("text", ("Before you start:",)),
        Block("steps", ("Open the order.", "Tap Return items.")),
        Block("items", ("a note", "another")),
        Block("text", ("Done.",)),
        Block("rows", ("Method | Time", "mada | 3-7 days")),
    )


def test_card_text_numbers_its_steps() -> None:
    card = AnswerCard("en", "a", "T", "S", "s", blocks("Intro.\n1. One.\n2. Two."), False, "extractive")
    assert card.text == "Intro.\n1. One.\n2. Two."
    assert card.steps == ["One.", "Two."]
    assert card.key == "en/a"


def _fallback() -> AnswerCard:
    return AnswerCard("en", HIT.id, HIT.title, "Request a return", HIT.anchor, blocks(HIT.text), False, "extractive")


def test_a_model_answer_citing_given_passages_becomes_the_card() -> None:
    reply = "Go to Account > Orders and tap Return items [1].\nA change-of-mind pickup costs 15 SAR [2]."
    card = checked_card(reply, [HIT, FEE], _fallback(), "openai-compatible")
    assert card is not None and card.generated_by == "openai-compatible"
    assert "[1]" not in card.text and "15 SAR" in card.text
    listed = checked_card("Tap Return items. [1], [2],", [HIT, FEE], _fallback(), "model")
    assert listed is not None and listed.text == "Tap Return items."  # no commas left over from the citations
    assert card.cited == ("en/start-a-return#request-a-return", "en/start-a-return#pickup-fee")
    assert card.anchor == "request-a-return"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Tap Return items.", "cites no passage"),
        ("Tap Return items [1].\nIt is free for everyone.", "cites no passage"),
        ("Tap Return items [3].", "only passages 1-2"),
        ("See https://evil.example [1].", "link"),
    ],
)
def test_a_model_answer_breaking_the_citation_rules_is_refused(reply: str, problem: str) -> None:
    with pytest.raises(ModelError, match=problem):
        checked_card(reply, [HIT, FEE], _fallback(), "model")


def test_no_answer_from_the_model_is_read_as_declining() -> None:
    assert checked_card("NO_ANSWER", [HIT], _fallback(), "model") is None


@pytest.mark.parametrize(
    "reply",
    [
        "To start a return [1]:\n1. Go to Account > Orders.\n2. Tap Return items.",
        "To start a return:\n1. Go to Account > Orders.\n2. Tap Return items [1].\nA pickup costs 15 SAR [2].",
        "1. Go to Account > Orders [1].\n2. Tap Return items.",
    ],
)
def test_a_numbered_list_may_cite_its_passage_once(reply: str) -> None:
    card = checked_card(reply, [HIT, FEE], _fallback(), "model")
    assert card is not None and card.steps == ["Go to Account > Orders.", "Tap Return items."]
    assert card.cited[0] == "en/start-a-return#request-a-return"


@pytest.mark.parametrize(
    "reply",
    [
        "Follow these steps:\n1. Go to Account > Orders.\n2. Tap Return items.",  # no citation for the list
        "1. Go to Account > Orders.\n2. Tap Return items.\nA pickup costs 15 SAR [2].",  # the prose cites, not the list
        "A pickup costs 15 SAR [2].\nThen:\n- Go to Account > Orders.",  # the lead cites nothing
    ],
)
def test_a_list_without_its_own_citation_is_refused(reply: str) -> None:
    with pytest.raises(ModelError, match="cites no passage"):
        checked_card(reply, [HIT, FEE], _fallback(), "model")


@pytest.mark.parametrize(
    ("reply", "lang", "problem"),
    [
        ("[1] Start a return – Request a return (English)\nGo to Account > Orders [1].", "en", "copies the numbered"),
        ("Start a return > Request a return [1]\nTap Return items [1].", "en", "copies a passage's heading"),
        ("Request a return [1].", "en", "copies a passage's heading"),
        ("The customer wrote: how do I return it [1]", "en", "repeats the prompt"),
        ("المقاطع: اذهب إلى الطلبات [1].", "ar", "repeats the prompt"),
        ("How do I return it? Go to Account > Orders [1].", "en", "repeats the question"),
    ],
)
def test_an_answer_copying_the_prompt_back_is_refused(reply: str, lang: str, problem: str) -> None:
    with pytest.raises(ModelError, match=problem):
        checked_card(reply, [HIT, FEE], _fallback(), "model", "how do I return it", lang)


def test_the_prompt_is_in_the_questions_language_with_one_cited_example() -> None:
    messages = card_messages("كيف ارجع منتج", "ar", [HIT, FEE])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"] == PROMPTS["ar"]["role"]
    assert "[1]" in messages[2]["content"]  # the example answer cites its passage
    asked = messages[3]["content"]
    assert "أجب عن سؤال العميل" in asked and "كتب العميل: كيف ارجع منتج" in asked
    assert "[1] Start a return – Request a return (" in asked and "[2] Start a return – Pickup fee (" in asked
    assert NO_ANSWER not in asked  # the gates chose the section: the model is asked to word it, not to judge
    english = card_messages("how do I return it", "en", [HIT])[3]["content"]
    assert "Answer the customer's question" in english and "The customer wrote: how do I return it" in english


# -- on real search results over the indexed slice ------------------------------------------------


class ScriptedModel:
    """A model that answers from a script (a fake: the real HTTP model is tested in test_model_drafters)."""

    name = "scripted"

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.asked: list[list[dict[str, str]]] = []

    def complete(self, messages: list[dict[str, str]]) -> str:
        self.asked.append(messages)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def _search(engine: Engine, query: str, lang: str, audience: str = "public") -> SearchResult:
    return engine.retriever.search(query, lang=lang, limit=10, audience=audience)  # type: ignore[arg-type]


HOW_TO_PAY = "how do I pay with Apple Pay?"


def _decide(indexed: Engine, result: SearchResult, first: SearchHit, second: SearchHit, share: float) -> CardDecision:
    """The card for `result` when its best article's two sections are `first` then `second`, the second
    ranked at `share` of the first (the article's own sections and ranking left out)."""
    cards = AnswerCards(indexed.retriever)
    first, second = replace(first, anchor="first"), replace(second, anchor="second")
    cards._article_sections = lambda top: [first, second]  # type: ignore[method-assign]
    cards.rank_sections = lambda *args: SectionRanking(["first", "second"], share)  # type: ignore[method-assign]
    return cards.answer(result)


def test_a_how_question_gets_the_steps_whole(indexed: Engine) -> None:
    decision = AnswerCards(indexed.retriever).answer(_search(indexed, HOW_TO_PAY, "en"))
    assert decision.reason == "answered", decision
    card = decision.card
    assert card is not None
    assert (card.article, card.anchor, card.generated_by) == ("apple-pay", "pay-with-apple-pay", "extractive")
    assert len(card.steps) >= 3 and card.steps[0].startswith("Make sure you've added")
    assert not card.other_language


def test_an_arabic_question_gets_an_arabic_card(indexed: Engine) -> None:
    decision = AnswerCards(indexed.retriever).answer(_search(indexed, "متى يصل المبلغ المسترد إلى بطاقة مدى؟", "ar"))
    assert decision.card is not None, decision
    assert (decision.card.lang, decision.card.article) == ("ar", "refund-timing")
    assert decision.card.anchor == "مدة-الاسترداد-لكل-طريقة-دفع" and not decision.card.other_language


def test_an_untranslated_answer_is_labelled_as_the_other_languages(indexed: Engine) -> None:
    decision = AnswerCards(indexed.retriever).answer(_search(indexed, "how do I redeem a gift card?", "ar"))
    assert decision.card is not None, decision
    assert (decision.card.lang, decision.card.anchor) == ("en", "redeem-a-gift-card")
    assert decision.card.other_language


def test_a_mixed_script_question_gets_a_card_through_the_term_readings(indexed: Engine) -> None:
    """Latin words in an Arabic question are read in Arabic (search's cross-lingual terms), so the
    Arabic section that answers covers them."""
    cards = AnswerCards(indexed.retriever)
    readings = cards._readings("ar", "ar")
    assert "ابل" in " ".join(readings("Apple")) or readings("Apple"), readings("Apple")
    decision = cards.answer(_search(indexed, "كيف ادفع بـ Apple Pay؟", "ar"))
    assert decision.card is not None, decision
    assert (decision.card.lang, decision.card.article) == ("ar", "apple-pay")


def test_a_quoted_amount_the_section_does_not_print_means_no_card(indexed: Engine) -> None:
    """The same search result, asked about an amount the fees section does not print: no card (the
    other gates are open, so the amount is what decides)."""
    cards = AnswerCards(indexed.retriever, thresholds=OPEN_GATES)
    result = _search(indexed, "is delivery free over 200 SAR?", "en")
    stated = cards.answer(result)
    assert stated.card is not None and stated.card.article == "delivery-fees", stated
    unstated = cards.answer(replace(result, query="is delivery free over 201 SAR?"))
    assert unstated.card is None and unstated.reason == "amount_not_stated", unstated


def test_typed_searches_carry_the_own_chunk_means_credit_the_margin_takes_out(indexed: Engine) -> None:
    """The first five articles of a typed search carry the credit the own chunk means added to their
    score (copilot.retrieval, LEVERS["own_chunk_means"]); the rest and a ticket's search carry none."""
    typed = _search(indexed, "how do I return an item?", "en")
    credits = [hit.means_credit for hit in typed.results]
    assert len(credits) >= 2 and all(c > 0 for c in credits[:5]) and not any(credits[5:]), credits
    assert all(hit.score > hit.means_credit for hit in typed.results[:5])
    ticket = indexed.retriever.search("how do I return an item?", lang="en", limit=10, ticket=True)
    assert ticket.results and not any(hit.means_credit for hit in ticket.results)


def test_the_msa_readings_are_searchs_dialect_msa_and_the_index_verbal_nouns(indexed: Engine) -> None:
    """The coverage count's readings are the ones search makes (Expansion.msa_words and verbal_nouns):
    "عايز" reads as "أريد", "أعيد" and "توصلون" as the verbal nouns the indexed articles print ("إعادة
    تعيين كلمة المرور", "رسوم التوصيل"); not as their word family ("أعد", "تواصل")."""
    readings = AnswerCards(indexed.retriever)._msa_readings("ar")
    assert "اريد" in readings("عايز")
    assert readings("أعيد") == ["اعاده"] and readings("توصلون") == ["توصيل"], (readings("أعيد"), readings("توصلون"))


def test_keywords_out_of_scope_and_internal_answers_get_no_card(indexed: Engine) -> None:
    cards = AnswerCards(indexed.retriever)
    assert cards.answer(_search(indexed, "refund", "en")).reason == "not_a_question"
    assert cards.answer(_search(indexed, "what is the price of gold today?", "en")).card is None
    agent = _search(indexed, "what are the refund approval limits for agents?", "en", audience="agent")
    assert agent.results and agent.results[0].internal
    assert cards.answer(agent).reason == "internal"
    assert cards.answer(None).reason == "no_results"


def test_the_card_never_quotes_an_internal_section(indexed: Engine) -> None:
    cards = AnswerCards(indexed.retriever)
    for query in (HOW_TO_PAY, "what are the refund approval limits?", "how do I approve a refund above my limit?"):
        decision = cards.answer(_search(indexed, query, "en", audience="agent"))
        if decision.card is not None:
            assert "agent-procedures" not in decision.card.cited[0]
            assert decision.card.article != "refund-approval-limits"


def test_a_configured_model_writes_the_card_from_public_passages(indexed: Engine) -> None:
    model = ScriptedModel("Add a card to the Wallet app, then choose Apple Pay at checkout [1].")
    decision = AnswerCards(indexed.retriever, model=model).answer(_search(indexed, HOW_TO_PAY, "en", "agent"))
    assert decision.card is not None and decision.card.generated_by == "scripted"
    assert decision.card.text == "Add a card to the Wallet app, then choose Apple Pay at checkout."
    prompt = model.asked[0][3]["content"]
    assert "[1] Pay with Apple Pay (English)" in prompt
    assert "approval" not in prompt.lower()  # an internal article is never handed to the model


def test_a_failing_or_unruly_model_falls_back_to_the_extractive_card(indexed: Engine) -> None:
    result = _search(indexed, HOW_TO_PAY, "en")
    for reply in (RuntimeError("server down"), "Refunds take 3 days, see https://x.example"):
        decision = AnswerCards(indexed.retriever, model=ScriptedModel(reply)).answer(result)
        assert decision.card is not None and decision.card.generated_by == "extractive"


def test_a_model_saying_no_answer_shows_the_extractive_card(indexed: Engine) -> None:
    """The gates chose the section; the model only words it, so its NO_ANSWER shows the section itself."""
    cards = AnswerCards(indexed.retriever, model=ScriptedModel("NO_ANSWER"))
    decision = cards.answer(_search(indexed, HOW_TO_PAY, "en"))
    assert decision.reason == "model_abstained", decision
    assert decision.card is not None and decision.card.generated_by == "extractive"
    assert decision.card.anchor == "pay-with-apple-pay" and len(decision.card.steps) >= 3


def test_steps_pass_the_section_tie_only_when_they_tell_the_two_best_sections_apart(indexed: Engine) -> None:
    """A "how do I" question whose two best sections tie: the one with steps is the card when only it
    has steps; when both list steps, choosing the first is a coin toss, so no card."""
    result = _search(indexed, HOW_TO_PAY, "en")
    steps = replace(HIT, id="apple-pay", title="Pay with Apple Pay", section="Pay with Apple Pay",
                    text="1. Add your card to the Wallet app.\n2. Choose Apple Pay to pay at checkout.")
    prose = replace(steps, section="Apple Pay in your country", text="Pay with Apple Pay in KSA and the UAE.")

    def decide(first: SearchHit, second: SearchHit) -> CardDecision:
        return _decide(indexed, result, first, second, 0.97)

    told_apart = decide(prose, steps)
    assert told_apart.card is not None and told_apart.card.anchor == "second", told_apart
    assert decide(steps, steps).reason == "split_sections"


@pytest.mark.parametrize(
    ("query", "wish"),
    [("بدي الغي الطلب", True), ("ابغى الغي منزل بلس", True), ("عايز أغير العنوان", True), ("اريد الغاء الطلب", True),
     ("I want to cancel my order", True), ("so I need to change my address", True),
     ("هل يمكنني إلغاء الطلب بعد شحنه؟", False), ("what do I want to know", False), ("الطلب ما وصل", False)],
)
def test_a_wish_is_read_from_its_first_words(query: str, wish: bool) -> None:
    assert wishes(query) is wish


def test_a_wish_takes_the_steps_over_an_exception_it_does_not_state(indexed: Engine) -> None:
    """"I want to cancel the order" asks for the way to do it, as "how do I" does: between a section with the
    steps and one about a case the question does not state ("already shipped"), ranked a hair above them,
    the steps are the card; without the wish, the ranking's first section is."""
    exception = replace(HIT, id="apple-pay", title="Pay with Apple Pay", section="Apple Pay is not offered",
                        text="If Apple Pay is not offered at checkout, pay with your card instead.")
    steps = replace(exception, section="Pay with Apple Pay",
                    text="1. Add your card to the Wallet app.\n2. Choose Apple Pay to pay at checkout.")

    def decide(query: str) -> CardDecision:
        cards = AnswerCards(indexed.retriever)
        first, second = replace(exception, anchor="first"), replace(steps, anchor="second")
        cards._article_sections = lambda top: [second, first]  # type: ignore[method-assign]
        cards.rank_sections = lambda *args: SectionRanking(["first", "second"], 0.9)  # type: ignore[method-assign]
        return cards.answer(_search(indexed, query, "en"))

    wished = decide("I want to pay with Apple Pay")
    assert wished.card is not None and wished.card.anchor == "second", wished
    asked = decide("can I pay with Apple Pay?")
    assert asked.card is not None and asked.card.anchor == "first", asked


def test_one_of_several_parts_answering_alike_is_not_the_card(indexed: Engine) -> None:
    """"How do I pay with Apple Pay?" over an article of tips: a tip whose heading says none of the question's
    words, beside another covering the question as well, is one part of the answer, so no card; alone among the
    article's sections in covering it, or with a heading saying the question's words, it is the card."""
    tip = replace(HIT, id="apple-pay", title="Wallet tips", section="Good to know",
                  text="Pay with Apple Pay with Visa and Mastercard cards in KSA and the UAE.")
    other = replace(tip, section="More habits", text="Pay with Apple Pay only on your own iPhone.")
    unrelated = replace(tip, section="More habits", text="Keep the Wallet app up to date.")

    def decide(first: SearchHit, second: SearchHit) -> CardDecision:
        return _decide(indexed, _search(indexed, HOW_TO_PAY, "en"), first, second, 0.5)

    assert decide(tip, other).reason == "whole_article"
    alone = decide(tip, unrelated)
    assert alone.card is not None and alone.card.anchor == "first", alone
    named = decide(replace(tip, section="Where Apple Pay works"), other)
    assert named.card is not None and named.card.anchor == "first", named


def test_the_model_words_only_the_cards_of_its_languages(indexed: Engine) -> None:
    """`model_languages` (KB_LLM_CARD_LANGUAGES, English by default): an Arabic question's card quotes
    the section without asking the model; listed, Arabic is worded by it like English."""
    result = _search(indexed, "هل يمكنني الدفع عبر Apple Pay؟", "ar")
    english_only = ScriptedModel("يمكنك الدفع عبر Apple Pay من iPhone في السعودية والإمارات [1].")
    decision = AnswerCards(indexed.retriever, model=english_only, model_languages=("en",)).answer(result)
    assert decision.reason == "answered" and decision.card is not None, decision
    assert decision.card.generated_by == "extractive" and english_only.asked == []
    both = ScriptedModel("يمكنك الدفع عبر Apple Pay من iPhone في السعودية والإمارات [1].")
    written = AnswerCards(indexed.retriever, model=both, model_languages=("en", "ar")).answer(result)
    assert written.card is not None and written.card.generated_by == "scripted" and len(both.asked) == 1
    assert written.card.text == "يمكنك الدفع عبر Apple Pay من iPhone في السعودية والإمارات."
    english = AnswerCards(indexed.retriever, model=english_only, model_languages=("en",))
    assert english.answer(_search(indexed, HOW_TO_PAY, "en")).card.generated_by == "scripted"  # type: ignore[union-attr]


def test_a_model_flipping_a_yes_no_answer_shows_the_extractive_card(indexed: Engine) -> None:
    """The section says gift cards can't be returned; a cited "Yes" passes the citation check but not
    the yes/no one, so the customer sees the section itself. A faithful "No" is the model's card."""
    result = _search(indexed, "are gift cards refundable?", "en")
    flipped = AnswerCards(indexed.retriever, model=ScriptedModel("Yes, gift cards are refundable within 30 days [1]."))
    decision = flipped.answer(result)
    assert decision.card is not None and decision.card.generated_by == "extractive", decision
    assert decision.card.anchor == "things-to-know" and "can't be returned" in decision.card.text
    faithful = AnswerCards(indexed.retriever, model=ScriptedModel("No, gift cards can't be returned or exchanged [1]."))
    kept = faithful.answer(result)
    assert kept.card is not None and kept.card.generated_by == "scripted"
    assert kept.card.text == "No, gift cards can't be returned or exchanged."


def test_checked_card_refuses_an_answer_contradicting_its_section() -> None:
    fallback = AnswerCard(lang="en", article="gift-cards", title="Gift cards", section="Things to know",
                          anchor="things-to-know", blocks=blocks("Gift cards can't be returned once bought."),
                          other_language=False, generated_by="extractive")
    passage = replace(HIT, id="gift-cards", section="Things to know", anchor="things-to-know",
                      text="Gift cards can't be returned once bought.")
    with pytest.raises(ModelError, match="opposite yes or no"):
        checked_card("Yes, you can return a gift card [1].", [passage], fallback, "m", "can I return a gift card?")
    card = checked_card("No, a gift card can't be returned [1].", [passage], fallback, "m", "can I return a gift card?")
    assert card is not None and card.generated_by == "m"


@pytest.mark.parametrize(
    ("query", "how_long"),
    [("how long does a refund take", True), ("How soon will my order arrive?", True),
     ("how many business days do I have to return something?", True), ("كم يوم ياخذ الاسترجاع", True),
     ("قديش تاخذ الصيانة", True), ("how do I return an item?", False), ("how long is the cable?", True),
     ("how many items can I return?", False), ("كم رسوم التوصيل؟", False)],
)
def test_a_duration_question_is_read_from_its_frame(query: str, how_long: bool) -> None:
    assert asks_how_long(query) is how_long


def test_a_duration_questions_frame_is_found_in_a_section_stating_a_duration() -> None:
    """"How long does a refund take" asks a duration: "long" and "take" are its frame, not its topic, and the
    answer says "5-10 business days". A section stating a duration and holding the question's other words covers
    it; one missing a word the question names ("mada"), or stating no duration, gains nothing."""
    refund = replace(HIT, id="refund-timing", title="When will I get my refund?", section="", anchor="",
                     text="We inspect returned items within 3 business days, then the money reaches you in 5-10 "
                          "business days for most cards.")
    assert duration_coverage("how long does a refund take", refund) >= 0.9
    assert duration_coverage("how long does a refund to mada take?", refund) == 0.0
    assert duration_coverage("how long does a refund take", replace(refund, text="We refund your card.")) == 0.0
    arabic = replace(refund, lang="ar", title="متى يصلني المبلغ المسترد؟",
                     text="نفحص المنتج خلال ٣ أيام عمل، ثم يصلك المبلغ المسترد خلال 5-10 أيام عمل.")
    assert duration_coverage("كم يوم ياخذ المبلغ المسترد", arabic) >= 0.9


def test_a_how_question_between_close_articles_goes_to_the_one_with_its_procedure(indexed: Engine) -> None:
    """"How do I return an item?" between a list of items that cannot be returned (ranked first, no steps) and
    the article whose "Request a return" section lists the steps: the procedure answers, so the two articles'
    closeness is not split evidence. When both have such steps, or the question does not ask how, it still is;
    steps under a heading that asks its own question ("What happens after...?") are no procedure."""
    policy = replace(HIT, id="non-returnable-items", title="Items you can't return", section="", anchor="",
                     text="Opened mattresses can't be returned. You can return any other item within 15 days.",
                     score=0.58, means_credit=0.16)
    procedure = replace(HIT, text="1. Go to Account > Orders.\n2. Tap Return item.\n3. Book a pickup.",
                        score=0.54, means_credit=0.17)
    other_steps = replace(policy, text="1. Open the order.\n2. Tap Return item if it is not on the list.")

    def decide(query: str, first: SearchHit, second: SearchHit) -> CardDecision:
        cards = AnswerCards(indexed.retriever)
        by_key = {first.key: [first], second.key: [second]}
        cards._article_sections = lambda top: by_key[top.key]  # type: ignore[method-assign]
        cards.rank_sections = lambda query, lang, top: SectionRanking([by_key[top.key][0].anchor], 0.5)  # type: ignore[method-assign]
        result = replace(_search(indexed, query, "en"), query=query, results=(first, second), abstained=False)
        return cards.answer(result)

    assert article_margin([policy, procedure]) >= 0.85  # close: split evidence without the procedure rule
    steps = decide("how do I return an item?", policy, procedure)
    assert steps.card is not None and (steps.card.article, steps.card.anchor) == ("start-a-return", "request-a-return")
    assert steps.signals.get("steps_article") == 1.0, steps
    assert decide("how do I return an item?", other_steps, procedure).reason == "split"
    # steps under a heading asking its own question are what follows a procedure, not one: the procedure answers
    after = replace(other_steps, section="What happens after you return an item?", anchor="after")
    followed = decide("how do I return an item?", after, procedure)
    assert followed.card is not None and followed.card.article == "start-a-return", followed
    assert decide("can I return an item?", policy, procedure).reason == "split"


def test_an_arabic_cards_cells_are_marked_its_blank_corner_kept_and_its_text_reads_rows_as_lines() -> None:
    """drafts41: in a right-to-left cell "1,000 SAR" showed as "SAR 1,000"; a blank corner cell came out as
    "| SplitPay" in the first header cell; the card's text (the API's, a chat widget's) kept the pipes."""
    found = blocks(" | SplitPay | البنوك\nقيمة الطلب | 200 إلى 5,000 SAR | أكثر من 2,000 EGP", "ar")
    assert found == (Block("rows", (" | \u200fSplitPay | البنوك",
                                    "قيمة الطلب | 200 إلى \u200e5,000 SAR | أكثر من \u200e2,000 EGP")),)
    assert found[0].lines[0].split(" | ") == ["", "\u200fSplitPay", "البنوك"]  # as the template and answer.js split
    card = AnswerCard("ar", "a", "T", "S", "s", found, False, "extractive")
    assert card.text == ("- قيمة الطلب — \u200fSplitPay: 200 إلى \u200e5,000 SAR؛ البنوك: أكثر من \u200e2,000 EGP.")
    english = AnswerCard("en", "a", "T", "S", "s", blocks("Method | Time\nmada | 3-7 days"), False, "extractive")
    assert english.text == "- mada: 3-7 days."


@pytest.mark.parametrize(
    ("query", "lang", "anchor", "row"),
    [
        ("What is the delivery fee in the UAE?", "en", "fees-by-country", "- UAE — Standard delivery: 15 AED;"),
        ("how many days does a mada refund take?", "en", "refund-times-by-payment-method", "- mada: 3-7 business"),
        (
            "كم رسوم التوصيل في مصر؟",
            "ar",
            "الرسوم-حسب-الدولة",
            "- مصر — التوصيل العادي: \u200f\u200e45 EGP؛",
        ),
    ],
)
def test_an_amount_question_naming_a_row_gets_that_row_not_the_opening_or_every_row(
    indexed: Engine, query: str, lang: str, anchor: str, row: str
) -> None:
    """drafts42: the card quoted the article's opening (delivery-fees: every country's free-delivery threshold, no
    fee) or refused it as not covering the question (refund-timing), where the table's row states the amount."""
    decision = AnswerCards(indexed.retriever).answer(_search(indexed, query, lang))
    card = decision.card
    assert card is not None and decision.reason == "answered", decision
    assert (card.lang, card.anchor) == (lang, anchor)
    rows = [block for block in card.blocks if block.kind == "rows"]
    assert len(rows) == 1 and len(rows[0].lines) == 2  # the header row naming the cells, and the one row asked
    lines = card.text.split("\n")
    assert any(line.startswith(row) for line in lines), card.text
