"""What customers and agents did, recorded so the team can see what works and what is missing.

Search analytics (query, language, result count, abstained, clicked result and position), helpful
votes, contact-form deflections, and the copilot's suggestion outcomes. Recording must never break
the page it happens on, so the web layer calls these after answering the request's real work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from desk.database import Database
from desk.models import (
    SUGGESTION_EVENTS,
    ArticleFeedback,
    ArticleView,
    ContentGap,
    Deflection,
    SearchEvent,
    SuggestionEvent,
    utcnow,
)
from desk.tickets import InputError

MAX_COMMENT = 2000



@dataclass(frozen=True)
class AgentChoice:
    """An earlier ticket's query and an article an agent inserted for it ("lang/id"): what
    `copilot.learning` lifts for similar tickets."""

    query: str
    lang: str
    article_key: str

class Events:
    def __init__(self, db: Database) -> None:
        self.db = db

    def search(
        self,
        query: str,
        lang: str,
        result_count: int,
        abstained: bool,
        fallback: bool = False,
        visit_id: str | None = None,
        source: str = "page",
    ) -> int:
        with self.db.session() as session:
            event = SearchEvent(
                visit_id=visit_id,
                query=query[:600],
                lang=lang,
                result_count=result_count,
                abstained=abstained,
                fallback=fallback,
                source=source,
            )
            session.add(event)
            session.flush()
            return event.id

    def click(self, search_id: int, article_key: str, position: int, visit_id: str | None) -> bool:
        """Mark which result a search led to; only the visit that searched may mark it."""
        with self.db.session() as session:
            done = session.execute(
                update(SearchEvent)
                .where(SearchEvent.id == search_id, SearchEvent.visit_id == visit_id)
                .values(clicked_article=article_key[:300], clicked_position=position)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def feedback(self, article_key: str, helpful: bool, comment: str | None, visit_id: str | None) -> None:
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise InputError("comment", f"is {len(comment):,} characters long; the limit is {MAX_COMMENT:,}")
        with self.db.session() as session:
            session.add(ArticleFeedback(article_key=article_key, helpful=helpful, comment=comment or None,
                                        visit_id=visit_id))

    def view(self, article_key: str, visit_id: str | None) -> None:
        with self.db.session() as session:
            session.add(ArticleView(article_key=article_key, visit_id=visit_id))

    def most_viewed(self, lang: str, days: int = 30, limit: int = 5) -> list[str]:
        """Article keys of one language by page views over the last `days`."""
        since = utcnow() - timedelta(days=days)
        with self.db.session() as session:
            rows = session.execute(
                select(ArticleView.article_key, func.count().label("views"))
                .where(ArticleView.article_key.startswith(f"{lang}/"), ArticleView.created_at >= since)
                .group_by(ArticleView.article_key)
                .order_by(func.count().desc(), ArticleView.article_key)
                .limit(limit)
            ).all()
        return [row[0] for row in rows]

    def deflection(self, visit_id: str, article_key: str) -> None:
        with self.db.session() as session:
            session.add(Deflection(visit_id=visit_id, article_key=article_key))

    def suggestion(
        self,
        ticket_id: int,
        kind: str,
        agent_id: int | None = None,
        article_key: str | None = None,
        url: str | None = None,
        rank: int | None = None,
        score: float | None = None,
        edit_distance: int | None = None,
        reason: str | None = None,
        details: dict | None = None,
    ) -> None:
        if kind not in SUGGESTION_EVENTS:
            raise InputError("kind", f"must be one of {', '.join(SUGGESTION_EVENTS)}")
        with self.db.session() as session:
            session.add(
                SuggestionEvent(
                    ticket_id=ticket_id,
                    agent_id=agent_id,
                    kind=kind,
                    article_key=article_key,
                    url=url,
                    rank=rank,
                    score=score,
                    edit_distance=edit_distance,
                    reason=(reason or None) and reason[:500],
                    details=details or {},
                )
            )

    def suggestion_events(self, ticket_id: int) -> list[SuggestionEvent]:
        with self.db.session() as session:
            return list(session.scalars(
                select(SuggestionEvent).where(SuggestionEvent.ticket_id == ticket_id).order_by(SuggestionEvent.id)
            ))

    def agent_choices(self, limit: int = 5000) -> list[AgentChoice]:
        """Articles agents inserted (newest first), each with the query its ticket's suggestions were made for."""
        inserted, shown = aliased(SuggestionEvent), aliased(SuggestionEvent)
        with self.db.session() as session:
            rows = session.execute(
                select(inserted.ticket_id, inserted.article_key, shown.details)
                .join(shown, (shown.ticket_id == inserted.ticket_id) & (shown.kind == "shown"))
                .where(inserted.kind == "inserted", inserted.article_key.is_not(None))
                .order_by(inserted.id.desc(), shown.id.desc())
                .limit(limit)
            ).all()
        choices: dict[tuple[int, str], AgentChoice] = {}
        for ticket_id, key, details in rows:
            if (ticket_id, key) not in choices and details.get("query"):
                choices[(ticket_id, key)] = AgentChoice(details["query"], details.get("lang", ""), key)
        return list(choices.values())

    def content_gap(self, query: str, lang: str, ticket_id: int | None = None) -> None:
        """One gap per ticket however often its page is opened (the copilot re-answers each time)."""
        with self.db.session() as session:
            if ticket_id is not None and session.scalar(
                select(ContentGap.id).where(ContentGap.ticket_id == ticket_id).limit(1)
            ) is not None:
                return
            session.add(ContentGap(ticket_id=ticket_id, query=query[:600], lang=lang))


    def suggestion_shown(self, ticket_id: int, agent_id: int, version: str, details: dict) -> bool:
        """Record "shown" once per agent and ticket version (thread + index); False when already recorded.

        The ticket page asks for this by POST after it rendered, so reloading a page (a GET) writes
        nothing and the counts mean "agents who saw these suggestions", not "page loads".
        """
        with self.db.session() as session:
            earlier = session.scalars(
                select(SuggestionEvent.details).where(
                    SuggestionEvent.ticket_id == ticket_id,
                    SuggestionEvent.agent_id == agent_id,
                    SuggestionEvent.kind == "shown",
                )
            )
            if any((d or {}).get("version") == version for d in earlier):
                return False
            session.add(SuggestionEvent(ticket_id=ticket_id, agent_id=agent_id, kind="shown",
                                        details={**details, "version": version}))
        return True
