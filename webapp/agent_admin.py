"""The workspace's admin page: agents (add with a password or invite by email: webapp.agent_password, resend or
revoke the invitation; role, time zone, signature, languages, skills, teams, deactivate/reactivate, password reset),
skills (desk.skills: add, rename, delete) and API tokens (create with their scopes and expiry, list with last use,
revoke); and the audit log of those changes and of failed sign-ins (desk.audit), as a page and a CSV. Admins only;
routes on the agent blueprint. The desk helpers record each change with the actor passed in (`acting()`): no route
writes an event itself."""

from __future__ import annotations

from collections.abc import Iterable

from babel.dates import get_day_names
from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import get_locale, gettext
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from desk.accounts import zone_names
from desk.audit import AuditQuery, AuditRow, actor_key
from desk.models import AUDIT_ACTIONS, MAX_SKILL, ROLES, utcnow
from desk.reports import csv_lines
from desk.rule_check import desk_names, read_rules
from desk.signatures import MAX_SIGNATURE, signature_in
from desk.tickets import InputError
from desk.token_scopes import SCOPES, parse_scopes
from kb.macros import iter_macro_paths
from webapp import single_sign_on, state
from webapp.agent import _admin_required, _page, acting, bp, reader_zone, signature_label
from webapp.agent_password import INVITE, invite_lang, link_maker
from webapp.desk_errors import desk_error
from webapp.paging import Paging, paged
from webapp.theme import current_theme
from webapp.urls import absolute_url
from webapp.workspace_labels import ViewLabels

AUDIT_PAGE = 50


@bp.route("/admin", methods=["GET", "POST"])
@login_required
def admin():
    """Admins add, deactivate, reactivate agents, set roles, reset passwords and two-factor sign-in, create and revoke
    API tokens."""
    _admin_required()
    desk = state.desk()
    accounts = desk.accounts
    token = None
    kept_skill, skill_error = "", ""
    kept_skill_names: dict[int, str] = {}
    # A refused "Add an agent", "Create token" or time zone comes back as typed (never a password) with its error
    # beside the field it names: `typed` the form's values, `refused` which form ("agent", "token" or "zone-<id>"),
    # the field and the error.
    typed: dict[str, object] = {}
    refused: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        if action in ("agent", "token", "time_zone"):
            typed = {key: request.form.get(key, "")[:400] for key in ("email", "name", "role", "expires_days",
                                                                       "time_zone", "setup", "lang")}
            typed["scopes"] = [scope[:40] for scope in request.form.getlist("scopes")]
        try:
            if action == "agent" and request.form.get("setup") == "invite":  # they choose their own password
                lang = invite_lang(request.form.get("lang"))
                invited = accounts.invite_agent(
                    request.form.get("email", ""), request.form.get("name", ""), request.form.get("role", "agent"),
                    lang, link_maker(INVITE, lang), by=acting())
                flash(gettext("Invitation emailed to %(email)s.", email=invited.email), "ok")
            elif action == "agent":
                accounts.create_agent(
                    request.form.get("email", ""), request.form.get("password", ""),
                    name=request.form.get("name", ""), role=request.form.get("role", "agent"), by=acting(),
                )
                flash(gettext("Agent created."), "ok")
            elif action == "token":
                token = accounts.create_token(  # none ticked is refused naming "scopes"; nothing is created
                    request.form.get("name", ""), by=acting(),
                    scopes=[scope[:40] for scope in request.form.getlist("scopes")],
                    expires_days=request.form.get("expires_days", "")[:12],
                )
            elif action == "revoke":
                accounts.revoke_token(request.form.get("token_id", type=int) or 0, by=acting())
                flash(gettext("Token revoked."), "ok")
            elif action in AGENT_ACTIONS:  # one agent's row (its own page posts the same: admin_agent)
                agent_action(action, request.form.get("agent_id", type=int) or 0)
            elif action in ("skill_create", "skill_rename", "skill_delete"):
                kept_skill, kept_skill_names, skill_error = _skill_action(action)
        except InputError as error:
            flash(desk_error(error), "error")
            if action in ("agent", "token", "time_zone"):
                form = action if action != "time_zone" else f"zone-{request.form.get('agent_id', type=int) or 0}"
                refused = {"form": form, "field": error.field, "message": desk_error(error)}
        else:
            typed = {}
    rules = read_rules(desk.settings, desk_names(desk.db))
    return _page("agent/admin.html", typed=typed, refused=refused, agents=accounts.everyone(), tokens=accounts.tokens(),
                 token=token, roles=ROLES,
                 passkey_holders=desk.passkeys.holders(),
                 scopes=SCOPES, scopes_of=parse_scopes, now=utcnow(),
                 labels=ViewLabels(), zones=zone_names(), teams=desk.hours.teams, memberships=desk.teams.memberships(),
                 signature_in=signature_in, signature_limit=MAX_SIGNATURE, signature_label=signature_label,
                 signature_languages=state.settings().languages,
                 skills=desk.skills.all(), agent_skills=desk.skills.of_agents(), skill_limit=MAX_SKILL,
                 kept_skill=kept_skill, kept_skill_names=kept_skill_names, skill_error=skill_error,
                 fallback_minutes=desk.settings.routing_language_fallback_minutes,
                 widget_snippets=widget_snippets(),
                 # The rule files as they are now, whichever process serves the page (each keeps its own refusal,
                 # `rules_problem`): read, never written; this process's refusal shows while the files read well.
                 rules=rules, rules_problems=rules.problems, theme=current_theme(state.settings().content_dir),
                 macro_count=len({path.stem for path in iter_macro_paths(desk.settings.content_dir)}),
                 day_names=get_day_names("abbreviated", locale=get_locale()),
                 working_week=working_week,
                 rules_kept=desk.rules_problem, rules_seconds=desk.settings.rules_check_seconds,
                 sign_in_ways=single_sign_on.sign_in_ways, sso_name=state.settings().oidc_name,
                 mail_on=bool(desk.settings.smtp_url), site_languages=state.settings().languages)


