"""Agents over the token API (Zendesk's /api/v2/users?role=agent, Chatwoot's /api/v1/accounts/{id}/agents): list and
read them (`agents:read`), invite one and change one (`agents:write`). Routes on the API blueprint (webapp.api).

What an admin does on the admin page, through the same desk helpers and audited the same way, the token named as
the actor: a new agent is invited by email (desk.accounts.invite_agent: they choose their own password through the
signed link, webapp.agent_password), never given a password here; a PATCH changes the role, the teams, the active
flag and the agent's email notifications. Nothing else of an agent's (their password, two-factor sign-in,
signature) is the API's: those stay on the admin page, where a person is signed in.
"""

from __future__ import annotations

from flask import Response, g, jsonify, request

from desk.accounts import AgentExists
from desk.audit import Actor
from desk.models import ROLES, Agent, as_utc
from desk.tickets import InputError
from desk.translatable import N_
from webapp import state
from webapp.api import bp, error, input_error, token_required
from webapp.idempotency import idempotent
from webapp.openapi import request_fields
from webapp.paging import linked, next_page_url, paged
from webapp.security import (
    API_BAD_TOKEN_LIMIT,
    API_IP_LIMIT,
    API_TOKEN_LIMIT,
    json_object,
    limiter,
    refused,
    token_key,
)

AGENT_PAGE, AGENT_LIMIT = 25, 100
AGENT_PATH = "/api/v1/agents/{agent_id}"
NOTIFY = ("notify_assigned", "notify_mentioned")


def agent_json(agent: Agent, teams: list[str], skills: list[str], passkeys: int) -> dict[str, object]:
    """An agent as the API answers one: who they are, their role and state, what routing reads (teams, skills,
    languages, availability), their sign-in's safety (two-factor, passkeys) and email notifications. Never a password,
    its hash, a session or a two-factor secret."""
    return {
        "id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role, "active": agent.active,
        "invited": agent.active and agent.invited_at is not None,
        "invited_at": as_utc(agent.invited_at).isoformat() if agent.invited_at else None,
        "available": agent.available, "time_zone": agent.time_zone, "locale": agent.locale,
        "languages": agent.languages or [], "teams": teams, "skills": skills,
        "two_factor": agent.two_factor, "passkeys": passkeys,
        "notifications": {"assigned": agent.notify_assigned, "mentioned": agent.notify_mentioned},
        "created_at": as_utc(agent.created_at).isoformat(),
        "last_sign_in_at": as_utc(agent.last_sign_in_at).isoformat() if agent.last_sign_in_at else None,
    }


def _answers(agents: list[Agent]) -> list[dict[str, object]]:
    desk = state.desk()
    teams, had = desk.teams.memberships(), desk.skills.of_agents()
    names = {skill.id: skill.name for skill in desk.skills.all()}
    passkeys = desk.passkeys.counts()
    return [agent_json(agent, sorted(teams.get(agent.id, [])), [names[i] for i in had.get(agent.id, []) if i in names],
                       passkeys.get(agent.id, 0)) for agent in agents]


def _one(agent_id: int) -> Response | tuple[Response, int]:
    found = state.desk().accounts.agent(agent_id)
    if found is None:
        return error(f"agent: no agent {agent_id}", 404)  # type: ignore[no-any-return]
    return jsonify(_answers([found])[0])


@bp.get("/agents")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("agents:read")
def list_agents():  # type: ignore[no-untyped-def]
    """Every agent (deactivated and invited ones too), by id, `limit` (1-100, 25) a page (?page=, the one paging
    rule: webapp.paging), `role` one role only; the `total`, and the next page as `next_url` and the `Link` header,
    as GET /tickets gives them. Reads only."""
    raw_limit, role = request.args.get("limit", str(AGENT_PAGE)), request.args.get("role") or None
    if not raw_limit.isdecimal() or not 1 <= int(raw_limit) <= AGENT_LIMIT:
        return error(f"limit: must be a whole number from 1 to {AGENT_LIMIT}, not {raw_limit[:40]!r}")
    if role is not None and role not in ROLES:
        return error(f"role: must be one of {', '.join(ROLES)}, not {role[:40]!r}")
    accounts = state.desk().accounts
    found, paging = paged(lambda limit, offset: accounts.page(limit, offset, role), int(raw_limit))
    following = next_page_url("api.list_agents", "page",
                              str(paging.number + 1) if paging.number < paging.pages else None)
    return linked(jsonify({"agents": _answers(found.rows), "total": found.total, "page": paging.number,
                           "pages": paging.pages, "next_url": following}), following)


