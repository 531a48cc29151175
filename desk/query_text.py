"""One spelling per customer question, shared by the reports, the metrics, spikes and notices."""

from __future__ import annotations

# As long as a query is kept (SearchEvent.query): folding can lengthen one ("ß" -> "ss", "ΐ" -> three code points),
# and the folded spelling is stored and indexed too (SearchEvent.normalised_query), where PostgreSQL refuses an index
# entry over 2,704 bytes (600 characters of UTF-8 are at most 2,400).
MAX_LENGTH = 600


def normalise_query(query: str) -> str:
    """One spelling per question, so "Refund  status" and "refund status" count together. Stored with each search and
    gap ticket (their `normalised_query`): a change here needs a migration refolding those rows."""
    return " ".join(query.casefold().split())[:MAX_LENGTH]
