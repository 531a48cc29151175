"""One spelling per customer question, shared by the reports, the metrics, spikes and notices."""

from __future__ import annotations


def normalise_query(query: str) -> str:
    """One spelling per question, so "Refund  status" and "refund status" count together."""
    return " ".join(query.casefold().split())
