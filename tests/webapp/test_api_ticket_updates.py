"""An integration lists and changes tickets (session 32): `GET /api/v1/tickets` filters by the inbox's own clauses and
pages by an opaque keyset cursor; `PATCH /api/v1/tickets/<id>` changes status, priority, assignee, team, due time and
tags all or nothing through the ticket page's helpers, with If-Match / If-Unmodified-Since (412), a closed ticket
final (409), the token in the audit log and Idempotency-Key replays. The real app over the demo's teams (KSA, the
default; UAE); SQLite, and PostgreSQL with `--postgresql`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from desk.audit import AuditQuery
from desk.desk import Desk
from desk.models import ApiToken, AuditEvent, Base, Ticket, TicketAssigneeChange, TicketStatusChange, TicketTag
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import hours_file
from tests.webapp.light_app import PASSWORD, light_settings  # noqa: F401
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    hours_file(light_settings.content_dir)
    app = create_app(light_settings)
    desk: Desk = app.extensions["desk"]
    sara = desk.accounts.create_agent("sara@example.com", PASSWORD, name="Sara")
    desk.accounts.create_agent("omar.agent@example.com", PASSWORD, name="Omar")
    desk.teams.set_teams(sara.id, ["ksa"])
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {app.extensions['desk'].accounts.create_token('crm sync')}"}


def new(app: Flask, email: str = "omar@example.com", subject: str = "Refund", body: str = "Where is my refund?",
        lang: str = "en") -> int:
    return app.extensions["desk"].tickets.create(NewTicket(email=email, subject=subject, body=body, lang=lang)).id


def agent_id(app: Flask, email: str) -> int:
    return next(a.id for a in app.extensions["desk"].accounts.agents() if a.email == email)


def ids(client: FlaskClient, auth: dict[str, str], **args: Any) -> list[int]:
    response = client.get("/api/v1/tickets", query_string=args, headers=auth)
    assert response.status_code == 200, response.get_json()
    return [t["id"] for t in response.get_json()["tickets"]]


def snapshot(app: Flask) -> dict[str, object]:
    """Every table's rows (tokens' last use aside: the auth stamps it, as every token route does)."""
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        rows = {table.name: sorted(map(repr, session.execute(select(table)).all()))
                for table in Base.metadata.sorted_tables if table.name != "api_tokens"}
        rows["tokens"] = session.scalar(select(func.count()).select_from(ApiToken))
    return rows


def test_the_list_filters_as_the_inbox_does(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    sara = agent_id(app, "sara@example.com")
    refund = new(app, subject="Refund late", body="my refund is late")
    arabic = new(app, email="huda@example.com", subject="الشحن", body="أين طلبي", lang="ar")
    solved = new(app, email="huda@example.com", subject="Password", body="reset my password")
    desk.tickets.update(refund, assignee_id=sara, agent_id=sara)
    desk.tickets.update(solved, status="solved", agent_id=sara)
    desk.tags.add([arabic], ["VIP"])
    desk.tickets.move_to_team(arabic, "uae", sara)
    huda = desk.tickets.get(arabic).customer_id  # type: ignore[union-attr]
    assert set(ids(client, auth)) == {refund, arabic, solved}  # view "all": solved ones too
    assert ids(client, auth, status="solved") == [solved]
    assert ids(client, auth, assignee=str(sara)) == [refund]
    assert set(ids(client, auth, assignee="none")) == {arabic, solved}
    assert ids(client, auth, tag="ＶＩＰ") == [arabic]  # folded as the inbox's filter folds
    assert ids(client, auth, lang="ar") == [arabic]
    assert ids(client, auth, team="uae") == [arabic]
    assert set(ids(client, auth, team="ksa")) == {refund, solved}  # the default team's: none stored
    assert set(ids(client, auth, customer=str(huda))) == {arabic, solved}
    assert ids(client, auth, q="refund") == [refund]
    assert ids(client, auth, sort="created", direction="asc") == [refund, arabic, solved]
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert ids(client, auth, updated_since=later) == []
    for args, named in [({"status": "done"}, "status: must be one of new, open"), ({"limit": "0"}, "limit:"),
                        ({"limit": "101"}, "limit:"), ({"assignee": "sara"}, "assignee:"),
                        ({"updated_since": "2026-12-05T14:30"}, "updated_since: '2026-12-05T14:30' has no UTC"),
                        ({"updated_since": "yesterday"}, "updated_since:"), ({"sort": "due"}, "sort:"),
                        ({"direction": "up"}, "direction:"), ({"lang": "fr"}, "lang:"),
                        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor:")]:
        response = client.get("/api/v1/tickets", query_string=args, headers=auth)
        assert response.status_code == 400 and response.get_json()["error"].startswith(named), (args, response.json)
    item = client.get("/api/v1/tickets", query_string={"tag": "vip"}, headers=auth).get_json()["tickets"][0]
    single = client.get(f"/api/v1/tickets/{arabic}", headers=auth).get_json()
    assert item == {k: v for k, v in single.items() if k not in ("messages", "follow_up_of", "follow_ups")}
    assert item["tags"] == ["vip"] and item["team"] == "uae" and item["customer"] == huda


@pytest.mark.parametrize("sort", ["updated", "created"])
@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_paging_while_tickets_are_added_repeats_and_skips_none(
    app: Flask, client: FlaskClient, auth: dict[str, str], sort: str, direction: str
) -> None:
    first = [new(app, subject=f"Order {n}") for n in range(7)]
    seen: list[int] = []
    cursor = None
    added: list[int] = []
    for _ in range(10):
        args = {"limit": "3", "sort": sort, "direction": direction, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/tickets", query_string=args, headers=auth).get_json()
        seen += [t["id"] for t in body["tickets"]]
        added += [new(app, subject=f"Late {len(added)}")]  # a new ticket after each page: at the list's front
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))  # no ticket twice
    assert set(first) <= set(seen)  # none of those there at the start skipped
    if direction == "desc":  # newest first: the ones added meanwhile are before the first page, never in it
        assert seen == sorted(first, reverse=True)
    else:
        assert seen[:7] == first
    # A cursor is the list's: with other filters it is refused, not read as another list's place.
    body = client.get("/api/v1/tickets", query_string={"limit": "2"}, headers=auth).get_json()
    refused = client.get("/api/v1/tickets", query_string={"cursor": body["next_cursor"], "status": "open"},
                         headers=auth)
    assert refused.status_code == 400 and refused.get_json()["error"].startswith("cursor:")


def test_a_patch_changes_every_field_with_history_and_the_token_audited(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    desk: Desk = app.extensions["desk"]
    sara = agent_id(app, "sara@example.com")
    ticket_id = new(app)
    desk.tags.add([ticket_id], ["old", "keep"])
    due = "2030-01-02T10:00:00+03:00"
    response = client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth, json={
        "status": "pending", "priority": "urgent", "assignee": sara, "due_at": due,
        "tags": ["Keep", "ＲＥＦＵＮＤ", "vip"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["priority"], body["assignee"], body["tags"]) == ("pending", "urgent", sara,
                                                                                  ["keep", "refund", "vip"])
    assert body["due_at"] == "2030-01-02T07:00:00+00:00"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    response = client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth,
                            json={"add_tags": ["new"], "remove_tags": ["VIP"], "due_at": None, "team": "uae"})
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["tags"] == ["keep", "new", "refund"] and body["team"] == "uae"
    assert body["assignee"] is None  # Sara is not in UAE: the move unassigns, as on the ticket page
    assert body["due_at"] is not None and body["due_at"] != "2030-01-02T07:00:00+00:00"  # UAE's hours again
    response = client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth, json={"assignee": None, "status": "open"})
    assert response.status_code == 200
    kinds = [type(c).__name__ for c in desk.tickets.changes(ticket_id)]
    assert kinds.count("TicketStatusChange") == 2 and kinds.count("TicketAssigneeChange") == 2
    assert kinds.count("TicketDueChange") == 2 and kinds.count("TicketTeamChange") == 1
    events = desk.audit.page(AuditQuery(action="ticket_updated"), 0, 10).events
    assert len(events) == 3 and {e.actor for e in events} == {"api"}
    assert all(e.after and isinstance(e.after["token"], int) for e in events)  # the token that made it
    first = next(e for e in events if e.before and e.before.get("tags") == ["keep", "old"])
    assert first.before is not None and first.after is not None
    assert (first.before["status"], first.after["status"], first.after["assignee"]) == ("open", "pending", sara)
    # The same values again change nothing and write nothing.
    before = snapshot(app)
    again = client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth, json={"status": "open", "team": "uae"})
    assert again.status_code == 200 and snapshot(app) == before


@pytest.mark.parametrize("body, named", [
    ({"status": "pending", "priority": "asap"}, "priority: must be one of low, normal, high, urgent"),
    ({"status": "pending", "team": "mars"}, "team: must be one of ksa, uae"),
    ({"status": "pending", "assignee": 99999}, "assignee: no agent 99999"),  # refused inside the transaction
    ({"status": "pending", "add_tags": ["rеfund"]}, "add_tags: “rеfund” mixes"),  # a Cyrillic "е"
    ({"status": "pending", "tags": ["ok", "a b/c"]}, "tags:"),
    ({"status": "solved", "due_at": "2030-01-01T00:00:00Z"}, "due_at: a solved"),
    ({"status": "pending", "due_at": "2030-01-01T09:00"}, "due_at: '2030-01-01T09:00' has no UTC offset"),
    ({"status": "pending", "assignee": "sara"}, "assignee:"),
    ({"status": "pending", "tags": ["a"], "add_tags": ["b"]}, "tags: sets the whole list"),
    ({"status": "pending", "prioity": "high"}, "prioity: unknown field; use add_ccs, add_tags, assignee"),
])
def test_one_bad_field_refuses_the_whole_patch(app: Flask, client: FlaskClient, auth: dict[str, str],
                                               body: dict[str, object], named: str) -> None:
    ticket_id = new(app)
    before = snapshot(app)
    response = client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth, json=body)
    assert response.status_code == 400 and response.get_json()["error"].startswith(named), response.get_json()
    assert snapshot(app) == before


def test_if_match_and_if_unmodified_since_refuse_a_stale_change(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id = new(app)
    read = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth)
    etag, modified = read.headers["ETag"], read.headers["Last-Modified"]
    desk.tickets.update(ticket_id, priority="high")  # an agent meanwhile
    before = snapshot(app)
    stale = client.patch(f"/api/v1/tickets/{ticket_id}", headers={**auth, "If-Match": etag}, json={"status": "pending"})
    assert stale.status_code == 412 and stale.get_json()["error"].startswith("ticket: changed at")
    long_ago = "Sat, 01 Jan 2000 00:00:00 GMT"
    stale = client.patch(f"/api/v1/tickets/{ticket_id}", headers={**auth, "If-Unmodified-Since": long_ago},
                         json={"status": "pending"})
    assert stale.status_code == 412 and snapshot(app) == before
    assert modified  # to the second: the ETag is the exact version
    fresh = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).headers["ETag"]
    assert fresh != etag
    done = client.patch(f"/api/v1/tickets/{ticket_id}", headers={**auth, "If-Match": fresh}, json={"status": "pending"})
    assert done.status_code == 200 and done.headers["ETag"] != fresh
    assert client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth, json={"priority": "low"}).status_code == 200


def test_a_closed_ticket_is_final(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id = new(app)
    desk.tickets.update(ticket_id, status="closed")
    before = snapshot(app)
    for body in ({"status": "open"}, {"add_tags": ["x"]}):
        response = client.patch(f"/api/v1/tickets/{ticket_id}", headers=auth, json=body)
        assert response.status_code == 409 and "create a follow-up" in response.get_json()["error"]
    assert snapshot(app) == before
    assert client.patch("/api/v1/tickets/99999", headers=auth, json={"status": "open"}).status_code == 404


def test_erased_and_merged_customers(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    kept = new(app, email="omar@example.com", subject="First")
    duplicate = new(app, email="omar.work@example.com", subject="Second")
    erased = new(app, email="lina@example.com", subject="Private matter zebra", body="zebra")
    kept_id, duplicate_id = (desk.tickets.get(t).customer_id for t in (kept, duplicate))  # type: ignore[union-attr]
    desk.customers.merge(duplicate_id, kept_id)
    lina = desk.tickets.get(erased).customer_id  # type: ignore[union-attr]
    desk.erasure.erase(lina, "lina@example.com")
    assert set(ids(client, auth, customer=str(duplicate_id))) == {kept, duplicate}  # the kept customer's
    [item] = client.get("/api/v1/tickets", query_string={"customer": str(lina)}, headers=auth).get_json()["tickets"]
    assert item["id"] == erased and item["subject"] == ""  # the skeleton, as the ticket's own answer
    assert ids(client, auth, q="zebra") == []


def test_tokens_are_required_and_a_get_writes_nothing(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id = new(app)
    revoked = desk.accounts.create_token("old")
    with desk.db.session() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.name == "old"))
        assert token is not None
        token_id = token.id
    desk.accounts.revoke_token(token_id)
    for headers in ({}, {"Authorization": f"Bearer {revoked}"}):
        assert client.get("/api/v1/tickets", headers=headers).status_code == 401
        assert client.patch(f"/api/v1/tickets/{ticket_id}", headers=headers, json={"status": "open"}).status_code == 401
    before = snapshot(app)
    client.get("/api/v1/tickets", headers=auth, query_string={"q": "refund", "tag": "x", "assignee": "none"})
    client.get(f"/api/v1/tickets/{ticket_id}", headers=auth)
    assert snapshot(app) == before


def test_a_patch_replays_under_its_idempotency_key(app: Flask, client: FlaskClient, auth: dict[str, str]) -> None:
    desk: Desk = app.extensions["desk"]
    ticket_id = new(app)
    headers = {**auth, "Idempotency-Key": "patch-1"}
    change = {"add_tags": ["a"], "status": "pending"}
    first = client.patch(f"/api/v1/tickets/{ticket_id}", headers=headers, json=change)
    desk.tickets.update(ticket_id, status="on_hold")  # an agent meanwhile: the retry must not undo it
    second = client.patch(f"/api/v1/tickets/{ticket_id}", headers=headers, json=change)
    assert first.status_code == second.status_code == 200 and second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
    assert desk.tickets.get(ticket_id).status == "on_hold"  # type: ignore[union-attr]
    with desk.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "ticket_updated")) == 1
        assert session.scalar(select(func.count()).select_from(TicketTag)) == 1
        assert session.scalar(select(func.count()).select_from(TicketStatusChange)) == 2
        assert session.scalar(select(func.count()).select_from(TicketAssigneeChange)) == 0
        assert session.scalar(select(Ticket.status).where(Ticket.id == ticket_id)) == "on_hold"
    other = client.patch(f"/api/v1/tickets/{ticket_id}", headers=headers, json={"status": "solved"})
    assert other.status_code == 422


def test_a_patch_past_any_id_is_a_404_and_a_wrong_method_still_a_405(
    app: Flask, client: FlaskClient, auth: dict[str, str]
) -> None:
    """werkzeug's matcher answered 405 (Allow: GET) for a PATCH to /tickets/<an id no int rule takes>, where a GET of
    the same path is a 404: found by the schemathesis run."""
    ticket_id = new(app)
    response = client.patch("/api/v1/tickets/" + "7" * 33, headers=auth, json={"status": "open"})
    assert response.status_code == 404 and response.get_json()["error"].startswith("not found:")
    wrong = client.delete(f"/api/v1/tickets/{ticket_id}", headers=auth)
    assert wrong.status_code == 405 and set(wrong.headers["Allow"].split(", ")) >= {"GET", "PATCH"}
