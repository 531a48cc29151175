"""Article Markdown to safe HTML, with heading anchors and a table of contents.

Anchors come from the same slug function the chunker uses, so a search result's `#anchor` always
lands on its section. Links between articles are written as relative paths to `.md` files (what
a writer's editor can follow); here they become site URLs. Whatever HTML the Markdown contains,
the result passes through nh3's allow-list before it reaches a page (kb.raw_html: each raw HTML
block on its own first, so no element can hide or mangle the rest of the article).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

from kb.parsing import clean_foreign_syntax, inline_text, markdown_parser, strip_bom
from kb.raw_html import render_html_block, sanitize_html

_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


@dataclass(frozen=True)
class TocEntry:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class RenderedArticle:
    html: str
    toc: tuple[TocEntry, ...]


_PARSER = markdown_parser().use(anchors_plugin, min_level=1, max_level=6, permalink=False)
_PARSER.add_render_rule("html_block", render_html_block)


def render_markdown(
    source: str,
    article_path: str,
    url_for_article: str,
    media_url: str,
    article_ids: Mapping[str, str] | None = None,
) -> RenderedArticle:
    """Render an article's Markdown body.

    `article_path` is the file's path under the content root (for resolving relative links);
    `url_for_article` is a template with `{lang}` and `{id}`; `media_url` the URL prefix of `_media/`;
    `article_ids` maps a file's path to its article id, for ids that differ from the file name
    (`id: teams/license` in `en/teams/license.md`); without an entry the file name is the id.
    """
    tokens = _PARSER.parse(clean_foreign_syntax(strip_bom(source)))
    toc: list[TocEntry] = []
    heading = ""  # the last heading's anchor: a table under it is named by it
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            heading = str(token.attrGet("id") or "")
            text = inline_text(tokens[index + 1])
            if text:  # a heading with nothing to read (only an image, say) is no entry a reader can use
                toc.append(TocEntry(int(token.tag[1]), text, heading))
        elif token.type == "table_open" and heading:
            # A Markdown table has no caption: its section's heading names it (a screen reader's list of tables
            # said "table, 2 columns" and nothing more), and its header row's cells head their columns.
            token.attrSet("aria-labelledby", heading)
        elif token.type == "th_open":
            token.attrSet("scope", "col")
        for child in [token, *(token.children or [])]:
            _rewrite_link(child, article_path, url_for_article, media_url, article_ids or {})
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    return RenderedArticle(sanitize_html(html), tuple(toc))


@dataclass(frozen=True)
class LinkTarget:
    """Where a relative link in an article leads, as the site serves it.

    kind "article" (lang and id from the file's place: <lang>/<category>/<id>.md), "media" (a
    file under `_media/`, served at /media/), or "file": anything else relative, which the site
    cannot serve (the link is left as written and breaks). `kb lint` judges links with this too.
    """

    kind: Literal["article", "media", "file"]
    path: str  # relative to the content root
    fragment: str
    lang: str = ""
    id: str = ""


def resolve_link(target: str, article_path: str) -> LinkTarget | None:
    """None for what is not a path into the content: external URLs, site URLs, bare #anchors."""
    if not target or target.startswith(("#", "/")) or _EXTERNAL.match(target):
        return None
    path, _, fragment = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(article_path), path))
    if resolved.startswith("_media/"):
        return LinkTarget("media", resolved, fragment)
    parts = resolved.split("/")
    if path.endswith(".md") and len(parts) == 3:
        return LinkTarget("article", resolved, fragment, parts[0], parts[2].removesuffix(".md"))
    return LinkTarget("file", resolved, fragment)


def _rewrite_link(
    token: Token, article_path: str, url_for_article: str, media_url: str, article_ids: Mapping[str, str]
) -> None:
    attribute = "href" if token.type == "link_open" else "src" if token.type == "image" else None
    if attribute is None:
        return
    link = resolve_link(str(token.attrGet(attribute) or ""), article_path)
    if link is None or link.kind == "file":
        return
    if link.kind == "media":
        token.attrSet(attribute, f"{media_url}/{link.path.removeprefix('_media/')}")
        return
    url = url_for_article.format(lang=link.lang, id=article_ids.get(link.path, link.id))
    token.attrSet(attribute, url + (f"#{link.fragment}" if link.fragment else ""))
