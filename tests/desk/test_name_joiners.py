"""A ZERO WIDTH NON-JOINER or JOINER inside a name is kept (task leftover42): Persian writes "می‌خواهم" with a ZWNJ
and an emoji sequence ("👩‍💻") is one picture only with its ZWJ. The names the desk tidies (desk.name_keys.tidy_name:
an organization's, a skill's, a saved view's, a signature's lines) dropped them with the zero-width spaces; a
customer's and an agent's name kept them and still do. Bidi controls, zero-width spaces and a joiner at a word's edge
still go, and a name differing from another only by a joiner is its twin. A real database (`--postgresql`: both)."""

from __future__ import annotations

import pytest

from desk.audit import CLI
from desk.desk import Desk
from desk.tickets import InputError, NewTicket
from tests.desk.test_saved_view_fields import url  # noqa: F401
from tests.desk.test_view_skills_columns import PASSWORD, desk  # noqa: F401

PERSIAN = "مهر\u200cداد می\u200cخواهد"  # two words, each with its ZWNJ
CODER = "👩\u200d💻 Sara"  # woman technologist: woman, ZWJ, laptop


def test_names_keep_their_joiners_and_lose_bidi_controls(desk: Desk) -> None:  # noqa: F811
    hostile = "\u202e\u200d" + PERSIAN + "\u200b\u200c " + CODER + "\u200d"  # an override, edge joiners, a ZWSP
    assert desk.organizations.create(hostile, by=CLI).name == f"{PERSIAN} {CODER}"
    skill = desk.skills.create(hostile, by=CLI)
    assert desk.skills.choices()[0] == (skill, f"{PERSIAN} {CODER}")
    agent = desk.accounts.create_agent("sara@example.com", PASSWORD, name=CODER)
    assert desk.accounts.agent(agent.id).name == CODER
    view = desk.saved_views.save(agent.id, hostile, {"view": "all"})
    assert view.name == f"{PERSIAN} {CODER}"
    kept = desk.accounts.set_signatures(agent.id, {"en": f"{CODER}\n\u202b{PERSIAN}"}, ("en", "ar"))
    assert kept["en"] == f"{CODER}\n{PERSIAN}"
    ticket = desk.tickets.create(NewTicket(email="m@example.com", name=PERSIAN, subject="s", body="b", lang="ar"))
    customer = desk.customers.get(ticket.customer_id)
    assert customer is not None and customer.name == PERSIAN


def test_a_name_differing_only_by_a_joiner_is_a_twin(desk: Desk) -> None:  # noqa: F811
    desk.skills.create("مهرداد", by=CLI)
    with pytest.raises(InputError) as refused:
        desk.skills.create("مهر\u200cداد", by=CLI)
    assert refused.value.field == "name"
    desk.organizations.create("Acme", by=CLI)
    with pytest.raises(InputError, match="another organization has this name"):
        desk.organizations.create("Ac\u200dme", by=CLI)
