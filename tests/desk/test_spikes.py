"""Spike detection on synthetic streams: a known burst is found, steady traffic raises nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from desk import spikes
from desk.desk import Desk
from desk.spikes import Occurrence, detect_spikes
from kb.settings import Settings
from tests.conftest import database_url_for_tests

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def steady(key: str, per_day: int, days: int = 15, seed: int = 1) -> list[Occurrence]:
    """`per_day` occurrences a day at random minutes, for `days` days up to NOW."""
    rng = random.Random(seed)
    out = []
    for day in range(days):
        for _ in range(per_day):
            at = NOW - timedelta(days=day) - timedelta(minutes=rng.randrange(24 * 60))
            out.append(Occurrence(key, at, f"{key} #{len(out)}"))
    return out


def test_a_burst_above_the_daily_rate_is_found_with_its_examples() -> None:
    # "card payment failed" usually 4 a day (1 per 6-hour window); since 10:00 it came 12 times.
    usual = steady("card payment failed", 4)
    burst = [Occurrence("card payment failed", NOW - timedelta(minutes=25 * i + 5), f"card declined {i}", ticket_id=i)
             for i in range(12)]
    found = detect_spikes(usual + burst + steady("delivery time", 20, seed=2), NOW)
    assert [s.key for s in found] == ["card payment failed"]
    spike = found[0]
    in_window = sum(1 for o in usual if NOW - spikes.WINDOW <= o.at < NOW)
    assert spike.count == 12 + in_window
    assert spike.factor >= spikes.FACTOR
    assert spike.examples[0] == "card declined 0" and len(spike.examples) == spikes.EXAMPLES
    assert spike.ticket_ids[:3] == (0, 1, 2)
    assert spike.since <= NOW - timedelta(minutes=25 * 11 + 5)


def test_steady_traffic_raises_no_alert() -> None:
    stream = steady("refund status", 40, seed=3) + steady("card payment failed", 4, seed=4) + steady("tabby", 1, seed=5)
    assert detect_spikes(stream, NOW) == []


def test_a_new_topic_needs_the_minimum_count() -> None:
    few = [Occurrence("new thing", NOW - timedelta(minutes=i + 1), "new thing") for i in range(spikes.MIN_COUNT - 1)]
    assert detect_spikes(few, NOW) == []
    assert [s.key for s in detect_spikes([*few, Occurrence("new thing", NOW - timedelta(minutes=30), "x")], NOW)] == [
        "new thing"]


def test_failed_searches_and_tickets_come_from_the_desk(tmp_path: Path) -> None:
    desk = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    try:
        for _ in range(6):
            desk.events.search("Card  payment FAILED", "en", 0, False)
        desk.events.search("card payment failed", "en", 4, False)  # answered: not a failure
        now = datetime.now(UTC) + timedelta(minutes=1)
        found = detect_spikes(spikes.recent_occurrences(desk.db, now), now)
        assert [(s.key, s.count) for s in found] == [("card payment failed", 6)]
        regrouped = spikes.regroup(spikes.recent_occurrences(desk.db, now), {"card payment failed": "payments"})
        assert {o.key for o in regrouped} == {"payments"}
    finally:
        desk.close()
