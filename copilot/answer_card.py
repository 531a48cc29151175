"""The answer card: one help-center section shown above the results when it clearly answers a question.

Policy. A card is a promise ("this is your answer"), so it is shown only when six things hold:
1. search did not abstain and its best result is public (a card never quotes internal text, whoever
   is looking: an agent browsing the site sees the same cards as a customer);
2. the query reads as a question ("how do I...", "can I...", "كيف...", "هل...", a "?"): a keyword
   query ("refund") asks for a list of articles, not for one answer;
3. the best article clearly beats the second: its fused score is not within `SPLIT_RATIO` of the
   next article's (two close articles are split evidence, and the list lets the reader choose), read
   without the own chunk means' credit; unless no section of that runner-up covers the question (the
   coverage of condition 5, at its floor): an article search ranks close that does not hold what
   was asked splits nothing; and, for a "how do I" question or a wish, unless exactly one of the close
   articles holds a procedure for it (numbered steps under a heading naming the question's words): that
   article answers ("how do I return an item?" between "Start a return" and the non-returnable items' list);
4. one section of that article stands out: the article's sections are ranked by the same sources
   search fuses (dense models and BM25, one store query restricted to that article and to public
   text), a "how do I" question or a wish ("I want to cancel", "بدي الغي الطلب") takes the best-ranked
   section with steps, and otherwise (or when
   the two best sections both hold steps, or neither does) the next section must not score within
   `SECTION_SPLIT_RATIO` of the first;
5. that section covers the question: it holds at least `MIN_COVERAGE` of the question's terms as
   copilot.section_choice counts them (shared with the drafts, so both agree on "answering"), a word
   the section does not hold read as its MSA reading when the section holds that (`section_wording`:
   "أغير" as "تغيير", "عايز" as "أريد"); a
   mixed-script question ("كيف اغير الـ email") is counted word by word with each word's readings in
   the section's language (`word_coverage`), since spelling cannot match across scripts; a duration
   question's frame ("how long ... take", "كم يوم") is found in a section that states a duration and holds
   the question's other words (`duration_coverage`);
6. an amount of money the question quotes ("why was I charged 19 SAR") is printed in that section;
7. that section is not a later part of a numbered procedure;
8. the question does not ask for the article as a whole: when the chosen section is a titled part without
   steps whose own heading holds none of the question's words, and another titled section of the article
   covers the question as well ("how do I keep my account safe?" over "Tips to keep your account secure":
   "Use a strong, unique password" and "Turn on two-step verification" alike), it is one part of several
   answering alike, and the answer is the article, not that part.
Anything else is no card, with a named `reason` so callers, logs and the benchmark can tell why.

The card quotes the section itself (extractive, no model): whole lines, steps kept whole and in
order, cut only at a line boundary when a long section spans several chunks. When the engine's
drafter can reach a model (copilot.model_drafters' `complete()`: KB_LLM_URL or KB_LLM_GGUF),
the card's text may instead be written by it from the numbered PUBLIC passages only, and is kept
only when every line cites a given passage (a numbered list may cite once, on its lead line or one
of its own), cites nothing else, carries no link of its own and does not copy the prompt back. The
gates above decide whether there is a card; the model only words it: a NO_ANSWER reply shows the
extractive card (reason "model_abstained"), and so does any failure. Two more guards, because a
citation check cannot see a wrong answer that cites the right passage: the model words cards only
for the languages it writes well (`model_languages`, KB_LLM_CARD_LANGUAGES, English by default:
the shipped 1.5B model copied its Arabic prompt back or flipped a yes/no answer), and to a yes/no
question its answer must say the same yes or no as the chosen section (copilot.answer_polarity).

Thresholds were measured per kind of query on the dev set with `bench/answer_bench.py` (see the
constants). A model-written card is a synchronous call bounded by the model's own timeout
(KB_LLM_TIMEOUT), cached per query and sections; extractive cards need no model at all.
No Flask, no URLs, no SQL here: the web layer turns a card into HTML, JSON and links.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from copilot.answer_polarity import contradicts
from copilot.article_sections import ArticleSections
from copilot.drafts import _CITATION, _LANGUAGE_NAMES, NO_ANSWER, _label, answering_text, named_section, section_text
from copilot.expansion import fold
from copilot.model_drafters import PASSAGE_CHARS, PROMPTS, copied_back, passage_listing
from copilot.retrieval import LEXICAL, Retriever, SearchHit, SearchResult, query_register
from copilot.section_choice import asks_how, choose_sections, terms
from indexer.lexical import SPARSE_VECTOR
from indexer.stores.base import Hit, PayloadFilter, Source, StoreQuery
from kb.arabic import dialect_to_msa, has_arabic, normalize_arabic
from kb.audience import PUBLIC, visibilities
from kb.bidi_text import right_to_left, rtl_ordered
from kb.table_text import ROW, is_row, reply_form, row_cells

log = logging.getLogger(__name__)

Reason = Literal[
    "answered",  # a card
    "no_results",  # nothing found, or the query could not be searched
    "abstained",  # search found nothing good enough to show as an answer
    "internal",  # the best answer is internal: a card would quote it to a customer
    "not_a_question",  # a keyword query: the results list is the answer
    "split",  # two articles score close: the reader chooses
    "not_covered",  # no section of the best article covers the question
    "split_sections",  # the article's two best sections score too close: which one answers is unclear
    "model_abstained",  # a card, the extractive one: the configured model said no passage answers (NO_ANSWER)
    "amount_not_stated",  # the question quotes an amount ("19 SAR") the section does not print
    "whole_article",  # the question asks the article's topic, the section is one part of it
    "part_of_procedure",  # the section is a later part of a numbered procedure: the answer is the whole
]

# Thresholds, from bench/answer_bench.py on the demo dev set (labelled sections of 88 questions,
# tests/eval/answer_labels.jsonl; figures in bench/RESULTS.md). They trade cards for precision: a
# wrong card costs more than a missing one, since the results list is still there below it.
# Condition 3: the second article's fused score as a share of the first's, at or above which the
# evidence is split. Fused (RRF) scores of one search fall off slowly with rank: a clear winner's
# runner-up scores 0.6-0.8 of it, close calls 0.9 and more. A runner-up none of whose sections
# reaches the coverage floor (MIN_COVERAGE) does not split: demo en 14 -> 15 cards, ar 20 -> 23
# (labelled 13 of 14, 16 of 16; the two unlabelled are the right article and section), m365
# unchanged (4 of 4), 0 out-of-scope; the wrong-article cards it could have let through ("does
# Manzil Care cover dropping my phone?", m365 "عندي مفتاح منتج كيف ادخله") have a covering runner-up.
SPLIT_RATIO = {"plain": 0.85, "dialect": 0.85, "mixed": 0.85}
# Condition 4: the chosen section's share of the question's terms (copilot.section_choice: words in
# the heading count double, so a section titled with the question's words scores above 1). Below
# 0.9 the wrong-section share of cards doubled on the dev set. Per kind of query: dialect and
# mixed-script questions share fewer words with the MSA or English sections, but a lower floor for
# them (0.7) let wrong sections through at the same rate as right ones (a dialect word matches a
# neighbouring section as readily), so they keep the plain floor and get fewer cards.
# Mixed-script questions ("كيف اغير الـ email", "وين القى الـ backup codes") are read word by word
# instead (`word_coverage`): a word in the other script counts as found when the section holds it or
# one of its cross-lingual terms (the index's mined term table and synonyms, as search reads it), each
# word once, heading words double. At 1.0 (every word found, or half of them in the heading) the demo's
# mixed Arabic questions got 3 cards (2 of 2 labelled right, the third the right article) where the
# shared count gave 1; m365's mixed questions kept their 1 card (right).
# Plain and dialect questions are counted in the section's wording (`section_wording`): a word the section
# does not hold is read as its MSA reading that the section does hold, as search reads it (Expansion: the
# dialect word's MSA, "عايز": أريد; the index's verbal noun of a verb, "أغير": تغيير, "يغطي": تغطية), one
# term per asked word as before, so the floor keeps its meaning. Demo Arabic 16 -> 20 cards (labelled 13
# of 13 -> 15 of 15; the other two the right article and, read, the right section: "عايز أغير العنوان" ->
# "تعديل العنوان أو الرقم أو الموعد"), m365 Arabic and English unchanged (4 of 4, 12 of 13), no
# out-of-scope card. Readings counted as extra words instead (word_coverage at the mixed floor 1.0) gave
# 2 wrong cards of 5 more; adding synonyms and loanwords to the readings 1 wrong of 3 ("قديش رسوم الشحن":
# shipping read as delivery met the "are delivery fees refunded" section). bench/RESULTS.md "Session 9, cards5".
MIN_COVERAGE = {"plain": 0.9, "dialect": 0.9, "mixed": 1.0}
# ... and the article's next section must not rank as high: at or above this share of the chosen
# section's fused score the two are a coin toss (a "how do I" question choosing steps excepted).
SECTION_SPLIT_RATIO = 0.95
# "How do I..." questions take the first section with numbered steps among the best few; that choice
# passes the section tie gate only when the two best sections differ in having steps. An article made
# of step sections (m365's "set up DNS records at Namecheap": TXT, MX, CNAME, SRV, each with steps)
# gave a coin-toss card otherwise (1 wrong m365 card; on the demo, 1 right card of 20 was a toss too:
# "كيف اسوي return", whose two best sections both list steps).
# A wish ("بدي الغي الطلب", "I want to return it") asks for the way to do it, as "how do I" does, and takes the
# steps the same way: the cancel-order article's sections tie on that question's words (all hold "إلغاء الطلب"),
# and the fused ranking put "the order has already shipped" (an exception the question does not state) a hair
# above "cancel before shipping" (0.95). Demo ar: that card now shows the steps, and "اريد الغاء الطلب" gets the
# same card (it was a section tie); nothing else moved on demo en or m365 (bench/RESULTS.md "Session 9, cards6").
# The same between articles (`_procedure_article`, condition 3): "how do I return an item?" ranked the list of
# items that cannot be returned a hair above "Start a return" (with "?"; without it, the other way round), and the
# split gate refused both orders. When exactly one of the close articles (within SPLIT_RATIO of the first) holds a
# procedure for the question, a section of numbered steps that covers it and whose own heading names one of its
# words ("Request a return"), that article answers and the closeness is not split evidence. Named, not just any
# steps: the return policy's "What happens after you send it back" lists steps too, and covers the question through
# the article's title; and a heading asking its own question ("What happens after...", "ماذا يحدث بعد...؟") is about
# what follows a procedure, not the procedure ("how do I send an item back?" got that section before this was
# added). Demo en 14 -> 15 cards (the new one labelled right), ar 23 -> 26 (the three right by hand), m365
# unchanged, no out-of-scope card. bench/RESULTS.md "Session 10, cards7".
STEPS_WITHIN = 3
SECTION_POOL = 40  # chunks asked for when ranking one article's sections
MAX_CARD_CHARS = 1200  # one chunk is at most ~1100 characters: a one-chunk section is shown whole
MAX_PASSAGES = 3  # numbered passages a model may cite
GENERATED_CACHE = 512  # model-written cards kept per process (same query, same sections)

# Question words, folded and with dialect read as MSA (ليش -> لماذا, ازاي -> كيف, بكام -> كم). Arabic
# interrogatives ask wherever they stand ("الشحن بكام في مصر"); English ones and the verbs that open a
# yes/no question ("can I...", "ينفع ادفع...") only as the first word: "the app crashes when I open it"
# is not a question. "ما" and "لم" are left out: in dialect they negate ("ما وصلني").
_INTERROGATIVES = frozenset(fold(dialect_to_msa("هل كيف متى ماذا لماذا كم أين اين")))
# Dialect "who" and "how" read as written: "مين" becomes "من", which is also "from".
_SPOKEN_INTERROGATIVES = frozenset(fold("مين منو اشلون"))
# ... also behind the conjunction written onto them: "وكيف اغيره", "وليش", "فمتى".
_CONJUNCTION = ("و", "ف")
# "ما" asks "what" before a definite noun ("ما الفرق بين..."), where it cannot negate a verb ("ما وصلني").
_WHAT_BEFORE_NOUN = re.compile(r"^\W*ما\s+ال\w{2,}")
_OPENERS = frozenset(
    fold(
        dialect_to_msa(
            """how what when where why which who can could do does did is are was were will would should may
            ينفع اقدر أقدر يمكن يمكنني ممكن أي"""
        )
    )
)
_NEGATED_OPENER = re.compile(r"^\W*(?:(?:so|and|but|please)\s+)*\w+n['’]?t\b", re.IGNORECASE)
# Asking wherever they stand in English ("employee left, what should I do"); "when" and "where" are
# left out, they also join clauses ("it crashes when I open it").
_ASKING = frozenset(("how", "what", "why", "which"))
# "I want to..." (ابغى / عايز / بدي, read as MSA أريد): a request for how to do it, asked as a wish.
_WANTS = frozenset(("اريد", "want", "wanna", "need"))
_LEAD_INS = frozenset(("so", "and", "but", "please", "hi", "hello", "و"))
# Condition 6: an amount of money the question quotes ("why was I charged 19 SAR", "ليه اتخصم مني 69
# جنيه") names one charge; a section that does not print that number answers a neighbouring question
# (the failed-payment article's "charged twice" section for the Plus subscription's monthly fee).
# Amounts only: "after 8 months", "iOS 14" are answered by a section stating the rule in other numbers.
_CURRENCY = r"(?:ريال|ر\.?س|جنيه|جنية|درهم|دينار|دولار|sar|aed|egp|usd|riyals?|pounds?|dirhams?|dollars?)"
_AMOUNT = re.compile(
    rf"(\d+(?:[.,]\d+)?)\s*{_CURRENCY}(?![a-z])|(?<![a-z])(?:sar|aed|egp|usd|\$)\s*(\d+(?:[.,]\d+)?)", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Condition 7: in an article built as a numbered procedure (two or more headings "1. ...", "Step 2",
# "الخطوة 3", "أولًا/ثانيًا"), a part after the first, or a section beside the parts ("Still nothing?",
# "لم يتغير شيء؟"), presupposes the parts before it: only what precedes the procedure or its first
# part is a card.
# On the dev sets it refused the two wrong Arabic cards left ("why don't I get notifications" ->
# "still nothing?"; an m365 security question -> a GDPR article's FAQ item after its 7 steps) and no
# right card; it was written after reading them, so its figure is not an unseen one.
_ORDINAL_HEADING = re.compile(
    r"^\W*(?:\d+\s*[.):\-]|step\s+\d+|الخطوه\s+\d+|(?:اولا|ثانيا|ثالثا|رابعا|خامسا|سادسا)\b)", re.IGNORECASE
)
# Condition 8 was written after reading its one card on the dev sets ("how do I keep my account safe?" -> one tip of
# five, read by hand as wrong), so its figure is not an unseen one (bench/RESULTS.md "Session 9, cards6"). Its Arabic
# twin ("كيف أحمي حسابي؟" -> «احمِ بريدك الإلكتروني وجوالك») passes: that heading's verb is the question's. The title
# alone covering the question was the first form tried: it also refused "are gift cards refundable?" -> "Things to
# know", the one section that says they are not.
# Condition 5, how long: "how long does a refund take", "how many days do I have", "كم يوم ياخذ الاسترجاع" ask for a
# duration; their frame words ("long", "take", "many", "ياخذ", "مدة") are not the topic and a section answering them
# says "5-10 business days", not "long". In a section that states a duration (a number with a unit of time) and
# holds every other word of the question, the frame is found (`duration_coverage`). A section missing one of the
# question's own words gains nothing: "how long does a refund to mada take?" is the table's (it names mada), not
# the opening's, which states durations for most cards.
_HOW_LONG = re.compile(
    r"\bhow\s+(?:long|soon|many\s+(?:business\s+|working\s+)?(?:days|hours|weeks|months|minutes|years))\b"
    r"|(?:^|\s)(?:كم|قديش|قداش)\s+(?:يوم|ايام|ساعه|ساعات|اسبوع|شهر|مده|المده|وقت|الوقت|ياخذ|تاخذ|ياخد|تاخد|يستغرق|تستغرق)",
    re.IGNORECASE,
)
_DURATION_FRAME = frozenset(
    terms(
        """long soon many take takes taking took last lasts hours weeks months minutes years business working
        كم قديش مدة المدة وقت الوقت ياخذ تاخذ يأخذ تأخذ ياخد تاخد يستغرق تستغرق يطول ساعة ساعات أسبوع شهر أيام"""
    )
)
_DURATION = re.compile(
    r"\d+(?:\s*[-–]\s*\d+)?\s*(?:business\s+|working\s+)?(?:hours?|days?|weeks?|months?|minutes?|years?|billing\s+cycles?)\b"
    r"|\d+(?:\s*[-–]\s*\d+)?\s*(?:يوم|ايام|ساع|اسبوع|اسابيع|شهر|اشهر|دقيق|دقائق|سن|دوره)",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"(?<=\d)[,٬](?=\d{3}(?!\d))")  # "1,000 EGP" is the number 1000
_STEP = re.compile(r"^\d+\.\s+")
_STEPS = re.compile(r"^\d+\.\s", re.MULTILINE)
_BULLET = re.compile(r"^[-•]\s+")
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"[^\s.,!?؟،:;]+")  # a word as typed, marks and all ("أفعّل"), its punctuation left out
_CITED = re.compile(r"\s*\[\d+\]")  # a citation and the space before it, taken out of the shown text
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_LIST_HEAD = re.compile(r"[:：]\s*$")  # "Follow these steps:" introduces cited lines, it claims nothing
_DANGLING = re.compile(r"(?<=[.!?؟])[\s,،]+$")  # "done.,," once "[1], [2]," are taken out
_LIST_LINE = re.compile(r"^(?:\d+[.)]|[-•*])\s+")  # a numbered step or a list item, as the model writes it
# The card's rules, in the question's language (copilot.model_drafters' PROMPTS give the role, the one
# cited example exchange and the labels; the drafts' rules are about a reply an agent sends). The model
# is not offered NO_ANSWER: the gates found the answering section before it is asked (the drafts found a
# 1.5B model offered a way out took it for questions passage [1] answers); one it says anyway is read.
_CARD_RULES = {
    "en": (
        "Answer the customer's question for the help center's answer box in two to five short lines, using "
        "only facts stated in the numbered help-center passages. End every line with the number of its passage "
        "in brackets, like [1]; cite only the numbers listed. Keep numbered steps whole and in order, one step "
        "a line; a numbered list may cite its passage once, on the line before it or on its last step. Do not "
        "include links, greetings or a signature. Write in {language}, even when a passage is in another language."
    ),
    "ar": (
        "أجب عن سؤال العميل في مربع الإجابة بمركز المساعدة في سطرين إلى خمسة أسطر قصيرة، مستخدمًا فقط "
        "المعلومات الواردة في مقاطع مركز المساعدة المرقّمة. اختم كل سطر برقم مقطعه بين قوسين مربعين مثل [1]، "
        "ولا تذكر إلا الأرقام المعطاة. انقل الخطوات المرقّمة كاملة وبترتيبها، كل خطوة في سطر، ويكفي القائمة "
        "المرقّمة أن تذكر رقم مقطعها مرة واحدة في السطر الذي قبلها أو في آخر خطوة منها. لا تضع روابط ولا تحية "
        "ولا توقيعًا. اكتب بالعربية الفصحى حتى لو كان المقطع بلغة أخرى."
    ),
}


@dataclass(frozen=True)
class Thresholds:
    """The gates' thresholds (conditions 3-5), per query register where they differ. One object, so
    the benchmark can decide every query once with the gates open and score any other thresholds on
    the recorded signals (fitting on one language and scoring on the other) through `refusal`."""

    split: Mapping[str, float] = field(default_factory=lambda: dict(SPLIT_RATIO))
    coverage: Mapping[str, float] = field(default_factory=lambda: dict(MIN_COVERAGE))
    section_split: float = SECTION_SPLIT_RATIO

    def refusal(self, signals: Mapping[str, float], register: str) -> Reason | None:
        """The gate these signals fail, in the order the card checks them; gates whose signal was
        not measured yet (the section's, before the article margin passed) are not checked."""
        # Two close articles are split evidence unless the runner-up has no section that covers the
        # question (its coverage not measured: it might, so split).
        runner_covers = signals.get("runner_coverage", float("inf")) >= self.coverage[register]
        steps_decide = bool(signals.get("steps_article"))  # one close article has the procedure asked for
        if "margin" in signals and signals["margin"] >= self.split[register] and runner_covers and not steps_decide:
            return "split"
        if "coverage" in signals and signals["coverage"] < self.coverage[register]:
            return "not_covered"
        if "section_margin" in signals and not signals.get("steps") and signals["section_margin"] >= self.section_split:
            return "split_sections"
        return None


OPEN_GATES = Thresholds(
    split=dict.fromkeys(("plain", "dialect", "mixed"), float("inf")),
    coverage=dict.fromkeys(("plain", "dialect", "mixed"), float("-inf")),
    section_split=float("inf"),
)


class ModelError(RuntimeError):
    """The model's answer broke a rule of the card (a line without a citation, an unknown passage, a link)."""


class ChatModel(Protocol):
    """What the card needs of a configured model: copilot.model_drafters.CitingModelDrafter.complete."""

    name: str

    def complete(self, messages: list[dict[str, str]]) -> str: ...


@dataclass(frozen=True)
class Block:
    """A run of the card's lines: prose, numbered steps (an ordered list), list items or table rows."""

    kind: Literal["text", "steps", "items", "rows"]
    lines: tuple[str, ...]  # for "rows", cells joined by " | " (kb.table_text.ROW), the table's header row first


@dataclass(frozen=True)
class AnswerCard:
    lang: str  # the section's language (not the query's when `other_language`)
    article: str  # article id
    title: str
    section: str
    anchor: str
    blocks: tuple[Block, ...]
    other_language: bool  # the section is the other language's article: label it
    generated_by: str  # "extractive", or the model drafter's name
    cited: tuple[str, ...] = ()  # "lang/id#anchor" of every passage the text came from

    @property
    def key(self) -> str:
        return f"{self.lang}/{self.article}"

    @property
    def text(self) -> str:
        """The card as plain text, one line per block line (steps numbered), a table's rows as list lines
        named by its header (kb.table_text: a chat widget or an app shows this text, not a table)."""
        lines: list[str] = []
        for block in self.blocks:
            if block.kind == "steps":
                lines += [f"{n}. {line}" for n, line in enumerate(block.lines, 1)]
            elif block.kind == "items":
                lines += [f"- {line}" for line in block.lines]
            elif block.kind == "rows":
                lines += reply_form("\n".join(block.lines), self.lang).split("\n")
            else:
                lines += list(block.lines)
        return "\n".join(lines)

    @property
    def steps(self) -> list[str]:
        return [line for block in self.blocks if block.kind == "steps" for line in block.lines]


@dataclass(frozen=True)
class CardDecision:
    card: AnswerCard | None
    reason: Reason
    signals: dict[str, float] = field(default_factory=dict)  # margin, coverage, question: for logs and the bench


def reads_as_question(query: str) -> bool:
    """A question mark, an interrogative anywhere (Arabic, and English how/what/why/which), a
    question word first ("do you deliver to Abha", "ينفع ادفع كاش"), or a wish ("ابغى ارجع الطلب",
    "I want to return it"): English and Arabic, dialect words read as their MSA equivalents."""
    text = query.strip()
    if text.endswith(("?", "؟")):
        return True
    words = fold(dialect_to_msa(text))
    if any(_interrogative(word) for word in fold(text)) or any(word in _INTERROGATIVES for word in words):
        return True
    if _WHAT_BEFORE_NOUN.match(text):
        return True
    while words and words[0] in _LEAD_INS:
        words = words[1:]
    negated = _NEGATED_OPENER.match(text) is not None  # "can't remember my login" states a problem
    if not words or negated:
        return False
    return words[0] in _OPENERS or wishes(text) or any(word in _ASKING for word in words)


def wishes(query: str) -> bool:
    """"I want to cancel the order", "بدي الغي الطلب", "ابغى / عايز ..." (read as MSA أريد): a wish to do
    something, which asks for the way to do it as "how do I" does (reads_as_question's wish)."""
    words = fold(dialect_to_msa(query.strip()))
    while words and words[0] in _LEAD_INS:
        words = words[1:]
    return bool(words) and (words[0] in _WANTS or (len(words) > 1 and words[0] == "i" and words[1] in _WANTS))


def _interrogative(word: str) -> bool:
    """A (folded) Arabic question word, dialect read as MSA, alone or behind a written-on و/ف."""
    if word.startswith(_CONJUNCTION) and len(word) > 2 and word not in _INTERROGATIVES:
        word = word[1:]
    return word in _SPOKEN_INTERROGATIVES or any(w in _INTERROGATIVES for w in fold(dialect_to_msa(word)))


def blocks(text: str, lang: str = "") -> tuple[Block, ...]:
    """A section's plain text (copilot.drafts.section_text) as blocks: "1. ..." lines become steps,
    "- ..." lines items, "a | b" lines table rows (kb.parsing writes a table's rows so, header
    first), the rest prose; numbering is the list's, so a renumbered copy is never shown. A right-to-left
    `lang`'s lines, and each cell of its rows, are marked to read right (kb.bidi_text.rtl_ordered): a cell is
    a paragraph of its own, where "1,000 SAR" showed as "SAR 1,000"."""
    out: list[Block] = []
    marked = rtl_ordered if right_to_left(lang) else str
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        kind: Literal["text", "steps", "items", "rows"] = "text"
        if _STEP.match(line):
            kind, line = "steps", marked(_STEP.sub("", line))
        elif _BULLET.match(line):
            kind, line = "items", marked(_BULLET.sub("", line))
        elif is_row(line):
            kind, line = "rows", ROW.join(marked(cell) for cell in row_cells(line))
        else:
            line = marked(line)
        if out and out[-1].kind == kind and kind != "text":
            out[-1] = Block(kind, (*out[-1].lines, line))
        else:
            out.append(Block(kind, (line,)))
    return tuple(out)


@dataclass(frozen=True)
class SectionRanking:
    """The best article's sections ranked for the query by the same sources search fuses."""

    fused: list[str]  # anchors, best first
    second_share: float = 0.0  # the second section's fused score as a share of the first's


class AnswerCards:
    """Decides and writes answer cards for search results, from the index's own sections."""

    def __init__(
        self,
        retriever: Retriever,
        model: ChatModel | None = None,
        max_chars: int = MAX_CARD_CHARS,
        thresholds: Thresholds | None = None,
        model_languages: Collection[str] | None = None,
    ):
        """`model_languages`: the question languages whose cards `model` may word (None: all of them);
        the others stay extractive (kb.settings' `llm_card_languages`)."""
        self.retriever = retriever
        self.model_languages = None if model_languages is None else frozenset(model_languages)
        self.thresholds = thresholds or Thresholds()
        self.sections = ArticleSections.of(retriever.store)
        self.model = model
        self.max_chars = max_chars
        self._generated: OrderedDict[tuple[str, ...], AnswerCard | None] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, result: SearchResult | None) -> CardDecision:
        """The card for a settled search's result, or no card and why."""
        if result is None or not result.results:
            return CardDecision(None, "no_results")
        if result.abstained:
            return CardDecision(None, "abstained")
        top = result.results[0]
        if top.internal:
            return CardDecision(None, "internal")
        register = query_register(result.query, result.lang)
        signals: dict[str, float] = {"margin": article_margin(result.results)}
        if not reads_as_question(result.query):
            return CardDecision(None, "not_a_question", signals)
        coverage = self._coverage(result, register)
        runner = runner_up(result.results)
        split = self.thresholds.split[register]
        # Measured only where it decides: at a margin the split gate refuses (or with the gate open, for
        # bench/answer_bench.py's replay of other thresholds); it reads every section of a second article.
        if runner is not None and (signals["margin"] >= split or math.isinf(split)):
            runner_sections = self._article_sections(runner)
            signals["runner_coverage"] = max(coverage(section) for section in runner_sections)
            # A "how do I" question or a wish between close articles, only one of which has a procedure for it
            # (`_procedure_article`): that article answers, the others (a policy, a list) are not split evidence.
            if asks_how(result.query) or wishes(result.query):
                close, floor = split, self.thresholds.coverage[register]
                if math.isinf(split) or math.isinf(floor):  # gates open (the bench's replay): read as shipped
                    close, floor = SPLIT_RATIO[register], MIN_COVERAGE[register]
                procedure = self._procedure_article(result, coverage, floor, close)
                if procedure is not None:
                    signals["steps_article"] = 1.0
                    top = procedure
        refused = self.thresholds.refusal(signals, register)
        if refused:
            return CardDecision(None, refused, signals)
        sections = {hit.anchor: hit for hit in self._article_sections(top)}
        ranking = self.rank_sections(result.query, result.lang, top)
        ranked = [anchor for anchor in ranking.fused if anchor in sections] or [top.anchor]
        chosen, by_steps = ranked[0], False
        # "how do I..." and "I want to..." are answered by the steps, not by the status table (STEPS_WITHIN)
        if asks_how(result.query) or wishes(result.query):
            with_steps = [a for a in ranked[:STEPS_WITHIN] if _STEPS.search(sections[a].text)]
            if with_steps:
                # The steps decide only when they tell the two best sections apart: when both (or
                # neither) hold steps, which one answers is as much a coin toss as without them.
                first_two = [bool(_STEPS.search(sections[a].text)) for a in ranked[:2]]
                chosen, by_steps = with_steps[0], len(first_two) < 2 or first_two[0] != first_two[1]
        # An amount question's opening gives way to its article's table row that states the amount (copilot.drafts)
        hit = named_section(result.query, sections[chosen], list(sections.values()))
        chosen = hit.anchor
        if asks_how_long(result.query):  # "how long does a refund take": the frame is found in a stated duration
            coverage = self._coverage(result, register, duration=True)
        signals["section_margin"] = ranking.second_share
        signals["coverage"] = coverage(hit)
        if by_steps:
            signals["steps"] = 1.0
        refused = self.thresholds.refusal(signals, register)
        if refused:
            return CardDecision(None, refused, signals)
        if not by_steps and hit.anchor and not _STEPS.search(hit.text):  # condition 8 (WHOLE_ARTICLE)
            own = coverage(replace(hit, title="", section=_own_heading(hit), text=""))
            best = signals["coverage"]
            alike = [a for a, other in sections.items() if a not in (chosen, "") and coverage(other) >= best]
            if own == 0 and alike:
                return CardDecision(None, "whole_article", signals)
        if quoted_amounts(result.query) - numbers(f"{hit.title} {hit.section} {hit.text}"):
            return CardDecision(None, "amount_not_stated", signals)
        if later_part(chosen, list(sections.values())):
            return CardDecision(None, "part_of_procedure", signals)
        card = self._extractive(result, hit)
        if self.model is not None and (self.model_languages is None or result.lang in self.model_languages):
            others = [sections[a] for a in ranked if a != chosen][: MAX_PASSAGES - 1]
            generated = self._generated_card(result, [hit, *others], card)
            if generated is None:  # the gates chose the section: the model only words it
                return CardDecision(card, "model_abstained", signals)
            card = generated
        return CardDecision(card, "answered", signals)

    def _procedure_article(
        self, result: SearchResult, coverage: Callable[[SearchHit], float], floor: float, split: float
    ) -> SearchHit | None:
        """Among the first article and those within `split` of it (see STEPS_WITHIN), the one article with a
        procedure for the question: a section of numbered steps that covers it at `floor` and whose own
        heading names one of its words without asking a question of its own (`_names_procedure`: "Request a
        return" for "how do I return an item?"). None when none or several have one, or a close article is
        internal (it cannot be weighed)."""
        top = result.results[0]
        own = top.score - top.means_credit
        close = {top.key: top}
        for hit in result.results[1:]:
            if hit.locale_fallback == top.locale_fallback and own > 0 and (hit.score - hit.means_credit) / own >= split:
                close.setdefault(hit.key, hit)
        if any(hit.internal for hit in close.values()):
            return None
        named = [
            hit
            for hit in close.values()
            if any(
                _STEPS.search(section.text)
                and coverage(section) >= floor
                and _names_procedure(section, coverage)
                for section in self._article_sections(hit)
            )
        ]
        return named[0] if len(named) == 1 else None

    def _coverage(self, result: SearchResult, register: str, duration: bool = False) -> Callable[[SearchHit], float]:
        """The share of the question's terms a section holds (condition 5), as a function of the section:
        one decision measures the chosen section and, at a split margin, the runner-up's sections.
        `duration`: a duration question's frame is found in a section stating a duration (`duration_coverage`);
        only for the best article's sections, so the split gate reads the runner-up as it was measured."""
        if register == "mixed":
            mixed = functools.cache(lambda lang: self._readings(result.lang, lang))
            return lambda hit: word_coverage(result.query, hit, mixed(hit.lang))
        # the section's own word for a verb or dialect word it does not hold (`section_wording`)
        readings = self._msa_readings(result.lang)

        def coverage(hit: SearchHit) -> float:
            wording = section_wording(result.query, hit, readings)
            shared = choose_sections(wording, [hit]).coverage
            return max(shared, duration_coverage(wording, hit)) if duration else shared

        return coverage

    def rank_sections(self, query: str, lang: str, top: SearchHit) -> SectionRanking:
        """The sections of `top`'s article ranked by every source of the search (dense models and
        the expanded lexical query, fused by RRF with the language's weights), restricted to that
        article and to public text, in one store query. Search keeps one chunk per article;
        which section of the winner answers is a second, smaller ranking of the same kind."""
        retriever = self.retriever
        where = PayloadFilter(article_keys=(top.key,), visibilities=visibilities(PUBLIC))
        # The configured weights, not search's fitted English ones (fitted_fusion.fusion_weights): with those the demo's
        # English cards went 17 -> 19 (one more right, one wrong section), section precision 0.882 -> 0.842
        # (bench/RESULTS.md "Session 20, cardfuse20").
        weights = retriever.fusion.get(lang, retriever.fusion.get("*", {}))
        try:
            vectors = retriever.query_vectors(retriever.expand(query, lang).msa)
        except Exception:  # a model failure degrades the ranking to lexical, as search does
            log.exception("query embedding failed; ranking the card's sections lexically")
            vectors = {}
        sources = [Source(name, vector, where, weights.get(name, 1.0)) for name, vector in vectors.items()]
        sparse = retriever.lexical.encode_query(retriever.lexical_query(query, lang), lang)
        if sparse.indices:
            sources.append(Source(SPARSE_VECTOR, sparse, where, weights.get(LEXICAL, 1.0)))
        if not sources:
            return SectionRanking([])
        hits = retriever.store.query([StoreQuery(tuple(sources), where, limit=SECTION_POOL, rrf_k=retriever.rrf_k)])[0]
        scores = _section_scores(hits)
        second = scores[1] / scores[0] if len(scores) > 1 and scores[0] > 0 else 0.0
        return SectionRanking(_anchors(hits), second)

    def _msa_readings(self, lang: str) -> Callable[[str], list[str]]:
        """A word's MSA readings as search makes them (copilot.retrieval.Expansion): a dialect word's MSA
        word ("عايز": أريد) and the index's verbal nouns of a verb ("أغير": تغيير, "يغطي": تغطية). Not its
        synonyms, loanwords or word family: they bring words of neighbouring sections (see MIN_COVERAGE)."""
        retriever = self.retriever

        @functools.cache  # one decision reads the same few words against several sections
        def readings(word: str) -> list[str]:
            expansion = retriever.expand(word, lang)
            return " ".join([*expansion.msa_words, *expansion.verbal_nouns]).split()

        return readings

    def _readings(self, query_lang: str, section_lang: str) -> Callable[[str], list[str]]:
        """A word's readings as search makes them: its synonyms and loanword readings ("باسورد" ->
        "كلمة المرور"), and, for a word of the other script or when the section is the other
        language's, its cross-lingual terms (the mined term table: "email" -> "البريد")."""
        retriever = self.retriever
        others = [lang for lang in retriever.settings.languages if lang != query_lang]

        def readings(word: str) -> list[str]:
            expansion = retriever.expand(word, query_lang)
            out = [*expansion.synonyms, *expansion.loanwords]
            foreign = has_arabic(word) != (query_lang == "ar")  # query_register's test, per word
            source = (others[0] if others else query_lang) if foreign else query_lang
            if source != section_lang:
                out.append(retriever.cross_lingual_terms(word, source, section_lang))
            return " ".join(out).split()

        return readings

    # -- the extractive card ----------------------------------------------------------------------

    def _article_sections(self, top: SearchHit) -> list[SearchHit]:
        """The best article's sections as hits in reading order, each with its whole text (a section
        split over chunks is joined back); the one search chose is search's hit."""
        whole = {hit.anchor: hit for hit in self.sections.siblings([replace(top, anchor="\0")], articles=1)}
        if top.anchor not in whole:
            return [top, *whole.values()]
        whole[top.anchor] = replace(top, text=whole[top.anchor].text)
        return list(whole.values())

    def _extractive(self, result: SearchResult, hit: SearchHit) -> AnswerCard:
        return AnswerCard(
            lang=hit.lang,
            article=hit.id,
            title=hit.title,
            section=_own_heading(hit),
            anchor=hit.anchor,
            blocks=blocks(section_text(answering_text(result.query, hit), self.max_chars), hit.lang),
            other_language=hit.locale_fallback or hit.lang != result.lang,
            generated_by="extractive",
            cited=(f"{hit.key}#{hit.anchor}",),
        )

    # -- the model-written card -------------------------------------------------------------------

    def _generated_card(
        self, result: SearchResult, passages: Sequence[SearchHit], fallback: AnswerCard
    ) -> AnswerCard | None:
        """The model's card (None: it said NO_ANSWER), or `fallback` when it fails or breaks a rule.
        The passages are cut as the drafts cut theirs (model_drafters.PASSAGE_CHARS): a 1.5B model
        reading three whole chunks loses the question."""
        key = (result.lang, " ".join(fold(result.query)), *(f"{p.key}#{p.anchor}" for p in passages))
        with self._lock:
            if key in self._generated:
                self._generated.move_to_end(key)
                return self._generated[key]
        assert self.model is not None
        limits = [PASSAGE_CHARS[0], *[PASSAGE_CHARS[1]] * (len(passages) - 1)]
        passages = [replace(p, text=section_text(p.text, n)) for p, n in zip(passages, limits, strict=True)]
        try:
            reply = self.model.complete(card_messages(result.query, result.lang, passages))
            card = checked_card(reply, passages, fallback, self.model.name, result.query, result.lang)
        except Exception as error:  # any failure of the model (DrafterError and the like) shows the extractive card
            log.warning("model answer card rejected, showing the extractive card: %s", error)
            return fallback
        if card is None:
            log.warning("the model declined (NO_ANSWER), showing the extractive card")
        with self._lock:
            self._generated[key] = card
            while len(self._generated) > GENERATED_CACHE:
                self._generated.popitem(last=False)
        return card


