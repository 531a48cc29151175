"""The pure parts of bench/log_floors.py: a session's behaviour and the labels a search log gives its queries."""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict

import pytest

from bench import log_floors
from bench.click_replay_bench import Session, first_click
from bench.log_floors import Seen, Share, Visit, behaviour_labels, logged_visit, outcome
from copilot.click_feedback import query_key


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


def test_a_hidden_search_gives_no_click_label_unless_shown_labels_are_off() -> None:
    key, row = ("en", "q"), {"relevant": ["a"]}
    seen = Seen({}, ("a",), True)
    args = argparse.Namespace(ticket_no_click=0.5)
    # hidden: nothing to click, a ticket (0.4 < 50%), not cited (0.9 >= 0.7): the shown labels drop the visit
    assert logged_visit(key, row, seen, True, args, _setting("shown", 0.7), Draws(0.4), 0.9) is None
    assert logged_visit(key, row, seen, True, args, _setting("all", 0.7), Draws(0.4), 0.9) == Visit(key, False, True)
    # shown: the right result clicked (0.0 < 1 examined, 0.5 < 90%), no ticket (0.9 >= 5%)
    assert logged_visit(key, row, seen, False, args, _setting("shown", 0.7), Draws(0.0, 0.5, 0.9), 0.0) == Visit(
        key, True, False
    )


def test_a_ticket_is_cited_only_for_an_answerable_question_and_makes_it_answerable() -> None:
    key = ("en", "q")
    seen = Seen({}, ("a",), True)
    args = argparse.Namespace(ticket_no_click=0.5)
    answerable, out_of_scope = {"relevant": ["a"]}, {"relevant": []}
    cited = logged_visit(key, answerable, seen, True, args, _setting("shown", 0.7), Draws(0.4), 0.5)
    assert cited == Visit(key, False, True, True)
    assert logged_visit(key, out_of_scope, seen, True, args, _setting("shown", 0.7), Draws(0.4), 0.0) is None
    assert logged_visit(key, out_of_scope, seen, True, args, _setting("all", 1.0), Draws(0.4), 0.0) == Visit(
        key, False, True
    )
    # no ticket, nothing to cite
    assert logged_visit(key, answerable, seen, True, args, _setting("shown", 1.0), Draws(0.6), 0.0) is None
    # one cited visit outweighs two no-click tickets, under either rule
    r = ("en", "r")
    visits = [Visit(key, False, True), Visit(key, False, True), cited, Visit(r, False, True)]
    assert behaviour_labels(visits, "majority") == behaviour_labels(visits, "share") == {key: False, r: True}


@pytest.mark.parametrize("show", ["union", "replace"])
def test_the_closed_loop_hides_what_the_learnt_floors_flag_and_logs_it_as_shown(
    monkeypatch: pytest.MonkeyPatch, show: str
) -> None:
    # the shipped floors abstain on one answerable question (and no out-of-scope one)
    answerable, out_of_scope, seen = _questions(first_abstains=True)
    args = argparse.Namespace(
        ticket_no_click=1.0, score_days=1.0, rounds=2, loop_rule="share", min_labels=0, loop_show=show
    )
    setting = log_floors.Setting(1.0, 0.0, "shipped", "shown", 0.0, 0.04)
    calls, records, tallies = _loop(monkeypatch, seen, answerable, out_of_scope, args, setting)
    learning = 4 * (len(answerable) + len(out_of_scope))
    assert len(calls) == 3 * learning  # the learning day and both rounds' searches logged
    assert all(hidden == (query == answerable[0]) for query, hidden in calls[:learning])  # the shipped floors
    loop = calls[learning:]
    # from day 1 the learnt floors hide the out-of-scope questions; the shipped floors' one abstention stays in the
    # union and is taken back when the learnt floors replace them
    kept = show == "union"
    assert all(hidden == (query in out_of_scope or (kept and query == answerable[0])) for query, hidden in loop)
    assert [r["round"] for r in records] == [1, 2] and all(r["fitted"] for r in records)
    assert records[0]["later queries, shipped or learnt"]["oos_flagged"] == 6
    assert records[0]["later queries, shipped"]["oos_flagged"] == 0
    assert records[0]["later queries, shown"]["answerable_flagged"] == int(kept)
    # round 2 refits on the whole log (the out-of-scope searches of round 1 were hidden: they add no label) and
    # still flags every out-of-scope question and no answerable one
    round_2 = tallies["round 2"]["later queries"]["learnt"]
    assert (round_2.oos_flagged, round_2.answerable_flagged) == (6, 0)


def test_the_loop_shows_the_union_or_the_learnt_floors_once_fitted() -> None:
    shipped, learnt = [True, False, False], [False, True, False]
    floors = ([0.8, 0.0, 0.0, 0.0], {})
    assert log_floors.shown_flags("union", floors, shipped, learnt) == [True, True, False]
    assert log_floors.shown_flags("replace", floors, shipped, learnt) == [False, True, False]
    assert log_floors.shown_flags("replace", None, shipped, [False] * 3) == shipped  # too few labels: shipped
    with pytest.raises(ValueError, match="unknown loop show 'other'"):
        log_floors.shown_flags("other", floors, shipped, learnt)


