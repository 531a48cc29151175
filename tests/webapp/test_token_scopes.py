"""API token scopes and expiry through the real app (task scopes33): the URL-map walk proving every token route names
exactly one scope (and that the README's table and the served OpenAPI say the same), each token route refusing a
token without its scope (403, RFC 6750's `insufficient_scope` naming it) and taking one with only it, an expired token
a 401 saying so, tokens from before the migration working everywhere, the admin page's and the CLI's scopes and
expiry. SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update

from desk.models import ApiToken, AuditEvent, utcnow
from desk.token_scopes import SCOPES, parse_scopes
from kb.settings import Settings
from tests.conftest import database_at, load_script
from tests.webapp.light_app import Guarded, light_app, light_settings, signed_in  # noqa: F401
from tests.webapp.test_authorization_matrix import RULES, TOKEN, TOKEN_OR_AGENT
from webapp import create_app
from webapp.api import token_required
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[2]
VALUES = {"ticket_id": "1", "customer_id": "1", "organization_id": "1", "side_id": "1", "entry_id": "1",
          "agent_id": "1"}


def token_routes(app: Flask) -> list[tuple[str, str, str, str]]:
    """(endpoint, method, sample path, scope) of every route whose view takes a token."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            scope = getattr(app.view_functions[rule.endpoint], "token_scope", None)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if scope is not None or RULES.get((rule.endpoint, method)) in (TOKEN, TOKEN_OR_AGENT):
                    path = url_for(rule.endpoint, **{name: VALUES[name] for name in rule.arguments})
                    found.append((rule.endpoint, method, path, scope))
    return found


def call(app: Flask, method: str, path: str, token: str):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return app.test_client().get(path, headers=headers)
    return app.test_client().open(path, method=method, json={}, headers=headers)


def past_the_guard(status: int) -> bool:
    return status not in (401, 403)


def test_every_token_route_names_exactly_one_scope(light_app: Guarded) -> None:  # noqa: F811
    routes = token_routes(light_app.app)
    assert {(e, m) for e, m, _, _ in routes} == {k for k, v in RULES.items() if v in (TOKEN, TOKEN_OR_AGENT)}
    unnamed = [f"{m} {p}" for _, m, p, scope in routes if scope not in SCOPES]
    assert not unnamed, f"token routes without a scope: {unnamed}"


