"""The abstention and floors reports counted in SQL (desk.events.Events.search_tallies) give exactly what they gave
search by search (bench/reports_before25.py, session 24's code), on a generated log holding every kind of row: both
languages, the three sources, shown and abstained, clicked or not, tickets before and after, articles used (public,
internal only, unsent, a macro), logged or not, no first result, another language's with and without the mark,
under the floors in use, other floors and unknown ones, spellings of one question, and searches outside the window
(SQLite; PostgreSQL with --postgresql)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, null

from bench.reports_before25 import abstention_before, floor_evidence_before, floors_before
from copilot.learnt_floors import SIGNALS
from copilot.tuning import CROSS_DECIDES
from desk import reports
from desk.desk import Desk
from desk.floor_decision import floors_in_use
from desk.floor_evidence import tallied_evidence
from desk.models import Customer, SearchEvent, SuggestionEvent, Ticket, utcnow
from desk.search_labels import TalliedLog
from kb.catalog import Catalog
from tests.desk.test_reports import catalog, desk  # noqa: F401 - the abstention report's fixtures

QUERIES = {
    "en": ["refund late", "Late refund!", "late  REFUND?", "gift card", "card gift", "???", "!!!", "delivery to mars",
           "apple pay", "Apple-Pay"],
    "ar": ["استرداد المبلغ", "والمبلغ، استرداد؟", "بالمبلغ استرداد", "رسوم التوصيل", "التوصيل رسوم", "؟؟"],
}
FIRST = {"en": ["en/refund-timing", "en/gift-cards", "en/apple-pay"], "ar": ["ar/delivery-fees", "ar/refund-timing"]}
USED = ["en/apple-pay", "en/gift-cards", "ar/delivery-fees", "en/refund-approval-limits", "macro:shipping"]


def fill(desk: Desk, fingerprint: str, searches: int = 1200, seed: int = 25) -> None:  # noqa: F811
    """Four searches a visit over the last 40 days; a ticket after a visit's search on two visits of five (sometimes
    two), and on most of those an agent's insert, sent or not."""
    rng, now = random.Random(seed), utcnow()
    rows, tickets, uses = [], [], []
    for i in range(searches):
        at = now - timedelta(days=40) + timedelta(seconds=i * 40 * 86400 / searches)
        lang = "en" if rng.random() < 0.6 else "ar"
        logged = rng.random() < 0.85
        signals = {name: round(rng.random(), 4) for name in (*SIGNALS, "cross_share", "cross_title_share")}
        first = rng.choice([None, *FIRST[lang], *FIRST[lang], *FIRST["ar" if lang == "en" else "en"]])
        if first is not None and not first.startswith(f"{lang}/"):
            mark = rng.choice([1.0, 1.0, 0.0, None])
            if mark is not None:
                signals[CROSS_DECIDES] = mark
        rows.append({
            "token": f"t{i}", "visit_id": f"v{i // 4}", "query": rng.choice(QUERIES[lang]), "lang": lang,
            "result_count": 3, "abstained": rng.random() < 0.3, "fallback": False,
            "source": rng.choice(["page", "page", "page", "instant", "contact"]),
            "clicked_article": rng.choice(FIRST[lang]) if rng.random() < 0.4 else None, "created_at": at,
            "signals": signals if logged else null(), "first_article": first if logged else None,
            "floors": rng.choice([fingerprint, fingerprint, fingerprint, "other", None]),
        })
        if rng.random() < 0.12:  # a ticket after this search: the visit's later searches come after it
            tid = len(tickets) + 1
            tickets.append({"id": tid, "reference": f"r{tid}", "customer_id": 1, "subject": "s", "lang": lang,
                            "status": "open", "priority": "normal", "channel": "web", "context": {},
                            "visit_id": f"v{i // 4}", "created_at": at + timedelta(seconds=5), "updated_at": at})
            for _ in range(rng.choice([0, 1, 1, 2])):
                uses.append({"ticket_id": tid, "kind": "inserted", "article_key": rng.choice(USED), "details": {},
                             "created_at": at + timedelta(seconds=60)})
            if rng.random() < 0.8:
                uses.append({"ticket_id": tid, "kind": "sent", "details": {}, "created_at": at + timedelta(seconds=90)})
    with desk.db.session() as session:
        session.execute(insert(Customer), [{"id": 1, "email": "a@example.com", "name": "A"}])
        session.execute(insert(SearchEvent), rows)
        session.execute(insert(Ticket), tickets)
        session.execute(insert(SuggestionEvent), uses)


def test_the_counted_reports_are_the_search_by_search_ones(desk: Desk, catalog: Catalog) -> None:  # noqa: F811
    fingerprint = floors_in_use(catalog.settings.content_dir).fingerprint
    fill(desk, fingerprint)
    seen: dict[str, int] = {}
    for days in (None, 30, 9):
        since = reports.since_days(days)
        assert reports.REPORTS["abstention"].build(desk, catalog, days, "UTC") == abstention_before(desk, catalog,
                                                                                                      since)
        assert reports.REPORTS["floors"].build(desk, catalog, days, "UTC") == floors_before(desk, catalog, since)
        for floors in (None, fingerprint):
            new = tallied_evidence(reports.answered_tallies(desk, catalog, since), desk.events.newest_searches, floors)
            old = floor_evidence_before(reports.answered_log(desk, catalog, since), desk.events.search_signals, floors)
            assert new == old
            for group, evidence in new.items():
                seen[group] = seen.get(group, 0) + len(evidence.rows)
                for why, n in evidence.left_out.items():
                    seen[why] = seen.get(why, 0) + n
        rows = reports.REPORTS["abstention"].build(desk, catalog, days, "UTC")
        seen["false abstentions"] = seen.get("false abstentions", 0) + sum(r.false_abstentions for r in rows)
        seen["not answered"] = seen.get("not answered", 0) + sum(r.not_answered for r in rows)
    # The log held every kind the reports tell apart: both languages and a direction labelled, every reason to
    # leave a search out, false abstentions and questions not answered.
    assert {"en", "ar", "ar>en", "en>ar", "not logged", "under other floors", "under unknown floors", "no result",
            "other language", "another rule", "false abstentions", "not answered"} <= {k for k, n in seen.items() if n}


def test_the_tallies_read_the_newest_searches_as_the_log_does(desk: Desk, catalog: Catalog) -> None:  # noqa: F811
    """`limit`: the newest searches only, as Events.shadow_log reads them; counted the same in SQL and in Python."""
    fill(desk, floors_in_use(catalog.settings.content_dir).fingerprint, searches=400)

    def tallied(log: TalliedLog) -> tuple[list, list]:
        return sorted(log.tallies, key=repr), log.cited

    for limit in (50, 10_000):
        counted = desk.events.search_tallies(None, limit=limit)
        assert tallied(counted) == tallied(reports.tally_log(desk.events.shadow_log(None, limit=limit)))
        assert sum(t.searches for t in counted.tallies) == min(limit, len(desk.events.shadow_log(None)))
