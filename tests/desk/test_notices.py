"""Notices: checked before they are written, shown while live, matched to searches, kept after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk import reports
from desk.desk import Desk
from desk.models import Notice
from desk.tickets import InputError
from kb.settings import Settings
from tests.conftest import database_url_for_tests

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    opened = Desk(Settings(data_dir=tmp_path / "data", database_url=database_url_for_tests()))
    yield opened
    opened.close()


def test_publish_show_match_and_end(desk: Desk) -> None:
    notices = desk.notices
    card = notices.publish("Known issue: card payments failing since 10:00.", "مشكلة معروفة في الدفع بالبطاقة.",
                           NOW + timedelta(hours=4), terms="card payment, بطاقة", now=NOW)
    notices.publish("Only in English", "", NOW + timedelta(hours=1), now=NOW)
    assert [n.id for n in notices.active("en", NOW)] == [card.id + 1, card.id]
    assert [n.id for n in notices.active("ar", NOW)] == [card.id]
    assert [n.id for n in notices.matching("Why did my CARD  payment fail", "en", NOW)] == [card.id]
    assert [n.id for n in notices.matching("الدفع بطاقة مرفوض", "ar", NOW)] == [card.id]
    assert notices.matching("refund status", "en", NOW) == []
    assert notices.active("en", NOW + timedelta(hours=5)) == []
    assert notices.end(card.id, now=NOW + timedelta(minutes=5))
    assert notices.active("ar", NOW + timedelta(minutes=6)) == []
    rows = reports.REPORTS["notices"].build(desk, None, None, "UTC")  # type: ignore[arg-type]
    assert [(r.id, r.text_ar, r.active) for r in rows][-1] == (card.id, "مشكلة معروفة في الدفع بالبطاقة.", False)


@pytest.mark.parametrize(("en", "ar", "ends", "field"), [
    ("", " ", timedelta(hours=1), "text"),
    ("x" * 501, "", timedelta(hours=1), "text_en"),
    ("Down", "", timedelta(hours=-1), "ends_at"),
    ("Down", "", timedelta(days=91), "ends_at"),
])
def test_bad_notices_name_the_field_and_write_nothing(desk: Desk, en: str, ar: str, ends: timedelta,
                                                      field: str) -> None:
    with pytest.raises(InputError) as error:
        desk.notices.publish(en, ar, NOW + ends, now=NOW)
    assert error.value.field == field
    with desk.db.session() as session:
        assert session.query(Notice).count() == 0


def test_a_nul_character_in_a_notice_is_dropped_as_in_every_desk_text(desk: Desk) -> None:
    """PostgreSQL refuses NUL in text: a lead's pasted "\\x00" made publishing a 500 there (SQLite kept it).
    Tickets and notes drop it (tickets.plain_text); a notice now does the same."""
    notice = desk.notices.publish("Card\x00 payments\r\nfailing", "\x00", NOW + timedelta(hours=1),
                                  terms="card\x00, بطاقة", now=NOW)
    assert (notice.text_en, notice.text_ar, notice.terms) == ("Card payments\nfailing", None, "card, بطاقة")
    with pytest.raises(InputError, match="text"):
        desk.notices.publish("\x00", " \x00 ", NOW + timedelta(hours=1), now=NOW)
