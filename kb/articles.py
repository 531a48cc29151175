"""What an article is, and how one file in `content/<lang>/<category>/<slug>.md` becomes one.

Validation errors carry the file and line so that a content writer can jump straight to the
problem; one broken file never stops the others (`load_content` collects errors and goes on).
Unknown front-matter keys are kept in `extra`, because imported articles carry their old tool's
metadata and losing it would be a surprise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.parsing import Block, parse_source
from kb.settings import SHIPPED_LANGUAGES

VISIBILITIES = ("public", "internal")
KNOWN_KEYS = {"id", "title", "lang", "category", "tags", "visibility", "updated", "summary"}


@dataclass(frozen=True)
class ArticleError(Exception):
    path: str
    line: int
    message: str
    rule: str = "front-matter"  # what `kb lint` calls the problem

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Article:
    id: str
    lang: str
    title: str
    category: str
    path: str  # relative to the content root, POSIX separators
    file_hash: str  # sha256 of the file's bytes: what the indexer compares
    blocks: tuple[Block, ...]
    tags: tuple[str, ...] = ()
    visibility: str = "public"
    updated: dt.date | None = None
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique within a help center: the same id exists once per language."""
        return f"{self.lang}/{self.id}"

    @property
    def internal(self) -> bool:
        return self.visibility == "internal"


@dataclass
class ContentLoad:
    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)


def iter_article_paths(content_dir: Path) -> Iterator[Path]:
    """Markdown files of the help center; folders starting with '_' or '.' hold media and data."""
    for path in sorted(content_dir.rglob("*.md")):
        relative = path.relative_to(content_dir)
        if any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        yield path


def load_content(content_dir: Path, languages: tuple[str, ...] = SHIPPED_LANGUAGES) -> ContentLoad:
    result = ContentLoad()
    seen: dict[str, str] = {}
    for path in iter_article_paths(content_dir):
        try:
            article = load_article(path, content_dir, languages)
        except ArticleError as error:
            result.errors.append(error)
            continue
        if article.key in seen:
            result.errors.append(
                ArticleError(
                    article.path, 1, f"duplicate id {article.id!r} in {article.lang} (also in {seen[article.key]})"
                )
            )
            continue
        seen[article.key] = article.path
        result.articles.append(article)
    return result


def load_article(path: Path, content_dir: Path, languages: tuple[str, ...] = SHIPPED_LANGUAGES) -> Article:
    relative = path.relative_to(content_dir).as_posix()
    parts = relative.split("/")
    if len(parts) != 3:
        raise ArticleError(relative, 1, "expected content/<lang>/<category>/<slug>.md")
    folder_lang, folder_category, filename = parts
    if folder_lang not in languages:
        raise ArticleError(
            relative, 1, f"language folder {folder_lang!r} is not one of {', '.join(languages)}", "lang-folder"
        )
    raw = path.read_bytes()
    text = decode_article_bytes(raw, relative)
    parsed = parse_source(text)
    if parsed.front_matter is None:
        raise ArticleError(relative, 1, "missing front matter (a '---' block with at least a title)")
    meta = _parse_yaml(parsed.front_matter, relative)
    lines = front_matter_lines(parsed.front_matter)

    def fail(key: str, message: str, rule: str = "front-matter") -> ArticleError:
        return ArticleError(relative, lines.get(key, 1), message, rule)

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail("title", "front matter: 'title' is required and must be text")
    lang = str(meta.get("lang", folder_lang))
    if lang != folder_lang:
        raise fail("lang", f"front matter: lang {lang!r} does not match the folder {folder_lang!r}", "lang-folder")
    article_id = str(meta.get("id", filename.removesuffix(".md"))).strip()
    if not article_id or "/" in article_id:
        raise fail("id", "front matter: 'id' must be non-empty text without '/'")
    visibility = str(meta.get("visibility", "public"))
    if visibility not in VISIBILITIES:
        raise fail("visibility", f"front matter: visibility must be one of {', '.join(VISIBILITIES)}")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list):
        raise fail("tags", "front matter: 'tags' must be a list")
    updated = meta.get("updated")
    if updated is not None and not isinstance(updated, dt.date):
        try:
            updated = dt.date.fromisoformat(str(updated)[:10])
        except ValueError:
            raise fail("updated", f"front matter: 'updated' is not a date (YYYY-MM-DD): {updated!r}") from None
    if isinstance(updated, dt.datetime):
        updated = updated.date()
    summary = meta.get("summary") or ""
    blocks = tuple(parsed.blocks)
    if not any(block.kind != "heading" for block in blocks) and not str(summary).strip():
        raise ArticleError(relative, parsed.body_line, "article has no text", "empty-article")
    return Article(
        id=article_id,
        lang=lang,
        title=title.strip(),
        category=str(meta.get("category") or folder_category),
        path=relative,
        file_hash=hashlib.sha256(raw).hexdigest(),
        blocks=blocks,
        tags=tuple(str(tag) for tag in tags),
        visibility=visibility,
        updated=updated,
        summary=str(summary).strip(),
        extra={k: v for k, v in meta.items() if k not in KNOWN_KEYS},
    )


def decode_article_bytes(raw: bytes, relative: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ArticleError(relative, line, f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None


def _parse_yaml(front_matter: str, relative: str) -> dict[str, Any]:
    try:
        meta = yaml.safe_load(front_matter)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1  # +1 for the '---' line, +1 for 1-based
        problem = getattr(error, "problem", None) or str(error)
        raise ArticleError(relative, line, f"front matter is not valid YAML: {problem}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ArticleError(relative, 2, "front matter must be a mapping of keys to values")
    return {str(k): v for k, v in meta.items()}


def front_matter_lines(front_matter: str) -> dict[str, int]:
    """Line of each top-level key, for error messages (the '---' fence is line 1)."""
    lines: dict[str, int] = {}
    for offset, line in enumerate(front_matter.splitlines()):
        if line and not line[0].isspace() and ":" in line:
            lines.setdefault(line.split(":", 1)[0].strip(), offset + 2)
    return lines
