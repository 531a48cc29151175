"""The admin's outbound webhooks page (/agent/admin/webhooks, linked from the admin page): add an endpoint (its secret
shown once), edit its URL, events and description, turn it on or off, rotate its secret, send a test event, delete
it, and each one's recent deliveries (`?state=` pending, delivered or failed), any of which can be sent again.
Admins only; every change audited by desk.webhooks with the actor passed in."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext
from flask_login import login_required

from desk.models import WEBHOOK_EVENTS, WEBHOOK_STATES
from desk.tickets import InputError
from desk.translatable import N_
from webapp import state
from webapp.agent import _admin_required, _page, acting, bp
from webapp.desk_errors import desk_error
from webapp.workspace_labels import ViewLabels

RECENT = 20  # deliveries shown per endpoint


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@login_required
def webhooks():
    _admin_required()
    hooks = state.desk().webhooks
    secret = None
    typed: dict[str, object] = {}
    if request.method == "POST":
        action = request.form.get("action")
        endpoint_id = request.form.get("webhook_id", type=int) or 0
        try:
            if action == "create":
                typed = {"name": request.form.get("name", ""), "url": request.form.get("url", ""),
                         "events": request.form.getlist("events"),
                         "description": request.form.get("description", "")}
                _, secret = hooks.create(request.form.get("name", ""), request.form.get("url", ""),
                                         request.form.getlist("events"), by=acting(),
                                         description=request.form.get("description", ""))
                typed = {}
                flash(gettext("Webhook created."), "ok")
            elif action == "edit":
                hooks.update(endpoint_id, by=acting(), url=request.form.get("url", ""),
                             events=request.form.getlist("events"),
                             description=request.form.get("description", ""))
                flash(gettext("Webhook updated."), "ok")
            elif action == "replay":
                hooks.replay(request.form.get("delivery_id", type=int) or 0, by=acting())
                flash(gettext("Event queued again: the worker sends it within seconds."), "ok")
            elif action == "rotate":
                secret = hooks.rotate(endpoint_id, by=acting())
                flash(gettext("Secret rotated: the old one signs nothing from now on."), "ok")
            elif action in ("on", "off"):
                hooks.set_active(endpoint_id, action == "on", by=acting())
                flash(gettext("Webhook updated."), "ok")
            elif action == "test":
                hooks.send_test(endpoint_id)
                flash(gettext("Test event queued: the worker sends it within seconds."), "ok")
            elif action == "delete":
                hooks.delete(endpoint_id, by=acting())
                flash(gettext("Webhook deleted."), "ok")
        except InputError as error:
            flash(desk_error(error), "error")
    endpoints = hooks.endpoints()
    shown = request.args.get("state") or None
    problem = None
    if shown not in (None, *WEBHOOK_STATES):  # said on the page (a GET writes nothing, not even a flash)
        problem = desk_error(InputError("state", N_("unknown delivery state %(state)s"), state=str(shown)[:40]))
        shown = None
    return _page("agent/webhooks.html", endpoints=endpoints, secret=secret, typed=typed, events=WEBHOOK_EVENTS,
                 deliveries={e.id: hooks.deliveries(e.id, RECENT, shown) for e in endpoints}, labels=ViewLabels(),
                 states=WEBHOOK_STATES, shown=shown, problem=problem)
