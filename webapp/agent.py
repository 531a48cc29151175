"""The agents' workspace: login, inbox, and the ticket page with suggestions and a reply draft.

Everything here requires a logged-in agent; managing agents and API tokens requires an admin. What
an agent does with the copilot's output and with macros (shown, inserted, applied, edited, sent,
rejected) is recorded as suggestion events, which is how the team learns whether they help.

GETs never write: what a page view must record ("shown", presence, mentions read) is POSTed by the
page's script (static/agent.js), which also polls for new messages and colleagues on the ticket.
Every interface string goes through gettext; the agent picks the interface language (Agent.locale),
else the browser decides.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale, format_datetime, get_locale, get_timezone, gettext, ngettext
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from rapidfuzz.distance import Levenshtein
from werkzeug.wrappers import Response

from copilot.retrieval import SearchHit
from desk.accounts import PasswordSignInOff, zone_names
from desk.advice import thread_version
from desk.audit import Actor
from desk.customer_fields import values_of as customer_values
from desk.inbox import SORTS, VIEWS, InboxQuery
from desk.mail.attachments import Upload
from desk.models import LEAD_ROLES, PRIORITIES, TICKET_STATUSES, WORKING_ROLES, Agent, Ticket, as_utc, utcnow
from desk.saved_views import FIELD_PREFIX, FILTERABLE, MAX_NAME, SHARERS
from desk.side_conversations import with_history
from desk.signatures import MAX_SIGNATURE, MAX_SIGNATURE_LINES, signature_in, signed_body
from desk.snooze import snooze_time
from desk.tags import clean_tag
from desk.ticket_fields import field_changes, values_of
from desk.tickets import (
    ClosedTicketError,
    CrossedReplyError,
    InputError,
    SentReply,
    parse_due,
    plain_text,
    ticket_number,
)
from desk.time_tracking import MAX_SECONDS, form_seconds, new_form_key
from desk.translatable import N_
from kb.arabic import typed_digits
from kb.bidi_text import without_bidi_controls
from kb.customer_fields import CUSTOMER_PREFIX
from kb.customer_fields import placeholder_values as customer_placeholders
from kb.macros import placeholder_values
from kb.table_text import reply_form
from kb.tag_rule import sought_tag
from kb.ticket_fields import FieldSet, FieldValueError
from webapp import state
from webapp.attachments import request_files, shown_limits
from webapp.audience import requester_audience
from webapp.desk_errors import desk_error
from webapp.formatting import isolate_in_rtl
from webapp.forms import LoginForm
from webapp.help import record, render_article
from webapp.paging import paged
from webapp.roles import works_tickets_required
from webapp.security import (
    LOGIN_LIMIT,
    form_number,
    json_object,
    limiter,
    login_manager,
    safe_next,
)
from webapp.theme import current_theme
from webapp.ticket_advice import page_advice
from webapp.urls import hit_url
from webapp.workspace_labels import ViewLabels

bp = Blueprint("agent", __name__, url_prefix="/agent")
log = logging.getLogger(__name__)

PAGE_SIZE = 25
MAX_REASON = 500
MAX_SHOWN = 20
MAX_QUERY = 200
MAX_BULK = 200
MAX_LIVE_MESSAGES = 20
# The ticket page's timer pauses after this long without a key, click or scroll on the page (Zendesk's Time Tracking
# app pauses on inactivity too): time away from the desk with the tab open is not work on the ticket.
TIMER_IDLE_SECONDS = 300
SAVED_FILTERS = ("view", "status", "lang", "team", "tag", "q", "sort", "columns", "organization", "side_replied",
                 "problems", "incidents_of", "skill")


@dataclass
class AgentUser(UserMixin):
    """The logged-in agent as flask-login sees it: the session keeps the id and the agent's session
    token, which logout and a password change replace (desk.accounts), so old cookies stop working."""

    id: int
    email: str
    name: str
    role: str
    session_token: str = ""
    locale: str | None = None
    time_zone: str | None = None  # the agent's own zone; None: the team's
    two_factor: bool = False  # enrolled in two-factor sign-in (KB_REQUIRE_TWO_FACTOR holds the others at the profile)
    available: bool = False  # "Available" for automatic assignment (the header's toggle), else "Away"
    signatures: Mapping[str, Any] | None = None  # language -> the agent's signature (desk.signatures)
    digest: str | None = None  # the KPI digest by email a lead chose (desk.digests): "daily", "weekly", None: off
    languages: list[str] | None = None  # the languages they answer in (desk.auto_assign; None: every one)
    notify_assigned: bool = True  # mailed when someone else assigns them a ticket (desk.agent_notices)
    notify_mentioned: bool = True  # mailed when a note mentions them

    @classmethod
    def of(cls, agent: Agent, session_token: str) -> AgentUser:
        """The agent row as the logged-in user, with the session token its cookie carries."""
        return cls(agent.id, agent.email, agent.name, agent.role, session_token, agent.locale, agent.time_zone,
                   agent.two_factor, bool(agent.available), agent.signatures, agent.digest, agent.languages,
                   bool(agent.notify_assigned), bool(agent.notify_mentioned))

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_lead(self) -> bool:
        """Leads and admins (desk.models.Agent.is_lead)."""
        return self.role in LEAD_ROLES

    @property
    def works_tickets(self) -> bool:
        """Replies, changes tickets, may be assigned: every role but light (desk.models.Agent.works_tickets)."""
        return self.role in WORKING_ROLES


@login_manager.user_loader
def load_agent(user_id: str) -> AgentUser | None:
    agent_id, _, token = user_id.partition(":")
    agent = state.desk().accounts.agent(int(agent_id)) if agent_id.isdigit() and len(agent_id) < 19 else None
    if agent is None or not agent.active or not agent.session_token or not token:
        return None
    if not hmac.compare_digest(agent.session_token.encode(), token.encode("utf-8", "replace")):
        return None  # logged out or password changed since this cookie was issued
    return AgentUser.of(agent, agent.session_token)


login_manager.login_view = "agent.login"


@bp.before_request
def interface_language() -> None:
    """The agent's chosen interface language (without one, `select_locale` follows the browser) and time zone
    (`select_timezone` shows every time in it): their own, else the default team's, as Zendesk shows an agent
    without one the account's zone (a due field stays in its ticket's team's zone, `reader_zone`)."""
    if current_user.is_authenticated and current_user.locale:
        g.interface_lang = current_user.locale
    if current_user.is_authenticated:
        g.interface_zone = reader_zone().key


# What an agent without two-factor sign-in may reach when KB_REQUIRE_TWO_FACTOR is on: the enrolment and the way out.
ENROLMENT_ENDPOINTS = ("agent.profile", "agent.two_factor", "agent.logout", "agent.login", "agent.login_code",
                       "agent.preferences", "agent.passkey_sign_in_options", "agent.passkey_sign_in",
                       "agent.passkey_register_options", "agent.passkey_register")


@bp.before_app_request
def two_factor_required():
    """KB_REQUIRE_TWO_FACTOR: a signed-in agent with neither an authenticator app nor a passkey is sent to the
    profile's enrolment from every workspace page (/agent/..., the reports, the dashboard) until enrolled (a passkey
    with user verification is two factors by itself, as GitHub counts it). API tokens are not agents' sessions:
    unaffected."""
    if (state.settings().require_two_factor and request.path.startswith("/agent/")
            and request.endpoint not in ENROLMENT_ENDPOINTS
            and current_user.is_authenticated and not current_user.two_factor
            # signed in through the identity provider, which owns multi-factor sign-in (webapp.single_sign_on)
            and not (session.get(single_sign_on.METHOD) == single_sign_on.CLIENT
                     and not state.settings().oidc_two_factor)
            and not state.desk().passkeys.count(current_user.id)):
        flash(gettext("Your team requires two-factor sign-in: turn it on to use the workspace."), "error")
        return redirect(url_for("agent.profile"))
    return None