@bp.get("/agents/<int:agent_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("agents:read")
def get_agent(agent_id: int):  # type: ignore[no-untyped-def]
    """One agent as the list gives them. Reads only."""
    return _one(agent_id)


def _text(body: dict[str, object], name: str, default: str = "") -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise InputError(name, N_("must be a string"))
    return value


@bp.post("/agents")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("agents:write")
@idempotent
def create_agent():  # type: ignore[no-untyped-def]
    """Invite an agent by email (the admin page's "Email an invitation": desk.accounts.invite_agent): `email`
    required, `name`, `role` (agent by default), `lang` (the invitation's and their workspace's language; the
    site's first by default). The invitation is queued in the same transaction (a link that works for a week, once).
    An agent with this email already is a 409; bad input a 400 naming the field; audited `agent_created` and
    `agent_invited`, the token named. Answers the agent (201)."""
    # Here, not at the top: webapp.api loads this module, and the agent pages' modules load webapp.agent_password.
    from webapp.agent_password import INVITE, link_maker

    body = json_object("email, and name, role or lang", request_fields("/api/v1/agents"))
    languages = state.settings().languages
    try:
        email, name, role = _text(body, "email"), _text(body, "name"), _text(body, "role", "agent")
        lang = _text(body, "lang", languages[0])
        if lang not in languages:
            raise InputError("lang", N_("must be one of %(allowed)s"), allowed=", ".join(languages))
        invited = state.desk().accounts.invite_agent(email, name, role, lang, link_maker(INVITE, lang),
                                                     by=Actor.api(g.api_token_id, request.remote_addr))
    except AgentExists as exc:
        return error(str(exc), 409)
    except InputError as exc:
        return input_error(exc)
    return _one(invited.id), 201


def _patch(body: dict[str, object]) -> tuple[str | None, bool | None, list[str] | None, dict[str, bool]]:
    """The PATCH's fields checked before anything is written: a wrong one an InputError naming it."""
    role, active, teams = body.get("role"), body.get("active"), body.get("teams")
    if role is not None and role not in ROLES:
        raise InputError("role", N_("must be one of %(allowed)s"), allowed=", ".join(ROLES))
    if active is not None and not isinstance(active, bool):
        raise InputError("active", N_("must be true or false"))
    if teams is not None and not (isinstance(teams, list) and all(isinstance(key, str) for key in teams)):
        raise InputError("teams", N_("must be a list of team keys (content/_business_hours.yml)"))
    raw = body.get("notifications", {})
    if not isinstance(raw, dict) or not set(raw) <= {"assigned", "mentioned"} or not all(
            isinstance(value, bool) for value in raw.values()):
        raise InputError("notifications", N_("must be an object of assigned and mentioned, each true or false"))
    return role, active, teams, {f"notify_{key}": value for key, value in raw.items()}


@bp.patch("/agents/<int:agent_id>")
@limiter.limit(API_IP_LIMIT)
@limiter.limit(API_BAD_TOKEN_LIMIT, deduct_when=refused)
@limiter.limit(API_TOKEN_LIMIT, key_func=token_key)
@token_required("agents:write")
def update_agent(agent_id: int):  # type: ignore[no-untyped-def]
    """Change any of `role`, `teams` (the whole list), `active` and `notifications` (`assigned`, `mentioned`: true or
    false) of an agent, as the admin page does (desk.accounts.manage, desk.teams, set_notifications): each field
    checked before anything is written (a bad one a 400 naming it; the teams' keys first, as their write comes
    first); each change audited as the page's, the token named. Made light: their open tickets unassigned.
    Answers the agent as GET does."""
    body = json_object("role, teams, active or notifications", request_fields(AGENT_PATH, method="patch"))
    desk = state.desk()
    agent = desk.accounts.agent(agent_id)
    if agent is None:
        return error(f"agent: no agent {agent_id}", 404)
    by = Actor.api(g.api_token_id, request.remote_addr)
    try:
        role, active, teams, notify = _patch(body)
        if teams is not None:
            desk.teams.set_teams(agent_id, [key[:40] for key in teams], by=by)
        if notify:
            now = {"notify_assigned": agent.notify_assigned, "notify_mentioned": agent.notify_mentioned} | notify
            desk.accounts.set_notifications(agent_id, now["notify_assigned"], now["notify_mentioned"], by=by)
        if role is not None or active is not None:
            desk.accounts.manage(agent_id, by=by, active=active, role=role)
    except InputError as exc:
        return input_error(exc)
    return _one(agent_id)
