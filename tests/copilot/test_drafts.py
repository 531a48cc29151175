"""Reply drafts: grounded in public sections, in the ticket's language, and silent when nothing fits."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from copilot.advice import advise
from copilot.drafts import (
    GroundedDrafter,
    ReplyContext,
    section_text,
)
from copilot.engine import Engine
from copilot.reply_wording import acknowledgement, reply_section, without_contact_advice
from copilot.retrieval import SearchHit
from copilot.section_choice import (
    _heading_phrases,
    choose_sections,
    phrases,
    printed_names,
    questions,
    spelled_names,
    terms,
)
from copilot.suggestions import Suggester
from kb.articles import load_content
from kb.chunking import chunk_article
from kb.parsing import parse_source
from kb.settings import Settings
from tests.conftest import CONTENT, ROOT
from webapp.urls import public_link

BASE = "https://help.example"
LINK = public_link(Settings(base_url=BASE))  # the web layer's links, as the app passes them in
AR_MARKDOWN = (
    "## إعادة التعيين\n\n"
    "نسيت كلمة المرور؟ يمكنك تعيين كلمة مرور جديدة.\n\n"
    "1. اضغط على **«نسيت كلمة المرور؟»**.\n"
    "2. اكتب بريدك الإلكتروني.\n"
    "3. افتح الرابط خلال 30 دقيقة.\n"
)
# A passage's text as the index holds it: kb.parsing's blocks, Markdown syntax already gone.
AR_STEPS = "\n".join(block.text for block in parse_source(AR_MARKDOWN).blocks)


def hit(
    article_id: str = "reset-password",
    lang: str = "ar",
    text: str = AR_STEPS,
    score: float = 0.3,
    internal: bool = False,
    fallback: bool = False,
    anchor: str = "",
    title: str = "إعادة تعيين كلمة المرور",
) -> SearchHit:
    return SearchHit(
        id=article_id,
        lang=lang,
        title=title,
        section="",
        anchor=anchor,
        snippet=text[:50],
        score=score,
        locale_fallback=fallback,
        category="account",
        internal=internal,
        text=text,
    )


def test_arabic_draft_greets_in_arabic_keeps_the_steps_and_links_the_section() -> None:
    draft = GroundedDrafter().draft("ar", "خالد", [hit()], abstained=False, link=LINK)
    assert not draft.abstained
    assert draft.text.startswith("مرحبًا خالد،\n\n")
    lines = draft.text.split("\n")
    steps = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert steps == ["1. اضغط على «نسيت كلمة المرور؟».", "2. اكتب بريدك الإلكتروني.", "3. افتح الرابط خلال 30 دقيقة."]
    assert "**" not in draft.text and "##" not in draft.text
    assert "إعادة التعيين" in lines  # the heading's words stay, its syntax goes
    assert draft.citations == [f"{BASE}/ar/articles/reset-password"]
    assert f"{BASE}/ar/articles/reset-password" in draft.text
    assert "مع أطيب التحيات" in draft.text
    assert draft.source_langs == ["ar"] and draft.drafter == "grounded"


def test_english_draft_cites_the_links_the_caller_builds() -> None:
    passage = hit("apple-pay", "en", "- Add a card to Wallet.\n- Pay with Face ID.", title="Pay with Apple Pay")
    other = public_link(Settings(base_url="https://other.example"))
    draft = GroundedDrafter().draft("en", "Priya", [passage], abstained=False, link=other)
    assert draft.text.startswith("Hi Priya,\n\n- Add a card to Wallet.\n- Pay with Face ID.")
    assert draft.citations == ["https://other.example/en/articles/apple-pay"]
    assert draft.cited == ["en/apple-pay"]  # the article keys, for analytics: no URL parsing


def test_a_close_second_article_is_cited_too_but_not_a_distant_one_or_the_same_article() -> None:
    first = hit("cancel-order", "en", "Cancel from the order page.", 0.30, title="Cancel an order")
    same = hit("cancel-order", "en", "Refunds for cancelled orders.", 0.29, anchor="refunds", title="Cancel an order")
    close = hit("apple-pay", "en", "Apple Pay works in Safari.", 0.28, title="Pay with Apple Pay")
    far = hit("apple-pay", "en", "Apple Pay works in Safari.", 0.10, title="Pay with Apple Pay")
    drafter = GroundedDrafter()
    assert len(drafter.draft("en", "P", [first, same, close], False, link=LINK).citations) == 2
    assert drafter.draft("en", "P", [first, far], False, link=LINK).citations == [f"{BASE}/en/articles/cancel-order"]


def test_a_guide_in_the_other_language_is_announced_in_the_tickets_language() -> None:
    english = hit("gift-cards", "en", "1. Go to Gift cards.", fallback=True, title="Gift cards")
    draft = GroundedDrafter().draft("ar", "ليلى", [english], abstained=False, link=LINK)
    assert f"هذا الدليل متوفر باللغة الإنجليزية: Gift cards\n{BASE}/en/articles/gift-cards\n" in draft.text
    assert draft.source_langs == ["en"]
    arabic = hit(lang="ar", fallback=True)
    assert "This guide is available in Arabic:" in GroundedDrafter().draft("en", "Sam", [arabic], False, link=LINK).text


def test_internal_passages_are_never_quoted_or_linked() -> None:
    internal = hit("refund-approval-limits", "en", "Agents approve up to 500 SAR.", 0.30, internal=True)
    public = hit("refund-timing", "en", "Refunds take 5-10 business days.", 0.25, title="Refund timing")
    draft = GroundedDrafter().draft("en", "Layla", [internal, public], abstained=False, link=LINK)
    assert draft.citations == [f"{BASE}/en/articles/refund-timing"]
    assert "500 SAR" not in draft.text and "refund-approval-limits" not in draft.text


@pytest.mark.parametrize("public_score", [None, 0.05])
def test_when_only_internal_articles_fit_the_drafter_abstains_with_a_note(public_score: float | None) -> None:
    passages = [hit("refund-approval-limits", "en", "Agents approve up to 500 SAR.", 0.30, internal=True)]
    if public_score is not None:
        passages.append(hit("refund-timing", "en", "Refunds take 5-10 business days.", public_score))
    draft = GroundedDrafter().draft("en", "Layla", passages, abstained=False, link=LINK)
    assert draft.abstained and draft.text == "" and draft.citations == []
    assert draft.reason == "internal_only"
    assert "do not share" in draft.reason_text("en") and "داخلية" in draft.reason_text("ar")


@pytest.mark.parametrize(("passages", "abstained"), [([], False), ([hit()], True)])
def test_abstains_when_search_abstained_or_found_nothing(passages: list[SearchHit], abstained: bool) -> None:
    draft = GroundedDrafter().draft("ar", "خالد", passages, abstained, link=LINK)
    assert draft.abstained and draft.text == "" and draft.citations == []
    assert draft.reason_text("en") == "No article covers this"
    assert draft.reason_text("ar") == "لا توجد مقالة تغطي هذا الموضوع"


def test_long_sections_are_cut_at_a_line_and_marked() -> None:
    text = "\n".join(f"{n}. Step number {n} of a long procedure." for n in range(1, 60))
    cut = section_text(text, 200)
    assert len(cut) <= 200 and cut.endswith("\n…")
    assert all(line == "…" or line.endswith(".") for line in cut.split("\n"))


def test_arabic_demo_ticket_gets_arabic_passages_and_a_draft_citing_its_article(
    indexed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T-1006 (labelled reset-password, which is in the test slice), end to end with the real models."""
    monkeypatch.setattr(indexed.retriever, "settings", replace(indexed.retriever.settings, base_url=BASE))
    tickets = [json.loads(line) for line in (CONTENT / "_demo/tickets.jsonl").read_text("utf-8").splitlines()]
    ticket = next(t for t in tickets if t["external_id"] == "T-1006")
    messages = [m["body"] for m in ticket["messages"] if m["author"] == "customer"]
    suggestions = Suggester(indexed.retriever).suggest(ticket["subject"], messages)
    assert suggestions.lang == "ar" and not suggestions.abstained
    assert suggestions.passages[0].id == "reset-password" and suggestions.passages[0].lang == "ar"
    name = ticket["customer"]["name"]
    context = ReplyContext(suggestions.query, messages)
    draft = GroundedDrafter().draft(suggestions.lang, name, suggestions.draftable(), False, link=LINK, context=context)
    assert draft.text.startswith(f"مرحبًا {ticket['customer']['name']}،")
    assert f"{BASE}/ar/articles/reset-password" in draft.citations
    assert "1. " in draft.text and draft.source_langs == ["ar"]