def reader_zone(team: str | None = None) -> ZoneInfo:
    """The zone the signed-in agent reads and types times in (desk.business_hours.BusinessHours.agent_zone: their own,
    else the team's; UTC without business hours). A due time is shown and typed in it, and the dashboard's and
    reports' days are its days."""
    chosen = current_user.time_zone if current_user.is_authenticated else None
    return state.desk().hours.agent_zone(chosen, team)


def team_name(key: str | None) -> str:
    """A team as the workspace shows it: its name as the business-hours file writes it (the team's own words, not
    translated); no team stored is the default team; a key the file no longer has is shown as unknown, not an
    error (its tickets and memberships outlive it)."""
    hours = state.desk().hours
    team = hours.teams.get(hours.team_key(key))
    return team.name if team is not None else gettext("%(team)s (not in the teams file)", team=key)


def interface_lang() -> str:
    locale = get_locale()
    lang = locale.language if locale is not None else "en"
    return lang if lang in state.settings().languages else state.settings().languages[0]


def _page(template: str, **context: Any) -> str:
    lang = interface_lang()
    return render_template(template, lang=lang, dir="rtl" if lang == "ar" else "ltr",
                           brand=current_theme(state.settings().content_dir).name(lang),
                           agent=current_user, shown_zone=str(get_timezone()), team_name=team_name,
                           **context)


def _admin_required() -> None:
    if not current_user.is_admin:
        abort(403)


def acting() -> Actor:
    """The signed-in agent and the request's IP, as the audit log records who made a change (desk.audit)."""
    return Actor.agent(current_user.id, request.remote_addr)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    form = LoginForm(interface_lang())
    error = None
    if form.validate_on_submit():
        try:
            agent = state.desk().accounts.authenticate(form.email.data, form.password.data, ip=request.remote_addr,
                                                       admins_only=single_sign_on.passwords_for_admins_only())
        except PasswordSignInOff:
            error = gettext("Agents sign in with %(name)s: password sign-in is kept for admins only.",
                            name=state.settings().oidc_name)
            return _page("agent/login.html", form=form, error=error, passkeys_on=state.desk().passkeys.on,
                         **single_sign_on.login_context()), 403
        session.pop(single_sign_on.METHOD, None)
        if agent is not None:
            # Only same-site paths: an open redirect on a login page is a phishing tool.
            return password_signed_in(agent, bool(form.remember.data), safe_next(request.args.get("next")))
        error = gettext("Wrong email or password.")
    return _page("agent/login.html", form=form, error=error, passkeys_on=state.desk().passkeys.on,
                 **single_sign_on.login_context()), (401 if error else 200)


def password_signed_in(agent: Agent, remember: bool, next_path: str | None) -> Response:
    """After a right password (the login form, or one just set through a password link: webapp.agent_password): the
    second step first for an agent with two-factor sign-in or a passkey (webapp.two_factor_pages,
    webapp.passkey_pages), else signed in; then `next_path` or the inbox."""
    if agent.two_factor or state.desk().passkeys.count(agent.id):
        two_factor_pages.start_second_step(agent.id, remember, next_path)
        return redirect(url_for(".login_code"))
    sign_in_session(agent, remember)
    return redirect(next_path or url_for(".inbox"))


def sign_in_session(agent: Agent, remember: bool) -> None:
    """The one way a sign-in completes, once its last step passed (a password alone or one just set through a link,
    the second step, a passkey, single sign-on): the agent's last sign-in stamped (desk.accounts.signed_in: the
    admin's agent page, table and API show it) and the session theirs. Only in a request that writes anyway (a POST,
    the single sign-on callback)."""
    login_user(AgentUser.of(agent, state.desk().accounts.signed_in(agent.id)), remember=remember)


@bp.post("/logout")
@login_required
def logout():
    state.desk().accounts.end_sessions(current_user.id)  # copies of the cookies stop working too
    logout_user()
    return redirect(url_for(".login"))


def _inbox_query() -> InboxQuery:
    lang = request.args.get("lang", "")
    return InboxQuery(
        view=request.args.get("view", "unsolved"),
        status=request.args.get("status") or None,
        lang=lang if lang in state.settings().languages else None,
        team=(request.args.get("team") or "").strip()[:40] or None,  # a key the file lost still finds its tickets
        tag=sought_tag((request.args.get("tag") or "")[:MAX_QUERY]) or None,  # "ＲＥＦＵＮＤ" finds "refund"
        q=(request.args.get("q") or "")[:MAX_QUERY],
        sort=request.args.get("sort", "updated"),
        fields=inbox_field_filters(state.desk().fields, FIELD_PREFIX),
        customer_fields=inbox_field_filters(state.desk().customer_fields, CUSTOMER_PREFIX),
        columns=inbox_columns(),
        # An organization's id; anything else (a hand-edited URL) is ignored, as the other filters' unknown values.
        organization=form_number(request.args.get("organization", "")[:20]),
        side_replied=request.args.get("side_replied") == "1",  # a side conversation's reply nobody read
        problems=request.args.get("problems") == "1",
        # A problem's number ("12", "#12"); anything else is ignored, as the other filters' unknown values.
        incidents_of=typed_ticket(request.args.get("incidents_of", "")),
        # A skill's id (the tickets requiring it); anything else is ignored, one that is no skill's matches nothing.
        skill=form_number(request.args.get("skill", "")[:20]),
    )


def typed_ticket(text: str) -> int | None:
    """A ticket's number typed in a filter or the merge target (`desk.tickets.ticket_number`'s rule, as the problem
    fields read theirs), or None for anything else."""
    try:
        return ticket_number(text, "ticket")
    except InputError:
        return None


def inbox_columns() -> tuple[str, ...]:
    """`column=<key>` (repeated): the custom fields shown as columns, in the file's order, then the customer fields'
    (`column=customer.<key>`) in theirs; a key a file lacks is ignored, as the other filters' unknown values are."""
    wanted = set(request.args.getlist("column")[:100])
    desk = state.desk()
    return (*(field.key for field in desk.fields.fields if field.key in wanted),
            *(CUSTOMER_PREFIX + field.key for field in desk.customer_fields.fields
              if CUSTOMER_PREFIX + field.key in wanted))


def inbox_field_filters(fields: FieldSet, prefix: str) -> tuple[tuple[str, str], ...]:
    """`field.<key>=<value>` of the ticket fields' dropdowns and checkboxes (the inbox's selects), or with `prefix`
    "customer." the customer fields'; as the other filters, a value the field does not have (a hand-edited URL) is
    ignored, not an error."""
    found = []
    for field in fields.fields:
        raw = request.args.get(prefix + field.key, "")
        if field.type not in ("dropdown", "checkbox") or not raw:
            continue
        try:
            value = field.normalise(raw[:MAX_QUERY])
        except FieldValueError:
            continue
        if value is not None:
            found.append((field.key, value))
    return tuple(found)


