"""Issue #12: who may call what, for every route the app has (generated from `app.url_map`).

Each route and method has one access rule below; a route added without a rule fails
`test_every_route_has_an_access_rule`, so nobody ships an endpoint whose guard was never decided.
Every rule is then tried as anonymous, agent, light agent, admin, a valid / bad / revoked API token, and an
agent whose form lacks the CSRF token, against the real app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Cookie, TestResponse

from copilot.engine import Engine
from desk.tickets import NewTicket
from tests.webapp.light_app import PASSWORD, csrf, login
from webapp import create_app

PUBLIC, AGENT, ADMIN, TOKEN, TOKEN_OR_AGENT, SIGNED = "public", "agent", "admin", "token", "token_or_agent", "signed"
# Agents who work tickets: every role but light (webapp.roles.works_tickets_required). A light agent (Zendesk's) reads
# tickets, customers and side conversations, searches, adds internal notes, keeps their own profile and saved views
# (AGENT); answering, changing a ticket or a customer, held mail and side conversations' posts are WORKER (their 403).
WORKER = "worker"
# The help widget's posts: the widget's signed visit token, never the session's CSRF token (webapp/widget.py), so
# every identity here (none holds a widget token) is refused as for a missing CSRF token.
WIDGET_TOKEN = "widget_token"

# (endpoint, method) -> who may call it. A new route needs a line here (and a sample URL below).
RULES: dict[tuple[str, str], str] = {
    ("help.root", "GET"): PUBLIC,
    ("help.home", "GET"): PUBLIC,
    ("help.article", "GET"): PUBLIC,
    ("help.feedback", "POST"): PUBLIC,
    ("help.contact", "GET"): PUBLIC,
    ("help.contact", "POST"): PUBLIC,
    ("help.search", "GET"): PUBLIC,
    ("help.ticket", "GET"): PUBLIC,  # the unguessable reference is the customer's key
    ("help.ticket", "POST"): PUBLIC,
    ("help.media", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("agent.login", "GET"): PUBLIC,
    ("agent.login", "POST"): PUBLIC,
    ("agent.login_code", "GET"): PUBLIC,  # the sign-in's second step: without the password's marker, the login page
    ("agent.login_code", "POST"): PUBLIC,
    # An agent's own password by email (webapp.agent_password): the signed link is the key; POSTs rate-limited.
    ("agent.password_link", "GET"): PUBLIC,
    ("agent.password_link", "POST"): PUBLIC,
    ("agent.forgot_password", "GET"): PUBLIC,
    ("agent.forgot_password", "POST"): PUBLIC,
    # Single sign-on: 404 without KB_OIDC_ISSUER (as here); with it public, under the login's rate limit
    # (tests/webapp/test_single_sign_on.py).
    ("agent.sso_start", "GET"): SIGNED,
    ("agent.sso_callback", "GET"): SIGNED,
    ("agent.logout", "POST"): AGENT,
    ("agent.inbox", "GET"): AGENT,
    ("agent.ticket", "GET"): AGENT,
    ("agent.suggestion_event", "POST"): WORKER,
    ("agent.reply", "POST"): WORKER,
    ("agent.update", "POST"): WORKER,
    ("agent.article", "GET"): AGENT,
    ("agent.admin", "GET"): ADMIN,
    ("agent.admin", "POST"): ADMIN,
    ("agent.admin_agent", "GET"): ADMIN,  # one agent's admin page (agentadmin42): the table's forms, per agent
    ("agent.admin_agent", "POST"): ADMIN,
    ("agent.audit", "GET"): ADMIN,  # the audit log: admins only (a lead's 403 is in test_audit_pages)
    ("agent.audit_csv", "GET"): ADMIN,
    ("agent.webhooks", "GET"): ADMIN,  # outbound webhooks: their secrets and URLs are an admin's
    ("agent.webhooks", "POST"): ADMIN,
    ("reports.index", "GET"): ADMIN,
    ("reports.report", "GET"): ADMIN,
    ("reports.download", "GET"): ADMIN,
    ("api.search", "GET"): PUBLIC,
    ("api.answer", "GET"): PUBLIC,
    ("answers.feedback", "POST"): PUBLIC,  # the answer card's vote: CSRF, like article votes
    ("api.health", "GET"): PUBLIC,
    ("api.openapi", "GET"): PUBLIC,
    ("api.create_ticket", "POST"): TOKEN,
    ("api.get_ticket", "GET"): TOKEN,
    ("api.ticket_incidents", "GET"): TOKEN,
    ("api.list_tickets", "GET"): TOKEN,
    ("api.update_ticket", "PATCH"): TOKEN,
    ("api.get_customer", "GET"): TOKEN,
    ("api.list_customers", "GET"): TOKEN,
    ("api.merge_customer", "POST"): TOKEN,
    ("api.update_customer", "PATCH"): TOKEN,  # the customer fields (custfields36)
    ("api.list_organizations", "GET"): TOKEN,
    ("api.get_organization", "GET"): TOKEN,
    ("api.create_organization", "POST"): TOKEN,
    ("api.update_organization", "PATCH"): TOKEN,
    ("api.erase_customer", "POST"): TOKEN,
    ("api.add_message", "POST"): TOKEN,
    ("api.add_reply", "POST"): TOKEN,
    ("api.side_conversations", "GET"): TOKEN,
    ("api.start_side_conversation", "POST"): TOKEN,
    ("api.reply_side_conversation", "POST"): TOKEN,
    ("api.change_side_conversation", "PATCH"): TOKEN,
    ("api.time_entries", "GET"): TOKEN,  # time tracking (timetrack35)
    ("api.add_time_entry", "POST"): TOKEN,
    ("api.change_time_entry", "PATCH"): TOKEN,
    ("api.delete_time_entry", "DELETE"): TOKEN,
    ("api.suggest", "POST"): TOKEN,
    ("api.list_agents", "GET"): TOKEN,  # agents over the API (agentadmin42): agents:read / agents:write
    ("api.get_agent", "GET"): TOKEN,
    ("api.create_agent", "POST"): TOKEN,
    ("api.update_agent", "PATCH"): TOKEN,
    ("hooks.git_status", "GET"): TOKEN_OR_AGENT,
    ("hooks.git_push", "POST"): SIGNED,
    # The help center's newer pages: public, the reference, token or signed link in the URL is the key.
    ("help.category", "GET"): PUBLIC,
    ("help.favicon", "GET"): PUBLIC,
    ("help.theme_css", "GET"): PUBLIC,
    ("help.settled_search", "POST"): PUBLIC,
    ("my_tickets.ask", "GET"): PUBLIC,
    ("my_tickets.send_link", "POST"): PUBLIC,
    ("my_tickets.tickets", "GET"): PUBLIC,
    ("survey.survey", "GET"): PUBLIC,
    ("survey.answer", "POST"): PUBLIC,
    ("suggested.suggested", "GET"): PUBLIC,  # a suggested article's token page (webapp.suggested_pages)
    ("suggested.answer", "POST"): PUBLIC,
    ("attachments.for_customer", "GET"): PUBLIC,
    ("seo.sitemap", "GET"): PUBLIC,  # public pages only, whoever asks (test_search_engines)
    ("seo.sitemap_part", "GET"): PUBLIC,
    ("seo.robots", "GET"): PUBLIC,
    # The workspace.
    ("agent.bulk", "POST"): WORKER,
    ("agent.merge", "POST"): WORKER,
    ("agent.problem", "POST"): WORKER,
    ("agent.due", "POST"): WORKER,
    ("agent.team", "POST"): WORKER,
    ("agent.ticket_skills", "POST"): WORKER,
    ("agent.snooze", "POST"): WORKER,
    ("agent.ticket_fields", "POST"): WORKER,
    ("agent.follow_up", "POST"): WORKER,
    ("agent.save_view", "POST"): AGENT,
    ("agent.change_view", "POST"): AGENT,
    ("agent.note", "POST"): AGENT,
    ("agent.preferences", "POST"): AGENT,
    ("agent.profile", "GET"): AGENT,
    ("agent.profile", "POST"): AGENT,
    ("agent.two_factor", "POST"): AGENT,
    ("agent.passkey_register_options", "POST"): AGENT,
    ("agent.passkey_register", "POST"): AGENT,
    ("agent.passkey_edit", "POST"): AGENT,
    ("agent.passkey_sign_in_options", "POST"): PUBLIC,  # passwordless sign-in, or the second step after the password
    ("agent.passkey_sign_in", "POST"): PUBLIC,
    ("agent.availability", "POST"): WORKER,
    ("agent.customer", "GET"): AGENT,  # the customer's profile: any agent role
    ("agent.customers", "GET"): AGENT,  # the customer list: any agent role
    ("agent.edit_customer", "POST"): WORKER,
    ("agent.customer_fields_post", "POST"): WORKER,  # customer fields: agents and leads; a light agent reads them
    ("agent.merge_customer", "GET"): ADMIN,  # merging customers: admins only (a lead: test_customer_merge_pages)
    ("agent.merge_customer_post", "POST"): ADMIN,
    ("agent.erase_customer", "GET"): ADMIN,  # erasing a customer: admins only (a lead: test_customer_erasure_pages)
    ("agent.erase_customer_post", "POST"): ADMIN,
    ("agent.organizations", "GET"): AGENT,  # organizations: any agent reads them
    ("agent.organization", "GET"): AGENT,
    ("agent.customer_organization", "POST"): WORKER,  # a customer's organization by hand: any agent, as the profile
    ("agent.create_organization", "POST"): ADMIN,  # leads and admins (a lead's access: test_organization_pages)
    ("agent.edit_organization", "POST"): ADMIN,
    ("agent.delete_organization", "POST"): ADMIN,
    ("agent.presence", "POST"): AGENT,
    ("agent.suggestions_shown", "POST"): WORKER,
    ("agent.tags", "POST"): WORKER,
    ("agent.ccs", "POST"): WORKER,
    ("agent.start_side_conversation", "POST"): WORKER,  # side conversations: internal, any agent (sideconv34)
    ("agent.reply_side_conversation", "POST"): WORKER,
    ("agent.side_conversation_status", "POST"): WORKER,
    ("agent.side_conversation_participants", "POST"): WORKER,
    ("agent.side_conversation_file", "GET"): AGENT,
    ("agent.add_time", "POST"): WORKER,  # time tracking: an agent their own time, a lead or admin any; light: none
    ("agent.change_time", "POST"): WORKER,
    ("agent.updates", "GET"): AGENT,
    ("attachments.for_agent", "GET"): AGENT,
    ("held.index", "GET"): WORKER,
    ("held.mail", "GET"): WORKER,
    ("held.recover", "POST"): WORKER,
    ("held.delete", "POST"): WORKER,
    # Leads and admins (a plain agent gets 403, as for admin pages).
    ("dashboard.index", "GET"): ADMIN,
    ("dashboard.download", "GET"): ADMIN,
    ("dashboard.field_download", "GET"): ADMIN,
    ("dashboard.publish_notice", "POST"): ADMIN,
    ("dashboard.end_notice", "POST"): ADMIN,
    ("agent.tag_list", "GET"): ADMIN,  # the tags page: leads and admins (a lead's access is in test_tag_pages)
    ("agent.rename_tag", "GET"): ADMIN,
    ("agent.rename_tag_post", "POST"): ADMIN,
    ("agent.delete_tag", "GET"): ADMIN,
    ("agent.delete_tag_post", "POST"): ADMIN,
    ("agent.team_status_page", "GET"): ADMIN,  # leads and admins (a lead's access is in test_team_status_pages)
    ("agent.team_status_away", "POST"): ADMIN,
    # Deleting tickets (webapp/trash_pages.py): leads and admins delete and restore (ADMIN here: a plain agent's 403;
    # a lead's access is in test_trash_pages); any working agent marks spam; blocked senders and purging: admins.
    ("agent.delete_ticket", "POST"): ADMIN,
    ("agent.deleted_tickets", "GET"): ADMIN,
    ("agent.restore_ticket", "POST"): ADMIN,
    ("agent.purge_ticket", "POST"): ADMIN,
    ("agent.spam_ticket", "POST"): WORKER,
    ("agent.blocked_senders", "GET"): ADMIN,
    ("agent.block_sender", "POST"): ADMIN,
    ("agent.unblock_sender", "POST"): ADMIN,
    ("metrics_api.figures", "GET"): TOKEN,
    ("api.list_deleted_tickets", "GET"): TOKEN,
    # The help widget (on in this app): public pages for another site's frame; no session, its own token on posts.
    ("widget.script", "GET"): PUBLIC,
    ("widget.home", "GET"): PUBLIC,
    ("widget.search", "GET"): PUBLIC,
    ("widget.instant", "GET"): PUBLIC,
    ("widget.answer", "GET"): PUBLIC,
    ("widget.article", "GET"): PUBLIC,
    ("widget.contact", "GET"): PUBLIC,
    ("widget.settled", "POST"): WIDGET_TOKEN,
    ("widget.feedback", "POST"): WIDGET_TOKEN,
    ("widget.answer_feedback", "POST"): WIDGET_TOKEN,
    ("widget.contact", "POST"): WIDGET_TOKEN,
}

IDENTITIES = ("anonymous", "agent", "light", "admin", "valid_token", "bad_token", "revoked_token", "agent_without_csrf")
COOKIE_IDENTITIES = ("agent", "light", "admin", "agent_without_csrf")


def sample_path(app: Flask, rule, values: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def denied_login(response: TestResponse) -> bool:
    return response.status_code == 302 and "/agent/login?next=" in response.headers.get("Location", "")


def csrf_refused(response: TestResponse) -> bool:
    """Refused for its token: JSON naming the CSRF token, or a page marked data-reason="csrf"."""
    return response.status_code == 400 and (b"CSRF" in response.data or b'data-reason="csrf"' in response.data)


def allowed(response: TestResponse) -> bool:
    """Past the guards: the route's own answer (a 400 for the empty input is fine), never a refusal."""
    return (response.status_code not in (401, 403, 405, 429) and response.status_code < 500
            and not denied_login(response) and not csrf_refused(response))


