"""Click feedback in the deployment: the worker learns it from the desk, searches apply it.

`refresh_click_feedback` is the worker's bounded pass (and `kb clicks refresh`): it reads the
clicked searches of the last few half-lives from the desk, learns the boosts
(`copilot.click_feedback.learn`) and saves them to `$KB_DATA_DIR/click-feedback.json`. Every web
process reads that file when it changes (`StoredClickBoosts`), so a customer's search never waits
on the aggregation, and `with_click_feedback` reorders a search's results by it. All of it is off
unless `KB_CLICK_FEEDBACK` is on.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app

from copilot.click_feedback import ClickTable, FeedbackPolicy, StoredClickBoosts, learn
from copilot.retrieval import SearchResult
from desk.desk import Desk
from kb.audience import Audience
from kb.settings import Settings

FEEDBACK_FILE = "click-feedback.json"
# The worker relearns at most this often: clicks move a table slowly, and a pass reads every click
# of the horizon (a few half-lives).
REFRESH_S = 600.0
MAX_CLICKS = 200_000  # the newest clicked searches a pass reads; older ones are left out


def feedback_path(settings: Settings) -> Path:
    return settings.data_dir / FEEDBACK_FILE


def feedback_policy(settings: Settings) -> FeedbackPolicy:
    return FeedbackPolicy(half_life_days=settings.click_half_life_days, min_visits=settings.click_min_visits)


def stored_click_boosts(settings: Settings) -> StoredClickBoosts | None:
    """What `webapp.app.wire` puts on the app: the saved table's reader, or None when feedback is off."""
    return StoredClickBoosts(feedback_path(settings)) if settings.click_feedback else None


def refresh_click_feedback(desk: Desk, settings: Settings, now: datetime | None = None, force: bool = False) -> int:
    """Learn the boosts from the stored clicks and save them; how many (query, article) boosts were
    saved. 0 without doing anything when feedback is off or the saved table is younger than
    `REFRESH_S` (unless `force`)."""
    if not settings.click_feedback:
        return 0
    path = feedback_path(settings)
    if not force and path.is_file() and time.time() - path.stat().st_mtime < REFRESH_S:
        return 0
    now = now or datetime.now(UTC)
    policy = feedback_policy(settings)
    clicks = desk.events.search_clicks(since=now - timedelta(days=policy.horizon_days), limit=MAX_CLICKS)
    table = learn(clicks, now, policy)
    table.save(path)
    return len(table)


def saved_table(settings: Settings) -> ClickTable | None:
    """The table the last pass saved, None when there is none."""
    path = feedback_path(settings)
    return ClickTable.load(path) if path.is_file() else None


def with_click_feedback(result: SearchResult, audience: Audience) -> SearchResult:
    """The search's results reordered by what customers clicked for this query (when it is on)."""
    boosts: StoredClickBoosts | None = current_app.extensions.get("click_feedback")
    return result if boosts is None else boosts.reorder(result, audience)