@bp.get("/")
@login_required
def inbox() -> str:
    """The inbox: a built-in view narrowed by the URL's filters, or (?saved=N) one of the agent's saved views."""
    desk = state.desk()
    saved_views = desk.saved_views.visible(current_user.id)
    saved = None
    if "saved" in request.args:
        number = form_number(request.args.get("saved", ""))
        saved = next((v for v in saved_views if v.id == number), None)
        if saved is None:
            abort(404)
    query = saved.query if saved is not None else _inbox_query()
    zone = reader_zone()  # "due today" ends at the agent's midnight
    # The agent's own tickets with a third party's side conversation reply nobody read (desk.side_conversations).
    side_replies = InboxQuery(view="mine", side_replied=True)
    found, paging = paged(lambda limit, offset: desk.inbox.page(query, current_user.id, limit=limit, offset=offset,
                                                               zone=zone), PAGE_SIZE)
    return _page(
        "agent/inbox.html", rows=found.rows, total=found.total, query=query, saved=saved, saved_views=saved_views,
        saved_counts=desk.inbox.query_counts({v.id: v.query for v in saved_views}, current_user.id, zone=zone),
        side_reply_count=desk.inbox.query_counts({"mine": side_replies}, current_user.id, zone=zone)["mine"],
        may_share=current_user.role in SHARERS, max_name=MAX_NAME,
        counts=desk.inbox.counts(current_user.id, zone=zone), held_count=desk.held_mail.count(),
        views=VIEWS, sorts=SORTS, paging=paging,
        statuses=TICKET_STATUSES, languages=state.settings().languages, agents=desk.accounts.agents(),
        popular_tags=desk.tags.popular(), due_zone=zone.key, teams=desk.hours.teams,
        labels=ViewLabels(), since=utcnow().isoformat(),
        filter_selects=[*((FIELD_PREFIX, "filter-", f, dict(query.fields)) for f in desk.fields.fields
                          if f.type in FILTERABLE),
                        *((CUSTOMER_PREFIX, "customer-filter-", f, dict(query.customer_fields))
                          for f in desk.customer_fields.fields if f.type in FILTERABLE)],
        organizations=desk.organizations.choices(),
        gone_filters=[*((key, value) for key, value in query.fields if desk.fields.get(key) is None),
                      *((CUSTOMER_PREFIX + key, value) for key, value in query.customer_fields
                        if desk.customer_fields.get(key) is None)],
        all_fields=desk.fields.fields, customer_fields=desk.customer_fields.fields, skills=desk.skills.choices(),
        # (key, its field or None once the file lost it, whether a customer field's) for each column shown.
        column_fields=[(key, desk.customer_fields.get(key[len(CUSTOMER_PREFIX):]), True)
                       if key.startswith(CUSTOMER_PREFIX) else (key, desk.fields.get(key), False)
                       for key in query.columns],
        pager_args=dict(saved=saved.id) if saved else dict(
            view=query.view, status=query.status, lang=query.lang, team=query.team, tag=query.tag, q=query.q,
            sort=query.sort, organization=query.organization, column=list(query.columns),
            side_replied="1" if query.side_replied else None, problems="1" if query.problems else None,
            incidents_of=query.incidents_of, skill=query.skill,
            **{f"field.{key}": value for key, value in query.fields},
            **{CUSTOMER_PREFIX + key: value for key, value in query.customer_fields}),
        kept=session.pop("bulk_kept", None) or {"ids": [], "action": "", "value": ""},
    )


@bp.post("/views")
@login_required
def save_view():
    """Save the inbox's filters (the form's hidden fields) as a view named by the agent; a lead or an admin may share
    it with everyone. A refused name or filter is flashed, naming the field, and nothing is saved."""
    filters = {name: request.form.get(name, "")[:MAX_QUERY + 1] for name in SAVED_FILTERS}
    # The custom field filters (`field.<key>`, the inbox's selects): desk.saved_views checks each key and value.
    filters.update({name: value[:MAX_QUERY + 1] for name, value in request.form.items(multi=False)
                    if name.startswith((FIELD_PREFIX, CUSTOMER_PREFIX))})
    try:
        saved = state.desk().saved_views.save(current_user.id, request.form.get("name", "")[:200], filters,
                                              shared=request.form.get("shared") == "on")
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(_back())
    flash(gettext("View “%(name)s” saved.", name=isolate_in_rtl(saved.name)), "ok")
    return redirect(url_for(".inbox", saved=saved.id))


@bp.post("/views/<int:view_id>")
@login_required
def change_view(view_id: int):
    """Rename, delete, share or unshare a saved view (`action`): the owner's own, or a lead's or an admin's for a
    shared one."""
    views, action = state.desk().saved_views, request.form.get("action", "")
    try:
        if action == "rename":
            saved = views.rename(view_id, current_user.id, request.form.get("name", "")[:200])
            flash(gettext("View renamed to “%(name)s”.", name=isolate_in_rtl(saved.name)), "ok")
        elif action in ("share", "unshare"):
            saved = views.share(view_id, current_user.id, action == "share")
            flash(gettext("“%(name)s” is shared with everyone.", name=isolate_in_rtl(saved.name)) if saved.shared
                  else gettext("“%(name)s” is yours alone again.", name=isolate_in_rtl(saved.name)), "ok")
        elif action == "delete":
            deleted = views.delete(view_id, current_user.id)
            flash(gettext("View “%(name)s” deleted.", name=isolate_in_rtl(deleted)), "ok")
            return redirect(url_for(".inbox"))
        else:
            raise InputError("action", N_("choose rename, share, unshare or delete"))
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(_back())
    return redirect(url_for(".inbox", saved=saved.id))


@bp.post("/bulk")
@works_tickets_required
def bulk():
    """Assign, solve, tag, set the due time of, move to a team, snooze or link to a problem the checked tickets: all
    of them change, or (on any error) none."""
    desk = state.desk()
    sent = request.form.getlist("ticket")
    numbers = [form_number(value) for value in sent]
    # A ticket ticked twice (a crafted form) is one; the lowest first: each change holds the rows it checked
    # (`desk.tickets.changeable`), and two bulk actions taking 1, 2 and 2, 1 at once would wait on each other.
    ids = sorted({n for n in numbers if n is not None})
    action, value = request.form.get("action", ""), request.form.get("value", "").strip()
    back = _back()
    if not sent:
        flash(gettext("Select at least one ticket."), "error")
        return redirect(back)
    try:
        # All or none: an id that is no ticket's number was dropped and the others changed, and past MAX_BULK the
        # rest were cut off without a word.
        if None in numbers:
            raise InputError("ticket", N_("%(value)s is not a ticket's number"),
                             value=repr(sent[numbers.index(None)][:40]))
        if len(ids) > MAX_BULK:
            raise InputError("ticket", N_("at most %(max)d tickets at once"), max=MAX_BULK)
        if action == "assign":
            # The field also takes tags and is free text: a name or a tag here was read as "nobody" and every
            # checked ticket was unassigned without a word.
            assignee = current_user.id if value == "me" else form_number(value)
            if assignee is None:
                raise InputError("assignee", N_("%(value)s is not “me” or an agent's number"), value=repr(value[:40]))
            desk.tickets.bulk_update(ids, assignee_id=assignee, agent_id=current_user.id)
        elif action == "solve":
            desk.tickets.bulk_update(ids, status="solved", agent_id=current_user.id)
        elif action == "tag":
            desk.tags.add(ids, [t for t in value.replace(",", " ").split() if t])
        elif action == "due":  # by hand, in the agent's zone, else the default team's (the one "due today" counts in)
            desk.tickets.bulk_set_due(ids, parse_due(value, reader_zone().key), current_user.id)
        elif action == "team":  # a team's key; assignees outside the team are unassigned, as on the ticket page
            desk.tickets.bulk_move_to_team(ids, value, current_user.id)
        elif action == "snooze":  # hour, tomorrow, monday or a date and time, on the agent's clock
            desk.snoozes.snooze(ids, snooze_time(value, reader_zone()), current_user.id)
        elif action == "problem":  # a problem's number ("12" or "#12"): each checked ticket its incident
            desk.problems.link(ids, ticket_number(value, "problem_id"), current_user.id)
        elif action == "spam":  # deleted as spam, each requester blocked (desk.trash)
            desk.trash.delete(ids, acting(), spam=True)
        elif action == "delete":  # a lead's or an admin's, as on the ticket page
            if not current_user.is_lead:
                abort(403)
            desk.trash.delete(ids, acting())
        else:
            raise InputError("action", N_("choose assign, solve, tag, due, team, snooze, problem, spam or delete"))
    except InputError as error:
        flash(desk_error(error), "error")
        # The inbox after the error shows the same tickets checked and the same action and value.
        session["bulk_kept"] = {"ids": ids, "action": action, "value": value[:200]}
        return redirect(back)
    flash(ngettext("%(num)d ticket updated.", "%(num)d tickets updated.", len(ids)), "ok")
    return redirect(back)