# -- drafts that answer the question (issue #17) -------------------------------------------------


def section(
    article_id: str,
    anchor: str,
    heading: str,
    text: str,
    score: float,
    lang: str = "en",
    internal: bool = False,
    title: str = "",
) -> SearchHit:
    """A passage of one section, as search (or copilot.article_sections) hands it to the drafter."""
    return replace(
        hit(article_id, lang, text, score=score, internal=internal, anchor=anchor, title=title or article_id),
        section=heading,
    )


RETURN_TITLE = "كيف أُرجع منتجًا؟"
RETURN_STATUS = section(
    "start-a-return",
    "تابع-حالة-الإرجاع",
    "تابع حالة الإرجاع",
    "تعرض صفحة الطلب المرحلة التي وصل إليها الإرجاع:\nالحالة | المعنى\nتم تقديم الطلب | استلمنا طلبك وحجزنا موعد"
    " الاستلام.\nقيد الفحص | نفحص المنتج خلال 3 أيام عمل كحد أقصى.",
    0.236,
    "ar",
    title=RETURN_TITLE,
)
MISSING_CHECKLIST = section(
    "missing-or-wrong-item",
    "قبل-الإبلاغ-تأكد-من-التالي",
    "قبل الإبلاغ تأكد من التالي",
    "- هل استلمه أحد الجيران أو حارس المبنى؟\n- هل وصل الطلب في أكثر من شحنة؟",
    0.225,
    "ar",
    title="منتج ناقص أو خاطئ",
)
RETURN_STEPS = section(
    "start-a-return",
    "خطوات-تقديم-طلب-الإرجاع",
    "خطوات تقديم طلب الإرجاع",
    "1. من تطبيق منزل، ادخل إلى «الحساب > الطلبات».\n2. افتح الطلب واضغط «إرجاع منتجات».\n"
    "3. اختر سبب الإرجاع.\n4. راجع الملخص وأي رسوم استلام، ثم اضغط «إرسال طلب الإرجاع».",
    0.224,
    "ar",
    title=RETURN_TITLE,
)
PICKUP_FEE = section(
    "start-a-return",
    "رسوم-الاستلام",
    "رسوم الاستلام",
    "- تغيّر الرأي: 15 ريالًا أو 15 درهمًا أو 40 جنيهًا، تُخصم من المبلغ المسترد.\n- منتج معيب أو تالف: مجانًا.",
    0.224,
    "ar",
    title=RETURN_TITLE,
)
T1002 = (
    "ابغى ارجع الطلب. ابغى ارجع الطلب حق مكينة القهوة، وصلتني قبل 4 أيام وما استخدمتها بس طلعت كبيرة على"
    " المطبخ. الكرتون مفتوح بس كل شي داخله زي ما هو. كيف ارجعها؟ وهل فيه رسوم على الاستلام؟"
)


