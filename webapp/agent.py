"""The agents' workspace: login, inbox, and the ticket page with suggestions and a reply draft.

Everything here requires a logged-in agent; creating agents and API tokens requires an admin. What
an agent does with the copilot's output (shown, inserted, edited, sent, rejected) is recorded as
suggestion events, which is how the team learns whether the suggestions help.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from rapidfuzz.distance import Levenshtein

from copilot.retrieval import SearchHit
from desk.models import TICKET_STATUSES
from desk.tickets import InputError, plain_text
from webapp import state
from webapp.forms import LoginForm
from webapp.help import record, render_article
from webapp.security import LOGIN_LIMIT, limiter, login_manager
from webapp.texts import labels
from webapp.ticket_advice import page_advice

bp = Blueprint("agent", __name__, url_prefix="/agent")
log = logging.getLogger(__name__)

PAGE_SIZE = 25
ARTICLE_URL = re.compile(r"/([a-z]{2})/articles/([^/?#]+)")
MAX_REASON = 500
MAX_SHOWN = 20


@dataclass
class AgentUser(UserMixin):
    """The logged-in agent as flask-login sees it: only the id is kept in the session."""

    id: int
    email: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@login_manager.user_loader
def load_agent(agent_id: str) -> AgentUser | None:
    agent = state.desk().accounts.agent(int(agent_id)) if agent_id.isdigit() else None
    if agent is None or not agent.active:
        return None
    return AgentUser(agent.id, agent.email, agent.name, agent.role)


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
            login_user(AgentUser(agent.id, agent.email, agent.name, agent.role), remember=bool(form.remember.data))
            target = request.args.get("next", "")
            # Only local paths: an open redirect on a login page is a phishing tool.
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for(".inbox"))
        error = "Wrong email or password."
    return _page("agent/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
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


def article_key(url: str) -> str:
    """"lang/id" of a help center article URL (a draft's citation), "" for anything else."""
    found = ARTICLE_URL.search(url)
    return f"{found.group(1)}/{found.group(2)}" if found else ""


def passage_link(hit: SearchHit) -> str:
    """Public sections link to the help center; internal ones to the agents-only article view."""
    if not hit.internal:
        return hit.url
    return url_for(".article", lang=hit.lang, article_id=hit.id, _anchor=hit.anchor or None)


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> str:
    """The ticket with its stored advice; writes nothing ("shown" is POSTed by the page's script)."""
    desk = state.desk()
    found = desk.tickets.get(ticket_id)
    if found is None:
        abort(404)
    shown = page_advice(desk, state.engine(), state.suggester(), found)
    advice = shown.advice
    return _page(
        "agent/ticket.html", ticket=found, history=desk.tickets.history(found.customer_id, exclude=found.id),
        suggestions=advice.suggestions, draft=advice.draft, problem=advice.problem, passage_link=passage_link,
        advice_version=shown.version, advice_stored=shown.stored, shown_details=advice.shown_details(),
        statuses=TICKET_STATUSES, agents=desk.accounts.agents(),
    )


@bp.post("/tickets/<int:ticket_id>/shown")
@login_required
def suggestions_shown(ticket_id: int):
    """The page tells what it showed: recorded once per agent and advice version (JSON, CSRF header)."""
    body = request.get_json(silent=True) or {}
    version, details = body.get("version"), body.get("details")
    if not isinstance(version, str) or not version or len(version) > 120 or not isinstance(details, dict):
        return jsonify({"error": "version and details: send what the page showed"}), 400
    if state.desk().tickets.get(ticket_id) is None:
        return jsonify({"error": "no such ticket"}), 404
    passages = [str(p)[:300] for p in details.get("passages", [])[:MAX_SHOWN]]
    clean = {"passages": passages, "query": str(details.get("query") or "")[:600],
             "lang": str(details.get("lang") or "")[:8], "abstained": bool(details.get("abstained")),
             "draft_abstained": bool(details.get("draft_abstained"))}
    recorded = state.desk().events.suggestion_shown(ticket_id, current_user.id, version, clean)
    return jsonify({"ok": True, "recorded": recorded})


@bp.post("/tickets/<int:ticket_id>/events")
@login_required
def suggestion_event(ticket_id: int):
    """Inserted / rejected, sent by the ticket page's script as the agent acts (JSON, CSRF header)."""
    body = request.get_json(silent=True) or {}
    kind = body.get("kind")
    if kind not in ("inserted", "rejected"):
        return jsonify({"error": "kind must be inserted or rejected"}), 400
    reason = str(body.get("reason") or "")[:MAX_REASON]
    if kind == "rejected" and not reason.strip():
        return jsonify({"error": "reason: say why the suggestion does not fit"}), 400
    if state.desk().tickets.get(ticket_id) is None:
        return jsonify({"error": "no such ticket"}), 404
    rank = body.get("rank")
    article = str(body.get("article") or "") or article_key(str(body.get("url") or ""))
    state.desk().events.suggestion(
        ticket_id, kind, agent_id=current_user.id,
        article_key=article[:300] or None, url=str(body.get("url") or "")[:500] or None,
        rank=rank if isinstance(rank, int) else None, reason=reason or None,
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


@bp.get("/articles/<lang>/<article_id>")
@login_required
def article(lang: str, article_id: str) -> str:
    """Any article, internal ones included, for agents following a suggestion's link."""
    catalog = state.catalog()
    found = catalog.get(lang, article_id, audience="agent")
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
