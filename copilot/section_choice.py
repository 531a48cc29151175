"""Which of the retrieved sections answer what the customer asked, and whether any does.

Search ranks passages for the whole ticket; a reply needs the sections that answer its questions.
A ticket asking "how do I return it, and is there a pickup fee?" retrieves the return article's
status table and checklist as readily as its steps and fees, so the drafter re-reads the passages
against the customer's own words: the share of the question's terms a section contains (its
heading counts more: it says what the section answers), weighted by the passage's search score.
Each question of the ticket (its sentences that ask something) gets the section covering it best,
so a two-question ticket gets two sections. When search scored other articles nearly as high as the
first, it could not tell them apart, and neither can one ticket's words (choosing the first section
across all articles by coverage drafted worse than trusting search's first article): the best-covering
section of those close articles is quoted as well when it adds to what is quoted, and leads the reply
when it covers the ticket clearly better than the first article's.

The same reading tells an off-topic ticket from an answerable one: a job application or a supplier
offer shares a word or two with some help article ("customer service", "products") but no section
covers what it asks. Only the passages, the ticket's text, kb.arabic's normalization,
copilot.transliteration's sound keys (an Arabic ticket's "ابل باي" is the section's "Apple Pay") and
copilot.word_roots' verb forms (a ticket's "أبدلها" meets the section's "الاستبدال") are used:
no embedder is loaded here, the result is deterministic and takes well under a millisecond a ticket.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from copilot.expansion import fold
from copilot.transliteration import arabic_key, sounds_alike
from copilot.word_roots import noun_roots, verb_roots
from kb.arabic import dialect_to_msa, is_dialect_word

if TYPE_CHECKING:  # annotations only: search reads `terms` (copilot.query_coverage), so no import back
    from copilot.retrieval import SearchHit

# Words that say nothing about what is asked (greetings, pronouns, the shop's own name). "Can" asks
# permission in either language: English "can"/"could" and Arabic "يمكن" (what the dialects' "ينفع" and
# "ممكن" read as), "أقدر", "أستطيع" and their persons. A section's opening that says "يمكنك" (you can)
# otherwise meets every "ينفع ...؟" ticket: bench/copilot_bench.py, Arabic 24 -> 25 of 31 (T-1032 gets
# the conditions section, not the opening), English unchanged.
_STOP_WORDS = """the and for you your are was were this that with have has had not but all can will just get got
from out one any what when where which how why who other there they them then than our ours been did does its into also
about would could should please still now want need know like only some yes very more their hello thanks thank dear team
manzil hi i'm i've it's don't can't yesterday today tomorrow week days day time again really help
على الى إلى في من عن هذا هذه ذلك التي الذي اللي انا أنا انت أنت هو هي لكن بس كان كانت يكون مع عند لما ليش وش ايش
إيش كيف هل لو ما لا تم يوم اليوم الحين السلام عليكم مرحبا مرحبًا هلا شكرا وشكرا منزل أبي ابي ابغى أبغى عايز عايزة
ممكن يمكن يمكنك يمكنني أقدر اقدر تقدر نقدر أستطيع استطيع تستطيع لسه قبل بعد أمس امس وهل وما فيه شي زي حق مثل برضو
كمان وكمان يعني"""
_STOP = frozenset(fold(dialect_to_msa(_STOP_WORDS)))
_SENTENCE = re.compile(r"[^.!?؟\n]+[.!?؟]*")
_ENUMERATION = re.compile(r"(?:^|\s)\(?[1-5١-٥][)\-]\s")
_QUESTION_WORDS = frozenset(
    fold(
        """how when where what why which can could do does is are will who هل كيف متى وين فين ليش ليه كم ايش إيش
        وش ينفع أقدر اقدر ممكن"""
    )
)
# A section answers a question when it holds at least this share of the question's weighted terms.
# Answerable tickets' best sections hold 0.3-0.8 of them; job applications, supplier offers and other
# tickets about something the help center does not cover hold under 0.2 in whichever section search
# found (bench/copilot_bench.py, both languages).
MIN_COVERAGE = 0.05
# A further section joins the reply for a question the first one leaves mostly uncovered.
UNCOVERED = 0.4
MAX_SECTIONS = 3
# Articles search scored within this share of the first are a tie search could not break: on the labelled
# tickets, 7 of the 18 drafts that missed an answering section had it in such an article, below the first.
# The best-covering section among them joins the reply. 0.7-0.8 drafted the same (5 more tickets
# answered); 0.9 one more.
CLOSE_ARTICLE_RATIO = 0.8
# An article search scored lower, down to this share of the first, is close too when one of its sections
# covers the ticket's words better than every section of the first article: search's order was not the
# ticket's. Half the first's score: an article only one of a ticket's two searches found lands at most at
# ~0.57 of one both found (copilot.suggestions.fuse_rankings). bench/copilot_bench.py (offline replay of its
# suggestions, with the verb roots of copilot.word_roots): cites ar / en of 31, off 26 / 29, 0.3-0.6 27 / 29
# (T-1067: the exchange section of the return policy, at 0.68 of the first), 0.7 26 / 29; no English draft
# changes; alone (without the verb roots) no draft changes.
COVERING_ARTICLE_FLOOR = 0.5
# ... when it covers the ticket's words nearly as well as the first article's section: a checklist about
# missing items that search ranked close to a return ticket's article is not an answer to it. 0.5-0.75
# kept every gain on the labelled tickets, 1.0 lost three of the five.
CLOSE_COVERAGE = 0.75
# ... and when it holds words of the ticket that no quoted section does (this share of the ticket's
# weighted terms): a return ticket answered by the return steps does not also need the missing-item
# report steps its story ("the box is open") shares words with. On the labelled tickets, with the rule
# above, 0.03-0.05 kept every answer and cut the unlabelled sections quoted from 57 to 49-53; 0.06 lost two.
CLOSE_GAIN = 0.04
# A tied article's section leads the reply when it ranks above the first article's best even at this
# share of its rank. 0.5-0.9 drafted the same answers with 3-4 fewer unlabelled sections quoted and one
# more draft whose first section answers; 1.0 (no preference for search's first article) lost two.
CLOSE_LEAD_SHARE = 0.7
SEARCH_CHOICE_BONUS = 2.0
# An article's opening summarises it; a titled section answers one thing. At 0.5 an opening search chose
# itself weighs what any other section of its article does (0.5 x SEARCH_CHOICE_BONUS): search choosing
# the opening says which article, not which section. Offline replay of the bench's suggestions, cites
# ar / en of 31: 0.6 24 / 27, 0.3-0.5 24 / 28 (T-1035: the refund times by payment method, not the
# opening), 0.8 23 / 27; on main's suggestions 0.6 22 / 26, 0.4-0.5 22 / 27.
OPENING_SHARE = 0.5
# "How do I return it?" is answered by the steps, not by the status table of the same article.
STEPS_BONUS = 1.5
# A section whose own heading says two of the ticket's words in the ticket's order ("cancel the return" /
# "Change or cancel a return"; "طلب الإرجاع" / "تعديل طلب الإرجاع أو إلغاؤه") is named after what is
# asked: its rank counts this much more. Not when the pair is the article's title words ("gift card" in
# "Manzil gift cards", "الدفع عند الاستلام"): that names the article, every section of it alike. Only for a
# ticket asking one thing: a two-question ticket gets a section per question, and the heading naming one
# of them must not win the other's (T-1002: the return steps, then the pickup fee). bench/copilot_bench.py
# (offline replay of its suggestions), cites ar / en of 31: 1.0 (none) 25 / 28, 1.25 25 / 28, 1.4 25 / 29,
# 1.5-3.0 26 / 29 (T-1071 and T-1048, the same ticket in both languages); applied to two-question
# tickets too it broke T-1002's order.
HEADING_PHRASE_BONUS = 2.0
_STEPS = re.compile(r"^\d+\.\s", re.MULTILINE)
_HOW = re.compile(
    r"\bhow (?:do|can|should|to)\b|\bwhat (?:do|should) i do\b|\bwhere do i\b"
    r"|كيف|ازاي|إزاي|شلون|وش الطريقة|ايش الطريقة|أعمل إيه|اعمل ايه|وش أسوي|وش اسوي|ايش اسوي",
    re.IGNORECASE,
)
_HEADING_WEIGHT = 2.0
_PREFIX = 5  # terms compare on their first letters: plurals, tenses and Arabic suffixes still match
_ARABIC_PREFIX = 4
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a]")
# A name as an Arabic section prints it: capitalised ("Apple", "iPhone"), not an acronym ("iOS", "EGP":
# spelt letter by letter in Arabic script, never by sound).
_LATIN_NAME = re.compile(r"\b[a-z]?[A-Z][a-z]{2,}(?:[A-Z][a-z]+)*\b")
# Clitics an Arabic-script spelling of a Latin name takes ("بأبل": with Apple); the article is folded off.
_PROCLITICS = ("ب", "ل", "و", "ف", "ك")
# Letters Arabic script spells English names without: a word holding one is Arabic (copilot.loanwords).
_NATIVE_LETTERS = frozenset("عحخهصضطظذثءئؤة")
_STRICT_BELOW = 3  # sound keys shorter than this must match vowel for vowel (copilot.loanwords.STRICT_BELOW)
_LONG_VOWELS = re.compile(r"[اويىة]")

# Requests that are not a customer's question about the shop at all, whatever words they share with
# an article: applications for a job, offers to sell to the shop or to market it, get-rich spam.
_NOT_A_CUSTOMER_QUESTION = re.compile(
    r"\b(?:job application|apply(?:ing)? for (?:a |the )?(?:job|position|role|vacancy)|my (?:cv|resume)|"
    r"curriculum vitae|hiring manager|vacanc(?:y|ies)|become your supplier|wholesale price|"
    r"(?:we are|i am) a (?:factory|manufacturer|supplier|distributor)|seo (?:services|package)|backlinks?|"
    r"sponsored posts?|influencer|collaborat(?:e|ion) (?:on|with)|crypto(?:currency)?|bitcoin|"
    r"guaranteed (?:profit|income|returns)|do you (?:sell|carry|stock)|back in stock|"
    r"(?:sell|list)(?:ing)? (?:our|my) products|third[- ]party sellers?|become a (?:seller|vendor))\b"
    r"|وظيفة|وظايف|توظيف|سيرتي الذاتية|السيرة الذاتية|\bالـ ?CV\b|موردا معتمدا|مورد معتمد|أسعار جملة|اسعار جملة|"
    r"مسؤول المشتريات|العملات الرقمية|فرصة استثمار|اربح \d+|تبيعون|بتبيعوا|تبيعوا|بتنزلونها|بتنزلوها|"
    r"لون (?:ثاني|تاني|آخر)|متى (?:ينزل|بينزل|تنزل)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SectionChoice:
    sections: list[SearchHit]  # what the reply quotes, best first; empty when nothing answers
    coverage: float  # the best section's share of the ticket's terms


def terms(text: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Comparable terms: folded (kb.arabic), dialect words as MSA, cut to a common stem. `keep`: folded
    stop words that count here (copilot.answer_polarity: "يمكن" is no topic, but it is what a yes/no
    question and the sentence answering it share)."""
    words = fold(dialect_to_msa(text))
    stems = (_stem(t) for t in words if len(t) >= 3 and (t not in _STOP or t in keep) and not t.isdigit())
    return [t for t in stems if len(t) >= 3]


