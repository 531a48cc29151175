"""What search engines and link previews read: `/sitemap.xml`, `/robots.txt`, and each page's head.

The policy, in one place:

- Only what an anonymous visitor may read is listed or described. The sitemap and every page head ask the catalog
  as the PUBLIC audience (kb.audience's fail-closed rule, the one webapp.audience decides a request's audience
  with), whoever fetches them: an agent's session must not put an internal article in a sitemap a cache keeps, and
  an internal article an agent opens on the help center's route is drawn noindex, with no description or preview.
  The content has no drafts: an article is public or internal (`visibility:`), and nothing else is hidden.
- Indexable pages are the home page, the category pages and the article pages (`INDEXABLE_TEMPLATES`), each with
  its canonical address (no query string: `?s=&p=` click tracking and `?helpful=no` are the same page) and its
  other languages' versions as hreflang alternates, `x-default` naming the site's default language. Every other
  page the customers' base draws (search results, the contact form, tickets, surveys, My tickets, errors) says
  `noindex`, and so does every page of the agents' workspace (its own base).
- A sitemap's `<lastmod>` is the article's `updated:` date, the one the catalog and the index store (git commit
  times are not kept); an article without one falls back to its file's modification time, when `kb sync`
  published it. A home or category page's is its newest article's.
- Past `Settings.sitemap_max_urls` URLs (50,000, the protocol's limit), `/sitemap.xml` is a sitemap index of
  `/sitemap-<n>.xml` files.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, cast
from urllib.parse import urlsplit
from xml.etree import ElementTree

from flask import Blueprint, Response, abort, current_app, request

from copilot.snippets import plain_text
from kb.articles import Article
from kb.audience import PUBLIC
from kb.settings import Settings
from webapp import state
from webapp.urls import absolute_url

bp = Blueprint("seo", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
INDEXABLE_TEMPLATES = frozenset({"home.html", "category.html", "article.html"})
# Google shows about 155-160 characters of a description before cutting it; Zendesk Guide trims there too.
DESCRIPTION_CHARS = 160
OG_LOCALES = {"ar": "ar_AR", "en": "en_US"}  # Open Graph wants language_TERRITORY
# Pages no crawler should read, per language (robots.txt matches by prefix; `/*/search` would also hide an article
# whose id starts with "search", so each language's path is named).
PRIVATE_PATHS = ("/agent/", "/api/", "/preview/")
PRIVATE_PER_LANGUAGE = ("/{lang}/tickets/", "/{lang}/search", "/{lang}/contact", "/{lang}/survey/",
                        "/{lang}/my-tickets", "/{lang}/answer/", "/{lang}/suggested/")
# Pages whose address is a customer's secret (a ticket reference, a survey token, a signed link): their links
# must not reach another site in a Referer header.
NO_REFERRER_BLUEPRINTS = frozenset({"survey", "my_tickets", "suggested"})
NO_REFERRER_ENDPOINTS = frozenset({"help.ticket", "attachments.for_customer"})


def referrer_hidden(endpoint: str | None, blueprint: str | None) -> bool:
    """Whether the request's page must be served with `Referrer-Policy: no-referrer` (app.security_headers)."""
    return endpoint in NO_REFERRER_ENDPOINTS or blueprint in NO_REFERRER_BLUEPRINTS