def _setting(labels: str, cited: float) -> log_floors.Setting:
    """A deployment as logged_visit reads it: which visits label, how often an agent cites, click noise 0.15."""
    return log_floors.Setting(0.0, 0.15, "shipped", labels, cited)


def _signals(e5: float, use: float, lexical: float, field: float) -> dict[str, float]:
    return {"e5_top": e5, "use_top": use, "lexical_share": lexical, "field_top": field}


def test_fresh_variants_mark_only_out_of_scope_searches_each_with_a_key_of_its_own() -> None:
    rows = [{"query": "reset my password", "relevant": ["a"]}, {"query": "weather today", "relevant": []}]
    sessions = [Session(day, rows[day % 2], rows[day % 2]["query"]) for day in range(40)]
    out = log_floors.fresh_variants(sessions, 0.5, random.Random(3))
    assert [s.day for s in out] == [s.day for s in sessions] and [s.row for s in out] == [s.row for s in sessions]
    fresh = [s.typed for s in out if s.typed != s.row["query"]]
    assert 5 <= len(fresh) <= 15 and all(t.startswith("weather today ⟦") for t in fresh)
    assert len({query_key(t) for t in fresh}) == len(fresh) and query_key("weather today") not in map(query_key, fresh)
    assert {log_floors.base_form(t) for t in fresh} == {"weather today"}
    assert log_floors.base_form("weather today") == "weather today"
    assert log_floors.fresh_variants(sessions, 0.0, random.Random(3)) == sessions


def test_a_hidden_uncited_ticket_is_kept_apart_as_evidence() -> None:
    key, seen = ("en", "q"), Seen({}, ("a",), True)
    args = argparse.Namespace(ticket_no_click=0.5)
    dropped: list[Visit] = []
    shown = _setting("shown", 0.7)
    assert logged_visit(key, {"relevant": []}, seen, True, args, shown, Draws(0.4), 0.0, dropped) is None
    assert dropped == [Visit(key, False, True)]
    # a cited one is a label, not evidence apart
    assert logged_visit(key, {"relevant": ["a"]}, seen, True, args, _setting("shown", 0.7), Draws(0.4), 0.0, dropped)
    assert len(dropped) == 1


def test_the_guard_needs_a_margin_on_caught_and_no_more_false_flags() -> None:
    evidence = log_floors.Evidence(
        not_answered=20, answerable=100, shipped_caught=4, shipped_false=3, learnt_caught=7, learnt_false=3
    )
    assert evidence.replace(0.1, 0.0)  # 3 of 20 more caught, as many false
    assert not evidence.replace(0.2, 0.0)
    assert not log_floors.Evidence(20, 100, 4, 3, 7, 4).replace(0.1, 0.0)  # one more false flag
    assert log_floors.Evidence(20, 100, 4, 3, 7, 4).replace(0.1, 0.01)
    assert not log_floors.Evidence(0, 100, 0, 0, 0, 0).replace(0.0, 1.0)  # nothing to judge on: shipped


def _log(shipped_hides: set[str], answerable: list[str], out_of_scope: list[str], hidden_lookalike: list[str]):
    """A log where every answerable query was clicked and every out-of-scope one led to a no-click ticket; the
    shipped floors abstain on `shipped_hides` (hidden: an uncited ticket, or a cited one if answerable)."""
    seen = {
        q: Seen(_signals(0.85 + n / 100, 0.5, 0.8, 1.0), ("a",), q in shipped_hides) for n, q in enumerate(answerable)
    }
    seen |= {
        q: Seen(_signals(0.70 + n / 100, 0.1, 0.1, 0.3), ("b",), q in shipped_hides) for n, q in enumerate(out_of_scope)
    }
    # out-of-scope questions whose signals look answerable: only the shipped floors catch them
    seen |= {
        q: Seen(_signals(0.86 + n / 100, 0.5, 0.8, 1.0), ("b",), q in shipped_hides)
        for n, q in enumerate(hidden_lookalike)
    }
    log = log_floors.Log("en", lambda typed, lang: seen[typed])
    for q in answerable + out_of_scope + hidden_lookalike:
        key = ("en", query_key(q))
        log.forms[key][q] += 3
        hidden, wrong = q in shipped_hides, q not in answerable
        for _ in range(3):
            if hidden and wrong:
                log.dropped.append(Visit(key, False, True))
            elif hidden:
                log.visits.append(Visit(key, False, True, True))
            else:
                log.visits.append(Visit(key, not wrong, wrong))
    return log


