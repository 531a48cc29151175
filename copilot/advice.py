"""What the copilot tells an agent about one ticket (suggested passages, a reply draft, or why there
are none), as one value that can be stored as plain JSON and read back unchanged.

The workspace computes it in the background when a ticket arrives or gets a new customer message and
stores it with the index version it came from (`desk.advice`), so opening a ticket costs a read, not a
search and a draft. The round trip through `as_plain`/`from_plain` is exact, which is what lets the
page show a stored result as if it had been computed for that view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from copilot.drafts import ArticleLink, Draft, Drafter, ReplyContext
from copilot.retrieval import SearchHit
from copilot.suggestions import Suggester, Suggestions, TicketTextError
from kb.message_text import first_name


@dataclass(frozen=True)
class TicketAdvice:
    suggestions: Suggestions | None
    draft: Draft | None
    problem: str | None  # the ticket has nothing to search with: the reason, for the agent

    def as_plain(self) -> dict[str, Any]:
        return {
            "suggestions": asdict(self.suggestions) if self.suggestions else None,
            "draft": asdict(self.draft) if self.draft else None,
            "problem": self.problem,
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> TicketAdvice:
        found = data.get("suggestions")
        suggestions = None
        if found:
            passages = [SearchHit(**hit) for hit in found["passages"]]
            sections = [SearchHit(**hit) for hit in found.get("sections", [])]
            suggestions = Suggestions(
                found["lang"], found["query"], passages, found["abstained"], found["took_ms"], sections
            )
        draft = Draft(**data["draft"]) if data.get("draft") else None
        return cls(suggestions, draft, data.get("problem"))

    def shown_details(self) -> dict[str, Any]:
        """What a "shown" suggestion event records: the passages in order and the query they answer
        (`copilot.learning` lifts articles agents chose for similar queries)."""
        if self.suggestions is None:
            return {}
        return {
            "passages": [f"{h.lang}/{h.id}#{h.anchor}" for h in self.suggestions.passages],
            "query": self.suggestions.query,
            "lang": self.suggestions.lang,
            "abstained": self.suggestions.abstained,
            "draft_abstained": bool(self.draft and self.draft.abstained),
        }


def advise(
    suggester: Suggester,
    drafter: Drafter,
    subject: str,
    customer_messages: Sequence[str],
    lang: str,
    customer_name: str,
    link: ArticleLink,
    agent_name: str = "",
    earlier_contacts: int = 0,
) -> TicketAdvice:
    """Suggestions for the ticket's customer text, and a draft greeting the customer by first name
    that cites its sections through `link` (the web layer's: absolute public URLs), answers the
    ticket's question, acknowledges a repeat contact (`earlier_contacts`: the customer's other recent
    tickets) and is signed by `agent_name`."""
    try:
        found = suggester.suggest(subject, customer_messages, lang=lang)
    except TicketTextError as error:
        return TicketAdvice(None, None, str(error))
    context = ReplyContext(found.query, list(customer_messages), earlier_contacts, agent_name)
    draft = drafter.draft(lang, first_name(customer_name), found.draftable(), found.abstained, link=link,
                          context=context)
    return TicketAdvice(found, draft, None)
