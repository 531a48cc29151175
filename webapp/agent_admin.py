"""The workspace's admin page: agents (add, role, time zone, teams, deactivate/reactivate, password reset) and API
tokens (create, list with last use, revoke). Admins only; routes on the agent blueprint."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext
from flask_login import current_user, login_required

from desk.accounts import zone_names
from desk.models import ROLES
from desk.tickets import InputError
from webapp import state
from webapp.agent import _admin_required, _page, bp
from webapp.desk_errors import desk_error
from webapp.workspace_labels import ViewLabels


@bp.route("/admin", methods=["GET", "POST"])
@login_required
def admin():
    """Admins add, deactivate, reactivate agents, set roles, reset passwords, create and revoke API tokens."""
    _admin_required()
    desk = state.desk()
    accounts = desk.accounts
    token = None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "agent":
                accounts.create_agent(
                    request.form.get("email", ""), request.form.get("password", ""),
                    name=request.form.get("name", ""), role=request.form.get("role", "agent"),
                )
                flash(gettext("Agent created."), "ok")
            elif action == "token":
                token = accounts.create_token(request.form.get("name", ""))
            elif action == "revoke":
                accounts.revoke_token(request.form.get("token_id", type=int) or 0)
                flash(gettext("Token revoked."), "ok")
            elif action in ("deactivate", "reactivate", "role", "password"):
                agent_id = request.form.get("agent_id", type=int) or 0
                accounts.manage(
                    agent_id, by=current_user.id,
                    active={"deactivate": False, "reactivate": True}.get(action),
                    role=request.form.get("role") if action == "role" else None,
                    password=request.form.get("password", "") if action == "password" else None,
                )
                flash(gettext("Agent updated."), "ok")
            elif action == "time_zone":  # "" follows the team's zone; an unknown name is refused, nothing written
                accounts.set_time_zone(request.form.get("agent_id", type=int) or 0, request.form.get("time_zone", ""))
                flash(gettext("Agent updated."), "ok")
            elif action == "teams":  # the checked teams; a key the file does not have is refused, nothing written
                desk.teams.set_teams(request.form.get("agent_id", type=int) or 0,
                                     [key[:40] for key in request.form.getlist("team")])
                flash(gettext("Agent updated."), "ok")
        except InputError as error:
            flash(desk_error(error), "error")
    return _page("agent/admin.html", agents=accounts.everyone(), tokens=accounts.tokens(), token=token, roles=ROLES,
                 labels=ViewLabels(), zones=zone_names(), teams=desk.hours.teams, memberships=desk.teams.memberships())
