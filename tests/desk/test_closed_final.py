"""A closed ticket is final for agents too, as in Zendesk: every agent-side write refuses it with `ClosedTicketError`
naming it, nothing written (a note; status, priority, assignee, team, due time; tags; snooze and unsnooze; each bulk
action with a closed ticket in the selection, the others unchanged too). What may still touch it does: the agent's
follow-up, the customer's message (a follow-up), the worker (a stale snooze ends, the ticket stays closed). Merges
cannot loop: into itself, into a merged duplicate (named with where it lives), back into the ticket merged away, of a
closed ticket or into one are refused. On SQLite, and on PostgreSQL with `--postgresql`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from desk.desk import Desk
from desk.models import Message, Ticket, TicketSnoozeChange, utcnow
from desk.tickets import ClosedTicketError, InputError, NewTicket, TicketStore
from kb.settings import Settings
from tests.desk.test_mail_out import settings  # noqa: F401  (a desk's settings over tmp_path)


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:  # noqa: F811
    opened = Desk(settings)
    yield opened
    opened.close()


def agent_of(desk: Desk) -> int:
    found = desk.accounts.find("sara@example.com")
    return found.id if found is not None else desk.accounts.create_agent(
        "sara@example.com", "a long enough password", name="Sara").id


def ticket(desk: Desk, body: str = "My parcel is late", email: str = "omar@example.com") -> int:
    return desk.tickets.create(NewTicket(email=email, name="Omar", subject="Parcel", body=body)).id


def closed(desk: Desk) -> int:
    """Omar's ticket, tagged, answered, solved and closed."""
    made = ticket(desk)
    desk.tags.add([made], ["shipping"])
    desk.tickets.reply(made, agent_of(desk), "It arrives today", status="solved")
    desk.tickets.update(made, status="closed", agent_id=agent_of(desk))
    return made


def state_of(desk: Desk, ticket_id: int) -> tuple[object, ...]:
    """Everything an agent's change could touch, and the ticket's history and messages."""
    found = desk.tickets.get(ticket_id)
    assert found is not None
    with desk.db.session() as session:
        snoozes = session.scalar(select(func.count()).select_from(TicketSnoozeChange)
                                 .where(TicketSnoozeChange.ticket_id == ticket_id))
        messages = session.scalar(select(func.count()).select_from(Message).where(Message.ticket_id == ticket_id))
    return (found.status, found.priority, found.assignee_id, found.team, found.due_at, found.snoozed_until,
            found.updated_at, sorted(t.tag for t in found.tags), len(desk.tickets.changes(ticket_id)), snoozes,
            messages)


def other_team(desk: Desk, ticket_id: int) -> str:
    found = desk.tickets.get(ticket_id)
    assert found is not None
    here = desk.hours.team_key(found.team)
    return next((t for t in desk.hours.teams if t != here), here)