@bp.route("/admin/agents/<int:agent_id>", methods=["GET", "POST"])
@login_required
def admin_agent(agent_id: int) -> WerkzeugResponse | tuple[str, int]:
    """One agent as an admin manages them (Zendesk's and Chatwoot's agent profile for admins): everything the admin
    page's table holds for them, with their email notifications (until now only the agent saw those). Each form
    posts its AGENT_ACTIONS action here, handled as the table's (`agent_action`); a refusal is the page again (400)
    with what was typed and the error beside its field, else back here (303). The GET writes nothing."""
    _admin_required()
    desk = state.desk()
    refused: dict[str, str] = {}
    kept = None
    action = request.form.get("action", "")[:40] if request.method == "POST" else ""
    if action in AGENT_ACTIONS:
        if desk.accounts.agent(agent_id) is None:  # before any write: no agent, nothing to change
            abort(404)
        try:
            agent_action(action, agent_id)
        except InputError as error:
            refused = {"form": action, "field": error.field, "message": desk_error(error)}
            kept = request.form  # what was typed or ticked, shown again (never a password)
        else:
            return redirect(url_for(".admin_agent", agent_id=agent_id), 303)
    who = desk.accounts.agent(agent_id)
    if who is None:
        abort(404)
    return _page("agent/admin_agent.html", who=who, refused=refused, kept=kept, roles=ROLES, labels=ViewLabels(),
                 zones=zone_names(), teams=desk.hours.teams, member=desk.teams.memberships().get(agent_id, []),
                 skills=desk.skills.all(), had_skills=desk.skills.of_agents().get(agent_id, []),
                 passkeys=desk.passkeys.count(agent_id), signature_in=signature_in, signature_limit=MAX_SIGNATURE,
                 signature_label=signature_label, signature_languages=state.settings().languages,
                 sign_in_ways=single_sign_on.sign_in_ways, sso_name=state.settings().oidc_name,
                 ), 400 if refused else 200


# What the admin page's agents table and an agent's own admin page post for one agent (`agent_action`).
AGENT_ACTIONS = ("invite_resend", "invite_revoke", "deactivate", "reactivate", "role", "password", "two_factor_reset",
                 "away", "time_zone", "signature", "languages", "agent_skills", "teams", "notifications", "identity")


def agent_action(action: str, agent_id: int) -> None:
    """One agent's change (`action`, one of AGENT_ACTIONS) as the request's form says it, by the signed-in admin
    (audited by the desk helper), said in a flash; an InputError naming the field, nothing written, otherwise."""
    desk = state.desk()
    accounts = desk.accounts
    form = request.form
    if action == "invite_resend":  # a new link (the one before stops working), in the agent's language
        lang = invite_lang(getattr(accounts.agent(agent_id), "locale", None))
        accounts.resend_invitation(agent_id, lang, link_maker(INVITE, lang), by=acting())
        flash(gettext("Invitation sent again."), "ok")
        return
    if action == "invite_revoke":  # the link stops working and the agent is deactivated
        accounts.revoke_invitation(agent_id, by=acting())
        flash(gettext("Invitation revoked: the agent is deactivated."), "ok")
        return
    if action == "two_factor_reset":  # a lost phone: 2FA off, the agent's sessions ended, audited
        desk.two_factor.reset(agent_id, by=acting())
        flash(gettext("Two-factor sign-in reset: the agent signs in with their password and can enrol again."), "ok")
        return
    if action in ("deactivate", "reactivate", "role", "password"):
        accounts.manage(agent_id, by=acting(), active={"deactivate": False, "reactivate": True}.get(action),
                        role=form.get("role") if action == "role" else None,
                        password=form.get("password", "") if action == "password" else None)
    elif action == "away":  # someone on leave who forgot: audited; only the agent makes themselves available
        accounts.set_availability(agent_id, False, by=acting())
    elif action == "time_zone":  # "" follows the team's zone; an unknown name is refused, nothing written
        accounts.set_time_zone(agent_id, form.get("time_zone", ""))
    elif action == "signature":  # every language's or none (a refused one names its field); not a light agent
        languages = state.settings().languages
        accounts.set_signatures(agent_id, {lang: form.get(f"signature_{lang}", "")[:MAX_SIGNATURE * 4]
                                           for lang in languages}, languages, by=acting())
    elif action == "languages":  # none ticked: every language; one the site lacks is refused, nothing written
        accounts.set_languages(agent_id, form.getlist("languages"), state.settings().languages, by=acting())
    elif action == "agent_skills":  # the ticked skills (desk.skills); one deleted meanwhile refused, nothing written
        desk.skills.set_agent(agent_id, [value[:20] for value in form.getlist("skills")], by=acting())
    elif action == "teams":  # the checked teams; a key the file does not have is refused, nothing written
        desk.teams.set_teams(agent_id, [key[:40] for key in form.getlist("team")], by=acting())
    elif action == "identity":  # a typo in the name or email; one another agent has is refused, nothing written
        accounts.set_identity(agent_id, form.get("email", "")[:400], form.get("name", "")[:400], by=acting())
    elif action == "notifications":  # the agent's "email me when" (desk.agent_notices), audited as the admin's
        accounts.set_notifications(agent_id, form.get("notify_assigned", "")[:20],
                                   form.get("notify_mentioned", "")[:20], by=acting())
    flash(gettext("Agent updated."), "ok")


