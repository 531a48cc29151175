"""The help center as search engines and link previews read it (task seo32), through the real app over the test
slice (a light one, no models; `--postgresql` runs it on PostgreSQL): /sitemap.xml lists every public page in each
language with its hreflang alternates and never an internal article, split into an index past
KB_SITEMAP_MAX_URLS; /robots.txt keeps crawlers off the workspace, the API and customers' pages (or off everything,
KB_ROBOTS_DISALLOW_ALL); article, category and home pages carry a canonical link, alternates, a description trimmed
at a word (never inside an Arabic letter's harakat), Open Graph, all escaped; every other page says noindex, and a
ticket's or survey's page sends no Referer. A GET of the sitemap or robots.txt writes nothing."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from flask import Flask

from desk.tickets import NewTicket
from kb.settings import Settings, SettingsError
from tests.webapp.light_app import PASSWORD, client_for, light_settings  # noqa: F401
from tests.webapp.test_agent_time_zone import writes
from webapp import create_app
from webapp.seo import DESCRIPTION_CHARS, describe

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
INTERNAL = "refund-approval-limits"  # the slice's internal article, in both languages
QUOTED_TITLE = 'The "best" <b>deal</b> & more'
QUOTED_SUMMARY = 'Say "yes" to <script>alert(1)</script> & get a refund.'


@pytest.fixture
def app(light_settings: Settings) -> Flask:  # noqa: F811
    quoted = light_settings.content_dir / "en" / "orders" / "quoted-title.md"
    quoted.write_text(
        "---\nid: quoted-title\ntitle: '" + QUOTED_TITLE + "'\nlang: en\ncategory: orders\nvisibility: public\n"
        "updated: 2026-11-02\nsummary: '" + QUOTED_SUMMARY + "'\n---\nA paragraph about deals.\n", "utf-8")
    app = create_app(light_settings)
    app.extensions["desk"].accounts.create_agent("agent@example.com", PASSWORD, name="Agent")
    return app


def sitemap(app: Flask, path: str = "/sitemap.xml", client=None) -> ElementTree.Element:  # type: ignore[no-untyped-def]
    response = (client or app.test_client()).get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return ElementTree.fromstring(response.get_data())


def entries(root: ElementTree.Element) -> dict[str, tuple[str | None, dict[str, str]]]:
    """loc -> (lastmod, {hreflang: href}) of a <urlset>."""
    assert root.tag == f"{SM}urlset"
    out = {}
    for url in root.findall(f"{SM}url"):
        loc = url.findtext(f"{SM}loc")
        assert loc is not None
        links = {link.get("hreflang", ""): link.get("href", "") for link in url.findall(f"{XHTML}link")}
        assert all(link.get("rel") == "alternate" for link in url.findall(f"{XHTML}link"))
        out[loc] = (url.findtext(f"{SM}lastmod"), links)
    return out


class Head(HTMLParser):
    """The <link> and <meta> tags of a page's head, their attributes unescaped as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.metas: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.links.append(values)
        elif tag == "meta" and ("property" in values or "name" in values):
            self.metas[values.get("property") or values["name"]] = values.get("content", "")

    def canonical(self) -> list[str]:
        return [link["href"] for link in self.links if link.get("rel") == "canonical"]

    def alternates(self) -> dict[str, str]:
        return {link["hreflang"]: link["href"] for link in self.links if link.get("rel") == "alternate"}


def head(app: Flask, path: str, client=None) -> Head:  # type: ignore[no-untyped-def]
    response = (client or app.test_client()).get(path)
    assert response.status_code in (200, 404), response.status_code
    return Head(response.get_data(as_text=True))


def test_the_sitemap_lists_public_pages_in_both_languages_with_hreflang_pairs(app: Flask) -> None:
    root = sitemap(app)
    found = entries(root)
    base = "http://localhost"
    pair = {"en": f"{base}/en/articles/reset-password", "ar": f"{base}/ar/articles/reset-password",
            "x-default": f"{base}/en/articles/reset-password"}
    assert found[f"{base}/en/articles/reset-password"] == ("2026-09-18", pair)  # the front matter's `updated:`
    assert found[f"{base}/ar/articles/reset-password"] == ("2026-09-18", pair)
    assert found[f"{base}/en/articles/gift-cards"] == ("2026-10-20", {})  # English only: no alternates
    assert f"{base}/ar/articles/gift-cards" not in found
    assert found[f"{base}/ar/"][1]["x-default"] == f"{base}/en/" and found[f"{base}/en/"][0] == "2026-11-02"
    assert f"{base}/ar/categories/returns" in found and f"{base}/ar/categories/orders" not in found
    assert all(loc.startswith(base + "/") for loc in found)
    assert len(found) == 2 + 9 + 10  # home x2, categories (orders in English only), articles