def describe(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """`text` as one line of at most `limit` characters, cut at a word boundary with "…" when longer. A word longer
    than the whole limit is cut between graphemes: never between an Arabic letter and its harakat."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    if flat[limit - 1] != " ":  # inside a word: back to the space before it
        space = head.rfind(" ")
        if space > 0:
            head = head[:space]
        else:
            while head and _joins_previous(flat[len(head)]):
                head = head[:-1]
    return head.rstrip(" ,،;:.-–") + "…"


def _joins_previous(char: str) -> bool:
    """A combining mark (harakat, shadda) or a joiner: part of the grapheme before it."""
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or char in ("\u200d", "\u200c")


def article_description(article: Article) -> str:
    """The article's summary, else its first paragraph, as plain text trimmed for a description."""
    if article.summary.strip():
        return describe(plain_text(article.summary))
    first = next((b for b in article.blocks if b.kind == "paragraph" and not b.link_only), None)
    return describe(plain_text(first.text)) if first is not None else ""


@dataclass(frozen=True)
class PageHead:
    """What a customer page's `<head>` says to crawlers and link previews (base.html draws it)."""

    indexable: bool
    canonical: str = ""
    alternates: tuple[tuple[str, str], ...] = ()  # (hreflang, absolute URL), the page's own and x-default included
    title: str = ""
    description: str = ""
    og_type: str = "website"
    og_locale: str = ""
    og_locale_alternates: tuple[str, ...] = ()


NOINDEX = PageHead(indexable=False)


class _Category(Protocol):
    slug: str
    name: str
    description: str


def page_head(template: str, lang: str, context: Mapping[str, object]) -> PageHead:
    """The head of a customer page drawn from `template` with `context` (webapp.help.page)."""
    if template not in INDEXABLE_TEMPLATES or current_app.config.get("KB_PREVIEW"):
        return NOINDEX
    settings, catalog = state.settings(), state.catalog()
    brand = str(context.get("brand", ""))
    if template == "article.html":
        article = context["article"]
        assert isinstance(article, Article)
        if catalog.get(article.lang, article.id, PUBLIC) is None:  # an internal article an agent reads
            return NOINDEX
        versions = {article.lang: article, **{t.lang: t for t in catalog.translations(article, PUBLIC)}}
        pages = {code: absolute_url(settings, "help.article", lang=code, article_id=article.id) for code in versions}
        return _head(settings, lang, pages, article.title, article_description(article), "article")
    if template == "category.html":
        card = cast(_Category, context["card"])  # webapp.help.CategoryCard
        pages = {code: absolute_url(settings, "help.category", lang=code, category=card.slug)
                 for code in settings.languages if card.slug in catalog.by_category(code, PUBLIC)}
        if lang not in pages:
            return NOINDEX
        return _head(settings, lang, pages, f"{card.name} · {brand}", describe(card.description), "website")
    pages = {code: absolute_url(settings, "help.home", lang=code) for code in settings.languages}
    return _head(settings, lang, pages, brand, "", "website")


def _head(settings: Settings, lang: str, pages: dict[str, str], title: str, description: str, og_type: str) -> PageHead:
    return PageHead(
        indexable=True, canonical=pages[lang], alternates=_alternates(settings, pages), title=title,
        description=description, og_type=og_type, og_locale=OG_LOCALES.get(lang, lang),
        og_locale_alternates=tuple(OG_LOCALES.get(code, code) for code in pages if code != lang),
    )


def _alternates(settings: Settings, pages: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """hreflang links for a page that exists in more than one language: each version, and x-default (the site's
    default language's version, when there is one)."""
    if len(pages) < 2:
        return ()
    ordered = [(code, pages[code]) for code in settings.languages if code in pages]
    default = pages.get(settings.languages[0])
    return tuple(ordered) + ((("x-default", default),) if default else ())


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: dt.date | None
    alternates: tuple[tuple[str, str], ...]


def _last_modified(settings: Settings, article: Article) -> dt.date | None:
    if article.updated is not None:
        return article.updated
    try:
        stamp = (settings.content_dir / article.path).stat().st_mtime
    except OSError:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).date()


def _newest(dates: list[dt.date | None]) -> dt.date | None:
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def sitemap_urls() -> list[SitemapUrl]:
    """Every page the sitemap lists, in a stable order: the home pages, the category pages, the articles (by id),
    each language's version with the page's hreflang alternates. Public articles only (the catalog as PUBLIC)."""
    settings, catalog = state.settings(), state.catalog()
    grouped = {code: catalog.by_category(code, PUBLIC) for code in settings.languages}
    urls: list[SitemapUrl] = []

    def add(pages: dict[str, str], dates: dict[str, dt.date | None]) -> None:
        alternates = _alternates(settings, pages)
        urls.extend(SitemapUrl(pages[code], dates.get(code), alternates)
                    for code in settings.languages if code in pages)

    dated = {code: {a.key: _last_modified(settings, a) for group in groups.values() for a in group}
             for code, groups in grouped.items()}
    add({code: absolute_url(settings, "help.home", lang=code) for code in settings.languages},
        {code: _newest(list(dated[code].values())) for code in settings.languages})
    for slug in sorted({slug for groups in grouped.values() for slug in groups}):
        present = [code for code in settings.languages if slug in grouped[code]]
        add({code: absolute_url(settings, "help.category", lang=code, category=slug) for code in present},
            {code: _newest([dated[code][a.key] for a in grouped[code][slug]]) for code in present})
    ids = sorted({a.id for groups in grouped.values() for group in groups.values() for a in group})
    for article_id in ids:
        versions = {code: found for code in settings.languages
                    if (found := catalog.get(code, article_id, PUBLIC)) is not None}
        add({code: absolute_url(settings, "help.article", lang=code, article_id=article_id) for code in versions},
            {code: dated[code].get(article.key) for code, article in versions.items()})
    return urls


@dataclass
class _Kept:
    """The sitemap of one catalog snapshot: its URLs and each file's XML once written (0: /sitemap.xml), on the root
    of the request that built it (`root`). Another host's request gets the same bytes with its own root in place
    (`_on_root`): without KB_BASE_URL the links name the request's host, and anyone may send any Host, so hosts
    taking turns must not rebuild a large site's list (seconds) on every request."""

    snapshot: object
    root: str
    urls: list[SitemapUrl]
    bodies: dict[int, bytes]


# What a root (scheme, host, port, mount path) may hold to be swapped in the XML's bytes as they are: none of XML's
# escaped characters, so the root reads the same in a <loc> and in an href attribute (werkzeug already blanks a Host
# with anything else; a root outside it is answered from a sitemap made for it alone).
_PLAIN_ROOT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/[]%~")


def _kept() -> tuple[_Kept, str]:
    """The sitemap, built once per catalog snapshot: a large site's takes seconds (bench/RESULTS.md, Session 32,
    seo32), and anyone may ask for it. A content change makes a new snapshot, so a new sitemap; the one entry is
    replaced, never grown. Only memory: a GET writes nothing. With the request's root."""
    snapshot = state.catalog().snapshot()
    root = absolute_url(state.settings(), "help.root")
    kept = current_app.extensions.get("sitemap")
    if not set(root) <= _PLAIN_ROOT:
        return _Kept(snapshot, root, sitemap_urls(), {}), root
    if not isinstance(kept, _Kept) or kept.snapshot is not snapshot:
        kept = _Kept(snapshot, root, sitemap_urls(), {})
        current_app.extensions["sitemap"] = kept
    return kept, root


def _on_root(body: bytes, written: str, root: str) -> bytes:
    """`body`, written with its links on `written`, with them on `root` (every link starts with its root)."""
    return body if root == written else body.replace(written.encode(), root.encode())


def _chunks(urls: list[SitemapUrl]) -> list[list[SitemapUrl]]:
    size = state.settings().sitemap_max_urls
    return [urls[start:start + size] for start in range(0, len(urls), size)] or [[]]


def _xml(root: ElementTree.Element) -> bytes:
    ElementTree.register_namespace("", SITEMAP_NS)
    ElementTree.register_namespace("xhtml", XHTML_NS)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _response(body: bytes) -> Response:
    response = Response(body, mimetype="application/xml")
    response.cache_control.max_age = 300
    return response


def _urlset(urls: list[SitemapUrl]) -> ElementTree.Element:
    root = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for url in urls:
        entry = ElementTree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = url.loc
        if url.lastmod is not None:
            ElementTree.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = url.lastmod.isoformat()
        for hreflang, href in url.alternates:
            ElementTree.SubElement(entry, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=hreflang, href=href)
    return root


def _index(chunks: list[list[SitemapUrl]], kept: _Kept, root: str) -> ElementTree.Element:
    root_element = ElementTree.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    settings = state.settings()
    for number, chunk in enumerate(chunks, start=1):
        entry = ElementTree.SubElement(root_element, f"{{{SITEMAP_NS}}}sitemap")
        loc = absolute_url(settings, "seo.sitemap_part", number=number)  # on this request's root; kept on the list's
        ElementTree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = kept.root + loc.removeprefix(root)
        newest = _newest([url.lastmod for url in chunk])
        if newest is not None:
            ElementTree.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = newest.isoformat()
    return root_element


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """The sitemap; past `sitemap_max_urls` URLs, the index of its parts."""
    kept, root = _kept()
    if 0 not in kept.bodies:
        chunks = _chunks(kept.urls)
        kept.bodies[0] = _xml(_urlset(chunks[0]) if len(chunks) == 1 else _index(chunks, kept, root))
    return _response(_on_root(kept.bodies[0], kept.root, root))


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    kept, root = _kept()
    chunks = _chunks(kept.urls)
    if not 1 <= number <= len(chunks):
        abort(404)
    if number not in kept.bodies:
        kept.bodies[number] = _xml(_urlset(chunks[number - 1]))
    return _response(_on_root(kept.bodies[number], kept.root, root))


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawl the help center, not the workspace, the API or a customer's pages; where the sitemap is.
    `KB_ROBOTS_DISALLOW_ALL` (a staging site): crawl nothing, and no sitemap named."""
    settings = state.settings()
    lines = ["User-agent: *"]
    if settings.robots_disallow_all:
        lines.append("Disallow: /")
    else:
        prefix = urlsplit(absolute_url(settings, "help.root")).path.rstrip("/")
        private = [*PRIVATE_PATHS, *(path.format(lang=code) for code in settings.languages
                                     for path in PRIVATE_PER_LANGUAGE)]
        lines += [f"Disallow: {prefix}{path}" for path in private]
        lines += [f"Allow: {prefix}/", "", f"Sitemap: {absolute_url(settings, 'seo.sitemap')}"]
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.cache_control.max_age = 300
    return response


def request_is_private() -> bool:
    """For app.security_headers: this request's page carries a customer's secret in its address."""
    return referrer_hidden(request.endpoint, request.blueprint)