@bp.get("/updates")
@login_required
def updates():
    """What changed since the inbox was drawn (polled by the open inbox; reads only)."""
    try:
        since = datetime.fromisoformat(request.args.get("since", ""))
    except ValueError:
        return jsonify({"error": "since: an ISO 8601 time"}), 400
    changed = state.desk().inbox.changed_since(as_utc(since), current_user.id)
    return jsonify({"changed": [{"id": i, "mine": mine} for i, mine in changed], "now": utcnow().isoformat()})


def passage_text(hit: SearchHit) -> str:
    """What "Insert" puts in the reply: the passage as a customer reads it, its tables' rows as list lines and an
    Arabic passage marked to read right (kb.table_text.reply_form), as the draft quotes it."""
    return reply_form(hit.text, hit.lang)


def relevance(hit: SearchHit, passages: list[SearchHit]) -> tuple[int, str]:
    """A bar width (percent of the best passage's score) and a word for it, instead of "0.236".

    Fused scores have no absolute scale (they depend on the query), so the best passage is the
    yardstick. The 0.8 / 0.5 cut-offs are a first choice, not tuned: the "inserted" events by rank
    (suggestion_events.rank) are the data to tune them on once agents have used the workspace.
    """
    best = max((p.score for p in passages), default=0.0) or 1.0
    share = max(0.0, min(1.0, hit.score / best))
    label = gettext("Best match") if share >= 0.999 else (
        gettext("Strong") if share >= 0.8 else gettext("Fair") if share >= 0.5 else gettext("Weak"))
    return round(share * 100), label


def macro_choices(ticket: Ticket, customer_values: Mapping[str, str]) -> list[dict[str, object]]:
    """The ticket language's macros, their placeholders filled for this ticket and agent (`customer_values`: its
    customer's stored field values, shown in the ticket's language as a trigger's reply shows them)."""
    values = placeholder_values(ticket.customer.name or "", ticket.customer.email, ticket.reference, ticket.subject,
                                current_user.name,
                                customer_placeholders(state.desk().customer_fields, customer_values, ticket.lang))
    return [
        # A <datalist> option takes no <bdi>: a title's override would reorder the choice.
        {"key": f"{m.lang}/{m.key}", "title": without_bidi_controls(m.title), "text": m.render(values),
         "status": m.status,
         "add_tags": list(m.add_tags)}
        for m in state.macros(ticket.lang)
    ]


def _ticket_page(found: Ticket, **extra: Any) -> str:
    desk = state.desk()
    shown = page_advice(desk, state.engine(), state.suggester(), found, current_user.name)
    advice = shown.advice
    now = utcnow()
    due = as_utc(found.due_at) if found.due_at is not None else None
    # The due field reads and shows times in the agent's zone, else the ticket's team's (its business hours').
    zone = reader_zone(found.team)
    agents = desk.accounts.agents()
    ticket_team = desk.hours.team_key(found.team)
    # The assignee picker lists the ticket's team's agents first, the others after (as Zendesk's group/assignee
    # picker does): any agent may be assigned.
    in_team = desk.teams.members(ticket_team)
    sides = desk.side_conversations.for_ticket(found.id)  # internal: this page and the token API only
    extra.setdefault("kept_snooze", "")
    extra.setdefault("kept_fields", {})
    extra.setdefault("kept_incident_bodies", {})
    extra.setdefault("kept_problem", "")
    extra.setdefault("problem_error", "")
    incidents = desk.problems.incidents(found.id) if found.kind == "problem" else []
    open_incidents = [i for i in incidents if i.reachable]
    extra.setdefault("field_errors", {})
    extra.setdefault("kept_due", due.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if due is not None else "")
    extra.setdefault("time_error", None)
    extra.setdefault("kept_manual", {})
    # "Add my signature": ticked on a GET; a refused post keeps what the agent chose.
    extra.setdefault("kept_signature", request.method != "POST" or request.form.get("signature") == "yes")
    kept_seconds, kept_minutes = kept_time()
    stored_customer_values = customer_values(desk.db, found.customer_id)
    return _page(
        "agent/ticket.html", ticket=found, history=desk.tickets.history(found.customer_id, exclude=found.id),
        organization=desk.organizations.summary(found.customer_id),
        suggestions=advice.suggestions, draft=advice.draft, problem=advice.problem, passage_link=hit_url,
        passage_text=passage_text,
        relevance=relevance, advice_version=shown.version, advice_stored=shown.stored,
        shown_details=advice.shown_details(), statuses=TICKET_STATUSES, priorities=PRIORITIES,
        agents=agents, macros=macro_choices(found, stored_customer_values), popular_tags=desk.tags.popular(),
        due=due, overdue=due is not None and due < now, labels=ViewLabels(), due_zone=zone.key,
        team_agents=[a for a in agents if a.id in in_team], other_agents=[a for a in agents if a.id not in in_team],
        teams=desk.hours.teams, ticket_team=ticket_team,
        changes=with_history(desk.tickets.changes(found.id), sides), side_conversations=sides,
        mailed_suggestions=desk.mail_suggestions.for_ticket(found.id),
        customer_solves=desk.mail_suggestions.customer_solves(found.id),
        side_files=[a for a in desk.attachments.for_ticket(found.id) if a.path],
        side_max=desk.side_conversations.max_recipients, automation_names={r.name for r in desk.automations.rules},
        agent_names={a.id: a.name or a.email for a in desk.accounts.everyone()},
        links=desk.tickets.follow_up_links(found), snooze_zone=reader_zone().key,  # the agent's clock, not the team's
        file_limits=shown_limits(desk.tickets.file_limits),
        last_message_id=max((m.id for m in found.messages), default=0),
        ticket_fields=desk.fields, field_values=values_of(desk.db, found),
        all_skills=desk.skills.all() if current_user.works_tickets else [],
        ticket_skills=desk.skills.of_ticket(found.id),
        field_changes=field_changes(desk.db, found.id),
        customer_fields=desk.customer_fields, customer_values=stored_customer_values,
        incidents=incidents, open_incidents=open_incidents,
        incident_languages=sorted({i.lang for i in open_incidents}),
        # A light agent works no ticket (webapp.roles): no timer, no time fields, no "Add time"; the entries are listed.
        time_on=state.settings().time_tracking and current_user.works_tickets,
        time=desk.time_entries.of_ticket(found.id), time_key=new_form_key(),
        kept_seconds=kept_seconds, kept_minutes=kept_minutes, may_change_time=may_change_time,
        timer_idle_seconds=TIMER_IDLE_SECONDS,
        my_signature=signature_in(current_user.signatures, found.lang) if current_user.works_tickets else "",
        **extra,
    )


def posted_time() -> int | None:
    """The agent's time a reply, note or update posts (the page's timer's seconds, else the typed minutes), read
    only while KB_TIME_TRACKING is on and from an agent who works tickets (a light agent's note carries none): an
    InputError naming `time_spent` when it is not a time (desk.time_tracking)."""
    if not state.settings().time_tracking or not current_user.works_tickets:  # a light agent's note: no time
        return None
    return form_seconds(request.form.get("time_spent_seconds", "")[:40], request.form.get("time_spent", "")[:40])


