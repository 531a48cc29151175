"""The lead's team status page (Zendesk's agent status and omnichannel routing dashboard, Chatwoot's agent
availability report, Intercom's team status): per team, its assignment rule, the tickets waiting unassigned and why,
and each member's availability and load (desk.team_status); a lead or an admin sets a member away from it (the
admin page's `Accounts.set_availability`, audited). Leads and admins; routes on the agent blueprint.

A plain page, refreshed by reloading: the inbox's 15 s poll asks only which tickets changed since a time (one indexed
query on `updated_at`), while these figures are whole-desk counts that change with every availability toggle,
membership and solve, which no such cheap "since" question answers."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from desk.team_status import team_status
from desk.tickets import InputError
from webapp import state
from webapp.agent import _page, acting, bp
from webapp.desk_errors import desk_error
from webapp.roles import lead_required


def _status_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    desk = state.desk()
    return _page("agent/team_status.html", floor=team_status(desk.db, desk.hours), error=error,
                 fallback_minutes=desk.settings.routing_language_fallback_minutes), status


@bp.get("/team-status")
@lead_required
def team_status_page() -> tuple[str, int]:
    """Every team's figures now. Reads only."""
    return _status_page()


@bp.post("/team-status")
@lead_required
def team_status_away() -> Response | tuple[str, int]:
    """Set a member away (`agent_id`): someone on leave who forgot. Audited as `availability_changed`; only the agent
    makes themselves available again. A refusal is the page again with the error (400), nothing written."""
    try:
        state.desk().accounts.set_availability(request.form.get("agent_id", type=int) or 0, False, by=acting())
    except InputError as error:
        return _status_page(desk_error(error), 400)
    flash(gettext("Agent set away: no new tickets are assigned to them until they set themselves available."), "ok")
    return redirect(url_for("agent.team_status_page"), 303)