def expectation(rule: str, identity: str, method: str, api_route: bool) -> Callable[[TestResponse], bool]:
    """What `identity` must get from a route under `rule`."""
    post = method != "GET"  # a POST, or the API's PATCH
    if rule == SIGNED:
        return lambda r: r.status_code in (401, 404)
    if rule == WIDGET_TOKEN:
        return csrf_refused
    if rule == TOKEN:
        return allowed if identity == "valid_token" else (lambda r: r.status_code == 401 and r.is_json)
    if rule == TOKEN_OR_AGENT:
        ok = identity in ("valid_token", *COOKIE_IDENTITIES)
        return (lambda r: r.status_code == 200) if ok else (lambda r: r.status_code == 401 and r.is_json)
    no_session = identity not in (*COOKIE_IDENTITIES, "anonymous")
    if post and (identity == "agent_without_csrf" or (no_session and not api_route)):
        return csrf_refused  # every form posted with cookies needs the CSRF token, public ones too
    if rule == PUBLIC:
        return allowed
    if identity not in COOKIE_IDENTITIES:
        return denied_login
    if rule == ADMIN and identity != "admin":
        return lambda r: r.status_code == 403
    if rule == WORKER and identity == "light":
        return lambda r: r.status_code == 403
    return allowed


@pytest.fixture
def matrix_app(indexed: Engine) -> tuple[Flask, dict[str, str], dict[str, str]]:
    app = create_app(replace(indexed.settings, rate_limits=False, widget_origins=("http://shop.example",)),
                     engine=indexed)
    desk = app.extensions["desk"]
    desk.accounts.create_agent("admin@example.com", PASSWORD, role="admin")
    desk.accounts.create_agent("agent@example.com", PASSWORD)
    desk.accounts.create_agent("light@example.com", PASSWORD, role="light")
    tokens = {"valid_token": desk.accounts.create_token("partner"), "bad_token": "kb_not-a-real-token",
              "revoked_token": desk.accounts.create_token("old partner")}
    from desk.models import ApiToken

    with desk.db.session() as session:
        session.query(ApiToken).filter(ApiToken.name == "old partner").update({"revoked": True})
    ticket = desk.tickets.create(NewTicket(email="sam@example.com", subject="Lost parcel", body="Where is it?"))
    values = {"lang": "en", "article_id": "refund-timing", "reference": ticket.reference, "ticket_id": str(ticket.id),
              "customer_id": str(ticket.customer_id), "view_id": "1",
              "name": "gaps", "filename": "site.css", "category": "returns", "attachment_id": "1",
              "signed": "not-a-signed-link", "token": "not-a-survey-token", "notice_id": "1", "inbound_id": "1",
              "number": "1", "key": "reason", "organization_id": "1",
              "passkey_id": "1", "side_id": "1", "message_id": "1", "entry_id": "1", "blocked_id": "1",
              "agent_id": "1"}
    return app, tokens, values