WRITES: dict[str, Callable[[Desk, int, int], object]] = {
    "note": lambda desk, t, a: desk.notes.add(t, a, "Checked with the courier"),
    "status": lambda desk, t, a: desk.tickets.update(t, status="open", agent_id=a),
    "priority": lambda desk, t, a: desk.tickets.update(t, priority="urgent", agent_id=a),
    "assignee": lambda desk, t, a: desk.tickets.update(t, assignee_id=a, agent_id=a),
    "unassign": lambda desk, t, a: desk.tickets.update(t, assignee_id=None, agent_id=a),
    "team": lambda desk, t, a: desk.tickets.move_to_team(t, other_team(desk, t), a),
    "due": lambda desk, t, a: desk.tickets.set_due(t, utcnow() + timedelta(days=1), a),
    "due cleared": lambda desk, t, a: desk.tickets.set_due(t, None, a),
    "tag": lambda desk, t, a: desk.tags.add([t], ["vip"]),
    "untag": lambda desk, t, a: desk.tags.remove(t, "shipping"),
    "snooze": lambda desk, t, a: desk.snoozes.snooze([t], utcnow() + timedelta(hours=2), a),
    "unsnooze": lambda desk, t, a: desk.snoozes.unsnooze(t, a),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_agent_write_on_a_closed_ticket_is_refused_and_writes_nothing(desk: Desk, write: str) -> None:
    made = closed(desk)
    before = state_of(desk, made)
    with pytest.raises(ClosedTicketError) as refused:
        WRITES[write](desk, made, agent_of(desk))
    assert f"#{made} is closed" in str(refused.value) and refused.value.field == "ticket"
    assert state_of(desk, made) == before


BULK: dict[str, Callable[[Desk, list[int], int], object]] = {
    "assign": lambda desk, ids, a: desk.tickets.bulk_update(ids, assignee_id=a, agent_id=a),
    "solve": lambda desk, ids, a: desk.tickets.bulk_update(ids, status="solved", agent_id=a),
    "tag": lambda desk, ids, a: desk.tags.add(ids, ["vip"]),
    "due": lambda desk, ids, a: desk.tickets.bulk_set_due(ids, utcnow() + timedelta(days=1), a),
    "team": lambda desk, ids, a: desk.tickets.bulk_move_to_team(ids, other_team(desk, ids[0]), a),
    "snooze": lambda desk, ids, a: desk.snoozes.snooze(ids, utcnow() + timedelta(hours=2), a),
}


@pytest.mark.parametrize("action", sorted(BULK))
def test_a_bulk_action_with_a_closed_ticket_in_the_selection_changes_none(desk: Desk, action: str) -> None:
    first, done, last = ticket(desk, "First"), closed(desk), ticket(desk, "Last")
    before = {t: state_of(desk, t) for t in (first, done, last)}
    with pytest.raises(ClosedTicketError) as refused:
        BULK[action](desk, [first, done, last], agent_of(desk))
    assert f"#{done} is closed" in str(refused.value)
    assert {t: state_of(desk, t) for t in (first, done, last)} == before
    # Without the closed one, the same action goes through.
    BULK[action](desk, [first, last], agent_of(desk))
    assert state_of(desk, first) != before[first]


def test_the_follow_up_and_the_customers_message_still_go_on_from_a_closed_ticket(desk: Desk) -> None:
    made = closed(desk)
    before = state_of(desk, made)
    sent = desk.tickets.agent_follow_up(made, agent_of(desk), "One more thing about your parcel")
    assert sent.message.ticket_id != made
    reply = desk.tickets.customer_reply_with_files(desk.tickets.get(made).reference, "It broke")  # type: ignore[union-attr]
    assert reply.ticket_id not in (made, sent.message.ticket_id) and reply.follow_up_of_id == made
    assert state_of(desk, made) == before
    # The follow-up is open: the agent's writes work on it.
    desk.notes.add(sent.message.ticket_id, agent_of(desk), "Asked the courier again")
    desk.tags.add([sent.message.ticket_id], ["vip"])


def test_the_worker_ends_a_stale_snooze_on_a_closed_ticket_and_leaves_it_closed(desk: Desk) -> None:
    made = closed(desk)
    with desk.db.session() as session:  # a snooze left from before the close (a row from before the guard)
        row = session.get(Ticket, made)
        assert row is not None
        row.snoozed_until = utcnow() - timedelta(minutes=5)
    assert desk.snoozes.wake() == 1
    found = desk.tickets.get(made)
    assert found is not None and found.status == "closed" and found.snoozed_until is None
    assert desk.snoozes.wake() == 0


def merged(desk: Desk) -> tuple[int, int]:
    """Omar's duplicate merged into his first ticket: (target, duplicate)."""
    target, duplicate = ticket(desk, "It arrived broken"), ticket(desk, "Broken parcel, again")
    desk.tickets.merge(duplicate, target, agent_of(desk), "We merged your two requests into this one.")
    return target, duplicate


def refused_merge(desk: Desk, source: int, target: int) -> InputError:
    before = {t: state_of(desk, t) for t in (source, target)}
    with pytest.raises(InputError) as refused:
        desk.tickets.merge(source, target, agent_of(desk), "Merged.")
    assert {t: state_of(desk, t) for t in (source, target)} == before
    return refused.value


def test_a_merge_back_into_the_duplicate_is_refused_naming_where_it_lives(desk: Desk) -> None:
    target, duplicate = merged(desk)
    back = refused_merge(desk, target, duplicate)
    assert (back.field, str(back)) == ("target", f"target: #{duplicate} was merged into #{target}: merge into "
                                                 f"#{target} instead")
    # A third ticket into the duplicate: the same, naming the live end of the chain.
    third = ticket(desk, "Third message about it")
    into_merged = refused_merge(desk, third, duplicate)
    assert f"#{duplicate} was merged into #{target}" in str(into_merged)
    assert str(refused_merge(desk, target, target)) == "target: a ticket cannot be merged into itself"
    # The duplicate itself again: merged already.
    assert f"ticket {duplicate} was already merged into {target}" in str(refused_merge(desk, duplicate, third))
    # Into the live end it goes.
    desk.tickets.merge(third, target, agent_of(desk), "Merged.")
    with desk.db.session() as session:
        row = session.get(Ticket, duplicate)
        assert row is not None and TicketStore.live_ticket(session, row).id == target


def test_a_closed_ticket_is_neither_merged_nor_merged_into(desk: Desk) -> None:
    done, open_one = closed(desk), ticket(desk, "Another question")
    source = refused_merge(desk, done, open_one)
    assert isinstance(source, ClosedTicketError) and f"#{done} is closed" in str(source)
    target = refused_merge(desk, open_one, done)
    assert (target.field, str(target)) == ("target", f"target: #{done} is closed and final: merge into its follow-up "
                                                     "or another open ticket")
    # The same-customer rule stands.
    other = ticket(desk, "Someone else's parcel", email="lina@example.com")
    assert "different customers" in str(refused_merge(desk, open_one, other))
