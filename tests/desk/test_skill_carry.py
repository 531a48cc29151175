"""A ticket's required skills (desk.skills) where Zendesk carries a ticket's fields, on a real database (SQLite, and
PostgreSQL with --postgresql): a follow-up of a closed ticket starts with its skills (before automatic assignment, so
it goes to a member having them), whether the customer or an agent starts it; a merge adds the duplicate's skills to
the target's (its history naming what was added, by the merging agent); and every change of a ticket's skills (by
hand, a trigger's `require_skills`, a merge, a skill renamed or deleted) is one `ticket.updated` webhook event
naming `skills` old and new, as the API names them, with the ticket as the change left it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import inspect, select

from desk.desk import Desk
from desk.models import TicketFollowUpStart, TicketSkillChange, WebhookDelivery, read_names, stored_names
from tests.conftest import database_at, migrate
from tests.desk.test_auto_assign import agent, assignee, new, open_desk
from tests.desk.test_skill_routing import skilled, with_rules


def names(desk: Desk, ticket_id: int) -> list[str]:
    return [s.name for s in desk.skills.of_ticket(ticket_id)]


def closed_with(desk: Desk, number: int, by: int, *skills: int, tags: tuple[str, ...] = ()) -> int:
    """A ticket requiring `skills` (set by `by`) and tagged `tags`, then closed."""
    ticket = new(desk, number)
    if tags:
        desk.tags.add([ticket.id], list(tags))
    desk.skills.set_ticket(ticket.id, [str(s) for s in skills], by)
    desk.tickets.update(ticket.id, status="closed", agent_id=by)
    return ticket.id


def test_a_follow_up_starts_with_the_closed_tickets_skills_and_goes_to_a_member_having_them(tmp_path: Path) -> None:
    with open_desk(tmp_path, mode="round_robin") as desk:
        desk.tickets.language_fallback_minutes = 30
        billing, vip = desk.skills.create("Billing"), desk.skills.create("VIP")
        emma = agent(desk, "Emma")  # no skill, the lower id: first by round robin without skills
        huda = skilled(desk, "Huda", billing, vip)
        closed = desk.tickets.get(closed_with(desk, 0, emma, vip, billing))
        assert closed is not None
        by_customer = desk.tickets.customer_reply_with_files(closed.reference, "It broke again")
        assert by_customer.ticket_id != closed.id
        assert names(desk, by_customer.ticket_id) == ["Billing", "VIP"]
        assert assignee(desk, by_customer.ticket_id) == huda  # routed by them, as the closed ticket would be
        by_agent = desk.tickets.agent_follow_up(closed.id, emma, "We are sending another one", status="open")
        assert names(desk, by_agent.message.ticket_id) == ["Billing", "VIP"]
        assert names(desk, closed.id) == ["Billing", "VIP"]  # the closed ticket keeps its own
        plain = desk.tickets.get(closed_with(desk, 1, emma))
        assert plain is not None
        assert names(desk, desk.tickets.customer_reply_with_files(plain.reference, "again").ticket_id) == []


def starts(desk: Desk, ticket_id: int) -> list[tuple[int, int | None, str | None, str | None]]:
    """The follow-up's "started with" history rows: (from ticket, agent, skills, tags)."""
    return [(c.from_ticket_id, c.agent_id, ", ".join(c.skill_names) or None, c.tags)
            for c in desk.tickets.changes(ticket_id)
            if isinstance(c, TicketFollowUpStart)]


def test_a_follow_ups_history_says_which_skills_and_tags_it_started_with_and_from_where(tmp_path: Path) -> None:
    with open_desk(tmp_path) as desk:
        billing, vip = desk.skills.create("Billing"), desk.skills.create("VIP")
        emma = agent(desk, "Emma")
        closed = desk.tickets.get(closed_with(desk, 0, emma, vip, billing, tags=("refund", "android")))
        assert closed is not None
        by_customer = desk.tickets.customer_reply_with_files(closed.reference, "It broke again").ticket_id
        assert starts(desk, by_customer) == [(closed.id, None, "Billing, VIP", "android, refund")]
        first = desk.tickets.changes(by_customer)[0]
        assert isinstance(first, TicketFollowUpStart)  # the first row: it is as old as the ticket
        by_agent = desk.tickets.agent_follow_up(closed.id, emma, "We are sending another one").message.ticket_id
        assert starts(desk, by_agent) == [(closed.id, emma, "Billing, VIP", "android, refund")]
        tagged = desk.tickets.get(closed_with(desk, 1, emma, tags=("refund",)))  # tags only
        assert tagged is not None
        assert starts(desk, desk.tickets.customer_reply_with_files(tagged.reference, "again").ticket_id) == [
            (tagged.id, None, None, "refund")]
        plain = desk.tickets.get(closed_with(desk, 2, emma))  # nothing carried: no row
        assert plain is not None
        assert starts(desk, desk.tickets.customer_reply_with_files(plain.reference, "again").ticket_id) == []
        assert starts(desk, closed.id) == []  # the closed ticket's own history says nothing new


def test_the_follow_up_starts_migration_adds_the_table_and_goes_down(tmp_path: Path) -> None:
    db, _ = database_at(tmp_path, "saved_view_skill")
    assert "ticket_follow_up_starts" not in inspect(db.engine).get_table_names()
    migrate(db, command.upgrade, "follow_up_starts")
    columns = {c["name"] for c in inspect(db.engine).get_columns("ticket_follow_up_starts")}
    assert columns == {"id", "ticket_id", "from_ticket_id", "agent_id", "skills", "tags", "created_at"}
    migrate(db, command.downgrade, "saved_view_skill")
    assert "ticket_follow_up_starts" not in inspect(db.engine).get_table_names()
    db.close()


