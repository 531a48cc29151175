"""Reply drafts for the agent to edit and send, grounded in the passages the copilot suggested.

A draft is customer-facing, so its rules are the customer's, not the agent's: internal articles
can sit among the suggestions (the agent may read them) but are never quoted or linked in a draft;
every statement comes from a cited public section, linked so the customer can read the original;
and a draft says so when the guide it links is in the other language. When nothing public answers
the ticket the drafter abstains instead of writing a confident reply about something else.

`GroundedDrafter` is the default: it needs no model, is deterministic, and cannot say anything the
help center does not. The optional model drafters (copilot/model_drafters.py) fall back to it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from copilot.answer_rows import answering_part, asks_amount
from copilot.reply_wording import acknowledgement, reply_section
from copilot.retrieval import SearchHit
from copilot.section_choice import SectionChoice, choose_sections
from kb.bidi_text import plain_name
from kb.table_text import is_row, reply_form

# How a cited passage becomes a link in the draft. Links are the web layer's business (its routes,
# the deployment's base URL), so every caller passes one in: webapp.urls.public_link.
ArticleLink = Callable[[SearchHit], str]

log = logging.getLogger(__name__)

# A public passage is worth drafting from when it scores at least this share of the best passage
# (fused scores of one search are comparable). Below it, the internal passages above it are the
# real answer, and a draft from the weak public one would answer a different question.
PUBLIC_RELEVANCE = 0.5
# A second article joins the draft when it scores this close to the first: tickets often ask two
# things ("cancel my order, and can I pay with Apple Pay?"), but a distant second is noise.
SECOND_PASSAGE_RATIO = 0.9
# An internal procedure that covers the customer's question this much better than any public section
# is the real answer (a goodwill credit, the warehouse's deadline): the public one would answer
# something else. Tickets answered in public have their best public section within ~1.4x of it.
INTERNAL_COVERAGE_RATIO = 1.5
MAX_ANSWER_CHARS = 1200  # a chunk is at most ~1100 characters: the best section is quoted whole
MAX_SECOND_CHARS = 600

REASONS: dict[str, dict[str, str]] = {
    "no_article": {"en": "No article covers this", "ar": "لا توجد مقالة تغطي هذا الموضوع"},
    "internal_only": {
        "en": "Only internal articles cover this: use them to answer, but do not share or link them",
        "ar": "لا يغطي هذا الموضوع إلا مقالات داخلية: استعن بها في الرد دون مشاركتها أو إرسال روابطها",
    },
}
_TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hi {name},",
        "greeting_anonymous": "Hi,",
        "more": "More details: {label}",
        "other_language": "This guide is available in {language}: {label}",
        "closing": "If you need anything else, just reply to this message.\nBest regards,",
        "team": "Manzil Customer Care",
    },
    "ar": {
        "greeting": "مرحبًا {name}،",
        "greeting_anonymous": "مرحبًا،",
        "more": "لمزيد من التفاصيل: {label}",
        "other_language": "هذا الدليل متوفر باللغة {language}: {label}",
        "closing": "إذا احتجت إلى أي مساعدة أخرى، يكفي أن ترد على هذه الرسالة.\nمع أطيب التحيات،",
        "team": "فريق خدمة عملاء منزل",
    },
}
_LANGUAGE_NAMES: dict[str, dict[str, str]] = {  # [language][written in]
    "en": {"en": "English", "ar": "الإنجليزية"},
    "ar": {"en": "Arabic", "ar": "العربية"},
}
_SENTENCE_END = re.compile(r"[.!?؟](?=\s|$)")
_CITATION = re.compile(r"\[(\d+)\]")
_URL = re.compile(r"https?://[^\s)\]>]+")
NO_ANSWER = "NO_ANSWER"


@dataclass(frozen=True)
class ReplyContext:
    """What the caller knows about the ticket beyond the passages: what the customer asked (the
    ticket's search query), their messages in this thread, how many other tickets they opened
    recently, and who signs the reply. All optional: an empty context drafts from the passages alone."""

    question: str = ""
    customer_messages: Sequence[str] = ()
    earlier_contacts: int = 0
    agent_name: str = ""
    team_name: str = ""  # the sign-off under the agent's name; the help center's team when empty


@dataclass(frozen=True)
class Draft:
    text: str
    citations: list[str]  # links to the cited sections (built by the caller's `link`), in citation order
    abstained: bool
    source_langs: list[str]  # languages of the cited sections
    drafter: str
    reason: str | None = None  # a key of REASONS when abstained
    fallback_from: str | None = None  # the drafter that failed, when this draft replaces its output
    detail: str = ""  # why that drafter failed, for logs and the agent
    cited: list[str] = field(default_factory=list)  # "lang/id" of the cited articles, in citation order

    def reason_text(self, lang: str) -> str:
        """The abstention reason for the agent, in the agent's language (English when unknown)."""
        if self.reason is None:
            return ""
        texts = REASONS[self.reason]
        return texts.get(lang, texts["en"])


class Drafter(Protocol):
    name: str

    def draft(
        self,
        ticket_lang: str,
        customer_name: str,
        passages: Sequence[SearchHit],
        abstained: bool,
        *,
        link: ArticleLink,
        context: ReplyContext | None = None,
    ) -> Draft: ...


def customer_passages(passages: Sequence[SearchHit], abstained: bool) -> tuple[list[SearchHit], str | None]:
    """The passages a customer-facing draft may use, best first, or the reason there are none."""
    if abstained or not passages:
        return [], "no_article"
    public = [hit for hit in passages if not hit.internal]
    if not public:
        return [], "internal_only"
    best_internal = max((hit.score for hit in passages if hit.internal and not hit.locale_fallback), default=0.0)
    first = public[0]
    if not first.locale_fallback and first.score < PUBLIC_RELEVANCE * best_internal:
        return [], "internal_only"
    return public, None


def internal_answers_better(question: str, passages: Sequence[SearchHit], public_choice: SectionChoice) -> bool:
    """Whether the internal sections among `passages` answer `question` clearly better than the public ones chosen
    (`public_choice`): the real answer is an internal procedure, and the public section a near miss."""
    inside = choose_sections(question, [hit for hit in passages if hit.internal])
    return bool(inside.sections) and inside.coverage >= INTERNAL_COVERAGE_RATIO * public_choice.coverage


def internal_only(question: str, passages: Sequence[SearchHit], abstained: bool) -> bool:
    """Whether the grounded draft for a ticket asking `question` (`passages`: the agents' search, internal articles
    too) abstains with the internal-only notice: only internal articles answer it. The acknowledgement mail then
    suggests no public article (desk.mail_suggestions)."""
    public, reason = customer_passages(passages, abstained)
    if reason is not None:
        return reason == "internal_only"
    return internal_answers_better(question, passages, choose_sections(question, public))


def section_text(text: str, max_chars: int) -> str:
    """A section as reply text: one line per block, steps kept as steps.

    Chunk text is already plain (kb.parsing drops Markdown syntax and writes list markers as "-"
    or "1."), so nothing is stripped here: a `__init__` in a code block stays as written. Cut at a
    line (then sentence, then word) boundary so the customer never gets half a step, and never after
    a table's header row (the rows it names were cut off). Tables stay rows ("a | b"): the answer card
    draws them; a reply reads them as lines (kb.table_text.reply_form).
    """
    lines: list[str] = []
    size = 0
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if size + len(line) + 1 > max_chars:
            if not lines:
                lines.append(_cut(line, max_chars))
            elif lines[-1] != "…":
                if is_row(lines[-1]) and (len(lines) == 1 or not is_row(lines[-2])):
                    lines.pop()  # a header row without its rows
                lines.append("…")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def _cut(line: str, max_chars: int) -> str:
    head = line[: max_chars - 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] > max_chars // 3:
        return head[: ends[-1]]
    return head.rsplit(" ", 1)[0].rstrip(" ,،;:") + "…"


def _label(hit: SearchHit) -> str:
    section = hit.section.split(" > ")[-1] if hit.section else ""
    return f"{hit.title} – {section}" if section and section != hit.title else hit.title


def _template(lang: str) -> dict[str, str]:
    return _TEMPLATES.get(lang, _TEMPLATES["en"])


def regards_lines() -> frozenset[str]:
    """The drafts' "Best regards," line in every language: a reply that has one is signed already
    (the mail adds no second signature under it)."""
    return frozenset(template["closing"].split("\n")[-1] for template in _TEMPLATES.values())


# A draft's closing sits in its last lines: the regards line, the agent's name, the team's.
SIGN_OFF_LINES = 4


def signed_by(text: str, agent_name: str) -> str:
    """The draft signed by `agent_name` instead of the agent it was drafted for.

    A draft is computed ahead (the background pass), signed by the ticket's assignee, but whoever
    opens the ticket may send it. In Zendesk and Intercom a reply is signed by the agent who sends
    it, and the composer shows what goes out: so the draft an agent sees is signed with their own
    name when it is shown (not rewritten at send time). What they insert, edit and send is then what
    the customer reads, a name swap is never counted as an edit, and a sign-off the agent writes
    on purpose is never changed behind their back.

    The closing is the regards line, then the agent's name when there was one, then the team's;
    text without a regards line in its last lines (an abstention, an agent's own words) is unchanged.
    """
    lines = text.split("\n")
    regards = regards_lines()
    last = [i for i, line in enumerate(lines) if line.strip()][-SIGN_OFF_LINES:]
    at = next((i for i in reversed(last) if lines[i].strip() in regards), None)
    if at is None:
        return text
    names = [line for line in lines[at + 1:] if line.strip()]
    if not names:
        return text
    team = names[-1]
    name = plain_name(agent_name)
    return "\n".join([*lines[: at + 1], *([name] if name else []), team])


def _greeting(lang: str, customer_name: str) -> str:
    name = plain_name(customer_name or "")  # plain text: no <bdi> to isolate it
    template = _template(lang)
    return template["greeting"].format(name=name) if name else template["greeting_anonymous"]


def _link_line(ticket_lang: str, hit: SearchHit, url: str) -> str:
    """What the link is, then the absolute URL alone on the next line: a URL at the end of an Arabic
    line is reordered by the bidi algorithm, and mail clients link a bare line reliably."""
    template = _template(ticket_lang)
    if hit.lang != ticket_lang or hit.locale_fallback:
        names = _LANGUAGE_NAMES.get(hit.lang, {})
        language = names.get(ticket_lang) or names.get("en") or hit.lang
        return template["other_language"].format(language=language, label=_label(hit)) + "\n" + url
    return template["more"].format(label=_label(hit)) + "\n" + url


def _closing(lang: str, context: ReplyContext) -> str:
    """The closing, then the agent's name and the team's sign-off, one per line."""
    template = _template(lang)
    names = [plain_name(context.agent_name), plain_name(context.team_name) or template["team"]]
    return "\n".join([template["closing"], *[name for name in names if name]])


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def answering_text(question: str, hit: SearchHit) -> str:
    """The part of a section a reply quotes for `question`: the table rows, columns or list items it names
    (copilot.answer_rows), or the whole section when it names none."""
    return answering_part(question, hit.text) or hit.text


def named_section(question: str, hit: SearchHit, sections: Sequence[SearchHit]) -> SearchHit:
    """The section a reply quotes in place of `hit` for `question`: when the question asks for an amount, a price or
    a time (copilot.answer_rows.asks_amount) and `hit` is its article's opening, which names nothing it asks, the
    first of its article's titled sections (in `sections`) whose table row or list item the question names ("how
    much is delivery to the UAE?": the fees table's UAE row, not the opening's summary of every country); `hit`
    itself otherwise. An opening summarises its article: the section holding the row states the answer. A titled
    section is never swapped: it answers what its heading says ("Are delivery fees refunded?" names no amount row).
    The answer card swaps the section its gates chose the same way (copilot.answer_card)."""
    if hit.anchor or not asks_amount(question) or answering_part(question, hit.text) is not None:
        return hit
    return next(
        (
            other
            for other in sections
            if other.key == hit.key and other.anchor and answering_part(question, other.text) is not None
        ),
        hit,
    )


def _unique_sections(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """`hits` without a section quoted twice (an opening replaced by a section already chosen), first kept."""
    firsts: dict[tuple[str, str], SearchHit] = {}
    for hit in hits:
        firsts.setdefault((hit.key, hit.anchor), hit)
    return list(firsts.values())


def _abstain(reason: str, drafter: str) -> Draft:
    return Draft("", [], True, [], drafter, reason=reason)


class GroundedDrafter:
    """Greeting, the best section's own words, links to what it cites, closing: no model involved."""

    name = "grounded"

    def __init__(
        self,
        max_chars: int = MAX_ANSWER_CHARS,
        second_chars: int = MAX_SECOND_CHARS,
        second_ratio: float = SECOND_PASSAGE_RATIO,
    ) -> None:
        self.max_chars = max_chars
        self.second_chars = second_chars
        self.second_ratio = second_ratio

    def pick(self, public: Sequence[SearchHit]) -> list[SearchHit]:
        """The best passage, and a second one from another article when it scores close to it.

        Scores of other-language fallbacks come from another ranking, so only like compares with like.
        """
        best = public[0]
        for hit in public[1:]:
            if hit.id != best.id and hit.locale_fallback == best.locale_fallback:
                if hit.score >= self.second_ratio * best.score:
                    return [best, hit]
                break
        return [best]

    def draft(
        self,
        ticket_lang: str,
        customer_name: str,
        passages: Sequence[SearchHit],
        abstained: bool,
        *,
        link: ArticleLink,
        context: ReplyContext | None = None,
    ) -> Draft:
        context = context or ReplyContext()
        public, reason = customer_passages(passages, abstained)
        if reason is not None:
            return _abstain(reason, self.name)
        if context.question:
            # The sections that answer what was asked; none means the ticket is about something else.
            choice = choose_sections(context.question, public)
            if internal_answers_better(context.question, passages, choice):
                return _abstain("internal_only", self.name)
            if not choice.sections:
                return _abstain("no_article", self.name)
            cited = _unique_sections([named_section(context.question, hit, public) for hit in choice.sections])
        else:
            cited = self.pick(public)
        limits = [self.max_chars, *[self.second_chars] * (len(cited) - 1)]
        bodies = [
            reply_form(reply_section(section_text(answering_text(context.question, hit), limit)), hit.lang)
            for hit, limit in zip(cited, limits, strict=True)
        ]
        urls = [link(hit) for hit in cited]
        links = [_link_line(ticket_lang, hit, url) for hit, url in zip(cited, urls, strict=True)]
        sorry = acknowledgement(ticket_lang, context.customer_messages, context.earlier_contacts)
        parts = [_greeting(ticket_lang, customer_name), sorry, *bodies, "\n\n".join(_unique(links))]
        parts = [part for part in parts if part]
        parts.append(_closing(ticket_lang, context))
        return Draft(
            text="\n\n".join(parts),
            citations=_unique(urls),
            abstained=False,
            source_langs=_unique([hit.lang for hit in cited]),
            drafter=self.name,
            cited=_unique([f"{hit.lang}/{hit.id}" for hit in cited]),
        )
