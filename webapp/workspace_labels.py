"""Translated names of the workspace's fixed values: views, statuses, priorities, sorts and roles.

The values themselves stay English in URLs, forms and the database; only what the agent reads is
translated, through gettext (the Arabic is in webapp/translations).
"""

from __future__ import annotations

from flask_babel import gettext


class ViewLabels:
    """Translated names of views, statuses, priorities and sorts (values stay English in URLs and data)."""

    def view(self, key: str) -> str:
        return {
            "unsolved": gettext("Unsolved"), "mine": gettext("Mine"), "unassigned": gettext("Unassigned"),
            "due_today": gettext("Due today"), "arabic_unassigned": gettext("Arabic, unassigned"),
            "mentions": gettext("Mentions"), "all": gettext("All tickets"),
        }.get(key, key)

    def status(self, key: str) -> str:
        return {
            "new": gettext("New"), "open": gettext("Open"), "pending": gettext("Pending"),
            "on_hold": gettext("On hold"), "solved": gettext("Solved"), "closed": gettext("Closed"),
        }.get(key, key)

    def priority(self, key: str) -> str:
        return {"low": gettext("Low"), "normal": gettext("Normal"), "high": gettext("High"),
                "urgent": gettext("Urgent")}.get(key, key)

    def sort(self, key: str) -> str:
        return {"updated": gettext("Last updated"), "created": gettext("Newest"), "due": gettext("Due soonest"),
                "priority": gettext("Priority")}.get(key, key)

    def role(self, key: str) -> str:
        return {"agent": gettext("Agent"), "lead": gettext("Lead"), "admin": gettext("Admin")}.get(key, key)
