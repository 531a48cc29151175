"""Deleting and marking spam through the real app under hostile use (task trashhostile36): a second "Mark as spam" or
"Delete" of the same ticket (a double click, another agent first) lands on the inbox with the refusal, not on the
ticket's page (a 404 once deleted); the admin's block of an agent's domain is refused, named, with what was typed kept.
SQLite and (`--postgresql`) PostgreSQL."""

from __future__ import annotations

from flask.testing import FlaskClient

from desk.desk import Desk
from desk.tickets import NewTicket
from tests.webapp.light_app import PASSWORD, Guarded, light_app, light_settings, signed_in  # noqa: F401


def test_a_double_click_on_spam_or_delete_lands_on_the_inbox_not_a_404(light_app: Guarded) -> None:  # noqa: F811
    desk: Desk = light_app.app.extensions["desk"]
    desk.accounts.create_agent("lead@example.com", PASSWORD, name="Lead", role="lead")
    lead, token = signed_in(light_app.app, "lead@example.com")
    for action in ("spam", "delete"):
        ticket = desk.tickets.create(NewTicket(email="bot@junk.example", subject="Cheap", body="Buy now"))
        first = lead.post(f"/agent/tickets/{ticket.id}/{action}", data={"csrf_token": token})
        second = lead.post(f"/agent/tickets/{ticket.id}/{action}", data={"csrf_token": token})
        assert first.headers["Location"] == second.headers["Location"] == "/agent/"
        landed = lead.get(second.headers["Location"])
        assert landed.status_code == 200 and f"no ticket {ticket.id}" in landed.get_data(as_text=True)
    assert desk.trash.deleted().total == 2


def test_blocking_an_agents_domain_is_refused_with_the_field_named(light_app: Guarded) -> None:  # noqa: F811
    admin: FlaskClient
    admin, token = signed_in(light_app.app, "admin@example.com")
    refused = admin.post("/agent/blocked", data={"csrf_token": token, "address": "@Example.com"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'value="@Example.com"' in page and "admin@example.com" in page
    desk: Desk = light_app.app.extensions["desk"]
    assert desk.trash.blocked().rows == []


def test_a_deleted_tickets_file_is_nobodys_to_download(light_app: Guarded) -> None:  # noqa: F811
    """Before: any signed-in agent (a light agent too) downloaded a deleted (or spam) ticket's file by its id, while the
    ticket's own page answered 404."""
    from desk.mail.attachments import Upload

    desk: Desk = light_app.app.extensions["desk"]
    ticket, [attached] = desk.tickets.create_with_files(
        NewTicket(email="bot@junk.example", subject="Invoice", body="Open it"), [Upload("invoice.txt", b"total")])
    admin, _ = signed_in(light_app.app, "admin@example.com")
    customer = light_app.app.test_client()
    urls = [(admin, f"/agent/attachments/{attached.id}"),
            (customer, f"/en/tickets/{ticket.reference}/attachments/{attached.id}")]
    assert [client.get(url).status_code for client, url in urls] == [200, 200]
    desk.trash.delete([ticket.id], spam=True)
    assert [client.get(url).status_code for client, url in urls] == [404, 404]
    desk.trash.restore(ticket.id)
    assert [client.get(url).status_code for client, url in urls] == [200, 200]
