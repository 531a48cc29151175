"""The agents' workspace: login, inbox, and the ticket page with suggestions and a reply draft.

Everything here requires a logged-in agent; creating agents and API tokens requires an admin. What
an agent does with the copilot's output (shown, inserted, edited, sent, rejected) is recorded as
suggestion events, which is how the team learns whether the suggestions help.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from rapidfuzz.distance import Levenshtein

from copilot.drafts import Draft
from copilot.suggestions import Suggestions, TicketTextError
from desk.models import TICKET_STATUSES, Ticket
from desk.tickets import InputError, plain_text
from webapp import state
from webapp.audience import requester_audience
from webapp.forms import LoginForm
from webapp.help import record, render_article
from webapp.security import LOGIN_LIMIT, limiter, login_manager, safe_next
from webapp.texts import labels
from webapp.urls import hit_url, public_link

bp = Blueprint("agent", __name__, url_prefix="/agent")
log = logging.getLogger(__name__)

PAGE_SIZE = 25
MAX_REASON = 500


@dataclass
class AgentUser(UserMixin):
    """The logged-in agent as flask-login sees it: the session keeps the id and the agent's session
    token, which logout and a password change replace (desk.accounts), so old cookies stop working."""

    id: int
    email: str
    name: str
    role: str
    session_token: str = ""

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@login_manager.user_loader
def load_agent(user_id: str) -> AgentUser | None:
    agent_id, _, token = user_id.partition(":")
    agent = state.desk().accounts.agent(int(agent_id)) if agent_id.isdigit() and len(agent_id) < 19 else None
    if agent is None or not agent.active or not agent.session_token or not token:
        return None
    if not hmac.compare_digest(agent.session_token.encode(), token.encode("utf-8", "replace")):
        return None  # logged out or password changed since this cookie was issued
    return AgentUser(agent.id, agent.email, agent.name, agent.role, agent.session_token)


login_manager.login_view = "agent.login"


def _page(template: str, **context: Any) -> str:
    return render_template(template, lang="en", dir="ltr", t=labels("en"), agent=current_user, **context)


def _admin_required() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    form = LoginForm("en")
    error = None
    if form.validate_on_submit():
        agent = state.desk().accounts.authenticate(form.email.data, form.password.data)
        if agent is not None:
            token = state.desk().accounts.session_token(agent.id)
            login_user(AgentUser(agent.id, agent.email, agent.name, agent.role, token),
                       remember=bool(form.remember.data))
            # Only same-site paths: an open redirect on a login page is a phishing tool.
            return redirect(safe_next(request.args.get("next")) or url_for(".inbox"))
        error = "Wrong email or password."
    return _page("agent/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    state.desk().accounts.end_sessions(current_user.id)  # copies of the cookies stop working too
    logout_user()
    return redirect(url_for(".login"))


@bp.get("/")
@login_required
def inbox() -> str:
    status = request.args.get("status", "open")
    status = status if status in (*TICKET_STATUSES, "all") else "open"
    lang = request.args.get("lang", "")
    lang = lang if lang in state.settings().languages else ""
    assignee = request.args.get("assignee", "all")
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    tickets, total = state.desk().tickets.inbox(
        status=None if status == "all" else status,
        lang=lang or None,
        assignee_id=current_user.id if assignee == "me" else None,
        unassigned=assignee == "unassigned",
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    return _page(
        "agent/inbox.html", tickets=tickets, total=total, status=status, lang_filter=lang, assignee=assignee,
        page_number=page_number, pages=max(1, -(-total // PAGE_SIZE)), statuses=TICKET_STATUSES,
        languages=state.settings().languages,
    )


def customer_messages(ticket: Ticket) -> list[str]:
    return [m.body for m in ticket.messages if m.author == "customer"]


def suggestions_for(ticket: Ticket) -> tuple[Suggestions | None, Draft | None, str | None]:
    engine = state.engine()
    try:
        found = state.suggester().suggest(ticket.subject, customer_messages(ticket), lang=ticket.lang)
    except TicketTextError as error:
        return None, None, str(error)
    name = ticket.customer.name.split()[0] if ticket.customer.name else ""
    draft = engine.drafter.draft(ticket.lang, name, found.passages, found.abstained, link=public_link(state.settings()))
    return found, draft, None


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> str:
    desk = state.desk()
    found = desk.tickets.get(ticket_id)
    if found is None:
        abort(404)
    suggestions, draft, problem = suggestions_for(found)
    if suggestions is not None:
        record(
            desk.events.suggestion, found.id, "shown", agent_id=current_user.id,
            details={"passages": [f"{h.lang}/{h.id}#{h.anchor}" for h in suggestions.passages],
                     "query": suggestions.query, "lang": suggestions.lang,
                     "abstained": suggestions.abstained, "draft_abstained": bool(draft and draft.abstained)},
        )
        if draft is not None and draft.abstained:
            record(desk.events.content_gap, suggestions.query, found.lang, ticket_id=found.id)
    return _page(
        "agent/ticket.html", ticket=found, history=desk.tickets.history(found.customer_id, exclude=found.id),
        suggestions=suggestions, draft=draft, problem=problem, passage_link=hit_url,
        statuses=TICKET_STATUSES, agents=desk.accounts.agents(),
    )


@bp.post("/tickets/<int:ticket_id>/events")
@login_required
def suggestion_event(ticket_id: int):
    """Inserted / rejected, sent by the ticket page's script as the agent acts (JSON, CSRF header)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "send a JSON object with kind (inserted or rejected)"}), 400
    kind = body.get("kind")
    if kind not in ("inserted", "rejected"):
        return jsonify({"error": "kind must be inserted or rejected"}), 400
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
@login_required
def reply(ticket_id: int):
    desk = state.desk()
    text = request.form.get("body", "")
    status = request.form.get("status", "pending")
    inserted = request.form.get("inserted_draft", "")
    try:
        desk.tickets.reply(ticket_id, current_user.id, text, status=status)
    except InputError as error:
        flash(str(error), "error")
        return redirect(url_for(".ticket", ticket_id=ticket_id))
    if inserted:
        distance = Levenshtein.distance(plain_text(inserted), plain_text(text))
        if distance:
            record(desk.events.suggestion, ticket_id, "edited", agent_id=current_user.id, edit_distance=distance)
        record(desk.events.suggestion, ticket_id, "sent", agent_id=current_user.id, edit_distance=distance,
               details={"citations": request.form.getlist("citation")})
    flash("Reply sent.", "ok")
    return redirect(url_for(".ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/update")
@login_required
def update(ticket_id: int):
    assignee = request.form.get("assignee", "")
    try:
        state.desk().tickets.update(
            ticket_id,
            status=request.form.get("status") or None,
            priority=request.form.get("priority") or None,
            assignee_id=int(assignee) if assignee.isdigit() else (None if assignee == "none" else -1),
        )
    except InputError as error:
        flash(str(error), "error")
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


@bp.route("/admin", methods=["GET", "POST"])
@login_required
def admin():
    """Admins add agents and API tokens here (or with `kb agents create` / `kb tokens create`)."""
    _admin_required()
    accounts = state.desk().accounts
    token = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "agent":
                accounts.create_agent(
                    request.form.get("email", ""), request.form.get("password", ""),
                    name=request.form.get("name", ""), role=request.form.get("role", "agent"),
                )
                flash("Agent created.", "ok")
            elif request.form.get("action") == "token":
                token = accounts.create_token(request.form.get("name", ""))
        except InputError as error:
            flash(str(error), "error")
    return _page("agent/admin.html", agents=accounts.agents(), token=token)