def kept_time() -> tuple[int, str]:
    """What a refused post carried of the agent's time, for the page drawn again: the timer's seconds (it goes on
    from them) and the typed minutes (kept in the field). Nothing for a GET."""
    if request.method != "POST":
        return 0, ""
    typed = typed_digits(request.form.get("time_spent_seconds", "")[:40]).strip()
    seconds = int(typed) if typed.isdecimal() and len(typed) <= 6 else 0
    return min(seconds, MAX_SECONDS), request.form.get("time_spent", "")[:20]


def may_change_time(agent_id: int) -> bool:
    """Whether the signed-in agent may edit or delete this agent's time entry (theirs, or they lead; the desk checks
    again)."""
    return agent_id == current_user.id or current_user.is_lead


def _closed_page(ticket_id: int, error: ClosedTicketError, **kept: Any) -> tuple[str, int]:
    """A change posted to a closed ticket (a stale page, a second tab, a script): refused by the desk, nothing written.
    Answered 409 with the ticket page as it is now, the error on it and its "Create follow-up" form (a reply's text
    kept in it: `kept`), never a redirect that reads as done."""
    flash(desk_error(error), "error")
    return _page_again(ticket_id, **kept), 409


def _refused(ticket_id: int, error: InputError, again: bool = False, beside: str = "", missing: tuple[str, ...] = (),
             **kept: Any) -> Response | tuple[str, int]:
    """The one answer of the ticket page's posts to a refusal of the desk (nothing written):
    a closed ticket, `_closed_page` (409, what was typed in `kept`); a refusal naming one of `missing` (the ticket,
    or a thing on it, gone meanwhile), 404; with `beside` (the page's key for a form's error), the error beside its
    field and what was typed (`kept`) in it, 400; with `again` or anything `kept`, the error flashed over the page
    again with what was typed (nothing typed is lost), 400; else (a choice: nothing typed to keep) the error flashed
    on the ticket page, by a redirect."""
    if isinstance(error, ClosedTicketError):
        return _closed_page(ticket_id, error, **kept)
    if error.field in missing:
        abort(404)
    if beside:
        return _page_again(ticket_id, **kept, **{beside: desk_error(error)}), 400
    flash(desk_error(error), "error")
    if again or kept:
        return _page_again(ticket_id, **kept), 400
    return redirect(url_for(".ticket", ticket_id=ticket_id))


def _page_again(ticket_id: int, **extra: Any) -> str:
    """The ticket page again after a refused post, with what the agent typed (`extra`): nothing they wrote is lost."""
    found = state.desk().tickets.get(ticket_id)
    if found is None:
        abort(404)
    return _ticket_page(found, **extra)


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> str:
    """The ticket with its stored advice; writes nothing ("shown" is POSTed by the page's script)."""
    found = state.desk().tickets.get(ticket_id)
    if found is None:
        abort(404)
    return _ticket_page(found)


@bp.post("/tickets/<int:ticket_id>/shown")
@works_tickets_required
def suggestions_shown(ticket_id: int):
    """The page tells what it showed: recorded once per agent and advice version (JSON, CSRF header)."""
    body = json_object("version and details")
    version, details = body.get("version"), body.get("details")
    if not isinstance(version, str) or not version or len(version) > 120 or not isinstance(details, dict):
        return jsonify({"error": "version and details: send what the page showed"}), 400
    if state.desk().tickets.get(ticket_id) is None:
        return jsonify({"error": "no such ticket"}), 404
    shown = details.get("passages") or []
    if not isinstance(shown, list):
        return jsonify({"error": "details.passages: a list of the passages shown"}), 400
    passages = [str(p)[:300] for p in shown[:MAX_SHOWN]]
    clean = {"passages": passages, "query": str(details.get("query") or "")[:600],
             "lang": str(details.get("lang") or "")[:8], "abstained": bool(details.get("abstained")),
             "draft_abstained": bool(details.get("draft_abstained"))}
    recorded = state.desk().events.suggestion_shown(ticket_id, current_user.id, version, clean)
    return jsonify({"ok": True, "recorded": recorded})


@bp.post("/tickets/<int:ticket_id>/presence")
@login_required
def presence(ticket_id: int):
    """The ticket page's poll: "I am here (and typing?)", answered with who else is and what is new.

    The first poll also marks this agent's @mentions on the ticket as read.
    """
    desk = state.desk()
    body = json_object("seen_message_id, replying, first and waiting_for_advice")
    seen = body.get("seen_message_id")
    found = desk.tickets.get(ticket_id)
    if found is None:
        return jsonify({"error": "no such ticket"}), 404
    desk.presence.touch(ticket_id, current_user.id, replying=bool(body.get("replying")))
    if body.get("first"):
        desk.notes.mark_seen(ticket_id, current_user.id)
    others = desk.presence.others(ticket_id, current_user.id)
    new = [m for m in found.messages if isinstance(seen, int) and m.id > seen and m.agent_id != current_user.id]
    stored = desk.advice.get(ticket_id) if body.get("waiting_for_advice") else None
    files = desk.attachments.by_message(ticket_id) if new else {}
    return jsonify({
        # The background pass stored this thread's advice (the full draft) since the page was drawn.
        "advice_ready": stored is not None and thread_version(found) == stored.thread_version,
        "others": [{"name": c.name, "replying": c.replying} for c in others],
        "new_messages": len(new),
        "new_customer_messages": sum(1 for m in new if m.author == "customer"),
        # Shown in the thread as they arrive (the script inserts them as text, never as HTML).
        "messages": [{
            "id": m.id, "author": m.author, "internal": m.internal, "body": signed_body(m.body, m.signature),
            "name": (found.customer.name or found.customer.email) if m.author == "customer"
            else (m.agent.name if m.agent else gettext("Agent")),
            "time": format_datetime(m.created_at, "short"),
            "files": [{"name": a.filename, "url": url_for("attachments.for_agent", attachment_id=a.id)}
                      for a in files.get(m.id, []) if a.path],
        } for m in new[:MAX_LIVE_MESSAGES]],
        "status": found.status,
    })


@bp.post("/tickets/<int:ticket_id>/events")
@works_tickets_required
def suggestion_event(ticket_id: int):
    """Inserted / rejected / applied (a macro), sent by the ticket page's script as the agent acts (JSON, CSRF)."""
    body = json_object("kind (inserted, rejected or applied)")
    kind = body.get("kind")
    if kind not in ("inserted", "rejected", "applied"):
        return jsonify({"error": "kind must be inserted, rejected or applied"}), 400
    reason = str(body.get("reason") or "")[:MAX_REASON]
    if kind == "rejected" and not reason.strip():
        return jsonify({"error": "reason: say why the suggestion does not fit"}), 400
    if state.desk().tickets.get(ticket_id) is None:
        return jsonify({"error": "no such ticket"}), 404
    rank = body.get("rank")
    if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank <= 1000):
        return jsonify({"error": "rank: a whole number from 0 to 1000"}), 400
    article = str(body.get("article") or "")  # "lang/id", as the page has it from search and the draft
    state.desk().events.suggestion(
        ticket_id, kind, agent_id=current_user.id,
        article_key=article[:300] or None, url=str(body.get("url") or "")[:500] or None,
        rank=rank, reason=reason or None,
        details={"what": str(body.get("what") or "passage")[:20]},
    )
    return jsonify({"ok": True})