def _stem(term: str) -> str:
    """English: the first letters (return/returns/returned). Arabic: the consonant skeleton's first
    letters, so a verb and its noun meet (ارجع/ارجاع, استلمها/الاستلام)."""
    if _ARABIC_LETTER.match(term):
        return (term[0] + _LONG_VOWELS.sub("", term[1:]))[:_ARABIC_PREFIX]
    return term[:_PREFIX]


def questions(query: str) -> list[str]:
    """The sentences of a ticket that ask something, and the items of a numbered list of problems
    ("1) the app crashes 2) no notifications"); the whole text when none reads as a question."""
    parts = _ENUMERATION.split(query)
    listed = [p.strip() for p in parts[1:] if terms(p)] if len(parts) > 2 else []
    sentences = [s.strip() for s in _SENTENCE.findall(query) if terms(s)]
    asked = [s for s in sentences if s.endswith(("?", "؟")) or (set(fold(s)[:2]) & _QUESTION_WORDS)]
    return asked + listed or [query]


def phrases(text: str) -> frozenset[tuple[str, str]]:
    """Pairs of comparable terms that follow each other within a sentence of `text` (stop words between
    them skipped: "cancel the return" is ("cance", "retur"))."""
    return frozenset(pair for sentence in _SENTENCE.findall(text) for pair in itertools.pairwise(terms(sentence)))


