"""The tags page through the real app (a light one; `--postgresql` runs it on PostgreSQL): leads and admins list every
tag with its counts, filter them, rename one (onto an existing tag: a merge, which the confirmation says), delete
one; agents get 403; refusals name their field; the confirmation's counts are what the change does; macros that
still add the old tag are listed; Arabic pages read in Arabic."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from desk.audit import AuditQuery
from desk.tickets import NewTicket
from kb.settings import Settings
from tests.webapp.light_app import PASSWORD, client_for, csrf, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    for lang, tags in (("en", "[Refund, vip]"), ("ar", "[ＲＥＦＵＮＤ]")):  # folded as the desk folds them
        macro = light_settings.content_dir / "_macros" / lang / "refund-on-its-way.md"
        macro.parent.mkdir(parents=True, exist_ok=True)
        macro.write_text(f"---\ntitle: Refund\nactions:\n  add_tags: {tags}\n---\nHello.\n", encoding="utf-8")
    app = create_app(light_settings)
    desk = app.extensions["desk"]
    for email, role in (("agent@example.com", "agent"), ("lead@example.com", "lead"), ("admin@example.com", "admin")):
        desk.accounts.create_agent(email, PASSWORD, name=role.title(), role=role)
    ids = [desk.tickets.create(NewTicket(email=f"c{n}@example.com", subject=f"Refund {n}", body="Where is it?",
                                         notify=False)).id for n in range(4)]
    desk.tags.add(ids[:3], ["refunds"])
    desk.tags.add(ids[2:], ["Refund"])
    desk.tags.add(ids[:1], ["vip"])
    desk.tickets.update(ids[0], status="closed")
    return app


def plain(html: str) -> str:
    return unescape(html).replace("\u2068", "").replace("\u2069", "")  # the isolates around inserted values


def rows(html: str) -> list[str]:
    return re.findall(r'class="tag-row" data-tag="([^"]+)"', unescape(html))


def test_leads_see_every_tag_with_its_counts_most_used_first_and_agents_get_403(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    page = lead.get("/agent/tags").get_data(as_text=True)
    assert rows(page) == ["refunds", "refund", "vip"]
    assert re.findall(r'class="unsolved-count">(\d+)<', page) == ["2", "2", "0"]  # the closed ticket is not unsolved
    assert re.findall(r'class="all-count">(\d+)<', page) == ["3", "2", "1"]
    assert 'href="/agent/?view=all&amp;tag=refunds"' in page  # the inbox filtered by it
    assert rows(lead.get("/agent/tags", query_string={"q": "ＲＥＦＵＮＤ"}).get_data(as_text=True)) == [
        "refunds", "refund"]
    assert 'href="/agent/tags"' in lead.get("/agent/").get_data(as_text=True)
    agent = client_for(app, "agent@example.com")
    token = csrf(agent.get("/agent/").get_data(as_text=True))
    assert 'href="/agent/tags"' not in agent.get("/agent/").get_data(as_text=True)
    for path in ("/agent/tags", "/agent/tags/rename?tag=refunds&to=refund", "/agent/tags/delete?tag=vip"):
        assert agent.get(path).status_code == 403
    for path, data in (("/agent/tags/rename", {"tag": "refunds", "to": "refund"}), ("/agent/tags/delete",
                                                                                    {"tag": "vip"})):
        assert agent.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert rows(lead.get("/agent/tags").get_data(as_text=True)) == ["refunds", "refund", "vip"]


def test_a_rename_onto_an_existing_tag_says_it_merges_then_does_what_it_said(app: Flask) -> None:
    desk = app.extensions["desk"]
    lead = client_for(app, "lead@example.com")
    view = desk.saved_views.save(desk.accounts.find("lead@example.com").id, "Refunds",
                                 {"view": "all", "tag": "refunds"})
    with writes(app) as seen:
        form = lead.get("/agent/tags/rename", query_string={"tag": "refunds"})
        confirm = lead.get("/agent/tags/rename", query_string={"tag": "refunds", "to": "ＲＥＦＵＮＤ"})
    assert seen == []  # the form and the confirmation read only
    assert form.status_code == 200 and 'id="tag-to"' in form.get_data(as_text=True)
    page = plain(confirm.get_data(as_text=True))
    assert 'data-tickets="3" data-merge="yes"' in page
    assert "“refunds” is merged into the existing tag “refund”: 3 tickets change, closed ones included." in page
    assert "1 ticket has both tags and keeps one." in page
    assert "1 saved view filtering by it will filter by the new name." in page
    assert "_macros/en/refund-on-its-way.md" not in page  # the macros add "refund", not "refunds"
    done = lead.post("/agent/tags/rename", data={"tag": "refunds", "to": "refund", "csrf_token": csrf(page)})
    assert done.status_code == 302 and done.headers["Location"] == "/agent/tags"
    listing = plain(lead.get("/agent/tags").get_data(as_text=True))
    assert "“refunds” was merged into “refund”: 3 tickets changed." in listing
    assert rows(listing) == ["refund", "vip"] and re.findall(r'class="all-count">(\d+)<', listing) == ["4", "1"]
    assert desk.saved_views.get(view.id, view.agent_id).query.tag == "refund"
    [event] = desk.audit.page(AuditQuery(action="tag_renamed"), 0, 10).events
    assert event.actor_id == desk.accounts.find("lead@example.com").id and event.after["tickets"] == 3


def test_renaming_or_deleting_a_tag_macros_add_lists_the_macro_files(app: Flask) -> None:
    admin = client_for(app, "admin@example.com")
    page = plain(admin.get("/agent/tags/rename", query_string={"tag": "refund", "to": "refunded"})
                 .get_data(as_text=True))
    assert 'data-tickets="2" data-merge="no"' in page and "2 tickets are tagged “refunded” instead" in page
    assert "_macros/ar/refund-on-its-way.md" in page and "_macros/en/refund-on-its-way.md" in page
    done = admin.post("/agent/tags/rename", data={"tag": "refund", "to": "refunded", "csrf_token": csrf(page)},
                      follow_redirects=True)
    said = plain(done.get_data(as_text=True))
    assert "“refund” was renamed “refunded”: 2 tickets changed." in said
    assert "These macros still add “refund”; change them in the content's git: _macros/ar/refund-on-its-way.md" in said
    delete = plain(admin.get("/agent/tags/delete", query_string={"tag": "vip"}).get_data(as_text=True))
    assert "“vip” is taken off 1 ticket, closed ones included." in delete
    gone = admin.post("/agent/tags/delete", data={"tag": "vip", "csrf_token": csrf(delete)}, follow_redirects=True)
    assert "“vip” was deleted from 1 ticket." in plain(gone.get_data(as_text=True))
    assert rows(gone.get_data(as_text=True)) == ["refunds", "refunded"]
    [event] = app.extensions["desk"].audit.page(AuditQuery(action="tag_deleted"), 0, 10).events
    assert (event.subject, event.after) == ("vip", {"tickets": 1})


@pytest.mark.parametrize(("data", "error"), [
    ({"tag": "refunds", "to": ""}, "new tag: is empty"),
    ({"tag": "refunds", "to": "<b>"}, "new tag: “<b>” cannot be a tag"),
    ({"tag": "refunds", "to": "REFUNDS"}, "new tag: is the tag's name already: type another"),
    ({"tag": "refunds", "to": "r\u0435fund"}, "new tag: “r\u0435fund” mixes Latin, Cyrillic or Greek letters"),
    ({"tag": "nobody", "to": "x"}, "tag: no ticket has the tag “nobody”"),
    ({"tag": "a\x00b", "to": "x"}, "tag: no ticket has the tag"),  # PostgreSQL refuses a NUL in a query: never sent
])
def test_refusals_name_their_field_and_change_nothing(app: Flask, data: dict[str, str], error: str) -> None:
    admin = client_for(app, "admin@example.com")
    token = csrf(admin.get("/agent/tags").get_data(as_text=True))
    refused = admin.post("/agent/tags/rename", data={**data, "csrf_token": token})
    assert refused.status_code == 400 and error in plain(refused.get_data(as_text=True))
    if data["to"]:
        shown = admin.get("/agent/tags/rename", query_string=data)
        in_query = "tag: contains a NUL character" if "\x00" in data["tag"] else error  # the app's guard on a URL's
        assert shown.status_code == 400 and in_query in plain(shown.get_data(as_text=True))
    missing = admin.post("/agent/tags/delete", data={"tag": "nobody", "csrf_token": token})
    assert missing.status_code == 400 and "tag: no ticket has the tag “nobody”" in plain(missing.get_data(as_text=True))
    assert rows(admin.get("/agent/tags").get_data(as_text=True)) == ["refunds", "refund", "vip"]


def test_arabic_leads_read_the_tags_pages_in_arabic(app: Flask) -> None:
    lead = client_for(app, "lead@example.com")
    headers = {"Accept-Language": "ar"}
    listing = lead.get("/agent/tags", headers=headers).get_data(as_text=True)
    assert 'lang="ar"' in listing and "الوسوم" in listing
    page = plain(lead.get("/agent/tags/rename", query_string={"tag": "refunds", "to": "refund"}, headers=headers)
                 .get_data(as_text=True))
    assert "يُدمج" in page
    refused = plain(lead.get("/agent/tags/rename", query_string={"tag": "refunds", "to": "<b>"}, headers=headers)
                    .get_data(as_text=True))
    assert "الوسم الجديد" in refused
