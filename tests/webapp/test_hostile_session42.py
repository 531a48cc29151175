"""Session 42's hostile input against what session 41 added (hostile42), through the real app, its real outbox and
a real SMTP sink on loopback, on both engines (`--postgresql`). Each test failed before its fix (its docstring says
how)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.smtp_sink import SmtpSink, sink  # noqa: F401
from tests.webapp.light_app import PASSWORD, light_settings, login, signed_in  # noqa: F401
from tests.webapp.test_agent_invitations import _desk, _invite, _link, _mails, _set, app  # noqa: F401


@pytest.mark.parametrize("password", [" " * 12, "\t" * 10 + "\n" * 2, "\u3000" * 10, "\xa0" * 11])
def test_a_password_of_blanks_alone_is_refused_and_the_invitation_still_works(
        app: Flask, sink: SmtpSink, password: str) -> None:  # noqa: F811
    """The login form takes a password that is blanks alone as none ("This field is required."), but the rule every
    password meets counted its characters: set through an invitation it used the link up, and the agent could never
    sign in with it. It is refused naming the field now, the link still theirs. Before the fix the POST set it (302)
    and the login answered 200 (refused)."""
    admin, token = signed_in(app, "admin@example.com")
    _invite(admin, token)
    link = _link(_mails(app, sink)[0])
    client = app.test_client()
    refused = _set(client, link, password)
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert _desk(app).accounts.find("nadia@example.com").invited_at is not None  # nothing written
    assert _set(client, link, "a password of her own").status_code == 302
    assert login(app.test_client(), "nadia@example.com", "a password of her own").status_code == 302
