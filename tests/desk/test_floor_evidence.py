"""The stored search log as evidence for abstention floors (desk.floor_evidence), over a real desk database filled
through the desk's own APIs (SQLite; PostgreSQL with --postgresql)."""

from __future__ import annotations

from collections import Counter

from copilot.tuning import CROSS_DECIDES
from desk.desk import Desk
from desk.floor_evidence import FloorRow, floor_evidence
from desk.reports import answered_log
from kb.catalog import Catalog
from tests.desk.test_reports import catalog, desk, ticket, used  # noqa: F401 - the abstention report's fixtures

HIGH = {"e5_top": 0.93, "use_top": 0.5, "lexical_share": 1.2, "field_top": 1.0, "cross_top": 0.4}
LOW = {"e5_top": 0.8, "use_top": 0.1, "lexical_share": 0.2, "field_top": 0.0, "cross_top": 0.3}


def test_the_log_labels_queries_with_their_newest_signals_and_leaves_out_what_other_floors_decide(
    desk: Desk, catalog: Catalog  # noqa: F811
) -> None:
    events = desk.events
    # Shown, clicked, no ticket: answerable (twice; the newer search's signals are the query's).
    events.click(events.search("Gift card", "en", 3, False, visit_id="g1", signals=LOW,
                               first_article="en/gift-cards"), "en/gift-cards", 1, "g1")
    events.click(events.search("gift  card", "en", 3, False, visit_id="g2", signals=HIGH,
                               first_article="en/gift-cards"), "en/gift-cards", 1, "g2")
    # Shown, no click, a ticket: not answered.
    events.search("delivery to mars", "en", 2, False, visit_id="mars", signals=LOW, first_article="en/delivery-fees")
    ticket(desk, visit_id="mars")
    # Abstained, a ticket an agent answered from a public article: answerable (cited), teaches.
    events.search("card refused", "en", 0, True, visit_id="card", signals=LOW, first_article="en/refund-timing")
    used(desk, ticket(desk, visit_id="card"), "en/apple-pay")
    # Abstained, a ticket answered from an internal article only: no answer a customer could read, so the ticket
    # is what it looks like, a visit that found nothing and wrote: judged not answered, never taught.
    events.search("approval limit", "en", 0, True, visit_id="internal", signals=LOW, first_article="en/gift-cards")
    used(desk, ticket(desk, visit_id="internal"), "en/refund-approval-limits")
    # Abstained, a ticket nobody answered from an article: judge-only, not answered.
    events.search("lottery numbers", "en", 0, True, visit_id="lotto", signals=LOW, first_article="en/refund-timing")
    ticket(desk, visit_id="lotto")
    # Abstained, no ticket: says nothing.
    events.search("weather today", "en", 0, True, visit_id="quiet", signals=LOW, first_article="en/refund-timing")
    # Only an Arabic article answered (the cross-lingual floors decide it), though the visit wrote: left out.
    events.search("apple pay arabic", "en", 1, False, visit_id="cross", signals=LOW | {"cross_share": -1.0},
                  first_article="ar/apple-pay")
    ticket(desk, visit_id="cross")
    # No article at all, and one from before the shadow log: left out.
    events.search("zzz", "en", 0, True, visit_id="none", signals=LOW)
    ticket(desk, visit_id="none")
    events.click(events.search("reset password", "en", 3, False, visit_id="old"), "en/reset-password", 1, "old")
    # Arabic: shown, clicked.
    events.click(events.search("استرداد المبلغ", "ar", 2, False, visit_id="ar", signals=HIGH,
                               first_article="ar/refund-timing"), "ar/refund-timing", 1, "ar")

    evidence = floor_evidence(answered_log(desk, catalog, signals=True))
    # The report and `kb floors` read the log without signals and only the labelled questions' newest by id: the same.
    assert floor_evidence(answered_log(desk, catalog), desk.events.search_signals) == evidence
    assert sorted(evidence) == ["ar", "en"]
    en = evidence["en"]
    assert en.rows == [  # keyed by desk.search_labels.question_key: folded words, sorted
        FloorRow(("en", "approval limit"), "approval limit", _stored(LOW), True, True, None),
        FloorRow(("en", "card gift"), "gift  card", _stored(HIGH), False, False, False),
        FloorRow(("en", "card refused"), "card refused", _stored(LOW), True, False, False),
        FloorRow(("en", "delivery mars to"), "delivery to mars", _stored(LOW), False, True, True),
        FloorRow(("en", "lottery numbers"), "lottery numbers", _stored(LOW), True, True, None),
    ]
    assert en.left_out == Counter({"other language": 1, "no result": 1, "not logged": 1})
    assert en.counts() == (2, 1, 2)  # answerable, not answered, judge-only
    ar = evidence["ar"]
    assert [(r.key, r.judged, r.taught) for r in ar.rows] == [(("ar", "استرداد مبلغ"), False, False)]
    assert ar.left_out == Counter()