MISSING_REPORT = section(
    "missing-or-wrong-item",
    "طريقة-الإبلاغ",
    "طريقة الإبلاغ",
    "1. ادخل إلى «الحساب > الطلبات» وافتح الطلب.\n2. اضغط «الإبلاغ عن مشكلة».\n3. أرفق صور الكرتون والمحتويات كما"
    " وصلتك.\nلن تدفع أي رسوم استلام.",
    0.225,
    "ar",
    title="منتج ناقص أو خاطئ",
)


def test_a_return_and_fee_question_gets_the_steps_whole_and_the_pickup_fee_not_the_status_table() -> None:
    """T-1002: search ranks the status table and the missing-item article first; the draft quotes
    the steps to start a return and the pickup fee, one section per question, and nothing of the
    missing-item article search ranked close (its report steps share the story's words: box, fee)."""
    passages = [RETURN_STATUS, MISSING_CHECKLIST, MISSING_REPORT, RETURN_STEPS, PICKUP_FEE]
    draft = GroundedDrafter().draft("ar", "خالد", passages, False, link=LINK, context=ReplyContext(question=T1002))
    assert not draft.abstained
    assert "1. من تطبيق منزل، ادخل إلى «الحساب > الطلبات»." in draft.text
    assert "4. راجع الملخص وأي رسوم استلام، ثم اضغط «إرسال طلب الإرجاع»." in draft.text
    assert "15 ريالًا" in draft.text
    assert "قيد الفحص" not in draft.text and "الجيران" not in draft.text and "الإبلاغ عن مشكلة" not in draft.text
    assert draft.citations == [
        f"{BASE}/ar/articles/start-a-return#خطوات-تقديم-طلب-الإرجاع",
        f"{BASE}/ar/articles/start-a-return#رسوم-الاستلام",
    ]


CHARGED_TWICE = section(
    "failed-payment",
    "was-i-charged-twice",
    "Was I charged twice?",
    "No. Manzil never charges you twice for one order. If you see two amounts, one of them is a hold from a failed"
    " attempt and will disappear within 7-14 days.",
    0.35,
    title="Why did my payment fail?",
)


def test_a_charged_twice_ticket_never_gets_the_articles_rhetorical_no() -> None:
    question = "charged twice for the same order. My banking app shows two charges of 1,249 AED. Please explain."
    draft = GroundedDrafter().draft("en", "Priya", [CHARGED_TWICE], False, link=LINK, context=ReplyContext(question))
    assert "one of them is a hold from a failed attempt and will disappear within 7-14 days." in draft.text
    assert "No." not in draft.text and "never charges" not in draft.text
    arabic = section(
        "failed-payment",
        "هل-خصم-المبلغ-مرتين",
        "هل خصم المبلغ مرتين؟",
        "لا. منزل لا تخصم المبلغ مرتين للطلب نفسه. إذا رأيت مبلغين، فأحدهما حجز مؤقت من محاولة فاشلة ويختفي خلال"
        " 7 إلى 14 يومًا.",
        0.35,
        "ar",
    )
    question = "المبلغ انخصم مرتين من بطاقتي والطلب واحد بس. وش السالفة؟"
    draft = GroundedDrafter().draft("ar", "سلطان", [arabic], False, link=LINK, context=ReplyContext(question))
    assert "فأحدهما حجز مؤقت" in draft.text and "لا. منزل" not in draft.text and "لا تخصم" not in draft.text


REFUND_LATE = section(
    "refund-timing",
    "still-havent-received-it",
    "Still haven't received it?",
    "1. Check the date of the Refund issued message.\n2. Contact us via chat or the contact form with your order"
    " number.\n3. Look for a credit named Manzil on your statement.\nStill nothing after that? Contact our customer"
    " care team.",
    0.33,
    title="When will I get my refund?",
)


def test_an_angry_repeat_contact_is_acknowledged_once_and_never_told_to_contact_support() -> None:
    messages = [
        "I returned the mixer two weeks ago. Still no refund.",
        "Writing again. Nobody replies.",
        "This is my third email. Where is my money? When will I get my refund?",
    ]
    context = ReplyContext(question=" ".join(messages), customer_messages=messages)
    draft = GroundedDrafter().draft("en", "Faisal", [REFUND_LATE], False, link=LINK, context=context)
    paragraphs = draft.text.split("\n\n")
    assert paragraphs[1] == "I'm sorry this is your third message about this, and thank you for your patience."
    assert draft.text.count("sorry") == 1
    assert "contact" not in draft.text.lower()
    # The dropped step leaves the steps numbered 1, 2.
    assert "1. Check the date of the Refund issued message.\n2. Look for a credit named Manzil" in draft.text
    calm = ReplyContext(question="When will I get my refund for the mixer?", customer_messages=["When will I get it?"])
    assert "sorry" not in GroundedDrafter().draft("en", "F", [REFUND_LATE], False, link=LINK, context=calm).text
    arabic = ["هذي ثالث مرة أكلمكم. فلوسي ما رجعت!"]
    context = ReplyContext(question=arabic[0], customer_messages=arabic)
    assert acknowledgement("ar", arabic) == "نعتذر لأن هذه رسالتك الثالثة بخصوص هذا الموضوع، ونشكرك على صبرك."
    # "the THIRD time your courier didn't show up" is an upset customer, not a third message.
    assert acknowledgement("en", ["THIRD time your courier didn't show up!!! Nobody came."]) == (
        "I'm sorry for the trouble this has caused you."
    )
    second = acknowledgement("en", ["Where is my refund?"], earlier_contacts=1)
    assert second.startswith("I'm sorry this is your second")


