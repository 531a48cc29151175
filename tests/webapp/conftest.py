"""Fixtures every web test shares: the real app over the indexed test slice, clients, agents.

One definition each, so a change to how the app is built (or how an agent logs in) is made once.
A test module that needs something else (hooks with a secret, the reports page without an index)
defines its own fixture of the same name, which pytest prefers.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from copilot.engine import Engine
from webapp import create_app

PASSWORD = "a long enough password"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1) or found.group(2)


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf(client.get("/agent/login").get_data(as_text=True))
    return client.post("/agent/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def app(indexed: Engine) -> Flask:
    """The real app over the indexed slice, with an admin and an agent account."""
    app = create_app(engine=indexed)
    accounts = app.extensions["desk"].accounts
    accounts.create_agent("admin@example.com", PASSWORD, name="Admin", role="admin")
    accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def agent(app: Flask) -> FlaskClient:
    """A client logged in as the agent (not an admin)."""
    client = app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    return client
