"""Suggested articles in the acknowledgement mail, and "Did this answer your question?" (Zendesk's autoreplies with
articles, Intercom's Fin over email).

When the outbox composes a new ticket's acknowledgement (desk.mail.compose), the help center is searched with the
ticket's subject and first message, as the agent's suggestions search it (copilot.suggestions.Suggester, one
retrieval path) but as the public (`PUBLIC`: no internal article is ever matched) and in the ticket's language only.
Nothing is suggested when search abstains, nor when none of the sections found answers what the ticket asks (the
grounded draft's own test, copilot.section_choice.choose_sections: a ticket search rarely abstains, and without it
11 of the 12 off-topic demo tickets got suggestions, bench/mail_suggestions_bench.py), nor when only an internal
procedure answers it (a second search, as the agents', run only when the public one would suggest something: the
agent's draft would carry the internal-only notice, copilot.drafts.internal_only, and a public article is a near
miss; all 6 such demo tickets got public ones before); then the answering sections'
articles (their section linked), then the results a customer's results page would show (above the relative floor,
copilot.result_floor), one per article, at most `KB_MAIL_SUGGESTED_ARTICLES`.

The search runs when the worker composes the mail, not when the ticket is created: the ticket is written in one
short transaction on the request (the contact form, the API, an incoming mail) with its acknowledgement queued,
and the worker composes and sends it; the engine is loaded there already (its advice pass), a search of up to a
second never delays the customer's page or holds the ticket's transaction, and a mail composed once (`raw`) keeps
its suggestions on every retry. An index that cannot be searched is logged and the mail goes without suggestions;
so does one slower than KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS (`_search_within`: the search runs on its own thread, and
while one that overran is still running no other starts, so a hung index neither holds acknowledgements nor piles up
threads).

Each suggestion is a row with an unguessable token (as a survey's, desk.surveys): its link opens the article with
"Yes, close my request" / "No, I still need help". Yes solves the ticket as by the customer (a history row, no
survey: no agent worked it; the first reply time is not touched), no is recorded and leaves it in the queue. A
token answers once, and only while the ticket is open to it: not solved, closed or merged, and no agent has replied.
The token reads nothing of the ticket.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from desk.database import Database, lock_row
from desk.models import (
    MAIL_SUGGESTION_ANSWERS,
    MailSuggestion,
    Message,
    OutboxMail,
    Ticket,
    TicketStatusChange,
    utcnow,
)
from kb.audience import PUBLIC
from kb.message_text import cut_at_word

if TYPE_CHECKING:  # imported where it searches (`PublicFinder`): the desk's pages and reports load no search
    from copilot.suggestions import Suggester

log = logging.getLogger(__name__)

MAX_TOKEN = 64
SNIPPET_CHARS = 200  # one short snippet per article: a mail is read on a phone


@dataclass(frozen=True)
class FoundArticle:
    """An article search found for the customer: its "lang/id", title, section anchor ("" for its top), snippet."""

    key: str
    title: str
    anchor: str
    snippet: str


class ArticleFinder(Protocol):
    def __call__(self, subject: str, messages: Sequence[str], lang: str, limit: int) -> list[FoundArticle]: ...


def short(text: str, limit: int = SNIPPET_CHARS) -> str:
    return cut_at_word(" ".join(text.split()), limit)


class PublicFinder:
    """The customer's articles for a ticket's text: the agents' suggestion search (`Suggester.suggest`) as the public;
    none when it abstains or no section answers the ticket's questions (`choose_sections`, as the grounded draft
    decides), nor when only an internal article answers them (the agents' search then, and the draft's own test,
    copilot.drafts.internal_only); the answering sections first, then what a results page shows (`split_at_floor`),
    in `lang` only, one per article.
    `suggester` is called once, by `prepare` (on the composing thread, outside the search's time bound: the worker's
    engine is built on first use, and a load is not a slow search)."""

    def __init__(self, suggester: Callable[[], Suggester]) -> None:
        self._make = suggester
        self._suggester: Suggester | None = None

    def prepare(self) -> None:
        if self._suggester is None:
            self._suggester = self._make()

    def __call__(self, subject: str, messages: Sequence[str], lang: str, limit: int) -> list[FoundArticle]:
        from copilot.drafts import internal_only
        from copilot.result_floor import split_at_floor
        from copilot.section_choice import choose_sections

        self.prepare()
        assert self._suggester is not None
        found = self._suggester.suggest(subject, messages, lang=lang, limit=max(limit * 3, 5), audience=PUBLIC)
        if found.abstained or not found.passages:
            return []
        # The grounded draft's own test (copilot.drafts): the sections that answer the ticket's questions; none
        # means it is about something else, and the agent's draft would abstain too.
        chosen = choose_sections(found.query, found.draftable()).sections
        if not chosen:
            return []
        # The agents' search, as their draft runs it: when only an internal procedure answers (the draft carries the
        # internal-only notice), a public article is a near miss that cannot answer the customer.
        agents = self._suggester.suggest(subject, messages, lang=lang)
        if internal_only(agents.query, agents.draftable(), agents.abstained):
            return []
        shown, _ = split_at_floor(found.passages)
        articles: dict[str, FoundArticle] = {}
        for hit in [*chosen, *shown]:
            if hit.internal or hit.locale_fallback or hit.lang != lang or hit.key in articles:
                continue  # never internal (the search filters them already); never another language's article
            articles[hit.key] = FoundArticle(hit.key, hit.title, hit.anchor, short(hit.snippet))
        return list(articles.values())[:limit]


class SearchOverran(Exception):
    """The acknowledgement's search did not answer in time, or an earlier one that overran is still running."""