def test_off_topic_tickets_abstain_with_no_article_even_when_search_returns_passages() -> None:
    job = (
        "التقديم على وظيفة. أنا خريج تجارة وعندي خبرة سنة في خدمة العملاء. حابب أقدم على وظيفة عندكم،"
        " أبعت الـ CV على فين؟"
    )
    supplier = "We are a factory producing LED lights. We would like to become your supplier. Best price guaranteed."
    tyres = "do you sell car tyres and car batteries? I need 4 tyres for a Camry"
    for lang, question in (("ar", job), ("en", supplier), ("en", tyres)):
        draft = GroundedDrafter().draft(
            lang, "Ahmed", [MISSING_CHECKLIST, RETURN_STATUS], False, link=LINK, context=ReplyContext(question)
        )
        assert draft.abstained and draft.reason == "no_article" and draft.text == ""
        assert draft.reason_text("en") == "No article covers this"


def test_a_question_only_an_internal_procedure_answers_gets_the_internal_only_notice() -> None:
    goodwill = section(
        "goodwill-credits",
        "limits",
        "Limits",
        "Agents can give Manzil credit as compensation: up to 50 SAR per customer per 90 days for a late express"
        " delivery.",
        0.30,
        internal=True,
        title="Goodwill credits",
    )
    public = section(
        "delivery-times",
        "your-exact-delivery-date",
        "Your exact delivery date",
        "The delivery date is shown at checkout.",
        0.29,
        title="How long does delivery take?",
    )
    question = "Express order arrived 3 days late. I want Manzil credit as compensation. How much credit do you give?"
    draft = GroundedDrafter().draft("en", "Hamad", [goodwill, public], False, link=LINK, context=ReplyContext(question))
    assert draft.abstained and draft.reason == "internal_only" and "50 SAR" not in draft.text


def test_links_are_absolute_each_alone_on_its_line_and_the_agent_signs_with_the_team() -> None:
    context = ReplyContext(question=T1002, agent_name="Layla  Hassan")
    passages = [RETURN_STATUS, RETURN_STEPS, PICKUP_FEE]
    draft = GroundedDrafter().draft("ar", "خالد", passages, False, link=LINK, context=context)
    lines = draft.text.split("\n")
    url_lines = [line for line in lines if "http" in line or "/articles/" in line]
    assert url_lines and all(line.startswith(f"{BASE}/ar/articles/") and " " not in line for line in url_lines)
    assert url_lines == draft.citations
    assert draft.text.endswith("مع أطيب التحيات،\nLayla Hassan\nفريق خدمة عملاء منزل")
    english = GroundedDrafter().draft(
        "en",
        "Priya",
        [CHARGED_TWICE],
        False,
        link=LINK,
        context=ReplyContext("charged twice", agent_name="Omar", team_name="Manzil UAE care"),
    )
    assert english.text.startswith("Hi Priya,\n\n")
    assert english.text.endswith("Best regards,\nOmar\nManzil UAE care")
    assert f"More details: Why did my payment fail? – Was I charged twice?\n{BASE}/en/articles/failed-payment#" in (
        english.text
    )


def test_reply_section_keeps_steps_whole_and_the_section_choice_is_deterministic() -> None:
    assert reply_section("1. Open the app.\n2. Call us on 800 123.\n3. Tap Returns.") == (
        "1. Open the app.\n2. Tap Returns."
    )
    assert reply_section("Yes. You can.") == "You can."
    passages = [RETURN_STATUS, MISSING_CHECKLIST, RETURN_STEPS, PICKUP_FEE]
    first = choose_sections(T1002, passages)
    assert all(choose_sections(T1002, passages) == first for _ in range(5))
    assert [hit.anchor for hit in first.sections] == ["خطوات-تقديم-طلب-الإرجاع", "رسوم-الاستلام"]
    assert questions(T1002) == ["كيف ارجعها؟", "وهل فيه رسوم على الاستلام؟"]
    listed = "two problems: 1) the app closes when i open the cart. 2) i dont get any notifications anymore."
    assert questions(listed) == ["the app closes when i open the cart.", "i dont get any notifications anymore."]


def test_every_labelled_answer_is_a_section_the_index_holds() -> None:
    """The bench counts a draft right when it links a labelled "article#anchor"; an anchor no chunk
    has (a bold line, or a heading merged into the section before it) could never be cited."""
    lines = (CONTENT / "_demo/tickets.jsonl").read_text("utf-8").splitlines()
    tickets = {ticket["external_id"]: ticket for ticket in map(json.loads, lines)}
    labels = [json.loads(line) for line in (ROOT / "tests/eval/ticket_labels.jsonl").read_text("utf-8").splitlines()]
    anchors = {
        f"{chunk.lang}/{chunk.article_id}#{chunk.anchor}"
        for article in load_content(CONTENT).articles
        for chunk in chunk_article(article)
    }
    assert len(labels) >= 80
    missing = [
        (label["external_id"], anchor)
        for label in labels
        for anchor in label.get("anchors", [])
        if f"{tickets[label['external_id']]['lang']}/{anchor}" not in anchors
    ]
    assert missing == []


FAULTY_ON_ARRIVAL = section(
    "warranty-coverage",
    "faulty-on-arrival",
    "Faulty on arrival",
    "If a device does not work the first time you use it, it is covered from day one: request a replacement"
    " within 7 days of delivery from the order page.",
    0.285,
    title="What does the warranty cover?",
)
REPORT_DAMAGE = section(
    "damaged-item",
    "report-the-damage",
    "Report the damage",
    "1. Take photos of the damaged item and of the box.\n2. Open the order and tap Report a problem.\n"
    "3. Choose Arrived damaged and add the photos. We send a replacement or refund you.",
    0.252,
    title="My order arrived damaged",
)
BROKEN_JUG = (
    "Blender arrived with a cracked jug. It was delivered this morning and the glass jug is cracked down the side,"
    " the box was dented too. I took photos. I want a replacement."
)