@functools.lru_cache(maxsize=4096)
def _heading_phrases(title: str, section: str) -> frozenset[tuple[str, str]]:
    """The term pairs of a section's own heading (its last level) that are not both the article title's
    words (compared on their common start: "card" is the title's "cards")."""
    title_terms = terms(title)

    def in_title(term: str) -> bool:
        return any(term.startswith(t) or t.startswith(term) for t in title_terms)

    heading = section.split(" > ")[-1] if section else ""
    return frozenset(pair for pair in phrases(heading) if not (in_title(pair[0]) and in_title(pair[1])))


def asks_how(text: str) -> bool:
    """"How do I ...": answered by steps, so a section with numbered steps is preferred."""
    return bool(_HOW.search(text))


def not_a_customer_question(text: str) -> bool:
    """A job application, a supplier's or marketer's offer, spam: nothing to answer from articles."""
    return bool(_NOT_A_CUSTOMER_QUESTION.search(text))


def choose_sections(query: str, passages: Sequence[SearchHit]) -> SectionChoice:
    """The sections that answer `query`'s questions, from `passages` (one search's, best first)."""
    if not passages or not query.strip() or not_a_customer_question(query):
        return SectionChoice([], 0.0)
    # A term found in every passage tells them apart no better than none: weight by rarity among them.
    passage_terms = [_passage_terms(hit) for hit in passages]
    document_frequency: dict[str, int] = {}
    for body, heading in passage_terms:
        for term in body | heading:
            document_frequency[term] = document_frequency.get(term, 0) + 1
    count = len(passages)

    def weight(term: str) -> float:
        return 1.0 + math.log((count + 1) / (document_frequency.get(term, 0) + 1))

    # Names the sections print in Latin ("Apple Pay", "iPhone") that the ticket spells in Arabic script.
    latin = frozenset().union(*(_latin_words(hit.title, hit.section, hit.text) for hit in passages))

    # Verbs the sections name by a derived verbal noun ("أبدلها" / "الاستبدال"), when the verb's own stem
    # meets no section: as a second way to meet, it would count the same match twice.
    section_words = frozenset().union(*(body | heading for body, heading in passage_terms))

    def unread(word: str) -> bool:
        return word in _STOP or is_dialect_word(word) or any(t in section_words for t in terms(word))

    def query_terms(text: str) -> list[str]:
        return terms(text) + spelled_names(text, latin) + verb_roots(text, unread, section_words)

    asked_questions = questions(query)
    asked_terms = {t for q in asked_questions for t in query_terms(q)}

    def coverage(asked: set[str], index: int) -> float:
        """Weighted share of `asked` in the section; words of the ticket's questions count double
        (the story around them, "the box is open", matters less than what is asked)."""
        if not asked:
            return 0.0
        body, heading = passage_terms[index]
        total = sum(weight(t) * (1 + (t in asked_terms)) for t in asked)
        found = sum(
            weight(t) * (1 + (t in asked_terms)) * (_HEADING_WEIGHT if t in heading else 1.0)
            for t in asked
            if t in body | heading
        )
        return found / total  # above 1 when the question's words are the section's heading

    best_score = max(hit.score for hit in passages) or 1.0
    # A ticket asking one thing: a heading saying its words in its order names the answer. A ticket asking
    # two gets a section per question (below), and the heading naming one question must not lead for both.
    said = phrases(query) if len(asked_questions) < 2 else frozenset()

    def named(index: int) -> float:
        hit = passages[index]
        return HEADING_PHRASE_BONUS if said & _heading_phrases(hit.title, hit.section) else 1.0

    def rank(asked: set[str], index: int, how: bool = False) -> float:
        steps = STEPS_BONUS if how and _STEPS.search(passages[index].text) else 1.0
        return coverage(asked, index) * steps * named(index) * (0.5 + 0.5 * passages[index].score / best_score)

    whole = set(query_terms(query))
    best_coverage = max(coverage(whole, i) for i in range(count))
    if best_coverage < MIN_COVERAGE:
        return SectionChoice([], best_coverage)
    # Search (with the embedders' sense of meaning) chose the article; within it, the section that
    # covers the ticket's words best answers it, and the chunk search itself chose wins ties.
    top = passages[0].key
    same_article = [i for i in range(count) if passages[i].key == top]
    how = asks_how(query)

    def first_rank(i: int) -> float:
        steps = STEPS_BONUS if how and _STEPS.search(passages[i].text) else 1.0
        opening = OPENING_SHARE if not passages[i].anchor and len(same_article) > 1 else 1.0
        return coverage(whole, i) * steps * opening * named(i) * (SEARCH_CHOICE_BONUS if i == 0 else 1.0)

    # Sections of articles tied with the first (see CLOSE_ARTICLE_RATIO) may lead, at a discount: the
    # article search put first keeps the lead unless another one's section covers the ticket clearly better.
    first_coverage = max(coverage(whole, i) for i in same_article)
    covering = {
        passages[i].key
        for i in range(count)
        if coverage(whole, i) > first_coverage and passages[i].score >= COVERING_ARTICLE_FLOOR * passages[0].score
    }
    leading = same_article + _close_articles(passages, [0], covering)

    def lead_rank(i: int) -> float:
        return first_rank(i) * (1.0 if passages[i].key == top else CLOSE_LEAD_SHARE)

    first = max(leading, key=lambda i: (lead_rank(i), -i))
    chosen = [first]
    for asked_text in asked_questions:
        asked = set(query_terms(asked_text))
        if len(chosen) >= MAX_SECTIONS or not asked:
            continue
        # The section best for this question, unless one already quoted answers it as well.
        how_question = asks_how(asked_text)
        best = max(range(count), key=lambda i: (rank(asked, i, how_question), -i))
        taken = {_section_key(passages[j]) for j in chosen}
        if _section_key(passages[best]) in taken or coverage(asked, best) < UNCOVERED:
            continue
        if rank(asked, best, how_question) > max(rank(asked, j, how_question) for j in chosen):
            chosen.append(best)
    # Every question of a two-question ticket has its own section: the reply is whole without a tie-breaker.
    answered = len(asked_questions) >= 2 and len(chosen) >= len(asked_questions)
    runner_up = [] if answered or len(chosen) >= MAX_SECTIONS else _close_articles(passages, chosen, covering)
    if runner_up:
        best_there = max(runner_up, key=lambda i: (rank(whole, i, how), -i))
        quoted = set().union(*(passage_terms[j][0] | passage_terms[j][1] for j in chosen))
        body, heading = passage_terms[best_there]
        # What it adds: the ticket's weighted terms it holds that no quoted section does.
        adds = sum(weight(t) * (1 + (t in asked_terms)) for t in whole - quoted if t in body | heading)
        total = sum(weight(t) * (1 + (t in asked_terms)) for t in whole)
        close_enough = coverage(whole, best_there) >= max(MIN_COVERAGE, CLOSE_COVERAGE * coverage(whole, first))
        if close_enough and adds >= CLOSE_GAIN * total:
            chosen.append(best_there)
    return SectionChoice([passages[i] for i in chosen], best_coverage)