_overran: list[threading.Thread] = []  # searches that overran their time, until they end
_overran_lock = threading.Lock()


def _search_within(seconds: float, search: Callable[[], list[FoundArticle]]) -> list[FoundArticle]:
    """`search()`'s answer if it comes within `seconds`, else SearchOverran (its thread is left to end on its own: a
    thread cannot be stopped). While a search that overran is still running, none starts: SearchOverran at once."""
    with _overran_lock:
        _overran[:] = [thread for thread in _overran if thread.is_alive()]
        if _overran:
            raise SearchOverran("an earlier search is still running")
    answer: dict[str, Any] = {}

    def run() -> None:
        try:
            answer["found"] = search()
        except Exception as error:  # handed to the caller, raised there
            answer["error"] = error

    thread = threading.Thread(target=run, name="mail-suggestions", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        with _overran_lock:
            _overran.append(thread)
        raise SearchOverran(f"the search took longer than {seconds:g} s")
    if "error" in answer:
        raise answer["error"]
    found: list[FoundArticle] = answer["found"]
    return found


def suggestions_for(session: Session, row: OutboxMail, ticket: Ticket, limit: int,
                    finder: ArticleFinder | None, seconds: float) -> list[MailSuggestion]:
    """The articles `row` (a new ticket's acknowledgement) suggests, in the caller's transaction: the ones stored when
    it was composed before, else searched now and stored with their tokens; none for a follow-up of a closed ticket
    (its acknowledgement is sent, but the customer continues a conversation with the team). Search failing (the
    index unavailable, a model missing) or not answering within `seconds` (KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS) is
    logged and nothing is suggested: the acknowledgement never waits for it longer."""
    stored = list(session.scalars(select(MailSuggestion).where(MailSuggestion.outbox_id == row.id)
                                  .order_by(MailSuggestion.position)))
    if stored or finder is None or limit <= 0 or row.kind != "confirmation" or not ticket.messages:
        return stored
    from desk.tickets import FOLLOW_UP_OF  # it imports desk.mail, which imports this module

    if FOLLOW_UP_OF in (ticket.context or {}):
        return []  # a closed request's continuation: the conversation goes on with the team, not with articles
    subject, body, lang = ticket.subject, ticket.messages[0].body, ticket.lang  # read here: the session is not shared
    try:
        prepare = getattr(finder, "prepare", None)  # the engine built here, untimed (PublicFinder)
        if prepare is not None:
            prepare()
        found = _search_within(seconds, lambda: finder(subject, [body], lang, limit))
    except SearchOverran as overran:  # a slow index: the acknowledgement goes now, without suggestions
        log.warning("no suggested articles for ticket %s: %s", ticket.id, overran)
        return []
    except Exception:  # the index or a model: the acknowledgement goes without suggestions
        log.exception("no suggested articles for ticket %s: search failed", ticket.id)
        return []
    now = utcnow()
    rows = [MailSuggestion(ticket_id=ticket.id, outbox_id=row.id, position=n, token=secrets.token_urlsafe(24),
                           article_key=a.key[:300], title=a.title[:300], anchor=a.anchor[:200], snippet=a.snippet,
                           created_at=now)
            for n, a in enumerate(found[:limit], 1)]
    session.add_all(rows)
    return rows


class SuggestionError(ValueError):
    """A refused answer; `str(error)` names what: "token" (no such suggestion) or "answer" (neither yes nor no)."""


# Why a token answers nothing now: each a page's sentence (webapp).
STATES = ("open", "used", "solved", "gone", "replied")


@dataclass(frozen=True)
class Suggested:
    """A suggestion as its token's page sees it: the article, and whether the customer may still answer."""

    token: str
    lang: str
    article_id: str
    anchor: str
    state: str  # STATES
    answer: str | None


def _state(session: Session, row: MailSuggestion) -> str:
    if row.answer is not None:
        return "used"
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is None or ticket.merged_into_id is not None:
        return "gone"
    if ticket.status in ("solved", "closed"):
        return "solved"
    replied = session.scalar(select(Message.id).where(Message.ticket_id == ticket.id, Message.author == "agent",
                                                      Message.internal.is_(False)).limit(1))
    return "replied" if replied is not None else "open"


class MailSuggestions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def by_token(self, token: str) -> Suggested | None:
        if not token or len(token) > MAX_TOKEN:
            return None
        with self.db.session() as session:
            row = session.scalar(select(MailSuggestion).where(MailSuggestion.token == token))
            if row is None:
                return None
            lang, _, article_id = row.article_key.partition("/")
            return Suggested(row.token, lang, article_id, row.anchor, _state(session, row), row.answer)

    def answer(self, token: str, answer: str, now: datetime | None = None) -> Suggested:
        """The customer's answer through `token`: "yes" solves the ticket (as by the customer: no survey, a history
        row), "no" is recorded. Only while the suggestion is `open`; otherwise nothing changes and the state says why.
        The ticket's row is locked first, so two answers at once (two tabs, two links) are taken one after the other."""
        if answer not in MAIL_SUGGESTION_ANSWERS:
            raise SuggestionError("answer")
        found = self.by_token(token)
        if found is None:
            raise SuggestionError("token")

        def write(session: Session) -> Suggested:
            ticket_id = session.scalar(select(MailSuggestion.ticket_id).where(MailSuggestion.token == token))
            if ticket_id is not None:
                lock_row(session, Ticket, ticket_id)
            row = session.scalar(select(MailSuggestion).where(MailSuggestion.token == token)
                                 .execution_options(populate_existing=True))  # as it is now the ticket is held
            if row is None:  # its ticket erased (the token replaced) or purged since the page was read
                raise SuggestionError("token")
            state = _state(session, row)
            if state == "open":
                when = now or utcnow()
                row.answer, row.answered_at = answer, when
                if answer == "yes":
                    from desk.tickets import TicketStore  # it imports desk.mail, which imports this module

                    ticket = session.get(Ticket, row.ticket_id)
                    assert ticket is not None
                    TicketStore._set_status(ticket, "solved", when, survey=False)
            return Suggested(row.token, found.lang, found.article_id, row.anchor, state, row.answer)

        return self.db.write(write)

    def for_ticket(self, ticket_id: int) -> list[MailSuggestion]:
        """What the ticket's acknowledgement suggested, in the mail's order, with the customer's answers."""
        with self.db.session() as session:
            return list(session.scalars(select(MailSuggestion).where(MailSuggestion.ticket_id == ticket_id)
                                        .order_by(MailSuggestion.outbox_id, MailSuggestion.position)))

    def customer_solves(self, ticket_id: int) -> dict[int, str]:
        """The ticket's status changes to solved that a "yes" made: change id -> the article's title (the history
        says "solved by the customer: article X answered")."""
        with self.db.session() as session:
            rows = session.execute(
                select(TicketStatusChange.id, MailSuggestion.title)
                .join(MailSuggestion, and_(MailSuggestion.ticket_id == TicketStatusChange.ticket_id,
                                           MailSuggestion.answered_at == TicketStatusChange.created_at,
                                           MailSuggestion.answer == "yes"))
                .where(TicketStatusChange.ticket_id == ticket_id, TicketStatusChange.new_status == "solved",
                       TicketStatusChange.agent_id.is_(None))).all()
        return {int(change_id): str(title) for change_id, title in rows}


def suggestion_figures(session: Session, within: Callable[[Any], Any], lang: str | None) -> tuple[int, int]:
    """(tickets whose acknowledgement suggested articles in the period `within` tells, of them solved by a "yes")."""
    solved = case((MailSuggestion.answer == "yes", MailSuggestion.ticket_id))
    query = select(func.count(distinct(MailSuggestion.ticket_id)), func.count(distinct(solved))).where(
        within(MailSuggestion.created_at))
    if lang:
        query = query.where(MailSuggestion.article_key.startswith(f"{lang}/"))
    suggested, solved_count = session.execute(query).one()
    return int(suggested), int(solved_count)
