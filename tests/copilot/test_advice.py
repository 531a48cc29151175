"""Stored advice reads back exactly what was computed (the page shows it as if computed for the view)."""

from __future__ import annotations

import json

from copilot.advice import TicketAdvice
from copilot.drafts import Draft
from copilot.retrieval import SearchHit
from copilot.suggestions import Suggestions


def test_advice_round_trips_through_json_unchanged() -> None:
    hit = SearchHit(id="reset-password", lang="ar", title="إعادة تعيين كلمة المرور", section="الخطوات",
                    anchor="steps", snippet="…", score=0.236,
                    locale_fallback=False, category="account", internal=False, text="افتح التطبيق")
    advice = TicketAdvice(
        Suggestions("ar", "نسيت كلمة السر", [hit], False, 101.5),
        Draft("مرحبًا خالد", ["/ar/articles/reset-password#steps"], False, ["ar"], "grounded"),
        None,
    )
    stored = json.loads(json.dumps(advice.as_plain(), ensure_ascii=False))
    assert TicketAdvice.from_plain(stored) == advice
    assert advice.shown_details()["passages"] == ["ar/reset-password#steps"]
    problem = TicketAdvice(None, None, "the ticket is empty")
    assert TicketAdvice.from_plain(problem.as_plain()) == problem and problem.shown_details() == {}