def spelled_names(text: str, latin: frozenset[str]) -> list[str]:
    """The Latin words among `latin` that Arabic-script words of `text` spell, as comparable terms.

    Arabic articles print brand and product names in Latin ("Apple Pay", "iPhone", "SplitPay") and
    customers write them in Arabic ("ابل باي", "بأبل", "الآيفون"): no stem is shared. A word is read
    as a name only against the Latin words of the sections being compared, never a list of names,
    so an ordinary Arabic word that sounds like some English word has nothing to be misread as
    unless a section prints that word (copilot.loanwords reads against a glossary instead, and
    misreads "باقي" as bug in long tickets).
    """
    if not latin:
        return []
    found: list[str] = []
    for word in fold(text):
        if word in _STOP or not _ARABIC_LETTER.match(word) or _NATIVE_LETTERS.intersection(word):
            continue
        if is_dialect_word(word):  # "ازاي" (how) is not "iOS"
            continue
        shapes = [word] + [word[1:] for p in _PROCLITICS if word.startswith(p)]
        for shape in shapes:
            if len(shape) < 3 or shape in _STOP:
                continue
            strict = len(arabic_key(shape)) < _STRICT_BELOW
            found += [_stem(name) for name in latin if sounds_alike(shape, name, strict=strict)]
    return list(dict.fromkeys(found))