def test_the_guard_keeps_shipped_floors_that_catch_what_the_log_cannot_teach() -> None:
    answerable = [f"how do I set up feature {n}" for n in range(20)]
    shown_oos = [f"what is the weather on day {n}" for n in range(4)]
    lookalike = [f"who won the match number {n}" for n in range(8)]
    # demo-like: the shipped floors hide the 8 out-of-scope lookalikes (uncited tickets) and let 4 easy ones through
    log = _log(set(lookalike), answerable, shown_oos, lookalike)
    evidence = log.evidence("share", 0.04, 4)
    assert (evidence.not_answered, evidence.answerable) == (12, 20)
    assert (evidence.shipped_caught, evidence.shipped_false) == (8, 0)
    assert evidence.learnt_caught <= 4 and not evidence.replace(0.1, 0.0)
    # gnome-like: the shipped floors hide two answerable questions (cited) and no out-of-scope one
    log = _log(set(answerable[:2]), answerable, shown_oos + [f"who won the cup {n}" for n in range(8)], [])
    evidence = log.evidence("share", 0.04, 4)
    assert (evidence.not_answered, evidence.answerable, evidence.shipped_caught, evidence.shipped_false) == (
        12,
        20,
        0,
        2,
    )
    # each fold judged by floors fitted without it: the out-of-scope questions caught, no answerable one flagged
    assert evidence.learnt_caught >= 10 and evidence.learnt_false == 0 and evidence.replace(0.1, 0.0)


@pytest.mark.parametrize("guard", ["count", "compare"])
def test_the_compare_guard_keeps_the_shipped_floors_in_the_loop_where_they_catch_more(
    monkeypatch: pytest.MonkeyPatch, guard: str
) -> None:
    answerable, easy, seen = _questions(first_abstains=False)
    lookalike = [f"who won the match number {n}" for n in range(6)]
    # the shipped floors abstain on the out-of-scope questions that look answerable and let the easy ones through
    seen |= {q: Seen(_signals(0.86 + n / 100, 0.5, 0.8, 1.0), ("b",), True) for n, q in enumerate(lookalike)}
    args = argparse.Namespace(
        ticket_no_click=1.0, score_days=1.0, rounds=1, loop_rule="share", min_labels=0, loop_show="replace",
        guard_folds=3, guard_margin=0.05, guard_tolerance=0.0,
    )  # fmt: skip
    setting = log_floors.Setting(1.0, 0.0, "shipped", "shown", 0.0, 0.04, guard)
    calls, records, _ = _loop(monkeypatch, seen, answerable, easy + lookalike, args, setting)
    loop = calls[4 * (len(answerable) + len(easy) + len(lookalike)) :]
    if guard == "count":  # the learnt floors replace the shipped ones: the easy questions hidden, the lookalikes shown
        assert records[0]["fitted"] and all(hidden == (query in easy) for query, hidden in loop)
    else:  # on the log's evidence the shipped floors catch the 6 lookalikes, the learnt ones no more: shipped stay
        evidence = records[0]["evidence"]
        assert evidence["not_answered"] >= 12 and evidence["shipped_caught"] == 6
        assert evidence["learnt_caught"] <= 6 and not records[0]["fitted"]
        assert all(hidden == (query in lookalike) for query, hidden in loop)


def _questions(first_abstains: bool) -> tuple[list[str], list[str], dict[str, Seen]]:
    """Twelve answerable questions high on every signal (the shipped floors abstaining on the first when
    `first_abstains`) and six out-of-scope ones low on all, as the closed-loop tests search them."""
    answerable = [f"how do I set up feature {n}" for n in range(12)]
    out_of_scope = [f"what is the weather on day {n}" for n in range(6)]
    seen = {q: Seen(_signals(0.85 + n / 100, 0.5, 0.8, 1.0), ("a",), first_abstains and n == 0)
            for n, q in enumerate(answerable)}
    seen |= {q: Seen(_signals(0.70 + n / 100, 0.1, 0.1, 0.3), ("b",), False) for n, q in enumerate(out_of_scope)}
    return answerable, out_of_scope, seen


def _loop(
    monkeypatch: pytest.MonkeyPatch,
    seen: dict[str, Seen],
    answerable: list[str],
    out_of_scope: list[str],
    args: argparse.Namespace,
    setting: log_floors.Setting,
) -> tuple[list[tuple[str, bool]], list[dict], dict]:
    """The closed loop over every query searched 4 times a day, typed as is, for the learning day and each round:
    which searches were logged hidden (in order), the per-round records and the tallies."""
    rows = [{"query": q, "lang": "en", "relevant": ["a"], "source": "dev"} for q in answerable]
    rows += [{"query": q, "lang": "en", "relevant": [], "source": "dev"} for q in out_of_scope]
    days = range(int(setting.learn_days + args.rounds * args.score_days))
    sessions = sorted(
        (Session(day + k / 100, row, row["query"]) for day in days for k in range(4) for row in rows),
        key=lambda s: s.day,
    )
    calls: list[tuple[str, bool]] = []
    original = log_floors.logged_visit

    def spy(key: tuple[str, str], row: dict, seen: Seen, hidden: bool, *rest: object) -> Visit | None:
        calls.append((row["query"], hidden))
        return original(key, row, seen, hidden, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(log_floors, "logged_visit", spy)
    tallies: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(Share)))
    records = log_floors.closed_loop(
        sessions, lambda typed, lang: seen[typed], "en", args, setting, ([0.0] * 4, {}), random.Random(1),
        random.Random(2), tallies, Counter(), 21,
    )  # fmt: skip
    return calls, records, tallies