def test_an_article_search_ranked_close_behind_the_first_adds_its_covering_section() -> None:
    """T-1038: search ranks the warranty's "faulty on arrival" first and the damaged-item article close
    behind; its steps (which answer) join the draft, after the first article's section. Further back they
    join only while they cover the ticket better than the first article does (T-1067, the exchange section
    at 0.68 of the first), down to COVERING_ARTICLE_FLOOR; below it search's first article stands alone."""
    passages = [FAULTY_ON_ARRIVAL, REPORT_DAMAGE]
    draft = GroundedDrafter().draft("en", "Omar", passages, False, link=LINK, context=ReplyContext(BROKEN_JUG))
    assert draft.citations == [
        f"{BASE}/en/articles/warranty-coverage#faulty-on-arrival",
        f"{BASE}/en/articles/damaged-item#report-the-damage",
    ]
    assert "1. Take photos of the damaged item and of the box." in draft.text
    behind = [FAULTY_ON_ARRIVAL, replace(REPORT_DAMAGE, score=0.285 * 0.7)]
    draft = GroundedDrafter().draft("en", "Omar", behind, False, link=LINK, context=ReplyContext(BROKEN_JUG))
    assert draft.citations[1:] == [f"{BASE}/en/articles/damaged-item#report-the-damage"]
    distant = [FAULTY_ON_ARRIVAL, replace(REPORT_DAMAGE, score=0.285 * 0.45)]
    draft = GroundedDrafter().draft("en", "Omar", distant, False, link=LINK, context=ReplyContext(BROKEN_JUG))
    assert draft.citations == [f"{BASE}/en/articles/warranty-coverage#faulty-on-arrival"]
    covers_less = replace(REPORT_DAMAGE, text="Keep the box until the courier collects the item.", score=0.285 * 0.7)
    draft = GroundedDrafter().draft(
        "en", "Omar", [FAULTY_ON_ARRIVAL, covers_less], False, link=LINK, context=ReplyContext(BROKEN_JUG)
    )
    assert draft.citations == [f"{BASE}/en/articles/warranty-coverage#faulty-on-arrival"]
    assert choose_sections(BROKEN_JUG, passages) == choose_sections(BROKEN_JUG, passages)