def _skill_action(action: str) -> tuple[str, dict[int, str], str]:
    """Create, rename or delete a skill (desk.skills, audited), said in a flash. A refusal keeps what was typed: the
    new skill's name with its error beside the field, or the renamed one's in its row (the error flashed). Returns
    what the page keeps: the new name, the renamed names by skill id, the new name's error."""
    skills = state.desk().skills
    name = request.form.get("name", "")[:MAX_SKILL * 4]
    skill_id = request.form.get("skill_id", type=int) or 0
    try:
        if action == "skill_create":
            skills.create(name, by=acting())
            flash(gettext("Skill added: give it to agents below, and require it on tickets with a trigger's "
                          "require_skills or on the ticket page."), "ok")
        elif action == "skill_rename":
            skills.rename(skill_id, name, by=acting())
            flash(gettext("Skill renamed. A trigger naming the old name needs the new one in its file."), "ok")
        else:
            gone = skills.delete(skill_id, by=acting())
            flash(gettext("Skill %(name)s deleted: no agent or ticket has it any more.", name=gone), "ok")
    except InputError as error:
        if action == "skill_create":
            return name, {}, desk_error(error)
        flash(desk_error(error), "error")
        return "", {skill_id: name} if action == "skill_rename" else {}, ""
    return "", {}, ""


def working_week(days: Iterable[int]) -> list[int]:
    """A team's working days (weekday() numbers) in the order its week runs: from the first day after a day off, so
    Sunday to Thursday reads so, not Monday to Thursday then Sunday."""
    chosen = set(days)
    start = next((day for day in range(7) if day in chosen and (day - 1) % 7 not in chosen), 0)
    return [(start + step) % 7 for step in range(7) if (start + step) % 7 in chosen]


def widget_snippets() -> list[str]:
    """The help widget's <script> for the company's site, one per language, with this help center's address (the
    README's "Help widget"); none while KB_WIDGET_ORIGINS is empty (the widget is off)."""
    settings = state.settings()
    if not settings.widget_origins:
        return []
    src = absolute_url(settings, "widget.script")
    return [f'<script src="{src}" data-lang="{lang}" async></script>' for lang in settings.languages]


def _audit_query() -> AuditQuery:
    return AuditQuery.parse(request.args.get("action"), request.args.get("actor"), request.args.get("subject"))


@bp.get("/admin/audit")
@login_required
def audit():
    """Who changed which account, token or team, and failed sign-ins: newest first, filtered by action, actor and
    subject, paged, times in the reader's zone. A filter that is not one is the page again with the error (400)."""
    _admin_required()
    desk = state.desk()
    args = {name: request.args.get(name, "")[:80] for name in ("action", "actor", "subject")}
    names = {agent.id: agent.name for agent in desk.accounts.everyone()}
    context = {"args": args, "actions": AUDIT_ACTIONS, "labels": ViewLabels(), "names": names, "actor_key": actor_key}
    try:
        query = _audit_query()
    except InputError as error:
        return _page("agent/audit.html", events=[], total=0, paging=Paging(1, 1, None), error=desk_error(error),
                     **context), 400
    found, paging = paged(lambda limit, offset: desk.audit.page(query, offset, limit), AUDIT_PAGE)
    return _page("agent/audit.html", events=found.events, total=found.total, paging=paging, error=None, **context)


@bp.get("/admin/audit.csv")
@login_required
def audit_csv() -> Response:
    """Every event the filters find, newest first, streamed as the database hands them over (a year of a busy desk's
    log is not built whole first); times in the reader's zone with their UTC offset."""
    _admin_required()
    try:
        query = _audit_query()
    except InputError as error:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    zone = reader_zone().key
    # No request context kept for the stream, as the reports' downloads: the rows need none.
    return Response(csv_lines(state.desk().audit.rows(query), AuditRow, zone), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="kb-audit.csv"'})