def test_the_readme_table_and_the_openapi_list_each_routes_scope(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    with app.test_request_context():
        from webapp.api import route_scopes

        scopes = route_scopes()
    readme = (ROOT / "README.md").read_text("utf-8")
    table = {}
    for scope, routes in re.findall(r"^  \| `([a-z:]+)` \| (.*) \|$", readme, re.MULTILINE):
        for method, path in re.findall(r"`(GET|POST|PATCH|DELETE) (/api/v1/[^`]*)`", routes):
            kind = ("customer_id" if path.startswith("/api/v1/customers") else "organization_id"
                    if path.startswith("/api/v1/organizations") else "agent_id"
                    if path.startswith("/api/v1/agents") else "ticket_id")
            table[(re.sub(r"<id>", "{" + kind + "}", path), method.lower())] = scope
    assert {k: v for k, v in table.items() if v != "search"} == scopes
    assert set(re.findall(r"^  \| `([a-z:]+)` \|", readme, re.MULTILINE)) == set(SCOPES)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    for (path, method), scope in scopes.items():
        operation = document["paths"][path][method]
        assert operation["x-scopes"] == [scope] and f"`{scope}`" in operation["description"]
        assert "403" in operation["responses"]
    assert all("x-scopes" not in op for path, ops in document["paths"].items() for method, op in ops.items()
               if (path, method) not in scopes)


def test_a_route_cannot_take_a_token_without_naming_a_real_scope() -> None:
    with pytest.raises(ValueError, match="not a scope"):
        token_required(lambda: None)  # `@token_required` as it was written before scopes: refused at import
    with pytest.raises(ValueError, match="not a scope"):
        token_required("tickets:delete")


def test_each_token_route_refuses_a_token_without_its_scope_and_takes_one_with_it(
    light_app: Guarded,  # noqa: F811
) -> None:
    app = light_app.app
    accounts = app.extensions["desk"].accounts
    failures = []
    for _, method, path, scope in token_routes(app):
        lacking = accounts.create_token(f"all but {scope}", scopes=[s for s in SCOPES if s != scope])
        refused = call(app, method, path, lacking)
        body = refused.get_json() or {}
        if (refused.status_code != 403 or body.get("scope") != scope or scope not in body.get("error", "")
                or refused.headers.get("WWW-Authenticate") != f'Bearer error="insufficient_scope", scope="{scope}"'):
            failures.append(f"{method} {path} without {scope}: {refused.status_code} {body}")
        only = call(app, method, path, accounts.create_token(f"only {scope}", scopes=[scope]))
        if not past_the_guard(only.status_code) or only.status_code >= 500:
            failures.append(f"{method} {path} with only {scope}: {only.status_code} {only.get_json()}")
    assert not failures, "\n".join(failures)


def test_a_token_without_the_scope_writes_nothing(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    desk = app.extensions["desk"]
    reader = desk.accounts.create_token("reader", scopes=["tickets:read"])
    response = app.test_client().post("/api/v1/tickets", headers={"Authorization": f"Bearer {reader}"},
                                      json={"email": "sam@example.com", "subject": "Hi", "body": "Where is it?"})
    assert response.status_code == 403 and response.get_json()["scope"] == "tickets:write"
    assert desk.tickets.inbox()[1] == 0
    listed = app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {reader}"})
    assert listed.status_code == 200 and listed.get_json()["tickets"] == []


def test_an_expired_token_is_a_401_saying_it_expired(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    desk = app.extensions["desk"]
    token = desk.accounts.create_token("temp", scopes=list(SCOPES), expires_days=1)
    assert call(app, "GET", "/api/v1/tickets", token).status_code == 200
    with desk.db.session() as session:
        session.execute(update(ApiToken).where(ApiToken.name == "temp").values(
            expires_at=utcnow() - timedelta(minutes=1)))
    for _, method, path, _ in token_routes(app):
        response = call(app, method, path, token)
        challenge = response.headers.get("WWW-Authenticate", "")
        assert response.status_code == 401 and response.is_json, (method, path)
        assert challenge.startswith('Bearer error="invalid_token", error_description="the token expired at '), path
        assert "expired" in response.get_json()["error"] and response.get_json()["expired_at"]


def test_tokens_from_before_the_migration_work_on_every_route(tmp_path: Path, content_dir: Path) -> None:
    db, url = database_at(tmp_path, "webhooks")
    secret = "kb_" + "a-token-from-session-32" * 2
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO api_tokens (name, token_hash, created_at, revoked) VALUES ('zendesk', %s, CURRENT_TIMESTAMP, "
            "false)" if db.engine.dialect.name == "postgresql" else
            "INSERT INTO api_tokens (name, token_hash, created_at, revoked) VALUES ('zendesk', ?, CURRENT_TIMESTAMP, "
            "false)", (hashlib.sha256(secret.encode()).hexdigest(),))
    db.close()
    app = create_app(Settings(content_dir=content_dir, data_dir=tmp_path, database_url=url))
    # The scopes the migration knew; one added since (organizations:*) is granted to no existing token.
    known = load_script(ROOT / "desk/migrations/versions/api_token_scopes.py", "api_token_scopes").ALL_SCOPES.split()
    routes = token_routes(app)
    failures = [f"{method} {path}: {response.status_code}" for _, method, path, scope in routes
                if (scope is None or scope in known)
                and (not past_the_guard((response := call(app, method, path, secret)).status_code)
                     or response.status_code >= 500)]
    assert not failures, "\n".join(failures)
    later = [(method, path) for _, method, path, scope in routes if scope is not None and scope not in known]
    assert later and all(call(app, method, path, secret).status_code == 403 for method, path in later)


def test_the_admin_page_creates_a_token_with_the_scopes_ticked_and_lists_them(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    client, csrf = signed_in(app, "admin@example.com")
    page = client.get("/agent/admin").get_data(as_text=True)
    assert all(f'name="scopes" value="{scope}"' in page for scope in SCOPES)
    made = client.post("/agent/admin", data={"csrf_token": csrf, "action": "token", "name": "chatbot",
                                             "scopes": ["suggest", "search"], "expires_days": "90"})
    html = made.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', html)
    assert made.status_code == 200 and secret is not None
    found = app.extensions["desk"].accounts.verify_token(secret.group(1))
    assert found is not None and parse_scopes(found.scopes) == {"suggest", "search"}
    assert found.expires_at is not None and (found.expires_at.replace(tzinfo=utcnow().tzinfo) - utcnow()).days >= 89
    row = re.search(r'<tr data-token="chatbot">(.*?)</tr>', html, re.DOTALL)
    assert row is not None and "<code dir=\"ltr\" title=\"" in row.group(1)
    assert "suggest" in row.group(1) and "search" in row.group(1) and "tickets:read" not in row.group(1)
    assert "Never" in row.group(1) and "No expiry" not in row.group(1)  # not used yet; its expiry is a date
    with app.extensions["desk"].db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "token_created",
                                                        AuditEvent.subject == str(found.id)))
    assert event is not None and event.actor == "agent" and event.after["scopes"] == "suggest search"


@pytest.mark.parametrize(("form", "field"), [({}, "scopes"), ({"scopes": ["tickets:delete"]}, "scopes"),
                                              ({"scopes": ["suggest"], "expires_days": "0"}, "expires_days"),
                                              ({"scopes": ["suggest"], "expires_days": "soon"}, "expires_days")])
def test_the_admin_page_refuses_no_scope_or_a_bad_expiry_naming_the_field(
    light_app: Guarded, form: dict[str, object], field: str,  # noqa: F811
) -> None:
    app = light_app.app
    client, csrf = signed_in(app, "admin@example.com")
    before = len(app.extensions["desk"].accounts.tokens())
    page = client.post("/agent/admin", data={"csrf_token": csrf, "action": "token", "name": "nothing", **form},
                       follow_redirects=True).get_data(as_text=True)
    assert 'id="new-token"' not in page
    assert {"scopes": "scopes: choose at least one scope" if not form else "scopes: ",
            "expires_days": "expires in (days): must be a whole number of days"}[field] in page
    assert len(app.extensions["desk"].accounts.tokens()) == before


def test_the_arabic_admin_page_names_the_field_in_arabic(light_app: Guarded) -> None:  # noqa: F811
    app = light_app.app
    client, csrf = signed_in(app, "admin@example.com")
    client.post("/agent/preferences", data={"csrf_token": csrf, "locale": "ar"})
    page = client.post("/agent/admin", data={"csrf_token": csrf, "action": "token", "name": "x"},
                       headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "النطاقات: اختر نطاقًا واحدًا على الأقل" in page and 'id="new-token"' not in page
    assert "choose at least one scope" not in page


def test_the_cli_takes_scopes_and_expiry_and_prints_them(tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--data", str(tmp_path)]
    every = runner.invoke(main, ["tokens", "create", "old script", *where])
    assert every.exit_code == 0 and every.stdout.strip().startswith("kb_") and len(every.stdout.split()) == 1
    assert f"scopes: {' '.join(SCOPES)} (every scope" in every.stderr and "expires: never" in every.stderr
    limited = runner.invoke(main, ["tokens", "create", "bi", "--scope", "metrics:read", "--scope", "tickets:read",
                                   "--expires-days", "7", *where])
    assert limited.exit_code == 0 and "scopes: tickets:read metrics:read\n" in limited.stderr
    assert f"expires: {(utcnow() + timedelta(days=7)).date().isoformat()}" in limited.stderr
    bad = runner.invoke(main, ["tokens", "create", "x", "--scope", "tickets:delete", *where])
    assert bad.exit_code == 1 and "scopes: 'tickets:delete' is not a scope" in bad.output
    never = runner.invoke(main, ["tokens", "create", "x", "--scope", "suggest", "--expires-days", "0", *where])
    assert never.exit_code == 1 and "expires_days:" in never.output
    from desk.desk import Desk

    desk = Desk(Settings(data_dir=tmp_path))
    found = desk.accounts.verify_token(limited.stdout.strip())
    assert found is not None and found.scopes == "tickets:read metrics:read"
    assert [t.name for t in desk.accounts.tokens()] == ["bi", "old script"]
    desk.close()


def test_the_admin_page_describes_every_scope_in_both_languages(light_app: Guarded) -> None:  # noqa: F811
    """Each scope's checkbox says what it lets a token do, in the page's language (organizations:read and :write were
    labelled with their own names, in English and Arabic)."""
    from webapp.workspace_labels import ViewLabels

    for lang in ("en", "ar"):
        with light_app.app.test_request_context(headers={"Accept-Language": lang}):
            described = {scope: ViewLabels().scope(scope) for scope in SCOPES}
        assert [scope for scope, text in described.items() if text == scope] == [], lang
        if lang == "ar":
            assert all(re.search("[\u0600-\u06ff]", text) for text in described.values()), described