def test_no_internal_article_anywhere_even_when_an_agent_asks(app: Flask) -> None:
    agent = client_for(app, "agent@example.com")
    for client in (app.test_client(), agent):
        xml = client.get("/sitemap.xml").get_data(as_text=True)
        assert INTERNAL not in xml and "agent-procedures" not in xml and "/articles/" in xml
        assert INTERNAL not in client.get("/robots.txt").get_data(as_text=True)
    # An agent may open the internal article on the help center's route: drawn noindex, with nothing to preview.
    page = agent.get(f"/en/articles/{INTERNAL}")
    assert page.status_code == 200
    seen = Head(page.get_data(as_text=True))
    assert seen.metas.get("robots") == "noindex" and seen.canonical() == [] and seen.alternates() == {}
    assert "description" not in seen.metas and "og:title" not in seen.metas
    assert app.test_client().get(f"/en/articles/{INTERNAL}").status_code == 404


def test_past_the_limit_the_sitemap_is_an_index_of_parts(light_settings: Settings) -> None:  # noqa: F811
    whole = entries(sitemap(create_app(light_settings)))
    app = create_app(replace(light_settings, sitemap_max_urls=4))
    index = sitemap(app)
    assert index.tag == f"{SM}sitemapindex"
    parts = [entry.findtext(f"{SM}loc") for entry in index.findall(f"{SM}sitemap")]
    assert parts == [f"http://localhost/sitemap-{n}.xml" for n in range(1, -(-len(whole) // 4) + 1)]
    assert all(entry.findtext(f"{SM}lastmod") for entry in index.findall(f"{SM}sitemap"))
    joined: dict[str, object] = {}
    for part in parts:
        assert part is not None
        found = entries(sitemap(app, part.removeprefix("http://localhost")))
        assert 1 <= len(found) <= 4
        joined.update(found)
    assert joined == whole
    assert app.test_client().get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404
    assert app.test_client().get("/sitemap-0.xml").status_code == 404


def test_the_sitemap_limit_is_checked_at_start_up() -> None:
    assert Settings.from_env({"KB_SITEMAP_MAX_URLS": "200"}).sitemap_max_urls == 200
    for bad in ("50001", "0", "many"):
        with pytest.raises(SettingsError, match="KB_SITEMAP_MAX_URLS"):
            Settings.from_env({"KB_SITEMAP_MAX_URLS": bad})


def test_robots_keeps_crawlers_off_private_pages_and_names_the_sitemap(app: Flask) -> None:
    lines = app.test_client().get("/robots.txt").get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *" and "Allow: /" in lines
    for path in ("/agent/", "/api/", "/en/tickets/", "/ar/tickets/", "/en/search", "/ar/search", "/en/contact",
                 "/ar/survey/", "/en/my-tickets"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines and "Sitemap: http://localhost/sitemap.xml" in lines


def test_a_staging_site_disallows_everything(light_settings: Settings) -> None:  # noqa: F811
    app = create_app(replace(light_settings, robots_disallow_all=True))
    assert app.test_client().get("/robots.txt").get_data(as_text=True) == "User-agent: *\nDisallow: /\n"
    assert Settings.from_env({"KB_ROBOTS_DISALLOW_ALL": "on"}).robots_disallow_all


def test_links_are_absolute_on_the_configured_base_url(light_settings: Settings) -> None:  # noqa: F811
    app = create_app(replace(light_settings, base_url="https://help.example.com"))
    assert all(loc.startswith("https://help.example.com/") for loc in entries(sitemap(app)))
    assert "Sitemap: https://help.example.com/sitemap.xml" in app.test_client().get("/robots.txt").get_data(
        as_text=True)
    assert head(app, "/en/articles/gift-cards").canonical() == ["https://help.example.com/en/articles/gift-cards"]


def test_article_pages_carry_canonical_alternates_description_and_open_graph(app: Flask) -> None:
    seen = head(app, "/ar/articles/reset-password?s=abc&p=1&helpful=no")
    assert seen.canonical() == ["http://localhost/ar/articles/reset-password"]  # no query string
    assert seen.alternates() == {"en": "http://localhost/en/articles/reset-password",
                                 "ar": "http://localhost/ar/articles/reset-password",
                                 "x-default": "http://localhost/en/articles/reset-password"}
    summary = "كيف تعيّن كلمة مرور جديدة إذا نسيت كلمة المرور الحالية."
    assert seen.metas["description"] == summary and seen.metas["og:description"] == summary
    assert seen.metas["og:title"] == "إعادة تعيين كلمة المرور" and seen.metas["og:type"] == "article"
    assert seen.metas["og:locale"] == "ar_AR" and seen.metas["og:locale:alternate"] == "en_US"
    assert seen.metas["og:url"] == "http://localhost/ar/articles/reset-password"
    assert seen.metas["og:site_name"] and seen.metas["twitter:card"] == "summary" and "robots" not in seen.metas
    only = head(app, "/en/articles/gift-cards")
    assert only.alternates() == {} and only.metas["og:locale"] == "en_US" and "og:locale:alternate" not in only.metas
    category = head(app, "/en/categories/returns")
    assert category.canonical() == ["http://localhost/en/categories/returns"]
    assert category.alternates()["ar"] == "http://localhost/ar/categories/returns"
    home = head(app, "/ar/")
    assert home.canonical() == ["http://localhost/ar/"] and home.alternates()["x-default"] == "http://localhost/en/"


def test_a_title_and_summary_with_quotes_and_markup_stay_inside_their_attributes(app: Flask) -> None:
    html = app.test_client().get("/en/articles/quoted-title").get_data(as_text=True)
    assert "<script>alert" not in html and '<b>deal' not in html
    seen = Head(html)
    assert seen.metas["og:title"] == QUOTED_TITLE
    assert seen.metas["description"] == seen.metas["og:description"] == QUOTED_SUMMARY


def test_every_other_page_says_noindex_and_secret_pages_send_no_referrer(app: Flask) -> None:
    ticket = app.extensions["desk"].tickets.create(NewTicket(email="c@example.com", name="C", subject="Where?",
                                                             body="Where is my order?", notify=False))
    desk = app.extensions["desk"]
    solved = desk.tickets.create(NewTicket(email="s@example.com", name="S", subject="Done", body="Thanks",
                                           notify=False))
    desk.tickets.update(solved.id, status="solved")
    survey = desk.surveys.latest_for_ticket(solved.id)
    assert survey is not None
    client = app.test_client()
    assert client.get(f"/ar/survey/{survey.token}").status_code == 200
    for path in (f"/ar/survey/{survey.token}", "/en/search?q=refund", "/en/search", "/ar/contact",
                 f"/en/tickets/{ticket.reference}", "/en/articles/nope", "/en/my-tickets", "/en/survey/not-a-token",
                 "/agent/login"):
        seen = head(app, path, client)
        assert seen.metas.get("robots") == "noindex", path
        assert seen.canonical() == [] and "og:title" not in seen.metas, path
    agent = client_for(app, "agent@example.com")
    assert Head(agent.get("/agent/").get_data(as_text=True)).metas.get("robots") == "noindex"
    assert client.get(f"/en/tickets/{ticket.reference}").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/en/my-tickets").headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/ar/survey/{survey.token}").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/en/articles/gift-cards").headers["Referrer-Policy"] == "same-origin"


def test_descriptions_are_cut_at_a_word_and_never_inside_a_grapheme() -> None:
    english = "Refunds reach your card within five to ten working days after we receive the item back " * 3
    cut = describe(english)
    assert len(cut) <= DESCRIPTION_CHARS and cut.endswith("…")
    assert english.startswith(cut[:-1]) and english[len(cut) - 1] == " "  # a whole word before the ellipsis
    arabic = "يُمْكِنُكَ اسْتِرْجَاعُ الْمَبْلَغِ خِلَالَ خَمْسَةِ أَيَّامِ عَمَلٍ " * 5
    cut = describe(arabic)
    assert len(cut) <= DESCRIPTION_CHARS and arabic.startswith(cut[:-1]) and arabic[len(cut) - 1] == " "
    word = "بَ" * 100  # one word longer than the limit: cut between letters, each keeping its fatha
    cut = describe(word)
    assert cut.endswith("…") and len(cut[:-1]) % 2 == 0 and word.startswith(cut[:-1])
    assert not unicodedata.combining(word[len(cut) - 1])
    assert describe("  short\n text ") == "short text"


def test_the_description_falls_back_to_the_first_paragraph(light_settings: Settings) -> None:  # noqa: F811
    path: Path = light_settings.content_dir / "en" / "orders" / "gift-cards.md"
    path.write_text("\n".join(line for line in path.read_text("utf-8").splitlines()
                              if not line.startswith("summary:")) + "\n", "utf-8")
    seen = head(create_app(light_settings), "/en/articles/gift-cards")
    assert seen.metas["description"].startswith("A Manzil gift card is a digital code")
    assert len(seen.metas["description"]) <= DESCRIPTION_CHARS


def test_a_get_of_the_sitemap_or_robots_writes_nothing(app: Flask, light_settings: Settings) -> None:  # noqa: F811
    agent = client_for(app, "agent@example.com")
    with writes(app) as seen:
        for client in (app.test_client(), agent):
            for path in ("/sitemap.xml", "/sitemap-1.xml", "/robots.txt", "/sitemap-9.xml"):
                assert client.get(path).status_code in (200, 404)
    assert seen == []


def test_the_kept_sitemap_follows_a_content_change(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sitemap is built once per catalog snapshot: an article made internal leaves it at the next look."""
    monkeypatch.setattr("kb.catalog._CHECK_EVERY_S", 0.0)
    client = app.test_client()
    assert "http://localhost/en/articles/gift-cards" in entries(sitemap(app, client=client))
    path = app.extensions["settings"].content_dir / "en" / "orders" / "gift-cards.md"
    path.write_text(path.read_text("utf-8").replace("visibility: public", "visibility: internal"), "utf-8")
    found = entries(sitemap(app, client=client))
    assert "http://localhost/en/articles/gift-cards" not in found and "http://localhost/en/categories/orders" in found