def client_for(app: Flask, identity: str) -> tuple[FlaskClient, dict[str, str], str]:
    """A client as `identity`, its extra headers, and the CSRF token its forms would carry ("" if none)."""
    client = app.test_client()
    if identity in COOKIE_IDENTITIES:
        login(client, {"admin": "admin@example.com", "light": "light@example.com"}.get(identity, "agent@example.com"))
        token = "" if identity == "agent_without_csrf" else csrf(client.get("/en/contact").get_data(as_text=True))
        return client, {}, token
    if identity == "anonymous":
        return client, {}, csrf(client.get("/en/contact").get_data(as_text=True))
    return client, {}, ""


class SignedIn:
    """Each identity's cookies as `client_for` left them (signed in, the CSRF token fetched), for the matrix's
    thousands of requests: each request still gets a new client holding only those cookies, which is what a fresh
    sign-in gives it (the session cookie carries the agent's session token, the same for every sign-in until it
    ends), without signing in again for each. Signed in again whenever what a sign-in reads has changed since (the
    agent's session token, password, two-factor, passkeys, active flag: an earlier request logged out or changed
    them), so no request rides on a sign-in a fresh one would not get."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.kept: dict[str, tuple[object, dict[tuple[str, str, str], Cookie], str]] = {}

    def _account(self, identity: str) -> object:
        if identity not in COOKIE_IDENTITIES:
            return None  # anonymous and tokens: nothing on the server side that a request could end
        desk = self.app.extensions["desk"]
        agent = desk.accounts.find({"admin": "admin@example.com", "light": "light@example.com"}.get(
            identity, "agent@example.com"))
        return (agent.session_token, agent.password_hash, agent.two_factor, agent.active,
                desk.passkeys.count(agent.id))

    def client(self, identity: str) -> tuple[FlaskClient, dict[str, str], str]:
        account = self._account(identity)
        if identity not in self.kept or self.kept[identity][0] != account:
            signed, _, token = client_for(self.app, identity)
            self.kept[identity] = (self._account(identity), dict(signed._cookies or {}), token)
        client = self.app.test_client()
        _, cookies, token = self.kept[identity]
        client._cookies = dict(cookies)  # the jar's cookies are replaced, never changed in place, by later answers
        return client, {}, token


def test_every_route_has_an_access_rule(matrix_app: tuple[Flask, dict[str, str], dict[str, str]]) -> None:
    app = matrix_app[0]
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}  # type: ignore[operator]
    assert routes - set(RULES) == set(), "new routes need an access rule in RULES"
    assert set(RULES) - routes == set(), "rules for routes that no longer exist"


def test_every_route_answers_each_identity_as_its_rule_says(
    matrix_app: tuple[Flask, dict[str, str], dict[str, str]],
) -> None:
    app, tokens, values = matrix_app
    signed_in = SignedIn(app)
    failures = []
    for rule in app.url_map.iter_rules():
        path = sample_path(app, rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            access = RULES[(rule.endpoint, method)]
            for identity in IDENTITIES:
                client, headers, token = signed_in.client(identity)
                if identity in tokens:
                    headers["Authorization"] = f"Bearer {tokens[identity]}"
                if method == "GET":
                    response = client.get(path, headers=headers)
                elif path.startswith("/api/") or path.endswith("/events"):
                    headers.update({"X-CSRFToken": token} if token else {})
                    response = client.open(path, method=method, json={}, headers=headers)
                else:
                    response = client.post(path, data={"csrf_token": token} if token else {}, headers=headers)
                if not expectation(access, identity, method, path.startswith("/api/"))(response):
                    failures.append(f"{method} {path} as {identity} ({access}): {response.status_code} "
                                    f"{response.headers.get('Location', '')}")
    assert not failures, "\n".join(failures)


HOSTILE = {"page": "9" * 30, "p": str(2**70), "s": "x" * 500, "days": str(2**70), "limit": "-1", "q": "a\x00b",
           "lang": "xx", "status": "<b>", "assignee": "9" * 30, "category": "../../etc", "next": "//evil.example"}


def test_hostile_query_strings_never_make_a_500(matrix_app: tuple[Flask, dict[str, str], dict[str, str]]) -> None:
    """Issue #12 item 6 across every GET route: numbers past 2^63, NULs, unknown choices."""
    app, tokens, values = matrix_app
    client, _, _ = client_for(app, "admin")
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:  # type: ignore[operator]
            continue
        response = client.get(sample_path(app, rule, values), query_string=HOSTILE,
                              headers={"Authorization": f"Bearer {tokens['valid_token']}"})
        if response.status_code >= 500 or (rule.rule.startswith("/api/") and not response.is_json):
            failures.append(f"{rule.rule}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_an_assignee_past_2_63_is_a_clear_error(matrix_app: tuple[Flask, dict[str, str], dict[str, str]]) -> None:
    app, _, values = matrix_app
    client, _, token = client_for(app, "agent")
    response = client.post(f"/agent/tickets/{values['ticket_id']}/update",
                           data={"assignee": "9" * 30, "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200 and "assignee: no agent" in response.get_data(as_text=True)