def test_word_order_punctuation_and_arabic_prefixes_make_one_labelled_row(
    desk: Desk, catalog: Catalog  # noqa: F811
) -> None:
    # Each search shown with its first result, then clicked, or not clicked and a ticket followed.
    for visit, lang, query, signals, clicked in (
        # One question, three spellings (word order, case, punctuation): two clicked, one not and a ticket. One
        # row, answerable ("share": two good visits of three), with its newest search's signals.
        ("a", "en", "reset password", LOW, True),
        ("b", "en", "Password reset!", LOW, True),
        ("c", "en", "password,  RESET?", HIGH, False),
        # No word to fold: each keeps its own spelling, "???" (not answered) is not "!!!" (answerable).
        ("q", "en", "???", LOW, False),
        ("x", "en", "!!!", HIGH, True),
        # Arabic: the article, the prefixes "و" and "ب" and word order folded.
        ("ar1", "ar", "استرداد المبلغ", LOW, False),
        ("ar2", "ar", "والمبلغ، استرداد؟", LOW, False),
        ("ar3", "ar", "بالمبلغ استرداد", HIGH, False),
    ):
        first = f"{lang}/refund-timing"
        token = desk.events.search(query, lang, 3, False, visit_id=visit, signals=signals, first_article=first)
        if clicked:
            desk.events.click(token, first, 1, visit)
        else:
            ticket(desk, visit_id=visit)

    evidence = floor_evidence(answered_log(desk, catalog, signals=True))
    assert [(r.key, r.query, r.signals, r.taught) for r in evidence["en"].rows] == [
        (("en", "!!!"), "!!!", _stored(HIGH), False),
        (("en", "???"), "???", _stored(LOW), True),
        (("en", "password reset"), "password,  RESET?", _stored(HIGH), False),
    ]
    assert evidence["en"].counts() == (2, 1, 0)
    assert [(r.key, r.query, r.signals, r.taught) for r in evidence["ar"].rows] == [
        (("ar", "استرداد مبلغ"), "بالمبلغ استرداد", _stored(HIGH), True)]


def _stored(signals: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in signals.items()}


def test_searches_only_the_other_languages_articles_answered_are_their_directions_evidence(
    desk: Desk, catalog: Catalog  # noqa: F811
) -> None:
    """Arabic questions whose first result is an English article and which the ar>en floors decided (the retriever's
    CROSS_DECIDES mark at 1.0) are rows of "ar>en", labelled by the same rule apart from Arabic's own questions; a
    marked search another part of that rule decided (0.0) and an unmarked one are left out and counted."""
    events = desk.events
    cross = {"cross_top": 0.3, "cross_share": -1.0, "cross_title_share": 0.4, CROSS_DECIDES: 1.0}
    far = cross | {"cross_share": -3.0, "cross_title_share": 0.1}
    # Shown, clicked: answerable. The same question answered in Arabic another time: a row of "ar" too.
    events.click(events.search("استرداد المبلغ", "ar", 3, False, visit_id="x1", signals=cross,
                               first_article="en/refund-timing"), "en/refund-timing", 1, "x1")
    events.click(events.search("استرداد المبلغ", "ar", 3, False, visit_id="own", signals=HIGH,
                               first_article="ar/refund-timing"), "ar/refund-timing", 1, "own")
    # Shown, no click, a ticket: not answered.
    events.search("الطقس اليوم", "ar", 2, False, visit_id="x2", signals=far, first_article="en/delivery-fees")
    ticket(desk, visit_id="x2")
    # Abstained, a ticket an agent answered from a public English article: answerable (cited).
    events.search("بطاقة هدية", "ar", 0, True, visit_id="x3", signals=far, first_article="en/gift-cards")
    used(desk, ticket(desk, visit_id="x3"), "en/gift-cards")
    # Abstained, a ticket nobody answered from an article: judge-only.
    events.search("أرقام اليانصيب", "ar", 0, True, visit_id="x4", signals=far, first_article="en/refund-timing")
    ticket(desk, visit_id="x4")
    # The heading floor decided (mark 0.0): no learnt floor changes it. Unmarked: another language's article first.
    events.search("سؤال بعيد", "ar", 0, True, visit_id="x5", signals=far | {CROSS_DECIDES: 0.0},
                  first_article="en/refund-timing")
    ticket(desk, visit_id="x5")
    events.search("ابل باي", "ar", 1, False, visit_id="x6", signals=LOW | {"cross_share": -1.0},
                  first_article="en/apple-pay")

    evidence = floor_evidence(answered_log(desk, catalog, signals=True))
    assert floor_evidence(answered_log(desk, catalog), desk.events.search_signals) == evidence
    assert sorted(evidence) == ["ar", "ar>en"]
    direction = evidence["ar>en"]
    assert [(r.key, r.signals, r.abstained, r.judged, r.taught) for r in direction.rows] == [
        (("ar", "ارقام يانصيب"), _stored(far), True, True, None),
        (("ar", "استرداد مبلغ"), _stored(cross), False, False, False),
        (("ar", "بطاقه هديه"), _stored(far), True, False, False),
        (("ar", "طقس يوم"), _stored(far), False, True, True),
    ]
    assert direction.left_out == Counter({"another rule": 1}) and direction.counts() == (2, 1, 1)
    assert [(r.key, r.signals, r.taught) for r in evidence["ar"].rows] == [
        (("ar", "استرداد مبلغ"), _stored(HIGH), False)]
    assert evidence["ar"].left_out == Counter({"other language": 1})