def test_the_angry_third_contact_demo_ticket_end_to_end(indexed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """T-1028 (a refund, third message, upset) through the agent screen's path with the real models:
    greeted by name, the repeat acknowledged once, the refund sections quoted without any "contact us",
    absolute links alone on their lines, the agent's name and the team under the closing."""
    monkeypatch.setattr(indexed.retriever, "settings", replace(indexed.retriever.settings, base_url=BASE))
    tickets = [json.loads(line) for line in (CONTENT / "_demo/tickets.jsonl").read_text("utf-8").splitlines()]
    ticket = next(t for t in tickets if t["external_id"] == "T-1028")
    messages = [m["body"] for m in ticket["messages"] if m["author"] == "customer"]
    advice = advise(
        Suggester(indexed.retriever),
        GroundedDrafter(),
        ticket["subject"],
        messages,
        "ar",
        ticket["customer"]["name"],
        LINK,
        agent_name="Layla Hassan",
    )
    draft = advice.draft
    assert draft is not None and not draft.abstained
    paragraphs = draft.text.split("\n\n")
    assert paragraphs[0] == "مرحبًا خالد،"
    assert paragraphs[1] == "نعتذر لأن هذه رسالتك الثالثة بخصوص هذا الموضوع، ونشكرك على صبرك."
    assert draft.text.count("نعتذر") == 1
    assert not any(phrase in draft.text for phrase in ("تواصل معنا", "تواصل مع خدمة", "نموذج التواصل", "عبر المحادثة"))
    assert draft.citations and all(url.startswith(f"{BASE}/ar/articles/refund-timing") for url in draft.citations)
    url_lines = [line for line in draft.text.split("\n") if "/articles/" in line]
    assert url_lines == draft.citations
    assert draft.text.endswith("مع أطيب التحيات،\nLayla Hassan\nفريق خدمة عملاء منزل")


CANCEL_SHIPPED = section(
    "cancel-order",
    "the-order-has-already-shipped",
    "The order has already shipped",
    "Once a parcel has left our warehouse it can no longer be stopped: refuse it at the door.",
    0.318,
    title="Cancel an order",
)
CANCEL_A_RETURN = section(
    "start-a-return",
    "change-or-cancel-a-return",
    "Change or cancel a return",
    "Changed your mind? Cancel a return request until the courier collects the item: open the order, tap Return"
    " details, then Cancel return.",
    0.264,
    title="Start a return",
)


def test_a_tied_articles_section_that_covers_the_question_clearly_better_leads_the_draft() -> None:
    """T-1048: search puts "Cancel an order" first and the return article close behind; the section on
    cancelling a return request answers the ticket, the first article's barely touches it, so the
    return article's section comes first."""
    question = (
        "cancel my return request. I requested a return for the lamp yesterday but I changed my mind and want to"
        " keep it. How do I cancel the return before the courier comes?"
    )
    choice = choose_sections(question, [CANCEL_SHIPPED, CANCEL_A_RETURN])
    assert choice.sections[0] == CANCEL_A_RETURN
    draft = GroundedDrafter().draft(
        "en", "Sara", [CANCEL_SHIPPED, CANCEL_A_RETURN], False, link=LINK, context=ReplyContext(question)
    )
    assert draft.citations[0] == f"{BASE}/en/articles/start-a-return#change-or-cancel-a-return"
    assert draft.text.split("\n\n")[1].startswith("Changed your mind? Cancel a return request")


APPLE_PAY_STEPS = section(
    "apple-pay",
    "طريقة-الدفع",
    "طريقة الدفع",
    "1. أضف المنتجات إلى السلة واضغط إتمام الطلب.\n2. اختر Apple Pay وسيلة للدفع.\n"
    "3. أكد الدفع ببصمة الوجه أو الإصبع على iPhone.",
    0.309,
    "ar",
    title="الدفع عبر Apple Pay",
)
COD_REFUND = section(
    "cash-on-delivery",
    "استرداد-المبلغ-في-طلبات-الدفع-عند-الاستلام",
    "استرداد المبلغ في طلبات الدفع عند الاستلام",
    "عند إرجاع منتج دفعت ثمنه عند الاستلام تختار طريقة الاسترداد، ولا تسترد رسوم الدفع عند الاستلام إلا إذا كان"
    " المنتج معيبا.",
    0.299,
    "ar",
    title="الدفع عند الاستلام",
)


def test_a_name_the_ticket_spells_in_arabic_meets_the_section_that_prints_it_in_latin() -> None:
    """"بأبل باي من الآيفون" is the "Apple Pay" and "iPhone" an Arabic article prints in Latin: that
    question gets the Apple Pay steps, the other one the cash-on-delivery fee section."""
    ticket = "ابل باي والدفع عند الاستلام. أقدر أدفع بأبل باي من الآيفون؟ ولو اخترت الدفع عند الاستلام فيه رسوم زيادة؟"
    names = set(spelled_names(ticket, frozenset({"apple", "pay", "iphone"})))
    assert names == {"apple", "pay", "iphon"}  # as comparable terms (cut to their first letters)
    chosen = choose_sections(ticket, [COD_REFUND, APPLE_PAY_STEPS])
    assert "apple-pay" in [hit.id for hit in chosen.sections]


def test_only_names_the_sections_print_are_read_and_never_dialect_words_or_acronyms() -> None:
    # Nothing to read against: no list of names stands in for the sections'.
    assert spelled_names("أقدر أدفع بأبل باي؟", frozenset()) == []
    # "ازاي" (how) sounds like iOS: a dialect word is not read. Acronyms ("iOS", "EGP": spelt letter by
    # letter in Arabic script) are not names a section prints, so "يجب" (must) is never read as EGP.
    assert spelled_names("أدخل على الحساب ازاي؟", frozenset({"ios"})) == []
    assert printed_names("الرسوم 25 EGP، ادفع عبر Apple Pay على iPhone بنظام iOS") == {"apple", "pay", "iphone"}
    # A shop's own name is a stop word here as everywhere in the section choice.
    assert spelled_names("اشتراك منزل بلس", frozenset({"manzil", "plus"})) == ["plus"]
    # English tickets have no Arabic-script words to read.
    assert spelled_names("Can I pay with Apple Pay?", frozenset({"apple", "pay"})) == []


INSTALMENTS_TITLE = "التقسيط عبر SplitPay أو البنوك"
INSTALMENTS_OPENING = section(
    "instalments-splitpay",
    "",
    "",
    "في السعودية والإمارات يمكنك تقسيم أي طلب على 4 دفعات شهرية بلا فوائد عبر SplitPay. وفي مصر يمكنك تقسيط"
    " الطلبات التي تزيد على 2,000 جنيه على 6 أو 12 شهرًا ببطاقة ائتمان من أحد البنوك المشاركة.",
    0.366,
    "ar",
    title=INSTALMENTS_TITLE,
)
INSTALMENTS_TERMS = section(
    "instalments-splitpay",
    "شروط-الاستفادة",
    "تقسيط البنوك في مصر > شروط الاستفادة",
    "- أن تزيد قيمة الطلب على 2,000 جنيه.\n- أن تدفع ببطاقة ائتمان صادرة عن أحد البنوك المشاركة.\n"
    "- أن يكفي الحد الائتماني المتاح لكامل قيمة الطلب، لأن البنك يخصم المبلغ كاملًا ثم يحوّله إلى أقساط.",
    0.347,
    "ar",
    title=INSTALMENTS_TITLE,
)


def test_arabic_can_is_no_topic_word_as_english_can_is_not() -> None:
    """"ينفع"/"أقدر" (can, read as MSA "يمكن") ask permission, like English "can": no section answers
    them, so the opening that says "يمكنك" (you can) does not beat the conditions section for an
    "I want to pay this by instalments, can I?" ticket (T-1032's kind)."""
    assert terms("ينفع أقسطها؟ أقدر أقسطها؟") == terms("أقسطها؟ أقسطها؟")
    assert terms("Can I pay it in instalments?") == terms("pay it in instalments?")
    ticket = "تقسيط تلاجة. عايزة أشتري تلاجة بـ 24,000 جنيه، ينفع أقسطها؟ معايا كريدت كارد من البنك الأهلي."
    chosen = choose_sections(ticket, [INSTALMENTS_OPENING, INSTALMENTS_TERMS])
    assert chosen.sections[0] == INSTALMENTS_TERMS


OTHER_CITIES = section(
    "delivery-areas",
    "other-cities-and-remote-areas",
    "Other cities and remote areas",
    "We deliver everywhere else in all three countries, usually in 3-7 business days.",
    0.330,
    title="Where we deliver",
)
SEVERAL_PARCELS = section(
    "track-order",
    "if-your-order-has-several-parcels",
    "If your order has several parcels",
    "Items from different warehouses may arrive separately. Each parcel has its own tracking link.",
    0.325,
    title="Track your order",
)


def test_where_which_and_other_are_no_topic_words() -> None:
    """T-1045: "only one parcel arrived ... Where are the other items?" shares "other" with the heading
    "Other cities and remote areas" and "parcel" with the several-parcels section; "where", "which" and
    "other" say nothing about what is asked (as "what" and "how" do not), so the parcels section leads."""
    assert terms("Where are the other items? Which one?") == terms("items?")
    ticket = "Hi, my order had three items but only one parcel arrived today. Where are the other items?"
    assert choose_sections(ticket, [OTHER_CITIES, SEVERAL_PARCELS]).sections[0] == SEVERAL_PARCELS


CANCEL_SHIPPED_AR = section(
    "cancel-order",
    "الطلب-شحن-بالفعل",
    "الطلب شحن بالفعل",
    "إذا شُحن الطلب فلا يمكن إلغاؤه، لكن يمكنك رفض استلامه عند وصول المندوب أو إرجاعه بعد الاستلام.",
    0.321,
    "ar",
    title="إلغاء طلب",
)
CANCEL_RETURN_AR = section(
    "start-a-return",
    "تعديل-طلب-الإرجاع-أو-إلغاؤه",
    "تعديل طلب الإرجاع أو إلغاؤه",
    "غيرت رأيك؟ ألغِ الإرجاع من صفحة الطلب ما دام المندوب لم يستلم المنتج بعد.",
    0.313,
    "ar",
    title="كيف أرجع منتجًا؟",
)


def test_a_section_whose_heading_says_the_tickets_words_in_order_is_named_after_the_question() -> None:
    """T-1071 / T-1048 (the same ticket in both languages): "cancel my return request" is what the
    heading "تعديل طلب الإرجاع أو إلغاؤه" / "Change or cancel a return" names; the first article's
    section shares as many words, not the phrase. A pair that is the article's title words names the
    article, not one of its sections."""
    assert phrases("How do I cancel the return?") == {("cance", "retur")}
    assert _heading_phrases("Manzil gift cards", "Buy a gift card") == {("buy", "gift")}  # not ("gift", "card")
    assert _heading_phrases("Start a return", "Change or cancel a return") == {("chang", "cance"), ("cance", "retur")}
    ticket = (
        "ابي الغي طلب الارجاع. قدمت طلب إرجاع للأباجورة أمس بس غيرت رأيي وأبي أخليها. كيف ألغي الإرجاع قبل ما يجي"
        " المندوب؟"
    )
    assert choose_sections(ticket, [CANCEL_SHIPPED_AR, CANCEL_RETURN_AR]).sections[0] == CANCEL_RETURN_AR


def test_contact_advice_goes_sentence_by_sentence_and_line_by_line() -> None:
    text = "Refunds take 5 days. Contact us via chat.\nتواصل معنا عبر المحادثة.\n"
    text += "1. Open Orders. Then contacting Manzil helps."
    assert without_contact_advice(text) == "Refunds take 5 days.\n1. Open Orders."


CHECK_FIRST = section(
    "missing-or-wrong-item",
    "قبل-الإبلاغ-تأكد-من-التالي",
    "قبل الإبلاغ، تأكّد من التالي",
    "- هل فتّشت داخل جميع العبوات؟ أحيانًا تُغلَّف الملحقات الصغيرة داخل الكرتون الأكبر.\n"
    "- هل استلمها شخص آخر؟ اسأل أفراد أسرتك أو جيرانك.",
    0.217,
    "ar",
    title="منتج ناقص أو خاطئ",
)
EXCHANGE = section(
    "return-policy",
    "الاستبدال",
    "الاستبدال",
    "لا نوفر الاستبدال المباشر في حالات تغيّر الرأي؛ أرجع المنتج ثم اطلب المنتج الذي تريده في طلب جديد. أما"
    " المنتجات التي تصلك تالفة فنعرض عليك استبدالها.",
    0.147,
    "ar",
    title="سياسة الإرجاع",
)


def test_a_customers_verb_meets_the_sections_verbal_noun_and_brings_its_article_in() -> None:
    """T-1067: "ينفع أبدلها" (can I exchange it) is answered by the return policy's "الاستبدال", which search
    scored at 0.68 of a missing-item checklist that shares "صغيرة" and "أكبر" with the ticket. The verb and
    the form-X noun meet on their root (copilot.word_roots), so the exchange section covers the ticket
    better than the first article does, and joins the draft."""
    question = "ابغى ابدل المقاس. الزولية طلعت صغيرة على المجلس، ينفع أبدلها بمقاس أكبر بدال ما أرجعها؟"
    choice = choose_sections(question, [CHECK_FIRST, EXCHANGE])
    assert EXCHANGE in choice.sections
    draft = GroundedDrafter().draft(
        "ar", "نورة", [CHECK_FIRST, EXCHANGE], False, link=LINK, context=ReplyContext(question)
    )
    assert f"{BASE}/ar/articles/return-policy#الاستبدال" in draft.citations
    # Search's order stands when the exchange section is no better a match than the checklist
    story = "الزولية طلعت صغيرة على المجلس والكرتون الأكبر وصل"
    assert choose_sections(story, [CHECK_FIRST, EXCHANGE]).sections == [CHECK_FIRST]


def test_a_draft_is_re_signed_by_the_agent_who_sends_it() -> None:
    """A precomputed draft signed by the assignee went out under their name when another agent sent it."""
    from copilot.drafts import signed_by

    for context in (ReplyContext("charged twice", agent_name="Omar"), ReplyContext("charged twice")):
        draft = GroundedDrafter().draft("en", "Priya", [CHARGED_TWICE], False, link=LINK, context=context)
        resigned = signed_by(draft.text, "Sara  Ali")
        assert resigned.endswith("Best regards,\nSara Ali\nManzil Customer Care")
        assert "Omar" not in resigned and resigned.split("Best regards,")[0] == draft.text.split("Best regards,")[0]
    arabic = GroundedDrafter().draft("ar", "خالد", [RETURN_STATUS], False, link=LINK,
                                     context=ReplyContext(T1002, agent_name="ليلى", team_name="فريق منزل"))
    assert signed_by(arabic.text, "سارة").endswith("مع أطيب التحيات،\nسارة\nفريق منزل")
    assert signed_by("Thanks, we are on it.\nOmar", "Sara") == "Thanks, we are on it.\nOmar"  # no draft closing


AR_FEES = (  # the Arabic fees section as the index holds it: the table's rows are "a | b" lines
    "الدولة | التوصيل العادي | توصيل عادي مجاني للطلبات فوق | "
    "التوصيل السريع (اليوم التالي، المدن الرئيسية، قبل 14:00)\n"
    "السعودية | 19 SAR | 200 SAR | 35 SAR\n"
    "الإمارات | 15 AED | 150 AED | 25 AED\n"
    "الرسوم شاملة ضريبة القيمة المضافة."
)


def test_a_draft_quoting_a_table_reads_its_rows_as_lines_marked_to_read_right_in_arabic() -> None:
    """drafts41: the draft quoted "السعودية | 19 SAR | 200 SAR | 35 SAR", pipes and all, and an amount after
    Arabic read "SAR 19" in the customer's mail."""
    passage = hit("delivery-fees", text=AR_FEES, title="رسوم التوصيل")
    draft = GroundedDrafter().draft("ar", "خالد", [passage], abstained=False, link=LINK)
    assert "|" not in draft.text and "الدولة" not in draft.text  # the header names the cells, not a line
    lines = draft.text.split("\n")
    assert "- السعودية — التوصيل العادي: \u200e19 SAR؛ توصيل عادي مجاني للطلبات فوق: \u200e200 SAR؛ " \
           "التوصيل السريع (اليوم التالي، المدن الرئيسية، قبل 14:00): \u200e35 SAR." in lines
    assert "الرسوم شاملة ضريبة القيمة المضافة." in lines
    assert draft.citations == [f"{BASE}/ar/articles/delivery-fees"]  # the citation and its link line are unchanged
    english = hit("refund-timing", "en", "Payment method | Time\nmada | 3-7 business days", title="Refund timing")
    text = GroundedDrafter().draft("en", "Sam", [english], abstained=False, link=LINK).text
    assert "- mada: 3-7 business days." in text.split("\n") and "\u200e" not in text and "\u200f" not in text


def test_a_cut_section_never_ends_on_a_table_header_without_its_rows() -> None:
    text = "Fees apply.\nCountry | Fee\nKSA | 19 SAR"
    assert section_text(text, len("Fees apply.\nCountry | Fee\n") + 2) == "Fees apply.\n…"
    assert section_text(text, 200) == text


# -- the part of the section that answers (drafts42) -----------------------------------------------


def article_sections(lang: str, article_id: str, score: float = 0.3) -> list[SearchHit]:
    """An article's sections as the index holds them (kb.chunking), in reading order, the opening first: what
    copilot.suggestions hands the drafter beside the passages."""
    article = next(a for a in load_content(CONTENT).articles if a.lang == lang and a.id == article_id)
    return [
        section(article_id, chunk.anchor, chunk.section, chunk.text, score, lang, title=article.title)
        for chunk in chunk_article(article)
    ]


@pytest.mark.parametrize(
    ("lang", "question", "row", "opening"),
    [
        ("en", "How much is delivery to the UAE?", "- UAE — Standard delivery: 15 AED;", "Standard delivery is free"),
        ("ar", "كم رسوم التوصيل للإمارات؟", "- الإمارات — التوصيل العادي: \u200e15 AED؛", "التوصيل العادي مجاني"),
    ],
)
def test_a_fee_question_naming_a_country_quotes_its_table_row_not_the_opening(
    lang: str, question: str, row: str, opening: str
) -> None:
    """drafts41's leftover: the draft quoted delivery-fees' opening paragraph (every country's free-delivery
    threshold, no fee), not the "Fees by country" row that answers."""
    sections = article_sections(lang, "delivery-fees")
    draft = GroundedDrafter().draft(
        lang, "Sam", sections, abstained=False, link=LINK, context=ReplyContext(question=question)
    )
    lines = draft.text.split("\n")
    assert any(line.startswith(row) for line in lines), draft.text
    assert opening not in draft.text and not any(line.startswith(("- KSA", "- السعودية")) for line in lines)
    assert draft.cited == [f"{lang}/delivery-fees"] and draft.citations[0].endswith(f"#{sections[1].anchor}")


def test_a_question_naming_no_row_keeps_the_opening_and_a_titled_section_is_never_swapped() -> None:
    sections = article_sections("en", "delivery-fees")
    context = ReplyContext(question="How much is delivery?")
    text = GroundedDrafter().draft("en", "Sam", sections, abstained=False, link=LINK, context=context).text
    assert "Standard delivery is free on orders over 200 SAR" in text  # nothing named: today's draft
    refunded = next(hit for hit in sections if hit.anchor == "are-delivery-fees-refunded")
    context = ReplyContext(question="Are delivery fees refunded in the UAE?")
    draft = GroundedDrafter().draft("en", "Sam", [refunded, *sections], abstained=False, link=LINK, context=context)
    assert draft.citations[0].endswith("#are-delivery-fees-refunded") and "- UAE" not in draft.text


@pytest.mark.parametrize(
    ("subject", "message", "row"),
    [
        ("Delivery fee", "Hi, how much is delivery to the UAE?", "- UAE — Standard delivery: 15 AED;"),
        ("رسوم التوصيل", "السلام عليكم، كم رسوم التوصيل للإمارات؟", "- الإمارات — التوصيل العادي: \u200e15 AED؛"),
    ],
)
def test_a_fee_ticket_end_to_end_gets_the_row_of_its_country(
    indexed: Engine, subject: str, message: str, row: str
) -> None:
    """The agent's screen with the real models: the ticket's suggestions, then the draft from them."""
    suggestions = Suggester(indexed.retriever).suggest(subject, [message])
    assert not suggestions.abstained and suggestions.passages[0].id == "delivery-fees"
    context = ReplyContext(suggestions.query, [message])
    draft = GroundedDrafter().draft(suggestions.lang, "Sam", suggestions.draftable(), False, link=LINK, context=context)
    lines = draft.text.split("\n")
    assert any(line.startswith(row) for line in lines), draft.text
    # neither the opening's thresholds of every country nor the other countries' rows
    assert "1,000" not in draft.text and not any(line.startswith(("- KSA", "- السعودية")) for line in lines)
