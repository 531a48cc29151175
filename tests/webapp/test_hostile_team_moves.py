"""Moving tickets between teams under hostile forms (session 28): the ticket page's move and the inbox's bulk move,
whose promise is all the checked tickets or, on any error, none.

hypothesis draws the bulk form's ticket ids (existing, a row no ticket has, past PostgreSQL's INTEGER, "²", words,
empty, negative, repeated, more than a bulk takes at once) and the team (the file's, unicode, long, spaced, another
action's values), sent by an agent with the right, a wrong or no CSRF token. Whatever comes: never a 500; every
ticket moves to the team, only when every id sent is a ticket and the team is the file's and the token right, else
nothing at all is written. The ticket page's move and an agent's teams on the admin page (an admin's only) the same.
The light app over the demo's teams (KSA, the default; UAE), SQLite and (`--postgresql`) PostgreSQL;
KB_FUZZ_EXAMPLES (default 40) examples per property.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from desk.desk import Desk
from desk.models import Ticket
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.desk.test_teams import hours_file
from tests.webapp.light_app import PASSWORD, csrf, light_settings, login, signed_in  # noqa: F401
from tests.webapp.test_hostile_routes import _fingerprint
from webapp import create_app
from webapp.agent import MAX_BULK
from webapp.security import form_number

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
TICKETS = 3
OTHER_IDS = ["2147483647", "2147483648", "9" * 30, "²", "١", "-1", "0", "", " ", "1.0", "0x1", "abc", "\x00", "1 "]
TEAMS = st.sampled_from(["uae", "ksa", "UAE", " uae", "uae ", "فريق", "x" * 41, "", "me", "solved", "default",
                         "u\x00ae", "uae\n"]) | st.text(max_size=12)


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    """The demo's teams; TICKETS tickets in KSA (the default), an agent in KSA, an admin."""
    hours_file(light_settings.content_dir)
    app = create_app(replace(light_settings, rate_limits=False))
    desk: Desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    desk.teams.set_teams(desk.accounts.create_agent("agent@example.com", PASSWORD, name="Agent").id, ["ksa"])
    for number in range(TICKETS):
        desk.tickets.create(NewTicket(email=f"c{number}@example.com", subject="Parcel", body="Where is it?"))
    return app



def placed(app: Flask) -> dict[int, str]:
    """Every ticket's team (the default's key where none is stored)."""
    desk: Desk = app.extensions["desk"]
    with desk.db.session() as session:
        return {ticket_id: desk.hours.team_key(team) for ticket_id, team in session.execute(
            select(Ticket.id, Ticket.team))}


def ids_of(app: Flask) -> list[str]:
    return sorted(str(ticket_id) for ticket_id in placed(app))


@pytest.fixture
def clients(app: Flask) -> dict[str, tuple[FlaskClient, str]]:
    """The agent and the admin signed in once (each example posts with them), with their CSRF tokens."""
    return {role: signed_in(app, f"{role}@example.com") for role in ("agent", "admin")}


IDS = st.lists(st.sampled_from(["t0", "t1", "t2"]) | st.sampled_from(OTHER_IDS), min_size=1, max_size=6)


@FUZZ
@given(ids=IDS, team=TEAMS, token=st.sampled_from(["right", "right", "right", "wrong", "missing"]))
@example(ids=["t0", "abc"], team="uae", token="right")  # a word among the ids: the rest moved
@example(ids=["t0", "²"], team="uae", token="right")
@example(ids=["t0", "2147483648"], team="uae", token="right")
@example(ids=["t0", "t1", "2147483647"], team="uae", token="right")  # no such ticket: none moves
@example(ids=["t0", "t0", "t1"], team="uae", token="right")
@example(ids=["t0"], team="x" * 41, token="right")
def test_a_bulk_move_moves_every_ticket_or_none(app: Flask, clients: dict[str, tuple[FlaskClient, str]],
                                                ids: list[str], team: str, token: str) -> None:
    client, secret = clients["agent"]
    real = ids_of(app)
    sent = [real[int(i[1])] if i in ("t0", "t1", "t2") else i for i in ids]
    form = MultiDict([("ticket", i) for i in sent] + [("action", "team"), ("value", team)])
    if token != "missing":
        form.add("csrf_token", secret if token == "right" else "forged")
    before = _fingerprint(app)
    response = client.post("/agent/bulk", data=form)
    assert response.status_code in (302, 400), (sent, team, token, response.status_code)
    numbers = [form_number(i) for i in sent]  # as every form's ids are read: "١" (Arabic-Indic) is 1
    valid = token == "right" and all(str(n) in real for n in numbers) and team.strip() in ("ksa", "uae")
    if valid:
        after = placed(app)
        assert all(after[n] == team.strip() for n in numbers if n is not None), (sent, team, after)
    else:
        assert _fingerprint(app) == before, (sent, team, token)


def test_more_tickets_than_a_bulk_takes_are_refused_not_cut(app: Flask,
                                                             clients: dict[str, tuple[FlaskClient, str]]) -> None:
    """The first MAX_BULK ids moved and the rest were dropped without a word."""
    client, secret = clients["agent"]
    desk: Desk = app.extensions["desk"]
    for number in range(MAX_BULK + 1 - TICKETS):
        desk.tickets.create(NewTicket(email=f"more{number}@example.com", subject="Parcel", body="Where is it?"))
    every = ids_of(app)
    assert len(every) == MAX_BULK + 1
    before = _fingerprint(app)
    form = MultiDict([("ticket", i) for i in every] + [("action", "team"), ("value", "uae"), ("csrf_token", secret)])
    response = client.post("/agent/bulk", data=form, follow_redirects=True)
    assert response.status_code == 200 and f"at most {MAX_BULK} tickets" in response.get_data(as_text=True)
    assert _fingerprint(app) == before


@FUZZ
@given(team=TEAMS, ticket=st.sampled_from(["t0", *OTHER_IDS]))
def test_the_ticket_pages_move_is_the_files_team_or_nothing(app: Flask, clients: dict[str, tuple[FlaskClient, str]],
                                                            team: str, ticket: str) -> None:
    client, secret = clients["agent"]
    target = ids_of(app)[0] if ticket == "t0" else ticket
    before = _fingerprint(app)
    response = client.post(f"/agent/tickets/{target}/team", data={"team": team, "csrf_token": secret})
    assert response.status_code in (302, 308, 404, 405), (target, team, response.status_code)
    if response.status_code != 302 or team not in ("ksa", "uae"):
        assert _fingerprint(app) == before, (target, team)


@FUZZ
@given(keys=st.lists(TEAMS, max_size=4), role=st.sampled_from(["agent", "admin"]))
def test_only_an_admin_sets_teams_and_only_the_files(app: Flask, clients: dict[str, tuple[FlaskClient, str]],
                                                     keys: list[str], role: str) -> None:
    client, secret = clients[role]
    desk: Desk = app.extensions["desk"]
    agent = desk.accounts.find("agent@example.com")
    assert agent is not None
    before = _fingerprint(app)
    form = MultiDict([("action", "teams"), ("agent_id", str(agent.id)), ("csrf_token", secret)]
                     + [("team", key) for key in keys])
    response = client.post("/agent/admin", data=form)
    assert response.status_code in (200, 302, 400, 403), (keys, role, response.status_code)
    wanted = {key[:40].strip() for key in keys if key[:40].strip()}
    if role != "admin" or not wanted <= {"ksa", "uae"}:
        assert _fingerprint(app) == before, (keys, role)
    else:
        assert set(desk.teams.of(agent.id)) == wanted