@bp.post("/tickets/<int:ticket_id>/reply")
@works_tickets_required
def reply(ticket_id: int):
    """Send the reply. If a message arrived since the page was drawn, show it and ask before sending."""
    desk = state.desk()
    text = request.form.get("body", "")
    status = request.form.get("status", "pending")
    seen = request.form.get("seen_message_id", "")
    anyway = request.form.get("send_anyway") == "yes"
    files = request_files()
    if request.form.get("to_incidents") == "yes":
        return _reply_to_incidents(ticket_id, text, status, seen, anyway, files)
    try:
        # Checked before anything is sent: a refused tag after the reply went out read as "not sent" (resent twice).
        tags = [clean_tag(t) for t in request.form.getlist("add_tag") if t.strip()]
        sent = desk.tickets.send_reply(ticket_id, current_user.id, text, status=status,
                                       seen_message_id=None if anyway else form_number(seen),
                                       files=files, tags=tags, fields=_macro_fields(), seconds=posted_time(),
                                       form_key=request.form.get("time_key"), signature=_signing())
    except CrossedReplyError as crossed:
        return _page_again(ticket_id, crossed=crossed.messages, kept_reply=text, kept_status=status,
                           file_error=bool(files), file_error_field="reply"), 409
    except InputError as error:
        # The page again with what the agent typed (a refused file, an empty body): nothing they wrote is lost. A
        # closed ticket (changed since the page was drawn): the page offers the follow-up, the text in it.
        return _refused(ticket_id, error, kept_reply=text, kept_status=status, file_error=bool(files),
                        file_error_field="reply")
    _record_sent(ticket_id, text, sent)
    flash(gettext("Reply sent."), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


def _reply_to_incidents(ticket_id: int, text: str, status: str, seen: str, anyway: bool,
                        files: list[Upload]):  # type: ignore[no-untyped-def]
    """The problem's reply, also sent to each of its incidents in their language and solving them
    (desk.problems.Problems.solve); the page says which were solved, skipped (closed, merged) and failed."""
    desk = state.desk()
    # A box for each language the site has and each its incidents use: one the site no longer has still is one.
    languages = dict.fromkeys([*state.settings().languages, *desk.problems.open_languages(ticket_id)])
    bodies = {lang: request.form.get(f"body_{lang}", "") for lang in languages}
    kept: dict[str, Any] = dict(kept_reply=text, kept_status=status, file_error=bool(files), file_error_field="reply",
                                kept_to_incidents=True, kept_incident_bodies=bodies)
    try:
        report = desk.problems.solve(ticket_id, current_user.id, text, bodies, status=status,
                                     seen_message_id=None if anyway else form_number(seen), files=files,
                                     signature=_signing())
    except CrossedReplyError as crossed:
        return _page_again(ticket_id, crossed=crossed.messages, **kept), 409
    except InputError as error:
        return _refused(ticket_id, error, **kept)
    _record_sent(ticket_id, text, report.sent)
    flash(gettext("Reply sent."), "ok")
    done = len(report.solved) + len(report.already)
    if done:
        flash(ngettext("%(num)d incident answered and solved.", "%(num)d incidents answered and solved.", done), "ok")
    if report.skipped:
        flash(gettext("Skipped (closed or merged): %(tickets)s.",
                      tickets=", ".join(f"#{n}" for n in report.skipped)), "info")
    for number, refusal in report.failed:
        flash(gettext("Incident #%(ticket)d was not answered: %(error)s", ticket=number, error=desk_error(refusal)),
              "error")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/problem")
@login_required
@works_tickets_required
def problem(ticket_id: int):
    """Mark the ticket a problem or not, link it as an incident of the problem typed, or unlink it (`action`). A
    refused link is shown beside its field with what was typed."""
    desk = state.desk()
    action, typed = request.form.get("action", ""), request.form.get("problem_id", "")[:40]
    try:
        if action == "mark":
            desk.problems.mark(ticket_id, current_user.id)
            flash(gettext("Marked as a problem: link its incidents to it."), "ok")
        elif action == "unmark":
            desk.problems.unmark(ticket_id, current_user.id)
            flash(gettext("No longer a problem."), "ok")
        elif action == "link":
            number = ticket_number(typed, "problem_id")
            desk.problems.link([ticket_id], number, current_user.id)
            flash(gettext("Linked as an incident of #%(ticket)d.", ticket=number), "ok")
        elif action == "unlink":
            desk.problems.unlink(ticket_id, current_user.id)
            flash(gettext("Unlinked from its problem."), "ok")
        else:
            raise InputError("action", N_("choose mark, unmark, link or unlink"))
    except InputError as error:
        if error.field == "problem_id":
            return _refused(ticket_id, error, beside="problem_error", kept_problem=typed)
        return _refused(ticket_id, error)
    return redirect(url_for(".ticket", ticket_id=ticket_id))


def _signing() -> bool:
    """The reply box's "Add my signature" ticked (desk.signatures): shown only to an agent with a signature in the
    ticket's language; an unticked box sends nothing."""
    return request.form.get("signature") == "yes"


def _macro_fields() -> dict[str, object] | None:
    """The custom fields the reply's macro sets (its `actions.set_fields`; the form's `macro` is "lang/key", set by
    the page's script when the agent applies one), checked by the desk with the reply: None without a macro."""
    lang, _, key = request.form.get("macro", "")[:200].partition("/")
    if not key or lang not in state.settings().languages:
        return None
    macro = next((m for m in state.macros(lang) if m.key == key), None)
    return dict(macro.set_fields) if macro is not None and macro.set_fields else None


def _record_sent(ticket_id: int, text: str, sent: SentReply) -> None:
    """The copilot's "edited" and "sent" for a reply posted with an inserted draft or macro, on the ticket whose
    advice it was. A second post of the same page (a double click, a resend) sent nothing new: they were recorded by
    the first, and counting them again inflates adoption."""
    inserted = request.form.get("inserted_draft", "")
    if not inserted or sent.resent:
        return
    events = state.desk().events
    what = request.form.get("inserted_what", "draft")[:20]
    macro = request.form.get("macro", "")[:200]
    details = {"what": what, **({"macro": macro} if macro else {})}
    distance = Levenshtein.distance(plain_text(inserted), plain_text(text))
    if distance:
        record(events.suggestion, ticket_id, "edited", agent_id=current_user.id, edit_distance=distance,
               details=details)
    record(events.suggestion, ticket_id, "sent", agent_id=current_user.id, edit_distance=distance,
           details={**details, "citations": request.form.getlist("citation")})


@bp.post("/tickets/<int:ticket_id>/follow-up")
@works_tickets_required
def follow_up(ticket_id: int):
    """A closed ticket's page sends its reply as a follow-up (Zendesk's "create a follow-up"): a new linked ticket,
    the reply its first message, mailed to the customer; the agent is taken to it. The closed ticket is unchanged."""
    desk = state.desk()
    text = request.form.get("body", "")
    status = request.form.get("status", "pending")
    files = request_files()
    try:
        tags = [clean_tag(t) for t in request.form.getlist("add_tag") if t.strip()]
        sent = desk.tickets.agent_follow_up(ticket_id, current_user.id, text, status=status, files=files, tags=tags,
                                            signature=_signing())
    except InputError as error:
        return _refused(ticket_id, error, kept_reply=text, kept_status=status, file_error=bool(files),
                        file_error_field="reply")
    _record_sent(ticket_id, text, sent)
    new_id = sent.message.ticket_id
    flash(gettext("Follow-up #%(ticket)d created and sent to the customer.", ticket=new_id), "ok")
    return redirect(url_for(".ticket", ticket_id=new_id))


@bp.post("/tickets/<int:ticket_id>/note")
@login_required
def note(ticket_id: int):
    desk = state.desk()
    text, files = request.form.get("body", ""), request_files()
    try:
        written = desk.notes.add(ticket_id, current_user.id, text, files=files, seconds=posted_time(),
                                 form_key=request.form.get("time_key"))
    except InputError as error:
        return _refused(ticket_id, error, kept_note=text, file_error=bool(files), file_error_field="note")
    else:
        if written.mentioned:
            flash(gettext("Note added; %(names)s will see it in their inbox.", names=", ".join(written.mentioned)),
                  "ok")
        else:
            flash(gettext("Note added."), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/tags")
@works_tickets_required
def tags(ticket_id: int):
    desk = state.desk()
    try:
        if request.form.get("remove"):
            desk.tags.remove(ticket_id, request.form.get("remove", ""))
        else:
            desk.tags.add([ticket_id], [t for t in request.form.get("tags", "").replace(",", " ").split() if t])
    except InputError as error:
        return _refused(ticket_id, error)
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/ccs")
@works_tickets_required
def ccs(ticket_id: int):
    """Add a CC (`email`) or take one off (`remove`): desk.ccs, in the history and the audit log."""
    desk, by = state.desk(), acting()
    try:
        if "remove" in request.form:
            desk.ccs.remove(ticket_id, request.form.get("remove", ""), by)
            flash(gettext("CC removed."), "ok")
        elif desk.ccs.add(ticket_id, request.form.get("email", ""), by):
            flash(gettext("CC added: every public reply goes to them too."), "ok")
        else:
            flash(gettext("Already copied."), "ok")
    except InputError as error:
        return _refused(ticket_id, error, again=True, missing=("ticket",))
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/merge")
@works_tickets_required
def merge(ticket_id: int):
    """Merge this (duplicate) ticket into the one given; the customer is told once, in the target's language."""
    desk = state.desk()
    target = request.form.get("target", "").strip().lstrip("#")  # as the refusal names it
    number = typed_ticket(target)
    found = desk.tickets.get(number) if number is not None else None
    if found is None:
        flash(gettext("No ticket %(target)s to merge into.", target=target), "error")
        return redirect(url_for(".ticket", ticket_id=ticket_id))
    with force_locale(found.lang):
        notice = gettext("We have merged your request #%(source)d into this conversation, so everything "
                         "is answered in one place.", source=ticket_id)
    try:
        desk.tickets.merge(ticket_id, found.id, current_user.id, notice, over_cap=gettext(
            "CCs of #%(source)s not copied here (a ticket has at most %(limit)s): %(emails)s"))
    except InputError as error:
        return _refused(ticket_id, error)
    flash(gettext("Merged into this ticket."), "ok")
    return redirect(url_for(".ticket", ticket_id=found.id))


@bp.post("/tickets/<int:ticket_id>/update")
@works_tickets_required
def update(ticket_id: int):
    assignee = request.form.get("assignee", "")
    number = form_number(assignee)
    desk = state.desk()
    try:
        if assignee.isdecimal() and number is None:  # digits, but past any agent's id: named as the desk names one
            raise InputError("assignee", N_("no agent %(agent)s"), agent=assignee[:40])
        assigned = desk.tickets.update(
            ticket_id,
            status=request.form.get("status") or None,
            priority=request.form.get("priority") or None,
            assignee_id=number if number is not None else (None if assignee == "none" else -1),
            agent_id=current_user.id,
            seconds=posted_time(),
            form_key=request.form.get("time_key"),
        )
    except InputError as error:  # the page again with the time kept (a redirect would lose it)
        return _refused(ticket_id, error, again=error.field == "time_spent" or bool(
            request.form.get("time_spent_seconds") or request.form.get("time_spent")))
    found = desk.tickets.get(ticket_id) if assigned and number is not None else None
    if found is not None and found.assignee is not None:
        team = desk.hours.team_key(found.team)
        if number not in desk.teams.members(team):  # allowed, as Zendesk allows it; said, so it is not a slip
            flash(gettext("%(agent)s is not in %(team)s; the ticket stays in that team and is assigned to them.",
                          agent=found.assignee.name or found.assignee.email, team=team_name(team)), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/skills")
@works_tickets_required
def ticket_skills(ticket_id: int):
    """The skills the ticket requires (the ticked ones; desk.skills): automatic assignment hands it only to a member
    with all of them until the routing fallback. In the ticket's history; a skill deleted meanwhile refused naming
    `skills`, nothing written."""
    try:
        changed = state.desk().skills.set_ticket(ticket_id, [v[:20] for v in request.form.getlist("skills")[:200]],
                                                 current_user.id)
    except InputError as error:
        return _refused(ticket_id, error, again=True, missing=("ticket",))
    flash(gettext("Required skills saved.") if changed else gettext("No change."), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/due")
@works_tickets_required
def due(ticket_id: int):
    """Set the due time by hand, or clear it back to the business-hours one. A bad value is shown again
    with its error, and nothing is written."""
    desk = state.desk()
    typed = request.form.get("due", "")[:100]
    try:
        if request.form.get("action") == "clear":
            desk.tickets.set_due(ticket_id, None, current_user.id)
            flash(gettext("Due time cleared: it follows priority and business hours again."), "ok")
        else:
            when = parse_due(typed, request.form.get("due_zone", ""))
            desk.tickets.set_due(ticket_id, when, current_user.id)
            # Allowed (Zendesk keeps a past due date too): the ticket is overdue at once, which may be the point.
            flash(gettext("Due time set. It is in the past, so the ticket shows as overdue.") if when < utcnow()
                  else gettext("Due time set."), "ok")
    except InputError as error:
        return _refused(ticket_id, error, beside="due_error", kept_due=typed)
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/snooze")
@works_tickets_required
def snooze(ticket_id: int):
    """Snooze the ticket until a preset (in 1 hour, tomorrow 09:00, next Monday 09:00 on the agent's clock) or a date
    and time typed in the agent's zone; or (action "unsnooze") bring it back now. A refused time is shown again with
    its error, and nothing is written."""
    desk = state.desk()
    if desk.tickets.get(ticket_id) is None:
        abort(404)
    preset, typed = request.form.get("until", ""), request.form.get("at", "")[:100]
    try:
        if request.form.get("action") == "unsnooze":
            desk.snoozes.unsnooze(ticket_id, current_user.id)
            flash(gettext("The ticket is back in the inbox."), "ok")
            return redirect(url_for(".ticket", ticket_id=ticket_id))
        until = snooze_time(typed if preset == "at" else preset, reader_zone())
        desk.snoozes.snooze([ticket_id], until, current_user.id)
    except InputError as error:
        return _refused(ticket_id, error, beside="snooze_error", kept_snooze=typed)
    flash(gettext("Snoozed until %(time)s.", time=format_datetime(until, "short")), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/team")
@works_tickets_required
def team(ticket_id: int):
    """Move the ticket to another team (recorded in its history): the due time is counted in the new team's hours
    unless set by hand, and an assignee who is not in the team is unassigned. A team the file lacks is refused."""
    desk = state.desk()
    key = request.form.get("team", "")[:40]
    try:
        unassigned = desk.tickets.move_to_team(ticket_id, key, current_user.id)
    except InputError as error:
        return _refused(ticket_id, error)
    flash(gettext("Moved to %(team)s; the assignee is not in it, so the ticket is unassigned.", team=team_name(key))
          if unassigned else gettext("Moved to %(team)s.", team=team_name(key)), "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.get("/articles/<lang>/<path:article_id>")
@login_required
def article(lang: str, article_id: str) -> str:
    """Any article, internal ones included, for agents following a suggestion's link."""
    catalog = state.catalog()
    found = catalog.get(lang, article_id, requester_audience())  # login_required: the agent audience
    if found is None:
        abort(404)
    rendered = render_article(found, "agent.article")
    return _page("agent/article.html", article=found, rendered=rendered)


@bp.post("/preferences")
@login_required
def preferences():
    """The agent's interface language ("" follows the browser)."""
    locale = request.form.get("locale", "")
    state.desk().accounts.set_locale(current_user.id, locale if locale in state.settings().languages else None)
    return redirect(_back())


def _back() -> str:
    """Where a form posted from a workspace page goes after: its "back" when that is a workspace path
    (`safe_next`: a line break in it was a 500 from the redirect's header), else the inbox."""
    back = safe_next(request.form.get("back", ""))
    return back if back is not None and back.startswith("/agent/") else url_for(".inbox")


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The agent's own time zone (Zendesk's and Chatwoot's profile setting): every time in the workspace is shown,
    and a due time typed, in it; empty follows the team's zone. A name zoneinfo does not know is refused, by field,
    with nothing written; a GET only shows the form."""
    if request.method == "POST" and request.form.get("part") == "signature":
        return _save_signatures()
    if request.method == "POST" and request.form.get("part") == "digest":
        return _save_digest()
    if request.method == "POST" and request.form.get("part") == "languages":
        return _save_languages()
    if request.method == "POST" and request.form.get("part") == "notifications":
        return _save_notifications()
    if request.method == "POST":
        try:
            state.desk().accounts.set_time_zone(current_user.id, request.form.get("time_zone", "")[:100])
        except InputError as error:  # the error quotes what was sent; the select shows the zone still kept
            return profile_page(zone_error=desk_error(error)), 400
        flash(gettext("Time zone saved."), "ok")
        return redirect(url_for(".profile"))
    return profile_page()


def _save_signatures():  # type: ignore[no-untyped-def]
    """The agent's signature per site language (desk.signatures; "part" is "signature"): all kept, or none when one is
    refused (by its field, what was typed kept in the boxes, 400). A light agent has no signature (no box): 403, as
    their other public-reply posts (webapp.roles)."""
    if not current_user.works_tickets:
        abort(403)
    languages = state.settings().languages
    typed = {lang: request.form.get(f"signature_{lang}", "")[:MAX_SIGNATURE * 4] for lang in languages}
    try:
        state.desk().accounts.set_signatures(current_user.id, typed, languages, by=acting())
    except InputError as error:
        return profile_page(signature_error=error.field, signature_message=desk_error(error),
                            kept_signatures=typed), 400
    flash(gettext("Signature saved."), "ok")
    return redirect(url_for(".profile"))


def _save_digest():  # type: ignore[no-untyped-def]
    """A lead's or admin's "Email me a summary" (desk.digests; "part" is "digest"): off, daily or weekly. Anything else
    is refused by its field with nothing written (400, the choice sent kept); an agent below lead is never offered
    it: 403."""
    if not current_user.is_lead:
        abort(403)
    typed = request.form.get("digest", "")[:20]
    try:
        state.desk().digests.choose(current_user.id, typed)
    except InputError as error:
        return profile_page(digest_error=desk_error(error), digest_chosen=typed), 400
    flash(gettext("Summary by email saved."), "ok")
    return redirect(url_for(".profile", _anchor="digest"))


def _save_languages():  # type: ignore[no-untyped-def]
    """The languages the agent answers customers in ("part" is "languages"; none ticked: every one): a value the site
    does not have is refused naming the field, what was ticked kept, nothing written (400). A light agent is never
    assigned a ticket (no form): 403."""
    if not current_user.works_tickets:
        abort(403)
    ticked = request.form.getlist("languages")  # every value checked (desk.accounts.set_languages)
    try:
        state.desk().accounts.set_languages(current_user.id, ticked, state.settings().languages, acting())
    except InputError as error:
        return profile_page(languages_error=desk_error(error), kept_languages=ticked), 400
    flash(gettext("Languages saved."), "ok")
    return redirect(url_for(".profile"))


def _save_notifications():  # type: ignore[no-untyped-def]
    """The agent's "Email me when" checkboxes (desk.agent_notices; "part" is "notifications"): a ticket assigned to me
    by someone else (not offered to a light agent, who is never assigned one), a note mentioning me. Only the agent
    changes their own. A value other than a checkbox's is refused by its field, what was ticked kept, nothing written
    (400)."""
    typed = {field: request.form.get(field, "")[:20] for field in ("notify_assigned", "notify_mentioned")}
    try:
        state.desk().accounts.set_notifications(current_user.id, typed["notify_assigned"], typed["notify_mentioned"],
                                                acting())
    except InputError as error:
        return profile_page(notify_error=error.field, notify_message=desk_error(error),
                            notify_kept={field: value == "1" for field, value in typed.items()}), 400
    flash(gettext("Email notifications saved."), "ok")
    return redirect(url_for(".profile", _anchor="notifications"))


def signature_label(lang: str) -> str:
    """The signature box's label in `lang` (the profile's, the admin page's)."""
    if lang == "en":
        return gettext("Signature in English")
    if lang == "ar":
        return gettext("Signature in Arabic")
    return gettext("Signature in %(lang)s", lang=lang)


def profile_page(**extra: Any) -> str:
    """The profile: the time zone form, the signatures (an agent who works tickets), the summary by email (a lead or
    an admin) and two-factor sign-in (webapp.two_factor_pages.profile_context)."""
    chosen, desk = current_user.time_zone or "", state.desk()
    context = {"zones": zone_names(), "chosen": chosen, "team_zone": desk.hours.team().zone.key, "zone_error": None,
               "signature_languages": state.settings().languages, "signature_error": None, "signature_message": None,
               "kept_signatures": {lang: signature_in(current_user.signatures, lang)
                                   for lang in state.settings().languages},
               "signature_limit": MAX_SIGNATURE, "signature_lines": MAX_SIGNATURE_LINES,
               "signature_label": signature_label,
               "site_languages": state.settings().languages, "languages_error": None,
               "kept_languages": current_user.languages or [],
               "two_factor_error": None, "recovery_codes": None, "passkey_error": None,
               "digest_chosen": current_user.digest or "off", "digest_error": None,
               "notify_error": None, "notify_message": None,
               "notify_kept": {"notify_assigned": current_user.notify_assigned,
                               "notify_mentioned": current_user.notify_mentioned},
               "digest_zone": desk.digests.zone(current_user.time_zone),
               **single_sign_on.profile_context(current_user.role),
               **two_factor_pages.profile_context(current_user.id, current_user.email),
               **passkey_pages.profile_context(current_user.id)}
    context.update(extra)
    return _page("agent/profile.html", **context)


@bp.route("/availability", methods=["POST"])
@works_tickets_required
def availability():
    """The agent's own "Available" / "Away" (the header's toggle, also on the profile; Chatwoot's online/busy, Zendesk's
    agent status): only an available agent of a team with an `assignment:` rule is handed new tickets
    (desk.auto_assign).
    Not audited (not an account change). `available` is "1" or "0"; anything else is refused naming the field."""
    value = request.form.get("available", "")
    desk = state.desk()
    try:
        if value not in ("0", "1"):
            raise InputError("available", N_("must be 1 (available) or 0 (away)"))
        desk.accounts.set_availability(current_user.id, value == "1", acting())
    except InputError as error:
        flash(desk_error(error), "error")
        return redirect(_back()), 303
    flash(gettext("You are available: new tickets of your teams may be assigned to you.") if value == "1"
          else gettext("You are away: no ticket is assigned to you automatically."), "ok")
    return redirect(_back()), 303


# Registered on `bp` by importing them: the admin pages and the customer's profile live in their own modules.
from webapp import (  # noqa: E402,F401
    agent_admin,
    agent_password,
    customer_pages,
    organization_pages,
    passkey_pages,
    side_conversation_pages,
    single_sign_on,
    tag_pages,
    team_status_pages,
    ticket_field_pages,
    time_pages,
    trash_pages,
    two_factor_pages,
    webhook_pages,
)
