"""Error pages a person can read: in the language the rest of the page would be in, with the site's
own layout, and never a bare English Werkzeug page; a form sent with an expired or missing token
comes back with the customer's text, so nothing they typed is lost.

From the session-10 audit: `/xx/` in an Arabic browser answered an Arabic heading under
`<html lang="en" dir="ltr">`; a lead opening the admin page got "403 Forbidden" (English, no
lang); a contact form left open for more than an hour answered "400 Bad Request: The CSRF token
has expired." and dropped the message.
"""

from __future__ import annotations

import re

import pytest
from itsdangerous.timed import TimestampSigner

from desk.models import Ticket
from tests.webapp.light_app import Guarded, csrf, light_app, light_settings, login  # noqa: F401

ARABIC = {"Accept-Language": "ar"}


def html_root(page: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]*)" dir="([^"]*)"', page)
    assert found, "the page has no <html lang dir>"
    return found.group(1), found.group(2)


def test_a_page_outside_any_language_answers_in_the_browsers_language_with_matching_lang(
    light_app: Guarded,  # noqa: F811
) -> None:
    response = light_app.app.test_client().get("/xx/", headers=ARABIC)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert html_root(page) == ("ar", "rtl")
    assert "الصفحة غير موجودة" in page and "مركز مساعدة منزل" in page  # the Arabic site name too


def test_a_page_an_agent_may_not_open_is_a_readable_403_in_their_language(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    response = client.get("/agent/admin", headers=ARABIC)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert html_root(page) == ("ar", "rtl")
    assert "Forbidden" not in page and 'class="site-header"' in page


CONTACT = {"name": "Sara", "email": "sara@example.com", "subject": "Lost parcel", "message": "It never came."}


def test_a_contact_form_open_for_hours_still_sends(light_app: Guarded, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    client = light_app.app.test_client()
    token = csrf(client.get("/en/contact").get_data(as_text=True))
    later = TimestampSigner.get_timestamp(TimestampSigner("x")) + 5 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)  # the customer comes back 5 h later
    response = client.post("/en/contact", data={**CONTACT, "csrf_token": token})
    assert response.status_code == 302 and "/en/tickets/" in response.headers["Location"]


def test_a_contact_form_with_a_bad_token_comes_back_with_the_text_and_a_fresh_token(
    light_app: Guarded,  # noqa: F811
) -> None:
    client = light_app.app.test_client()
    client.get("/ar/contact")
    response = client.post("/ar/contact", data={**CONTACT, "message": "لم يصل الطرد", "csrf_token": "stale"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html_root(page) == ("ar", "rtl")
    assert "لم يصل الطرد" in page and 'value="sara@example.com"' in page  # nothing the customer typed is lost
    assert 'data-reason="csrf"' in page
    again = client.post("/ar/contact", data={**CONTACT, "csrf_token": csrf(page)})
    assert again.status_code == 302  # the page's new token sends it
    with light_app.app.extensions["desk"].db.session() as session:
        assert session.query(Ticket).count() == 1


def test_other_forms_with_a_bad_token_answer_a_page_in_their_language(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    client.get("/ar/")
    response = client.post("/ar/articles/start-a-return/feedback", data={"helpful": "yes", "csrf_token": "stale"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html_root(page) == ("ar", "rtl") and 'data-reason="csrf"' in page
    assert "Bad Request" not in page


def test_a_script_posting_without_a_token_gets_json(light_app: Guarded) -> None:  # noqa: F811
    client = light_app.app.test_client()
    assert login(client, "agent@example.com").status_code == 302
    response = client.post("/agent/tickets/1/presence", json={"typing": True})
    assert response.status_code == 400 and response.is_json
    assert "CSRF" in response.get_json()["error"]