def test_with_the_floors_in_use_named_only_the_searches_they_decided_are_evidence(
    desk: Desk, catalog: Catalog  # noqa: F811
) -> None:
    """A question taught under floors written earlier ("old") is not judged against the floors in use ("new"): the
    searches other floors decided, and the ones logged before searches said which floors decided them, are left out
    and counted, each where it would have counted (a direction's under the direction); without a fingerprint named,
    every search is evidence as before."""
    events = desk.events
    # Under the old floors: shown, no click, a ticket (not answered). Under the new: the same question clicked.
    events.search("gift card", "en", 3, False, visit_id="o1", signals=LOW, first_article="en/gift-cards",
                  floors="old")
    ticket(desk, visit_id="o1")
    events.click(events.search("gift card", "en", 3, False, visit_id="n1", signals=HIGH,
                               first_article="en/gift-cards", floors="new"), "en/gift-cards", 1, "n1")
    # Only under the old floors, and one from before the fingerprint: no row under the new floors.
    events.search("delivery to mars", "en", 2, False, visit_id="o2", signals=LOW, first_article="en/delivery-fees",
                  floors="old")
    ticket(desk, visit_id="o2")
    events.search("lottery numbers", "en", 2, False, visit_id="u1", signals=LOW, first_article="en/refund-timing")
    ticket(desk, visit_id="u1")
    # An Arabic question only an English article answered, the ar>en floors deciding, under the old floors.
    events.search("الطقس اليوم", "ar", 2, False, visit_id="o3", signals=LOW | {CROSS_DECIDES: 1.0},
                  first_article="en/delivery-fees", floors="old")
    ticket(desk, visit_id="o3")
    # No article at all under the old floors: left out for that, counted once.
    events.search("zzz", "en", 0, True, visit_id="o4", signals=LOW, floors="old")

    new = floor_evidence(answered_log(desk, catalog), desk.events.search_signals, floors="new")
    assert floor_evidence(answered_log(desk, catalog, signals=True), floors="new") == new
    assert sorted(new) == ["ar>en", "en"]
    assert [(r.key, r.signals, r.judged, r.taught) for r in new["en"].rows] == [
        (("en", "card gift"), _stored(HIGH), False, False)]
    assert new["en"].left_out == Counter({"under other floors": 2, "under unknown floors": 1, "no result": 1})
    assert new["ar>en"].rows == [] and new["ar>en"].left_out == Counter({"under other floors": 1})
    every = floor_evidence(answered_log(desk, catalog), desk.events.search_signals)
    assert [(r.key, r.taught) for r in every["en"].rows] == [
        (("en", "card gift"), False), (("en", "delivery mars to"), True), (("en", "lottery numbers"), True)]
    assert [(r.key, r.taught) for r in every["ar>en"].rows] == [(("ar", "طقس يوم"), True)]
