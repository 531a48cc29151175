"""From Markdown source to front matter and a flat list of text blocks with their line numbers.

Articles arrive from other tools with syntax CommonMark does not know: Obsidian `[[links]]` and
`> [!note]` callouts, DocFX `:::image:::` and `[!INCLUDE]`, raw HTML. `clean_foreign_syntax` turns
each into the text a reader would see, one line for one line, so every line number we report still
points at the writer's file. What becomes of the blocks (sections, chunks, HTML) is for others.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors.index import slugify, unique_slug
from mdit_py_plugins.front_matter import front_matter_plugin

from kb.raw_html import raw_html_plugin

BlockKind = Literal["heading", "paragraph", "list_item", "table_row", "code", "quote"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    line: int  # 1-based line in the article file
    level: int = 0  # heading level, or list nesting depth
    anchor: str = ""  # headings only
    link_only: bool = False  # nothing but links ("Related articles" lists): navigation, not content


@dataclass(frozen=True)
class ParsedSource:
    front_matter: str | None  # YAML text between the fences, None when the file has none
    body_line: int  # first line after the front matter, 1-based
    blocks: list[Block]


# Every pattern here runs on each line of every article, so each is linear by construction: the
# bracket classes exclude "[" (a scan started at one "[[" stops at the next "["), and possessive
# quantifiers (`++`, `*+`) never give back what they took. A line of 16,000 "[" took 8.2 s with
# the old wikilink pattern (issue #12); tests/kb/test_linear_time.py keeps it linear.
_WIKILINK = re.compile(r"!?\[\[([^\[\]|#\n]++)(?:#[^\[\]|\n]*+)?(?:\|([^\[\]\n]++))?\]\]")
_CALLOUT = re.compile(r"^(\s*+(?:>\s*+)++)\[!(\w++)\][+-]?\s*+")
_DOCFX_ALT = re.compile(r'alt-text="([^"]*+)"')
_DOCFX_INCLUDE = re.compile(r"\[!(?:INCLUDE|include)\s*+\[[^\[\]]*+\]\([^()\[\]]*+\)\]")
_DOCFX_DIV = re.compile(r"\[!(?:div|DIV)[^\[\]]*+\]")
_BOM = "\ufeff"


def markdown_parser() -> MarkdownIt:
    """The one Markdown dialect of the help center: CommonMark, tables, strikethrough, front matter."""
    md = MarkdownIt("commonmark").use(front_matter_plugin).enable(["table", "strikethrough"])
    return md.use(raw_html_plugin)


_PARSER = markdown_parser()


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith(_BOM) else text


def clean_foreign_syntax(markdown: str) -> str:
    """Rewrite Obsidian and DocFX syntax to plain Markdown, keeping the number of lines."""
    out: list[str] = []
    for line in markdown.split("\n"):
        line = _WIKILINK.sub(lambda m: (m.group(2) or m.group(1)).strip(), line)
        line = _CALLOUT.sub(lambda m: m.group(1), line)
        line = _DOCFX_INCLUDE.sub("", line)
        line = _DOCFX_DIV.sub("", line)
        if line.lstrip().startswith(":::"):  # a DocFX directive line: `:::image ... alt-text="..." :::`
            alt = _DOCFX_ALT.search(line)
            line = alt.group(1) if alt else ""
        out.append(line)
    return "\n".join(out)


def html_to_text(fragment: str) -> str:
    return " ".join(html.unescape(nh3.clean(fragment, tags=set())).split())


def inline_text(token: Token) -> str:
    """The text a reader sees in an inline token: link text kept, image alt kept, HTML dropped."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content or "")
    return " ".join("".join(parts).split())


def is_link_only(token: Token) -> bool:
    """True when every visible character of an inline token sits inside a link."""
    depth = 0
    saw_link = False
    for child in token.children or []:
        if child.type == "link_open":
            depth += 1
            saw_link = True
        elif child.type == "link_close":
            depth -= 1
        elif child.type in ("text", "code_inline") and depth == 0 and child.content.strip(" \t-–—,.،:؛|•"):
            return False
    return saw_link


def heading_title(token: Token) -> str:
    """Title text as the anchors plugin computes it, so chunk anchors match rendered anchors."""
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def parse_source(source: str) -> ParsedSource:
    """Parse a whole article file once: front matter by the mdit-py-plugins rule, then blocks."""
    tokens = _PARSER.parse(clean_foreign_syntax(strip_bom(source)))
    front_matter: str | None = None
    body_line = 1
    if tokens and tokens[0].type == "front_matter":
        front_matter = tokens[0].content
        body_line = (tokens[0].map[1] if tokens[0].map else 0) + 1
    return ParsedSource(front_matter, body_line, _blocks(tokens))


def _blocks(tokens: list[Token]) -> list[Block]:
    blocks: list[Block] = []
    slugs: set[str] = set()
    list_stack: list[list[int]] = []  # per open list: [is_ordered, next number]
    item_prefix: list[str] = []
    quote_depth = 0
    row: list[str] = []
    row_line = 0
    pending_heading: Token | None = None

    def line_of(token: Token) -> int:
        return (token.map[0] if token.map else 0) + 1

    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            pending_heading = token
        elif kind == "inline" and pending_heading is not None:
            text = inline_text(token)
            anchor = unique_slug(slugify(heading_title(token)), slugs)
            blocks.append(Block("heading", text, line_of(pending_heading), int(pending_heading.tag[1]), anchor))
            pending_heading = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 0
            list_stack.append([kind == "ordered_list_open", start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif kind == "list_item_open":
            ordered, number = list_stack[-1]
            item_prefix.append(f"{number}." if ordered else "-")
            if ordered:
                list_stack[-1][1] = number + 1
        elif kind == "list_item_close":
            item_prefix.pop()
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "tr_open":
            row, row_line = [], line_of(token)
        elif kind in ("th_open", "td_open"):
            cell = tokens[index + 1]
            row.append(inline_text(cell) if cell.type == "inline" else "")
        elif kind == "tr_close":
            if any(row):
                blocks.append(Block("table_row", " | ".join(row), row_line))
        elif kind == "inline" and tokens[index - 1].type == "paragraph_open":
            text = inline_text(token)
            if not text:
                continue
            line = line_of(tokens[index - 1])
            nav = is_link_only(token)
            if item_prefix:  # the item's first paragraph carries its marker ("1." or "-")
                first = tokens[index - 2].type == "list_item_open"
                block_kind: BlockKind = "list_item"
                text, level = f"{item_prefix[-1]} {text}" if first else text, len(item_prefix)
            else:
                block_kind, level = ("quote" if quote_depth else "paragraph"), 0
            blocks.append(Block(block_kind, text, line, level, link_only=nav))
        elif kind in ("fence", "code_block"):
            if token.content.strip():
                blocks.append(Block("code", token.content.rstrip("\n"), line_of(token)))
        elif kind == "html_block":
            text = html_to_text(token.content)
            if text:
                blocks.append(Block("paragraph", text, line_of(token)))
    return blocks
