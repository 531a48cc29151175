"""What an article is, and how one file in `content/<lang>/<category>/<slug>.md` becomes one.

Validation errors carry the file and line so that a content writer can jump straight to the
problem; one broken file never stops the others (`load_content` collects errors and goes on).
Unknown front-matter keys are kept in `extra`, because imported articles carry their old tool's
metadata and losing it would be a surprise.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from kb.links import article_links
from kb.parsing import Block, parse_source
from kb.settings import SHIPPED_LANGUAGES

VISIBILITIES = ("public", "internal")
KNOWN_KEYS = {"id", "title", "lang", "category", "tags", "visibility", "updated", "summary"}
TRANSLATED_FROM = "translated_from"  # read by kb.translations: the source body's hash a translation was made from


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
    # The file's text as read: the page renders the version that was validated, not a later edit.
    source: str = field(default="", repr=False, compare=False)

    @property
    def key(self) -> str:
        """Unique within a help center: the same id exists once per language."""
        return f"{self.lang}/{self.id}"

    @property
    def internal(self) -> bool:
        return self.visibility == "internal"

    @cached_property
    def links(self) -> tuple[str, ...]:
        """The "lang/id" keys of the articles this one links to (kb.links.article_links), read from
        the text that was validated. Kept in the index's payload (indexer.sync.chunk_payload), so
        ranking reads the links of the version it ranks; walked on first use, not on every load."""
        return article_links(self.path, self.source)


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
    """The article in `path`, or the first of its problems as an `ArticleError`."""
    checked = check_article(path, content_dir, languages)
    if checked.article is None:
        raise checked.errors[0]
    return checked.article


@dataclass(frozen=True)
class CheckedArticle:
    """Every problem of one file, and the article when it has none.

    `draft` is the article as far as it could be read (bad fields replaced by their defaults), so
    `kb lint` can check the body's links and headings even when the front matter is wrong: a writer
    sees every problem of the file in one run, not one per run. None when the file could not be
    read or parsed at all.
    """

    errors: tuple[ArticleError, ...]
    draft: Article | None

    @property
    def article(self) -> Article | None:
        return None if self.errors else self.draft


def _readable_name(relative: str) -> tuple[str, str | None]:
    """The path as text that can be printed and stored, and why it is not an article's name: a file name in
    bytes that are not UTF-8 reaches Python as surrogate escapes (shown here as `\\xe9`)."""
    raw = relative.encode("utf-8", "surrogateescape")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = f"the file name is not valid UTF-8 (byte 0x{raw[error.start]:02x}): rename it"
        return raw.decode("utf-8", "backslashreplace"), problem
    return relative, None


def check_article(path: Path, content_dir: Path, languages: tuple[str, ...] = SHIPPED_LANGUAGES) -> CheckedArticle:
    relative, bad_name = _readable_name(path.relative_to(content_dir).as_posix())
    if bad_name is not None:
        return CheckedArticle((ArticleError(relative, 1, bad_name),), None)
    parts = relative.split("/")
    if len(parts) != 3:
        return CheckedArticle((ArticleError(relative, 1, "expected content/<lang>/<category>/<slug>.md"),), None)
    folder_lang, folder_category, filename = parts
    if folder_lang not in languages:
        message = f"language folder {folder_lang!r} is not one of {', '.join(languages)}"
        return CheckedArticle((ArticleError(relative, 1, message, "lang-folder"),), None)
    try:  # a dangling link, a folder named *.md, no permission: this file's error, never the whole load's
        raw = path.read_bytes()
    except OSError as error:
        return CheckedArticle((ArticleError(relative, 1, f"the file cannot be read: {error.strerror or error}"),), None)
    try:
        text = decode_article_bytes(raw, relative)
    except ArticleError as error:
        return CheckedArticle((error,), None)
    parsed = parse_source(text)
    errors: list[ArticleError] = []
    meta: dict[str, Any] = {}
    lines: dict[str, int] = {}
    meta_read = False  # a field is judged only when the front matter itself could be read
    if parsed.front_matter is None:
        errors.append(ArticleError(relative, 1, "missing front matter (a '---' block with at least a title)"))
    else:
        lines = front_matter_lines(parsed.front_matter)
        try:
            meta, problems = parse_front_matter(parsed.front_matter, relative)
            errors.extend(problems)
            meta_read = True
        except ArticleError as error:
            errors.append(error)

    def fail(key: str, message: str, rule: str = "front-matter") -> None:
        line = lines.get(key, 1)
        if any(error.line == line and line > 1 for error in errors):
            return  # the value's own problem on this line was noted while reading it
        errors.append(ArticleError(relative, line, f"front matter: {message}", rule))

    stem = filename.removesuffix(".md")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        if meta_read:
            fail("title", "'title' is required and must be text")
        title = stem
    lang = meta.get("lang", folder_lang)
    if lang != folder_lang:
        fail("lang", f"lang {lang!r} does not match the folder {folder_lang!r}", "lang-folder")
    raw_id = meta.get("id", stem)
    article_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
    id_problem = _id_problem(article_id)
    if id_problem:
        fail("id", f"'id' {id_problem}: {raw_id!r}"[:300])
        article_id = stem
    visibility = meta.get("visibility", "public")
    if visibility not in VISIBILITIES:
        fail("visibility", f"visibility must be one of {', '.join(VISIBILITIES)}")
        visibility = "public"
    tags = meta.get("tags") or []
    if isinstance(tags, str | int | float) and not isinstance(tags, bool):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str | int | float) for t in tags):
        fail("tags", "'tags' must be a list of words")
        tags = []
    updated = _date(meta.get("updated"))
    if isinstance(updated, str):
        fail("updated", updated)
        updated = None
    category = meta.get("category") or folder_category
    if not isinstance(category, str | int) or isinstance(category, bool):
        fail("category", "'category' must be text")
        category = folder_category
    summary = meta.get("summary") or ""
    if not isinstance(summary, str | int | float):
        fail("summary", "'summary' must be text")
        summary = ""
    for key in meta:
        close = _misspelled(key)
        if close:
            fail(key, f"{key!r} is not a front-matter key: did you mean {close!r}?", "unknown-key")
    blocks = tuple(parsed.blocks)
    if not any(block.kind != "heading" for block in blocks) and not str(summary).strip():
        errors.append(ArticleError(relative, parsed.body_line, "article has no text", "empty-article"))
    draft = Article(
        id=article_id,
        lang=folder_lang,
        title=title.strip(),
        category=str(category),
        path=relative,
        file_hash=hashlib.sha256(raw).hexdigest(),
        blocks=blocks,
        tags=tuple(str(tag) for tag in tags),
        visibility=str(visibility),
        updated=updated,
        summary=str(summary).strip(),
        extra={k: v for k, v in meta.items() if k not in KNOWN_KEYS},
        source=text,
    )
    return CheckedArticle(tuple(errors), draft)


def _misspelled(key: str) -> str:
    """The known key `key` is one slip from ("" when none). An unknown key is kept as `extra` (an imported
    article keeps its old tool's `author`, `weight`), but "visiblity: internal" was ignored and published an
    internal article to customers. difflib's ratio at 0.8 catches a swapped, missing or doubled letter and
    case, not `date` or `slug`; the article is refused (its last good version kept) until the key is fixed."""
    known = [*KNOWN_KEYS, TRANSLATED_FROM]
    if key in known:
        return ""
    close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.8)
    return close[0] if close else ""


def _id_problem(article_id: str) -> str:
    """Why an id cannot name an article; "" when it can.

    Slashes are allowed (docs-as-code trees name articles `teams/license`) as long as every segment
    is a plain name: the id becomes a URL path under /<lang>/articles/.
    """
    if not article_id:
        return "must be non-empty text"
    segments = article_id.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "must not have empty, '.' or '..' parts between slashes"
    if any(ch in article_id for ch in "?#\\") or any(ch.isspace() or ord(ch) < 32 for ch in article_id):
        return "must not contain spaces, '?', '#' or backslashes"
    return ""


def _date(value: object) -> dt.date | str | None:
    """The `updated` date, or a message saying why the value is not one."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return f"'updated' is not a date (YYYY-MM-DD): {value!r}"[:200]
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as error:
        return f"'updated' is not a date (YYYY-MM-DD): {value[:40]!r} ({error})"


def decode_article_bytes(raw: bytes, relative: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ArticleError(relative, line, f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None


MAX_FRONT_MATTER_DEPTH = 20  # real front matter nests two or three levels; PyYAML recurses per level


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that turns value errors (2026-02-30, a 5,000-digit number) into noted problems.

    PyYAML builds dates and numbers with Python's constructors, which raise ValueError or
    OverflowError without saying where and end the whole parse. Here the node's raw text is kept
    instead and the problem noted with its line, so the other keys are still read and judged.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[tuple[int, str]] = []  # (file line, message)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A key given twice is an error naming both lines: PyYAML kept the last silently (a second `id`
        renamed the article, a second `visibility` decided who may read it)."""
        seen: dict[str, int] = {}
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 2
                if key_node.value in seen:
                    problem = f"{key_node.value!r} is given twice (lines {seen[key_node.value]} and {line}): keep one"
                    raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
                seen[key_node.value] = line
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, OverflowError, TypeError) as error:
            if not isinstance(node, yaml.ScalarNode):
                mark = node.start_mark
                raise yaml.constructor.ConstructorError(None, None, f"invalid value: {error}", mark) from None
            self.problems.append((node.start_mark.line + 2, f"invalid value {str(node.value)[:40]!r}: {error}"[:200]))
            self.constructed_objects[node] = node.value
            return node.value


def _yaml_line(error: yaml.YAMLError) -> int:
    """The file line of a YAML error: where the unclosed thing started (context), else the problem."""
    mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
    return (mark.line + 2) if mark is not None else 1  # +1 for the '---' line, +1 for 1-based


def _check_shape(front_matter: str, relative: str) -> None:
    """Reject what would make the YAML composer recurse or multiply (deep nesting, aliases).

    `yaml.parse` is an iterative event stream, so this scan itself cannot overflow the stack.
    """
    depth = 0
    lines = front_matter_lines(front_matter)
    for event in yaml.parse(front_matter, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 2
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_FRONT_MATTER_DEPTH:
                key = _key_at(lines, line)
                raise ArticleError(
                    relative, line, f"front matter: {key!r} is nested more than {MAX_FRONT_MATTER_DEPTH} levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            key = _key_at(lines, line)
            raise ArticleError(relative, line, f"front matter: {key!r} uses a YAML alias (*name); write the value out")


def _key_at(lines: dict[str, int], line: int) -> str:
    """The top-level key whose value spans `line`."""
    best = ""
    for key, at in lines.items():
        if at <= line and (not best or at >= lines[best]):
            best = key
    return best or "front matter"


def parse_front_matter(front_matter: str, relative: str) -> tuple[dict[str, Any], list[ArticleError]]:
    """The mapping, and the value problems found on the way (each naming its line and key). An article's
    and a macro's: depth and aliases refused before PyYAML builds anything, a key given twice refused."""
    lines = front_matter_lines(front_matter)
    loader: _FrontMatterLoader | None = None
    try:
        _check_shape(front_matter, relative)
        loader = _FrontMatterLoader(front_matter)
        meta = loader.get_single_data()
    except yaml.reader.ReaderError as error:  # a control character: the reader says where, not the line
        line = front_matter[: error.position].count("\n") + 2
        key = _key_at(lines, line)
        raise ArticleError(
            relative, line, f"front matter: {key!r} holds a control character (#x{error.character:04x})"
        ) from None
    except yaml.YAMLError as error:
        line = _yaml_line(error)
        problem = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        where = f" ({context})" if context else ""
        key = _key_at(lines, line)
        field_name = f" in {key!r}" if key != "front matter" else ""
        raise ArticleError(relative, line, f"front matter is not valid YAML{field_name}: {problem}{where}") from None
    finally:
        if loader is not None:
            loader.dispose()
    problems = [
        ArticleError(relative, line, f"front matter: {_key_at(lines, line)!r}: {message}")
        for line, message in loader.problems
    ]
    if meta is None:
        return {}, problems
    if not isinstance(meta, dict):
        raise ArticleError(relative, 2, "front matter must be a mapping of keys to values")
    return {str(k): v for k, v in meta.items()}, problems


def front_matter_lines(front_matter: str) -> dict[str, int]:
    """Line of each top-level key, for error messages (the '---' fence is line 1)."""
    lines: dict[str, int] = {}
    for offset, line in enumerate(front_matter.splitlines()):
        if line and not line[0].isspace() and ":" in line:
            lines.setdefault(line.split(":", 1)[0].strip(), offset + 2)
    return lines
