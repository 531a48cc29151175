"""Raw HTML in articles: one policy for what the page shows and what search indexes.

CommonMark passes raw HTML through, and a browser-grade sanitizer (nh3) then decides what survives.
Run over a whole page, that goes wrong in ways a writer cannot see coming (issue #12, item 7):
`<textarea>` and `<title>` make the HTML parser read everything after them as plain text (so the
rest of the article shows as escaped markup), and an unclosed `<style>` or `<script>` swallows the
rest of the article, which search still indexed, while the contents box linked its sections.

The policy, applied while parsing so the page (kb.render) and the index (kb.parsing) share it:
- An inline tag outside the allow-list (`Use the <textarea> element.`) is text: shown literally,
  indexed literally. Tags on the allow-list (`<kbd>`, `<br>`, `<sup>` ...) stay markup.
- A raw HTML block is sanitized on its own (`sanitize_html`), so whatever it holds cannot reach
  past its end; what it shows is what `html_to_text` indexes (both drop script and style content).
- A block that CommonMark would run until a closing sequence (`<script>`, `<style>`, `<textarea>`,
  `<pre>`, `<!--`, `<?`, `<!X`, `<![CDATA[`) only starts when that closing sequence exists later in
  the file; otherwise the line is an ordinary paragraph and the rest of the article stays visible.
"""

from __future__ import annotations

import re
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.html_block import HTML_SEQUENCES, html_block
from markdown_it.rules_core import StateCore

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "del", "code",
    "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "img", "span", "div", "kbd", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "th": {"style", "scope"}, "td": {"style"}, "ol": {"start"}, "table": {"aria-labelledby"},
}  # fmt: skip
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*+)")
# HTML_SEQUENCES[0:5] are the block kinds that end at a closing sequence, not at a blank line.
_CLOSED_KINDS = HTML_SEQUENCES[:5]
_ENV_KEY = "raw_html_last_closer"


def sanitize_html(fragment: str) -> str:
    """The allow-list every byte of a page's article HTML passes through."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRS,
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto", "tel"},
    )


def inline_tag_allowed(content: str) -> bool:
    """True for an inline HTML token that stays markup: an allowed tag, or a comment (invisible anyway)."""
    name = _TAG_NAME.match(content)
    if name is None:
        return True  # comments, <?...?>, <!DOCTYPE>, CDATA: the sanitizer drops them and so does the index
    return name.group(1).lower() in ALLOWED_TAGS


def raw_html_plugin(md: MarkdownIt) -> None:
    md.block.ruler.at("html_block", _html_block_when_closed, {"alt": ["paragraph", "reference", "blockquote"]})
    md.core.ruler.after("inline", "raw_html_as_text", _disallowed_inline_tags_as_text)


def _html_block_when_closed(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    pos = state.bMarks[start_line] + state.tShift[start_line]
    line = state.src[pos : state.eMarks[start_line]]
    if line.startswith("<"):
        for kind, (opener, closer, _) in enumerate(_CLOSED_KINDS):
            if opener.search(line):
                if not closer.search(line) and _last_closer_line(state, kind) <= start_line:
                    return False  # never closed: an ordinary paragraph, the rest of the file stays visible
                break
    return html_block(state, start_line, end_line, silent)


def _last_closer_line(state: StateBlock, kind: int) -> int:
    """The last line holding the closing sequence of a block kind (-1 if none), found once per parse."""
    cache: dict[int, int] = state.env.setdefault(_ENV_KEY, {})
    if kind not in cache:
        closer = _CLOSED_KINDS[kind][1]
        last = -1
        for index, line in enumerate(state.src.split("\n")):
            if closer.search(line):
                last = index
        cache[kind] = last
    return cache[kind]


def _disallowed_inline_tags_as_text(state: StateCore) -> None:
    for token in state.tokens:
        for child in token.children or []:
            if child.type == "html_inline" and not inline_tag_allowed(child.content):
                child.type = "text"


def render_html_block(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    """Renderer rule: each raw block sanitized alone, so an unclosed element cannot reach past it."""
    return sanitize_html(tokens[idx].content)