def test_a_merge_adds_the_duplicates_skills_to_the_targets_and_says_so(tmp_path: Path) -> None:
    with open_desk(tmp_path) as desk:
        billing, vip, ios = (desk.skills.create(name) for name in ("Billing", "VIP", "iOS"))
        sara = agent(desk, "Sara")
        duplicate, target = new(desk, 0).id, new(desk, 0, subject="Refund again").id  # one customer's
        desk.skills.set_ticket(duplicate, [str(billing), str(vip)], sara)
        desk.skills.set_ticket(target, [str(vip), str(ios)], sara)
        desk.tickets.merge(duplicate, target, sara, "Merged")
        assert names(desk, target) == ["Billing", "iOS", "VIP"]
        assert names(desk, duplicate) == ["Billing", "VIP"]  # the duplicate keeps its own, as its tags
        change = [c for c in desk.tickets.changes(target) if isinstance(c, TicketSkillChange)][-1]
        assert (change.agent_id, change.added_names, change.removed) == (sara, ["Billing"], None)
        other, plain = new(desk, 0, subject="Third").id, new(desk, 0, subject="Fourth").id
        desk.tickets.merge(plain, other, sara, "Merged")  # nothing to add: no history row
        assert not [c for c in desk.tickets.changes(other) if isinstance(c, TicketSkillChange)]


def skill_events(desk: Desk) -> list[tuple[int | None, dict[str, Any], list[str]]]:
    """The `ticket.updated` events naming skills: (ticket, its change of skills, the ticket's skills in the event)."""
    with desk.db.session() as session:
        rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_type == "ticket.updated")
                               .order_by(WebhookDelivery.id)).all()
        return [(r.ticket_id, r.data["changes"]["skills"], r.data["ticket"]["skills"]) for r in rows
                if "skills" in r.data["changes"]]


def test_each_change_of_a_tickets_skills_is_a_ticket_updated_webhook_event(tmp_path: Path) -> None:
    with open_desk(tmp_path) as desk:
        desk.webhooks.allow_private = True  # the receiver on this machine
        desk.webhooks.create("crm", "http://127.0.0.1:9/x", ["ticket.updated"])
        billing, vip = desk.skills.create("Billing"), desk.skills.create("vip")
        sara = agent(desk, "Sara")
        ticket = new(desk).id
        desk.skills.set_ticket(ticket, [str(vip), str(billing)], sara)
        desk.skills.set_ticket(ticket, [str(vip), str(billing)], sara)  # no change: no event
        desk.skills.set_ticket(ticket, [str(billing)], sara)
        assert skill_events(desk) == [
            (ticket, {"old": [], "new": ["Billing", "vip"]}, ["Billing", "vip"]),
            (ticket, {"old": ["Billing", "vip"], "new": ["Billing"]}, ["Billing"])]
        with_rules(desk, "- name: VIP replies\n  on: [customer_reply]\n  if: {text: [urgent]}\n"
                         "  then: {require_skills: [VIP]}\n")
        reference = desk.tickets.get(ticket).reference  # type: ignore[union-attr]
        desk.tickets.customer_reply_with_files(reference, "This is urgent")
        assert skill_events(desk)[2:] == [(ticket, {"old": ["Billing"], "new": ["Billing", "vip"]},
                                           ["Billing", "vip"])]
        duplicate = new(desk, 0, subject="Again").id
        desk.skills.set_ticket(duplicate, [str(billing)], sara)
        mark = len(skill_events(desk))
        desk.skills.set_ticket(ticket, [], sara)
        desk.tickets.merge(duplicate, ticket, sara, "Merged")
        assert skill_events(desk)[mark:] == [(ticket, {"old": ["Billing", "vip"], "new": []}, []),
                                             (ticket, {"old": [], "new": ["Billing"]}, ["Billing"])]
        desk.skills.rename(billing, "Accounts")
        assert sorted(skill_events(desk)[mark + 2:]) == sorted([
            (duplicate, {"old": ["Billing"], "new": ["Accounts"]}, ["Accounts"]),
            (ticket, {"old": ["Billing"], "new": ["Accounts"]}, ["Accounts"])])
        desk.skills.delete(billing)
        assert sorted(skill_events(desk)[mark + 4:]) == sorted([(duplicate, {"old": ["Accounts"], "new": []}, []),
                                                                (ticket, {"old": ["Accounts"], "new": []}, [])])


def test_history_names_are_a_json_list_and_older_rows_read_as_they_were_joined() -> None:
    assert stored_names(["Billing, VIP", "iOS"]) == '["Billing, VIP", "iOS"]'
    assert read_names('["Billing, VIP", "iOS"]') == ["Billing, VIP", "iOS"]
    assert read_names("Billing, VIP") == ["Billing", "VIP"] and read_names(None) == []  # written before the list
    assert read_names("[VIP]") == ["[VIP]"]  # a name in brackets is no list
    long = ["x" * 60] * 20  # 1,280 characters as a list: the last names left out, the list whole
    assert read_names(stored_names(long)) == long[:15] and stored_names([]) is None
