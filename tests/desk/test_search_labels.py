"""The search log's labels (desk.search_labels): behaviour read only where search showed results, and the desk's
evidence that an agent answered from the help center. The behaviour rule itself is bench/log_floors.py's, tested in
tests/eval/test_log_floors.py through the bench's import, so its figures cannot drift from the product's."""

from __future__ import annotations

import pytest

from desk.search_labels import LABEL_RULE, LoggedSearch, Visit, behaviour_labels, false_abstention, search_labels

pytestmark = pytest.mark.no_database  # no database at all: the PostgreSQL run leaves it out


def test_hidden_searches_are_labelled_by_the_agents_evidence_only() -> None:
    hidden, answered, clicked, stuck = ("en", "hidden"), ("en", "answered"), ("en", "clicked"), ("ar", "stuck")
    searches = [
        # The floors hid it: no click was possible, so its no-click ticket is no evidence (the feedback loop).
        LoggedSearch(hidden, abstained=True, clicked=False, ticket=True),
        LoggedSearch(hidden, abstained=True, clicked=False, ticket=True),
        # Hidden too, but an agent answered the ticket from an article: answerable, by that article.
        LoggedSearch(answered, abstained=True, clicked=False, ticket=True, answered_by=("en/refund-timing",)),
        LoggedSearch(clicked, abstained=False, clicked=True, ticket=False),
        # Shown, nothing clicked, a ticket: not answered; unless an agent answers one of them from an article.
        LoggedSearch(stuck, abstained=False, clicked=False, ticket=True),
    ]
    assert search_labels(searches) == {answered: False, clicked: False, stuck: True}
    assert search_labels([*searches, LoggedSearch(stuck, False, False, True, ("ar/delivery-fees",))])[stuck] is False
    assert [false_abstention(s) for s in searches] == [False, False, True, False, False]
    # Counted as the bench counts them, hidden searches included, the hidden question would be "not answered".
    assert behaviour_labels((Visit(s.key, s.clicked, s.ticket) for s in searches), LABEL_RULE)[hidden] is True