def printed_names(text: str) -> frozenset[str]:
    """The names a text prints in Latin letters ("Apple Pay", "iPhone"), lower case; not acronyms."""
    return frozenset(w.lower() for w in _LATIN_NAME.findall(text))


@functools.lru_cache(maxsize=4096)
def _latin_words(title: str, section: str, text: str) -> frozenset[str]:
    return printed_names(f"{title} {section} {text}")


def _close_articles(passages: Sequence[SearchHit], chosen: list[int], covering: set[str]) -> list[int]:
    """The sections of the other articles search scored close to the first one, that the reply
    quotes nothing of yet: search could not tell them apart, and one ticket's words are too few to
    overrule it, so the best-covering section among them joins the first article's. `covering`: articles
    scored lower whose section covers the ticket better than the first article's (COVERING_ARTICLE_FLOOR)."""
    first = passages[0]
    quoted = {passages[i].key for i in chosen}
    best: dict[str, float] = {}
    for hit in passages:
        if hit.locale_fallback == first.locale_fallback:  # other rankings' scores do not compare
            best[hit.key] = max(best.get(hit.key, 0.0), hit.score)
    close = {
        key
        for key, score in best.items()
        if key not in quoted and (score >= CLOSE_ARTICLE_RATIO * first.score or key in covering)
    }
    return [i for i, hit in enumerate(passages) if hit.key in close and hit.locale_fallback == first.locale_fallback]


def _section_key(hit: SearchHit) -> tuple[str, str, str]:
    return hit.lang, hit.id, hit.anchor


def _passage_terms(hit: SearchHit) -> tuple[frozenset[str], frozenset[str]]:
    return _section_terms(hit.title, hit.section, hit.text)


@functools.lru_cache(maxsize=4096)
def _section_terms(title: str, section: str, text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A section's body and heading terms, with the roots of its derived verbal nouns (copilot.word_roots).
    The drafter reads every section of the suggested articles for every ticket, and the same few hundred
    sections come back ticket after ticket: reading each once per process keeps a draft's choice within
    milliseconds."""
    heading = f"{title} {section}"
    return frozenset(terms(text)) | noun_roots(text), frozenset(terms(heading)) | noun_roots(heading)