def card_messages(query: str, lang: str, passages: Sequence[SearchHit]) -> list[dict[str, str]]:
    """The prompt, in the question's language: the drafts' role and one cited example exchange
    (copilot.model_drafters.PROMPTS), then the card's rules, the question and the numbered public
    passages in the drafts' format, and the citation rule again last (small models follow the
    instruction nearest their answer)."""
    prompt = PROMPTS.get(lang, PROMPTS["en"])
    language = _LANGUAGE_NAMES.get(lang, {}).get("en", lang)
    rules = _CARD_RULES.get(lang, _CARD_RULES["en"]).format(language=language)
    parts = [
        rules,
        prompt["asked"].format(question=query),
        prompt["passages"] + "\n\n" + passage_listing(passages, lang),
        prompt["now"].format(language=language),
    ]
    return [
        {"role": "system", "content": prompt["role"]},
        {"role": "user", "content": prompt["example"]},
        {"role": "assistant", "content": prompt["example_reply"]},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def checked_card(
    reply: str, passages: Sequence[SearchHit], fallback: AnswerCard, model: str, query: str = "", lang: str = "en"
) -> AnswerCard | None:
    """The model's reply as a card, after the citation and copy-back checks (None: it said NO_ANSWER);
    raises ModelError when it breaks a rule. `query` and `lang`: the question and its language, for
    the copy-back check (the prompt's labels, a passage's heading, a run of the question's words)."""
    if reply.strip(" .\n") == NO_ANSWER:
        return None
    if _URL.search(reply):
        raise ModelError("the answer contains a link of its own")
    lines = [line.strip() for line in reply.strip().split("\n") if line.strip()]
    copied = (
        copied_back(reply, lang, passages, query) or _copied_heading(lines, passages) or _copied_question(reply, query)
    )
    if copied:
        raise ModelError(f"the answer {copied} instead of answering")
    if query and contradicts(reply, fallback.text, query):
        raise ModelError("the answer says the opposite yes or no of the section")
    cited: list[int] = []
    for index, line in enumerate(lines):
        numbers = [int(n) for n in _CITATION.findall(line)]
        if not numbers and not _LIST_HEAD.search(line) and not _list_cited(lines, index):
            raise ModelError(f"a line cites no passage: {line[:80]!r}")
        unknown = sorted({n for n in numbers if not 1 <= n <= len(passages)})
        if unknown:
            raise ModelError(f"the answer cites {unknown}, but only passages 1-{len(passages)} were given")
        cited += numbers
    if not cited:
        raise ModelError("the answer cites no passage")
    order = list(dict.fromkeys(cited))
    first = passages[order[0] - 1]
    text = "\n".join(_DANGLING.sub("", " ".join(_CITED.sub("", line).split())) for line in lines)
    return replace(
        fallback,
        lang=first.lang,
        article=first.id,
        title=first.title,
        section=_own_heading(first),
        anchor=first.anchor,
        blocks=blocks(text, first.lang),
        generated_by=model,
        cited=tuple(f"{passages[n - 1].key}#{passages[n - 1].anchor}" for n in order),
    )


def _list_cited(lines: Sequence[str], index: int) -> bool:
    """Whether `lines[index]`, a step or item of a list, is covered by one citation for the whole
    list: on one of the list's lines (its last, typically) or on the line that leads into it."""
    if not _LIST_LINE.match(lines[index]):
        return False
    start = end = index
    while start > 0 and _LIST_LINE.match(lines[start - 1]):
        start -= 1
    while end + 1 < len(lines) and _LIST_LINE.match(lines[end + 1]):
        end += 1
    covering = lines[start : end + 1] if start == 0 else lines[start - 1 : end + 1]
    return any(_CITATION.search(line) for line in covering)


def _copied_question(reply: str, query: str) -> str:
    """Whether the reply restates the whole question, word for word ("كم يوم مدة الإرجاع؟ 15 يومًا..."):
    the drafts' check wants COPIED_WORDS in a row, more than most search questions have. An answer
    rephrases ("To change the email on your account...", "نعم، يمكن تعديل..."), it does not repeat
    the question word and all."""
    asked = " ".join(fold(query))
    return "repeats the question" if len(fold(query)) >= 3 and asked in " ".join(fold(reply)) else ""


def _copied_heading(lines: Sequence[str], passages: Sequence[SearchHit]) -> str:
    """Whether a line of the answer is only a passage's heading ("title – section", or the card's
    old "title > section"), cited or not: a small model retypes the listing instead of answering."""
    headings = set()
    for hit in passages:
        headings |= {_label(hit), f"{hit.title} > {_own_heading(hit) or hit.title}", hit.section}
    folded = {" ".join(fold(heading)) for heading in headings if heading}
    for line in lines:
        bare = " ".join(fold(_CITED.sub("", line)))
        if bare and bare in folded:
            return "copies a passage's heading"
    return ""


def word_coverage(query: str, hit: SearchHit, readings: Callable[[str], list[str]]) -> float:
    """The share of the question's words the section holds, each word once: 2 for a word in the
    article's title or the section's heading, 1 in its text. A word written in the other script
    ("email" in an Arabic question) is found through its `readings` in the section's language
    ("البريد"): spelling alone never matches it, which is why mixed-script questions rarely got a card."""
    heading = set(terms(f"{hit.title} {hit.section}"))
    body = set(terms(hit.text))
    total = found = 0.0
    for word in _WORD.findall(query):
        own = terms(word)
        if not own:
            continue  # a stop word, a number, a letter
        forms = set(own).union(*(terms(reading) for reading in readings(word)))
        total += 1
        found += 2.0 if forms & heading else 1.0 if forms & body else 0.0
    return found / total if total else 0.0


def section_wording(query: str, hit: SearchHit, readings: Callable[[str], list[str]]) -> str:
    """The question with each word the section does not hold replaced by the first of its `readings`
    that the section does hold ("عايز أغير العنوان" against a section saying "تعديل العنوان" and
    "تغيير": "أريد تغيير العنوان"); words it holds, and words no reading brings in, stay as typed.

    A reading replaces its word rather than joining it, so the question keeps its number of terms
    and the coverage floor means what it meant: the count is still one per asked word, only read in
    the section's wording. It is the drafts' rule for verbs (copilot.section_choice: a verb's root is
    read only when its own stem meets no section) applied to the MSA readings search already makes."""
    held = set(terms(f"{hit.title} {hit.section}")) | set(terms(hit.text))

    def reread(match: re.Match[str]) -> str:
        word = match.group(0)
        own = set(terms(word))
        if not own or own & held:
            return word
        return next((reading for reading in readings(word) if set(terms(reading)) & held), word)

    return _TOKEN.sub(reread, query)


def asks_how_long(query: str) -> bool:
    """"How long does a refund take", "how many days do I have", "كم يوم ياخذ": a question asking a duration."""
    return bool(_HOW_LONG.search(normalize_arabic(query)))


def states_duration(text: str) -> bool:
    """Whether the text states a duration: a number with a unit of time ("5-10 business days", "٣ أيام")."""
    return bool(_DURATION.search(_plain_digits(text)))


def duration_coverage(question: str, hit: SearchHit) -> float:
    """A duration question's coverage with its frame ("how long ... take", "كم يوم") found, when the section
    states a duration and holds every other word of the question; 0 otherwise (the shared count decides).
    `question`: already in the section's wording (`section_wording`)."""
    if not states_duration(f"{hit.section} {hit.text}"):
        return 0.0
    rest = " ".join(word for word in _TOKEN.findall(question) if not set(terms(word)) <= _DURATION_FRAME)
    held = set(terms(f"{hit.title} {hit.section}")) | set(terms(hit.text))
    asked = set(terms(rest))
    if not asked or not asked <= held:
        return 0.0
    return choose_sections(rest, [hit]).coverage


def _names_procedure(section: SearchHit, coverage: Callable[[SearchHit], float]) -> bool:
    """Whether the section's own heading (the title, for the opening) names one of the question's words and does
    not itself ask something: "Request a return" names a procedure; "What happens after you send it back" and
    "ماذا يحدث بعد الإرجاع؟" are questions of their own, about what follows it."""
    heading = _own_heading(section) or section.title
    return not reads_as_question(heading) and coverage(replace(section, title="", section=heading, text="")) > 0


def later_part(anchor: str, sections: Sequence[SearchHit]) -> bool:
    """Whether `anchor` comes after the first part of an article of two or more numbered parts (what
    precedes the procedure, its opening or "before you begin", and its first part are answers).
    `sections`: the article's, in reading order."""
    order = [hit.anchor for hit in sections]
    numbered = [i for i, hit in enumerate(sections) if _ORDINAL_HEADING.match(normalize_arabic(_own_heading(hit)))]
    return len(numbered) >= 2 and anchor in order and order.index(anchor) > numbered[0]


def _own_heading(hit: SearchHit) -> str:
    return hit.section.split(" > ")[-1] if hit.section else ""


def quoted_amounts(text: str) -> set[str]:
    """Amounts of money the text quotes ("19 SAR", "٦٩ جنيه", "$5"), as digits."""
    return {a or b for a, b in _AMOUNT.findall(_plain_digits(text))}


def numbers(text: str) -> set[str]:
    """Every number the text prints, as digits (Arabic-Indic digits read as ASCII)."""
    return set(_NUMBER.findall(_plain_digits(text)))


def _plain_digits(text: str) -> str:
    return _THOUSANDS.sub("", normalize_arabic(text))


def _anchors(hits: Sequence[Hit]) -> list[str]:
    """Section anchors in ranking order, each once (a long section has several chunks)."""
    return list(dict.fromkeys(str(hit.payload.get("anchor", "")) for hit in hits))


def _section_scores(hits: Sequence[Hit]) -> list[float]:
    """Each section's best chunk score, in ranking order."""
    best: dict[str, float] = {}
    for hit in hits:
        best.setdefault(str(hit.payload.get("anchor", "")), hit.score)
    return list(best.values())


def article_margin(hits: Sequence[SearchHit]) -> float:
    """The best other article's score as a share of the first one's (0 when there is none to compare).

    Scores are read without the own chunk means' credit (`SearchHit.means_credit`): that rank credit
    adds nearly the same amount to each of the first five articles, which pulls their ratios towards 1
    and made the split gate refuse clear winners (demo Arabic 16 -> 14 cards, m365 4 -> 3); the ratio
    the threshold was measured on is the one without it. When the means lifted the first article over
    one that led it, that one's share is above 1: split. Only like compares with like: a fallback
    article's score comes from another ranking."""
    top, runner = hits[0], runner_up(hits)
    if runner is None:
        return 0.0
    own = top.score - top.means_credit
    return (runner.score - runner.means_credit) / own if own > 0 else 1.0


def runner_up(hits: Sequence[SearchHit]) -> SearchHit | None:
    """The best other article than the first (read without the means' credit, like with like), if any."""
    top = hits[0]
    others = [hit for hit in hits[1:] if hit.key != top.key and hit.locale_fallback == top.locale_fallback]
    return max(others, key=lambda hit: hit.score - hit.means_credit, default=None)
