"""From a support ticket to the help-center passages an agent should look at.

A ticket is not a query: it is an email or chat thread wrapped in greetings, signatures, quoted
history and HTML, and it can run to pages. Search sees only what says what the customer needs:
the subject and the customer's own words, cleaned, and when that is still too long, the sentences
that share the most terms with the rest of the thread (what a customer repeats is what they want;
a question is what they want answered). A ticket of several sentences is searched twice: as a whole,
and as its subject with the sentences that ask something; the two rankings are fused (see
`fuse_rankings`), since the story around a question ("I wrote the work address by mistake") pulls
the whole text's search towards articles about the story. The summary is extractive and deterministic so the same
ticket always gets the same suggestions, and an agent can read the query and see why.

Agents see internal articles (audience "agent"); each hit says whether it is internal, and it is
the drafter's job to keep those out of what the customer reads.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from copilot.article_sections import ArticleSections
from copilot.expansion import fold
from copilot.learning import rerank
from copilot.retrieval import Retriever, SearchHit, printable
from copilot.section_choice import questions
from kb.audience import AGENT, Audience
from kb.language import detect_language
from kb.message_text import SUBJECT_PREFIX, clean_message, html_to_lines

# Most demo tickets fit whole; longer threads repeat themselves. On the demo tickets
# (bench/copilot_bench.py) budgets of 200, 300, 400 and 512 gave the same top-1 (EN 15/15, AR 10/14)
# and 400 or 512 the best top-3; under the retriever's 512 cap so search never truncates mid-word.
MAX_QUERY_CHARS = 400

_SENTENCE = re.compile(r"[^.!?؟\n]+[.!?؟]*")
_STOP_WORDS = (
    """the and for you your are was were this that with have has had not but all can will just get got from
    out one any what when how why who there they them then than our ours been did does its it's into also
    about would could should please still now want need know like only some yes very been more their
    على الى إلى في من عن هذا هذه ذلك التي الذي اللي انا أنا انت أنت هو هي لكن بس كان كانت يكون مع عند
    لما ليش وش ايش إيش كيف هل لو ما لا تم يوم اليوم الحين"""
)
_STOP = frozenset(fold(_STOP_WORDS))  # compared with folded terms
_QUESTION_BONUS = 1.5
# Bounds the work on pasted logs and runaway threads; the query keeps far less than this anyway.
MAX_MESSAGE_CHARS = 20_000
# The questions' own search joins the whole ticket's with this reciprocal-rank weight (the whole
# text's ranking weighs 1). bench/copilot_bench.py, answerable tickets whose draft cites an answering
# section, ar / en of 31 each: whole text alone 21 / 26; 0.5 22 / 27, 0.6-0.9 23 / 27, 1.0 23 / 26,
# 1.5 22 / 25. The whole text keeps the larger say: a question ("how long does it take?") is
# often too short to name its subject.
QUESTION_WEIGHT = 0.75
RRF_K = 60  # the usual reciprocal-rank constant: ranks 1 and 5 differ little, as two searches' do


class TicketTextError(ValueError):
    """The ticket has no text to search with; the message says why, for the agent."""


@dataclass(frozen=True)
class TicketQuery:
    text: str
    lang: str
    subject: str = ""  # the cleaned subject line, the first sentence of `text`

    def question_text(self) -> str | None:
        """The subject and the sentences that ask something, when that is not the whole text again:
        a second query for a ticket whose questions sit among sentences telling its story."""
        asked = questions(self.text)
        if asked == [self.text]:
            return None
        asked = [sentence for sentence in asked if sentence.rstrip(".!?؟ ") != self.subject.rstrip(".!?؟ ")]
        text = _join(self.subject, " ".join(asked))
        return text if asked and text != self.text else None


@dataclass(frozen=True)
class Suggestions:
    lang: str
    query: str
    passages: list[SearchHit]
    abstained: bool
    took_ms: float
    # The other sections of the leading articles (copilot.article_sections): what a draft chooses
    # from besides the passages; not shown to the agent as suggestions.
    sections: list[SearchHit] = field(default_factory=list)

    def draftable(self) -> list[SearchHit]:
        """The passages, then the rest of the leading articles' sections: a drafter's input."""
        return [*self.passages, *self.sections]


def ticket_query(
    subject: str,
    messages: Sequence[str],
    max_chars: int = MAX_QUERY_CHARS,
    languages: tuple[str, ...] = ("en", "ar"),
    lang: str | None = None,
) -> TicketQuery:
    """The search query for a ticket: its subject and the customer's cleaned words, within `max_chars`.

    The language is detected unless the caller knows it (a ticket stores its language).
    """
    if isinstance(messages, str):  # one message passed bare: iterating it would yield characters
        messages = [messages]
    raw = [printable(m[:MAX_MESSAGE_CHARS]) for m in messages or () if isinstance(m, str)]
    subject = printable((subject or "")[:MAX_MESSAGE_CHARS])
    if not subject.strip() and not any(m.strip() for m in raw):
        raise TicketTextError("the ticket is empty: it has no subject and no customer message")
    title = _flat(SUBJECT_PREFIX.sub("", html_to_lines(subject)))
    body = "\n".join(b for b in (clean_message(m) for m in raw) if b)
    if not title and not body:
        raise TicketTextError("nothing is left to search once greetings, quoted replies and signatures are removed")
    lang = lang or detect_language(f"{title}\n{body}", languages)
    text = _join(title, _flat(body))
    if len(text) > max_chars:
        text = summarize(title, body, max_chars)
    return TicketQuery(text, lang, title)


def summarize(title: str, body: str, max_chars: int) -> str:
    """The subject, then the body's most characteristic sentences in their original order.

    A sentence scores by how often its terms occur elsewhere in the ticket (subject terms count
    double), divided by the square root of its length so long rants do not win by size, and
    questions get a bonus. Ties go to the earlier sentence; the result never exceeds `max_chars`.
    """
    sentences = [_flat(s) for s in _SENTENCE.findall(body)]
    sentences = [s for s in sentences if _terms(s)]
    counts: Counter[str] = Counter()
    for sentence in sentences:
        counts.update(set(_terms(sentence)))
    subject_terms = set(_terms(title))

    def score(sentence: str) -> float:
        terms = set(_terms(sentence))
        weight = sum(counts[t] - 1 + 2 * (t in subject_terms) for t in terms) + len(terms) * 0.1
        bonus = _QUESTION_BONUS if sentence.rstrip().endswith(("?", "؟")) else 1.0
        return weight * bonus / max(len(sentence), 20) ** 0.5

    out = title[:max_chars].rstrip()
    budget = max_chars - len(out) - (2 if out else 0)  # ". " between subject and body
    ranked = sorted(range(len(sentences)), key=lambda i: (-score(sentences[i]), i))
    chosen: list[int] = []
    for index in ranked:
        size = len(sentences[index]) + (1 if chosen else 0)
        if size <= budget:
            chosen.append(index)
            budget -= size
    if not chosen and sentences and budget > 20:  # one long sentence: keep its start rather than nothing
        return _join(out, sentences[ranked[0]][: budget - 1].rstrip() + "…")
    return _join(out, " ".join(sentences[i] for i in sorted(chosen)))


def _terms(text: str) -> list[str]:
    return [t for t in fold(text) if len(t) >= 3 and t not in _STOP]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _join(title: str, body: str) -> str:
    """Subject and body as one text; a full stop between them keeps the subject a sentence of its own."""
    if not title or not body:
        return title or body
    return f"{title} {body}" if title.endswith((".", "!", "?", "؟")) else f"{title}. {body}"


def fuse_rankings(whole: list[SearchHit], asked: list[SearchHit], weight: float, limit: int) -> list[SearchHit]:
    """The whole ticket's passages and its questions' passages as one ranking of articles (RRF).

    An article keeps the chunk the whole text's search chose (else the questions' one). Scores of two
    searches do not compare, so each passage is scored by its fused rank as a share of the best
    fused rank's, times the whole search's best score: the drafter's thresholds (copilot.drafts,
    copilot.section_choice) compare scores of one ranking, and this is one ranking on the whole
    search's scale. Cross-language fallbacks are placed by other rules: with any among them, the
    whole text's ranking stands.
    """
    if not whole or not asked or any(hit.locale_fallback for hit in [*whole, *asked]):
        return whole
    fused: dict[str, float] = {}
    hits: dict[str, SearchHit] = {}
    for ranking, share in ((whole, 1.0), (asked, weight)):
        for position, hit in enumerate(ranking):
            fused[hit.key] = fused.get(hit.key, 0.0) + share / (RRF_K + position + 1)
            hits.setdefault(hit.key, hit)
    order = sorted(fused, key=lambda key: -fused[key])[:limit]  # stable: ties keep the whole text's order
    best_fused, best_score = fused[order[0]], max(hit.score for hit in whole)
    return [replace(hits[key], score=best_score * fused[key] / best_fused) for key in order]


class Suggester:
    """Suggestions for the agent working a ticket: the passages search finds for its cleaned text."""

    def __init__(
        self,
        retriever: Retriever,
        max_chars: int = MAX_QUERY_CHARS,
        boosts: Callable[[str, str], Mapping[str, float]] | None = None,
    ) -> None:
        self.retriever = retriever
        self.max_chars = min(max_chars, retriever.settings.max_query_chars)
        # Articles agents chose for similar tickets (copilot.learning); None in evaluation baselines.
        self.boosts = boosts

    def suggest(self, subject: str, messages: Sequence[str], lang: str | None = None, limit: int = 5,
                audience: Audience = AGENT) -> Suggestions:
        """`audience`: the agents' (internal articles too) unless the customer is to read them (PUBLIC: the
        acknowledgement mail's suggested articles, desk.mail_suggestions), whose search never matches an internal
        one."""
        started = time.perf_counter()
        query = ticket_query(subject, messages, self.max_chars, self.retriever.settings.languages, lang)
        lang = query.lang
        result = self.retriever.search(query.text, lang=lang, limit=limit, audience=audience, ticket=True)
        passages = list(result.results)
        asked = query.question_text() if passages and not result.abstained else None
        if asked is not None:
            by_questions = self.retriever.search(asked, lang=lang, limit=limit, audience=audience, ticket=True)
            passages = fuse_rankings(passages, list(by_questions.results), QUESTION_WEIGHT, limit)
        if self.boosts is not None and passages:
            passages = rerank(passages, self.boosts(query.text, lang))
        sections = ArticleSections.of(self.retriever.store).siblings(passages) if passages else []
        took_ms = (time.perf_counter() - started) * 1000
        return Suggestions(lang, query.text, passages, result.abstained, took_ms, sections)
