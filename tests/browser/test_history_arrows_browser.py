"""A ticket history's changes read from the old value to the new one in both directions (webapp/templates/_macros.html
`arrow`): on an Arabic page, laid out right to left, the old value is on the right and the arrow points left, to the
new one ("←"); in English "→". U+2192 is not mirrored by the bidi algorithm: an Arabic history's "→" pointed back at
the old value. Measured in Chromium (the laid-out boxes of the old value, the arrow and the new value)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser

from desk.tickets import NewTicket
from kb.settings import Settings
from tests.browser.test_agent_morning import PASSWORD, log_in
from tests.conftest import database_url_for_tests
from webapp import create_app

# Each arrow between two values in the history: the text of the arrow and the left edges of the old value, the arrow
# and the new value, as laid out.
ARROWS = """() => {
  const found = [], walker = document.createTreeWalker(document.querySelector('#history'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const arrow = node.textContent.trim(), before = node.previousSibling, after = node.nextSibling;
    if (!['→', '←'].includes(arrow) || !before || !after || before.nodeType !== 1 || after.nodeType !== 1) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    found.push({arrow, old: before.getBoundingClientRect().left, at: range.getBoundingClientRect().left,
                now: after.getBoundingClientRect().left, row: node.parentElement.textContent.trim()});
  }
  return found;
}"""


@pytest.fixture
def app(tmp_path: Path, content_dir: Path) -> Flask:
    """The real app without the models (a history is not what they draw)."""
    return create_app(Settings(content_dir=content_dir, data_dir=tmp_path / "data",
                               database_url=database_url_for_tests()))


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_historys_arrow_points_from_the_old_value_to_the_new(browser: Browser, base_url: str, app: Flask,
                                                               lang: str) -> None:
    desk = app.extensions["desk"]
    agent = desk.accounts.create_agent("agent@example.com", PASSWORD, name="سارة")
    ticket = desk.tickets.create(NewTicket(email="omar@example.com", name="عمر", subject="أين طلبي؟",
                                           body="لم يصل الطلب بعد.", lang="ar")).id
    desk.tickets.update(ticket, assignee_id=agent.id, agent_id=agent.id)  # unassigned -> سارة
    desk.tickets.update(ticket, assignee_id=None, agent_id=agent.id)  # سارة -> unassigned
    context = browser.new_context(locale=lang, viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        log_in(page, base_url, "agent@example.com")
        page.goto(f"{base_url}/agent/tickets/{ticket}")
        arrows = page.evaluate(ARROWS)
    finally:
        context.close()
    assert len(arrows) >= 2, arrows
    for found in arrows:
        if lang == "ar":  # right to left: the old value first, on the right, the arrow pointing left to the new
            assert found["arrow"] == "←" and found["old"] > found["at"] > found["now"], found
        else:
            assert found["arrow"] == "→" and found["old"] < found["at"] < found["now"], found
