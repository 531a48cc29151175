"""Heading-aware chunks: the unit that is embedded, searched and cited.

Policy: a chunk is one section of an article (the text under one heading), so a search result can
open the article at that heading and a draft can cite it. Sections longer than `max_chars` split
at block boundaries (paragraphs, list items, table rows), never inside a sentence-bearing block
unless one block alone is too long; sections shorter than `min_chars` merge into the chunk before
them, where their parent heading is (their own heading a line of its text; a heading above it that has
no text of its own and so no chunk goes to `headings`, searched lexically: "# Contact support in Rwanda"
over "## Phone number" under a title cut to "Support information for Rwan"). Blocks that are nothing
but links ("Related articles" lists) are left out: their words are other articles' titles, and indexing
them makes this article answer queries that belong to those. The embedded text starts with
"Title > Section" so the model sees the context a reader sees. Which chunks to return for a query is
the retriever's business.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.articles import Article
from kb.parsing import Block
from kb.settings import CHUNK_MAX_CHARS as MAX_CHARS
from kb.settings import CHUNK_MIN_CHARS as MIN_CHARS

_NAMESPACE = uuid.UUID("6f1e4a52-3c1d-4c55-9a51-0d2f7b0c9e11")
_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+")


@dataclass(frozen=True)
class Chunk:
    article_id: str
    lang: str
    title: str
    heading_path: tuple[str, ...]
    anchor: str
    text: str  # the section's text as a reader sees it
    line: int  # where the section starts in the article file
    ordinal: int  # position within the article
    # headings of sections merged into this one that neither its path nor its text shows (they had no text of
    # their own): searched lexically (`lexical_text`); the dense text and the reader's text stay as they read
    headings: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return " > ".join(self.heading_path)

    @property
    def embed_text(self) -> str:
        return chunk_text(self.title, self.heading_path, self.text)

    @property
    def lexical_text(self) -> str:
        """What the lexical index reads: the embedded text and the merged sections' unshown headings.

        Not the dense text: the dense models' scores of the index's own titles are its calibration
        (copilot.calibration), and the headings moved it (bench/RESULTS.md "Session 18, slice8")."""
        return chunk_text(self.title, self.heading_path, self.text, self.headings)

    @property
    def content_hash(self) -> str:
        return text_hash(self.embed_text)

    @property
    def point_id(self) -> str:
        """Stable while the chunk's text stays the same, so unchanged chunks are left alone."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.lang}/{self.article_id}/{self.ordinal}/{self.content_hash}"))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Section:
    path: tuple[str, ...]
    anchor: str
    line: int
    blocks: list[Block]
    shown: tuple[str, ...] | None = None  # the last heading path its text shows (a merged section's), else `path`
    unshown: list[str] = field(default_factory=list)  # headings of merged sections neither path nor text shows

    @property
    def size(self) -> int:
        return sum(len(block.text) + 1 for block in self.blocks)


def chunk_article(article: Article, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[Chunk]:
    sections = _merge_small(_sections(article), min_chars, max_chars)
    chunks: list[Chunk] = []
    for section in sections:
        for number, (piece, line) in enumerate(_split(section.blocks, max_chars)):
            chunks.append(
                Chunk(
                    article_id=article.id,
                    lang=article.lang,
                    title=article.title,
                    heading_path=section.path,
                    anchor=section.anchor,
                    text=piece,
                    line=section.line if number == 0 else line,
                    ordinal=len(chunks),
                    headings=tuple(section.unshown),
                )
            )
    if not chunks and article.summary:
        chunks.append(Chunk(article.id, article.lang, article.title, (), "", article.summary, 1, 0))
    return chunks


def _sections(article: Article) -> list[_Section]:
    """One section per heading; the h1 that repeats the title is not a section of its own."""
    sections = [_Section((), "", 1, [])]
    stack: list[tuple[int, str]] = []
    for block in article.blocks:
        if block.link_only:
            continue
        if block.kind != "heading":
            sections[-1].blocks.append(block)
            continue
        if block.level == 1 and not stack and block.text.strip() == article.title.strip():
            continue
        while stack and stack[-1][0] >= block.level:
            stack.pop()
        stack.append((block.level, block.text))
        sections.append(_Section(tuple(text for _, text in stack), block.anchor, block.line, []))
    if article.summary and not sections[0].blocks:
        sections[0].blocks.append(Block("paragraph", article.summary, 1))
    return [section for section in sections if section.blocks]


def _merge_small(sections: list[_Section], min_chars: int, max_chars: int) -> list[_Section]:
    merged: list[_Section] = []
    for section in sections:
        previous = merged[-1] if merged else None
        if previous is not None and section.size < min_chars and section.path[: len(previous.path)] == previous.path:
            heading = Block("paragraph", section.path[-1] + ":", section.line) if section.path else None
            previous.blocks.extend([heading, *section.blocks] if heading else section.blocks)
            # the headings between the chunk's last shown path and this section's own: no text, no chunk of theirs
            shown = previous.path if previous.shown is None else previous.shown
            same = _shared(shown, section.path)
            previous.unshown.extend(h for h in section.path[same:-1] if h not in previous.unshown)
            previous.shown = section.path
            continue
        merged.append(section)
    return merged


def chunk_text(title: str, heading_path: Sequence[str], text: str, headings: Sequence[str] = ()) -> str:
    """A chunk's indexed text: "Title > Section" over its text (the dense models' and BM25's), and with `headings`
    (a merged section's unshown ones, `Chunk.headings`) what the lexical index reads. One writer, so a reader of
    the payload (copilot.common_terms) counts what the index encoded."""
    context = " > ".join((title, *heading_path))
    return "\n".join((f"{context}\n\n{text}", *headings))


def _shared(first: tuple[str, ...], second: tuple[str, ...]) -> int:
    """How many leading headings two paths share."""
    pairs = enumerate(zip(first, second, strict=False))
    return next((i for i, (a, b) in pairs if a != b), min(len(first), len(second)))


def _split(blocks: list[Block], max_chars: int) -> list[tuple[str, int]]:
    pieces: list[tuple[str, int]] = []
    current: list[str] = []
    current_line = 0
    size = 0
    for block in blocks:
        for text in _fit(block.text, max_chars):
            if current and size + len(text) + 1 > max_chars:
                pieces.append(("\n".join(current), current_line))
                current, size = [], 0
            if not current:
                current_line = block.line
            current.append(text)
            size += len(text) + 1
    if current:
        pieces.append(("\n".join(current), current_line))
    return pieces


def _fit(text: str, max_chars: int) -> list[str]:
    """A single over-long block splits at sentence ends, then at spaces as a last resort."""
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:cut])
            sentence = sentence[cut:].lstrip()
        if current and len(current) + len(sentence) + 1 > max_chars:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts
