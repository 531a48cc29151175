"""The pure parts of bench/log_floors.py: a session's behaviour and the labels a search log gives its queries."""

from __future__ import annotations

import random

import pytest

from bench.click_replay_bench import first_click
from bench.log_floors import Share, Visit, behaviour_labels, outcome


class Draws(random.Random):
    """An rng whose random() returns the scripted values in order."""

    def __init__(self, *values: float) -> None:
        super().__init__(0)
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


def test_first_click_examines_by_position_and_draws_the_ticket() -> None:
    # rank 1 examined (0.5 < 1), wrong result not clicked (0.5 >= noise 0.15); rank 2 examined (0.4 < 1/2),
    # right result clicked (0.8 < 0.9), ticket after a right click drawn at 0.01 < 5%
    assert first_click(["a", "b"], {"b"}, 0.15, Draws(0.5, 0.5, 0.4, 0.8, 0.01)) == (2, True)
    # rank 2 not examined (0.6 >= 1/2): nothing clicked
    assert first_click(["a", "b"], {"b"}, 0.15, Draws(0.5, 0.5, 0.6)) is None
    # a wrong result clicked (0.1 < noise), no ticket (0.7 >= 50%)
    assert first_click(["a"], set(), 0.15, Draws(0.0, 0.1, 0.7)) == (1, False)


def test_outcome_opens_a_ticket_after_no_click_at_its_rate() -> None:
    # nothing shown (an abstained search): no click, the ticket drawn at the no-click rate
    assert outcome([], {"a"}, 0.15, 0.5, Draws(0.4)) == Visit(("", ""), False, True)
    assert outcome([], {"a"}, 0.15, 0.5, Draws(0.6)) == Visit(("", ""), False, False)
    assert outcome(["a"], {"a"}, 0.15, 0.5, Draws(0.0, 0.5, 0.9)) == Visit(("", ""), True, False)


def test_behaviour_labels_by_majority_and_none_on_ties() -> None:
    q, r, s, t = ("en", "q"), ("en", "r"), ("en", "s"), ("en", "t")
    visits = [
        Visit(q, True, False), Visit(q, True, False), Visit(q, False, True),  # answerable 2 : 1
        Visit(r, False, True), Visit(r, True, True),  # clicked then ticket: neither kind; not answered 1 : 0
        Visit(s, True, False), Visit(s, False, True),  # a tie: no label
        Visit(t, False, False),  # no click, no ticket: no label
    ]  # fmt: skip
    assert behaviour_labels(visits) == {q: False, r: True}


def test_share_counts_flags_by_truth_near_topic_and_slice_apart() -> None:
    share = Share()
    share.add(True, True, "dev")
    share.add(True, False, "dev")
    share.add(True, True, "near")
    share.add(False, True, "slice")
    share.add(False, False, "slice")
    share.add(False, False, "dev")
    share.add(False, True, "dev")
    share.add(False, False, "dev")
    assert (share.oos, share.oos_flagged, share.answerable, share.answerable_flagged) == (2, 1, 3, 1)
    assert (share.near, share.near_flagged, share.slice_, share.slice_flagged) == (1, 1, 2, 1)
    assert share.text() == " 50% / 33.3% (1/2, 1/3) near 100% slice 50.0% (1/2)"


def test_share_labels_need_half_the_visits_good_and_a_no_click_ticket_otherwise() -> None:
    q, r, s = ("ar", "q"), ("ar", "r"), ("ar", "s")
    visits = [
        Visit(q, True, False), Visit(q, True, True), Visit(q, False, True),  # 1 good of 3, a no-click ticket
        Visit(r, True, False), Visit(r, False, False),  # 1 good of 2: answerable
        Visit(s, True, True), Visit(s, False, False),  # no good visit, but no no-click ticket either: no label
    ]  # fmt: skip
    assert behaviour_labels(visits, "share") == {q: True, r: False}
    assert behaviour_labels(visits, "majority") == {r: False}
    with pytest.raises(ValueError, match="unknown label rule 'other'"):
        behaviour_labels(visits, "other")
