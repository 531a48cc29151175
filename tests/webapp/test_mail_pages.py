"""The customer's mail-related pages on the real Flask app and SQLite: the contact form's
confirmation as an .eml (no SMTP configured), the survey (a GET never writes), the ticket page's
survey offer and attachments, "My tickets" magic links, and the agents' delivery states."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import select

from desk.desk import Desk
from desk.models import CsatSurvey, Message, OutboxMail
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.conftest import database_url_for_tests
from webapp import create_app, my_tickets
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(content_dir=ROOT / "content", data_dir=tmp_path / "data", database_url=database_url_for_tests(),
                    rate_limits=False)


@pytest.fixture
def app(settings: Settings) -> Flask:
    """The real app; nothing here searches, so the engine's models are never loaded."""
    return create_app(settings)


@pytest.fixture
def desk(app: Flask) -> Desk:
    return app.extensions["desk"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1) or found.group(2)


def solved_ticket(desk: Desk) -> tuple[int, str]:
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", name="Lina", subject="Refund", body="Where?"))
    desk.tickets.update(ticket.id, status="solved")
    survey = desk.surveys.latest_for_ticket(ticket.id)
    assert survey is not None
    return ticket.id, survey.token


def test_contact_form_confirmation_is_an_eml_file_after_kb_mail_deliver(client: FlaskClient,
                                                                         settings: Settings) -> None:
    token = csrf(client.get("/en/contact").get_data(as_text=True))
    posted = client.post("/en/contact", data={"csrf_token": token, "name": "Lina", "email": "lina@example.com",
                                              "subject": "Refund", "message": "Where is my refund for order 7?"})
    assert posted.status_code == 302
    reference = posted.headers["Location"].rsplit("/", 1)[1]
    delivered = CliRunner().invoke(main, ["mail", "deliver", "--data", str(settings.data_dir)],
                                   env={"DATABASE_URL": settings.database_url or ""})
    assert delivered.exit_code == 0 and delivered.output.startswith("1 sent")
    [eml] = (settings.data_dir / "outbox-eml").glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=default)
    assert mail["To"] == "lina@example.com" and "Refund" in mail["Subject"]
    html = mail.get_body(("html",)).get_content()
    assert f'href="http://127.0.0.1:5000/en/tickets/{reference}"' in html and "order 7" in html


def test_survey_link_preselects_and_only_a_post_records(client: FlaskClient, desk: Desk) -> None:
    _ticket_id, token = solved_ticket(desk)
    page = client.get(f"/en/survey/{token}?rating=4").get_data(as_text=True)
    assert re.search(r'value="4" required checked', page) and 'data-autosubmit="1"' in page
    assert desk.surveys.by_token(token).rating is None  # type: ignore[union-attr]
    saved = client.post(f"/en/survey/{token}", data={"csrf_token": csrf(page), "rating": "4", "comment": ""})
    assert saved.status_code == 302
    changed = client.post(f"/en/survey/{token}", data={"csrf_token": csrf(page), "rating": "2",
                                                       "comment": "Took too long"})
    assert changed.status_code == 302
    survey = desk.surveys.by_token(token)
    assert survey is not None and (survey.rating, survey.comment) == (2, "Took too long")
    again = client.get(f"/en/survey/{token}?rating=5").get_data(as_text=True)
    assert "data-autosubmit" not in again and "Your rating: 2 of 5" in again
    assert client.post(f"/en/survey/{token}", data={"csrf_token": csrf(page), "rating": "9"}).status_code == 302
    assert desk.surveys.by_token(token).rating == 2  # type: ignore[union-attr]
    with desk.db.session() as session:
        row = session.scalar(select(CsatSurvey).where(CsatSurvey.token == token))
        assert row is not None
        row.answered_at = row.answered_at - timedelta(days=8)  # type: ignore[operator]
    client.post(f"/en/survey/{token}", data={"csrf_token": csrf(page), "rating": "5"})
    assert desk.surveys.by_token(token).rating == 2  # type: ignore[union-attr]
    assert "can no longer be changed" in client.get(f"/en/survey/{token}").get_data(as_text=True)
    assert client.get("/en/survey/not-a-token").status_code == 404


def test_ticket_page_offers_the_survey_hides_notes_and_lists_own_attachments(client: FlaskClient,
                                                                              desk: Desk) -> None:
    mail = EmailMessage()
    mail["From"] = "lina@example.com"
    mail["Subject"] = "Broken screen"
    mail.set_content("Photo attached")
    mail.add_attachment(b"\x89PNG photo", maintype="image", subtype="png", filename="screen.png")
    received = desk.mail_in.receive(mail.as_bytes())
    other = desk.tickets.create(NewTicket(email="x@example.com", subject="Other", body="Other"))
    with desk.db.session() as session:
        session.add(Message(ticket_id=received.ticket_id, author="agent", body="Secret note", internal=True))
    page = client.get(f"/en/tickets/{received.reference}").get_data(as_text=True)
    assert "Secret note" not in page and "How did we do?" not in page
    link = re.search(r'href="(/en/tickets/[^"]+/attachments/(\d+))"', page)
    assert link and ">screen.png<" in page
    download = client.get(link.group(1))
    assert download.data == b"\x89PNG photo" and "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/en/tickets/{other.reference}/attachments/{link.group(2)}").status_code == 404
    assert client.get(f"/agent/attachments/{link.group(2)}").status_code == 302  # agents sign in first
    desk.tickets.update(received.ticket_id or 0, status="solved")
    solved = client.get(f"/en/tickets/{received.reference}").get_data(as_text=True)
    assert "How did we do?" in solved and "/en/survey/" in solved and "rating=5" in solved


def test_my_tickets_mails_a_signed_expiring_link(client: FlaskClient, desk: Desk,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    desk.tickets.create(NewTicket(email="lina@example.com", subject="First", body="One"))
    desk.tickets.create(NewTicket(email="lina@example.com", subject="Second", body="Two", channel="api"))
    token = csrf(client.get("/ar/my-tickets").get_data(as_text=True))
    unknown = client.post("/ar/my-tickets", data={"csrf_token": token, "email": "nobody@example.com"})
    known = client.post("/ar/my-tickets", data={"csrf_token": token, "email": "Lina@Example.com"})
    assert unknown.status_code == known.status_code == 302
    with desk.db.session() as session:
        [row] = session.scalars(select(OutboxMail).where(OutboxMail.kind == "magic_link")).all()
    assert row.to_address == "lina@example.com" and row.lang == "ar"
    listing = client.get(row.payload["path"]).get_data(as_text=True)
    assert ">First<" in listing and ">Second<" in listing and '<html lang="ar" dir="rtl">' in listing
    assert client.get(row.payload["path"][:-3] + "abc").status_code == 404
    monkeypatch.setattr(my_tickets, "LINK_MAX_AGE", -1)
    assert client.get(row.payload["path"]).status_code == 410


def test_agents_see_each_message_delivery_state(app: Flask, desk: Desk) -> None:
    ticket = desk.tickets.create(NewTicket(email="lina@example.com", subject="Refund", body="Where?"))
    with desk.db.session() as session:
        row = session.scalar(select(OutboxMail))
        assert row is not None
        row.attempts, row.last_error = 2, "ConnectionRefusedError: [Errno 111] Connection refused"
    full = desk.tickets.get(ticket.id)
    assert full is not None
    with app.test_request_context("/agent/"):
        html = render_template("mail/_delivery.html", m=full.messages[0])
    assert 'data-status="queued"' in html and "2 failed attempts" in html and "Connection refused" in html
