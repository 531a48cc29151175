"""A real app without the models: the desk, the forms and the token API need no index.

For the guard tests (locks, races, malformed input, sessions, limits), which send many requests
and would otherwise wait for the models to load. Import the fixtures into a test module with
`from tests.webapp.light_app import light_app, light_settings  # noqa: F401`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.settings import Settings
from tests.conftest import database_url_for_tests
from webapp import create_app

PASSWORD = "a long enough password"


@dataclass
class Guarded:
    """The app and what it takes to get past its guards."""

    app: Flask
    token: str  # a valid API token
    revoked: str  # a token that was valid once


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1) or found.group(2)


def login(client: FlaskClient, email: str, password: str = PASSWORD, query: str = "", remember: bool = False):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/agent/login").get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/agent/login" + query, data=data)


def client_for(app: Flask, email: str) -> FlaskClient:
    """A test client signed in as the agent `email` (PASSWORD)."""
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def signed_in(app: Flask, email: str) -> tuple[FlaskClient, str]:
    """`client_for` and the CSRF token its workspace forms carry."""
    client = client_for(app, email)
    return client, csrf(client.get("/agent/").get_data(as_text=True))


@pytest.fixture
def light_settings(tmp_path: Path, content_dir: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    return Settings(content_dir=content_dir, data_dir=data, database_url=database_url_for_tests())


@pytest.fixture
def light_app(light_settings: Settings) -> Guarded:
    app = create_app(light_settings)
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    revoked = accounts.create_token("old partner")
    with app.extensions["desk"].db.session() as session:
        from desk.models import ApiToken

        for row in session.query(ApiToken):
            row.revoked = True
    return Guarded(app, accounts.create_token("partner"), revoked)
