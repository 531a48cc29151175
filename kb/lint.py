"""Checks for content writers, run before a commit (pre-commit hook `kb-lint`) or by hand.

Errors are what breaks the help center for readers: an article the indexer skips, a link or image
that 404s on the site. Warnings are what a writer should look at but may leave: a near-empty
article, a skipped heading level, a missing or out-of-date translation. Files named on the command
line are the ones checked, but links and ids are always resolved against the whole content tree,
because a changed file's links point at files that did not change.

Rule ids:
  front-matter           error    anything `load_article` rejects that no rule below names
  lang-folder            error    `lang` differs from the folder, or the folder is not a shipped language
  duplicate-id           error    two articles of one language share an `id`
  broken-link            error    a link to an article that does not exist (or that customers cannot open)
  broken-anchor          error    a `#anchor` that is not a heading of the linked article
  missing-media          error    an image or attachment file that does not exist
  empty-article          error    no text at all (rejected by `load_article`); warning when near-empty
  heading-skip           warning  a heading more than one level below the one before it
  missing-translation    warning  an id that has no article in another shipped language
  stale-translation      warning  `translated_from` is not the source's current body hash
  untracked-translation  warning  a translation that cannot be compared with its source
  second-h1              warning  more than one level-1 heading in the body
  image-alt              warning  an image without alt text
  raw-html               warning  an inline HTML tag outside the allow-list (shown as text on the page)
  unknown-key            error    a front-matter key one slip from a known one (`visiblity`): its value is ignored
  bidi-control           error    a direction override or isolate character (U+202A-202E, U+2066-2069) in a title
  control-character      error    a C0/C1 control character (NUL, BEL, ESC, U+0085, ...; not tab or line breaks)
  no-file                error    a path given to lint does not exist
  ticket-fields          error    content/_ticket_fields.yml is wrong (the line and field named; the desk does not
                                  start with it): see kb.ticket_fields
  customer-fields        error    content/_customer_fields.yml is wrong (the same, for kb.customer_fields)
  macro-front-matter, unknown-placeholder, macro-tag, macro-fields, macro-lang-folder (errors),
  missing-macro-translation (warning): macros under content/_macros, see kb.macros.lint_macros
  trigger-file           error    content/_triggers.yml that the desk would refuse at start (kb.triggers): an
                                  unknown key, condition or action, `on:` missing, an unknown team, macro or
                                  language, a value that cannot be a tag

A file whose front matter is wrong is still checked whole: every front-matter problem is listed,
and its body's links, images and headings are judged as well, so one run shows everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from kb.articles import Article, ArticleError, check_article, front_matter_lines, iter_article_paths
from kb.bidi_text import EMBEDDINGS_AND_ISOLATES
from kb.customer_fields import CustomerFields
from kb.links import Link, iter_links
from kb.macros import lint_macros
from kb.message_text import CONTROL_CHARACTERS
from kb.parsing import ParsedSource, clean_foreign_syntax, markdown_parser, parse_source, strip_bom
from kb.raw_html import inline_tag_allowed
from kb.render import resolve_link
from kb.settings import SHIPPED_LANGUAGES
from kb.ticket_fields import FieldSet, TicketFields, TicketFieldsError
from kb.translations import TRANSLATED_FROM, TranslationStatus, article_statuses, group_by_id, source_of
from kb.triggers import TRIGGERS_FILE, lint_triggers

Severity = Literal["error", "warning"]

NEAR_EMPTY_WORDS = 25  # the shortest demo article has over 100; under 25 words rarely answers anything
_SITE_ARTICLE = re.compile(r"^/(?P<lang>[^/]+)/articles/(?P<id>[^?#]+?)/?$")  # ids may hold slashes
_SITE_MEDIA = re.compile(r"^/media/(?P<file>.+)$")
# The markdown dialect with raw inline tags left as tags, so the raw-html rule can see them (links
# and images are walked by kb.links, as the index records them).
_RAW_PARSER = markdown_parser()
_RAW_PARSER.core.ruler.disable("raw_html_as_text")


@dataclass(frozen=True)
class LintMessage:
    path: str
    line: int
    col: int
    severity: Severity
    rule: str
    message: str

    def format(self) -> str:
        """The compiler-style line editors and CI annotate from."""
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.rule}]"

    def as_json(self) -> dict[str, object]:
        """A JSON-ready mapping: `json.dumps([m.as_json() for m in messages])`."""
        return asdict(self)


@dataclass
class _Tree:
    """The whole content tree, loaded once: what links and ids resolve against."""

    root: Path
    languages: tuple[str, ...]
    articles: dict[str, Article] = field(default_factory=dict)  # by path relative to the root
    errors: dict[str, tuple[ArticleError, ...]] = field(default_factory=dict)
    drafts: dict[str, Article] = field(default_factory=dict)  # files with errors, as far as they could be read
    by_key: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (lang, id) -> paths
    _sources: dict[str, tuple[str, ParsedSource]] = field(default_factory=dict)
    _link_cache: dict[str, list[Link]] = field(default_factory=dict)

    def display(self, relative: str) -> str:
        return (self.root / relative).as_posix()

    def source(self, relative: str) -> tuple[str, ParsedSource]:
        """A file's text and parse, read once however many rules look at it."""
        if relative not in self._sources:
            text = strip_bom((self.root / relative).read_text(encoding="utf-8"))
            self._sources[relative] = (text, parse_source(text))
        return self._sources[relative]


def lint_paths(
    content_root: Path, paths: list[Path] | None = None, languages: tuple[str, ...] = SHIPPED_LANGUAGES
) -> list[LintMessage]:
    """Lint `paths` (files or folders; everything when None), ignoring those that are not articles."""
    tree = _load_tree(content_root, languages)
    targets, messages = _select(tree, paths)
    for relative in targets:
        messages.extend(_lint_file(tree, relative))
    messages.extend(_translation_messages(tree, set(targets)))
    messages.extend(_macro_messages(tree, paths))
    messages.extend(_trigger_messages(tree, paths))
    messages.extend(_field_file_messages(tree, paths, TicketFields, "ticket-fields"))
    messages.extend(_field_file_messages(tree, paths, CustomerFields, "customer-fields"))
    return sorted(messages, key=lambda m: (m.path, m.line, m.col, m.rule))


def _macro_messages(tree: _Tree, paths: list[Path] | None) -> list[LintMessage]:
    """Macro problems for the whole tree, or for the macro files (or folders) among `paths`."""
    root = tree.root.resolve()
    chosen = None if paths is None else [p.resolve() for p in paths]
    messages = []
    for problem in lint_macros(tree.root, tree.languages):
        file = (root / problem.path).resolve()
        if chosen is None or any(file == p or p in file.parents for p in chosen):
            severity: Severity = "error" if problem.severity == "error" else "warning"
            messages.append(LintMessage(tree.display(problem.path), problem.line, 1, severity, problem.rule,
                                        problem.message))
    return messages


def _trigger_messages(tree: _Tree, paths: list[Path] | None) -> list[LintMessage]:
    """The triggers file's problem, when the whole tree is linted or the file is among `paths`."""
    file = (tree.root / TRIGGERS_FILE).resolve()
    if paths is not None and not any(file == p.resolve() or p.resolve() in file.parents for p in paths):
        return []
    return [LintMessage(tree.display(TRIGGERS_FILE), error.line, 1, "error", "trigger-file",
                        f"{error.where}: {error.message}") for error in lint_triggers(tree.root, tree.languages)]


def _field_file_messages(tree: _Tree, paths: list[Path] | None, fields: type[FieldSet], rule: str
                         ) -> list[LintMessage]:
    """A fields file's first problem (the desk refuses to start with it), when linting everything or that file: the
    ticket fields' (rule `ticket-fields`) or the customer fields' (`customer-fields`)."""
    file = tree.root / fields.FILE
    if not file.exists() or (paths is not None and not any(
            file.resolve() == p.resolve() or p.resolve() in file.resolve().parents for p in paths)):
        return []
    try:
        fields.load(tree.root, tree.languages)
    except TicketFieldsError as exc:
        return [LintMessage(tree.display(fields.FILE), exc.line, 1, "error", rule, exc.detail)]
    except UnicodeDecodeError:
        return [LintMessage(tree.display(fields.FILE), 1, 1, "error", rule, "not UTF-8 text")]
    except OSError as exc:  # a directory, a device, past the size (kb.yaml_lines.rule_file_bytes): was a traceback
        return [LintMessage(tree.display(fields.FILE), 1, 1, "error", rule, f"cannot be read: {exc.strerror or exc}")]
    return []


def _load_tree(content_root: Path, languages: tuple[str, ...]) -> _Tree:
    tree = _Tree(content_root, languages)
    for path in iter_article_paths(content_root):
        relative = path.relative_to(content_root).as_posix()
        checked = check_article(path, content_root, languages)
        if checked.article is None:
            tree.errors[relative] = checked.errors
            if checked.draft is not None:
                tree.drafts[relative] = checked.draft
            continue
        article = checked.article
        tree.articles[relative] = article
        tree.by_key.setdefault((article.lang, article.id), []).append(relative)
    return tree


def _select(tree: _Tree, paths: list[Path] | None) -> tuple[list[str], list[LintMessage]]:
    """Paths relative to the content root; a pre-commit run passes every staged .md, README included."""
    everything = sorted([*tree.articles, *tree.errors])
    if paths is None:
        return everything, []
    root = tree.root.resolve()
    targets: list[str] = []
    messages: list[LintMessage] = []
    for path in paths:
        try:
            relative = path.resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        if path.is_dir():
            prefix = "" if relative == "." else f"{relative}/"
            targets.extend(known for known in everything if known.startswith(prefix))
        elif relative in tree.articles or relative in tree.errors:
            targets.append(relative)
        elif not path.exists():
            messages.append(LintMessage(path.as_posix(), 1, 1, "error", "no-file", "no such file"))
    return sorted(set(targets)), messages


def _lint_file(tree: _Tree, relative: str) -> list[LintMessage]:
    """Every problem of one file: all its front-matter errors, and the body's even when those exist."""
    problems = [
        LintMessage(tree.display(relative), error.line, 1, "error", error.rule, error.message)
        for error in tree.errors.get(relative, ())
    ]
    problems += _control_characters(tree, relative)
    article = tree.articles.get(relative) or tree.drafts.get(relative)
    if article is None:
        return problems
    text, parsed = tree.source(relative)
    key_lines = front_matter_lines(parsed.front_matter or "")
    if relative in tree.articles:  # a draft's id and word count are already covered by its errors
        problems += _duplicate_id(tree, article, key_lines.get("id", 1))
        problems += _near_empty(tree, article, parsed.body_line)
    return [
        *problems,
        *_heading_skips(tree, article),
        *_second_h1(tree, article),
        *_images_without_alt(tree, article, text),
        *_bidi_controls(tree, article, key_lines.get("title", 1)),
        *_raw_html_as_text(tree, article, text),
        *_link_messages(tree, article, text),
    ]


def _duplicate_id(tree: _Tree, article: Article, line: int) -> list[LintMessage]:
    others = [path for path in tree.by_key[(article.lang, article.id)] if path != article.path]
    if not others:
        return []
    message = f"duplicate id {article.id!r} in {article.lang} (also in {', '.join(others)})"
    return [LintMessage(tree.display(article.path), line, 1, "error", "duplicate-id", message)]


def _near_empty(tree: _Tree, article: Article, body_line: int) -> list[LintMessage]:
    """Link lists and headings are not text a reader can use, so they do not count."""
    words = sum(len(b.text.split()) for b in article.blocks if b.kind != "heading" and not b.link_only)
    if words >= NEAR_EMPTY_WORDS:
        return []
    message = f"article is nearly empty ({words} words of text; {NEAR_EMPTY_WORDS} or more expected)"
    return [LintMessage(tree.display(article.path), body_line, 1, "warning", "empty-article", message)]


def _heading_skips(tree: _Tree, article: Article) -> list[LintMessage]:
    """The page shows the title as the h1, so the body's first heading is expected at level 2 or 1."""
    messages: list[LintMessage] = []
    previous = 1
    for block in article.blocks:
        if block.kind != "heading":
            continue
        if block.level > previous + 1:
            message = f"heading level {block.level} follows level {previous}; expected level {previous + 1} or less"
            messages.append(LintMessage(tree.display(article.path), block.line, 1, "warning", "heading-skip", message))
        previous = block.level
    return messages


def _second_h1(tree: _Tree, article: Article) -> list[LintMessage]:
    """The page's title is its h1; one more in the body is tolerated (imports repeat the title), two are not."""
    h1s = [block for block in article.blocks if block.kind == "heading" and block.level == 1]
    message = "a second level-1 heading: use ## for sections (the page has one title)"
    return [LintMessage(tree.display(article.path), b.line, 1, "warning", "second-h1", message) for b in h1s[1:]]


def _images_without_alt(tree: _Tree, article: Article, text: str) -> list[LintMessage]:
    return [
        LintMessage(
            tree.display(article.path), link.line, link.col, "warning", "image-alt",
            f"image without alt text (write ![what it shows]({link.target})): screen readers skip it",
        )
        for link in _links(tree, article.path, text)
        if link.image and not link.alt.strip()
    ]  # fmt: skip


def _bidi_controls(tree: _Tree, article: Article, title_line: int) -> list[LintMessage]:
    """Direction overrides in a title or heading reorder what readers see (spoofed names, hidden text)."""
    found = [(title_line, article.title)] + [(b.line, b.text) for b in article.blocks if b.kind == "heading"]
    messages: list[LintMessage] = []
    for line, text in found:
        controls = sorted({f"U+{ord(ch):04X}" for ch in text if ch in EMBEDDINGS_AND_ISOLATES})
        if controls:
            message = f"bidi control characters in a title ({', '.join(controls)}): remove them"
            messages.append(LintMessage(tree.display(article.path), line, 1, "error", "bidi-control", message))
    return messages


def _control_characters(tree: _Tree, relative: str) -> list[LintMessage]:
    """Control characters anywhere in the file, front matter included (where YAML's own error does not say
    which): invisible on the page, a terminal command in `kb` output. Read from the file's bytes, so a file
    load_article refused is checked too; one message per line, at its first."""
    try:
        text = (tree.root / relative).read_bytes().decode("utf-8", "replace")
    except OSError:  # already an error of its own (check_article names it)
        return []
    messages: list[LintMessage] = []
    for number, line in enumerate(text.split("\n"), start=1):
        found = [(col, ch) for col, ch in enumerate(line, start=1) if CONTROL_CHARACTERS.match(ch)]
        if found:
            names = ", ".join(sorted({f"U+{ord(ch):04X}" for _, ch in found}))
            message = f"control character ({names}): invisible on the page; delete it or write what it meant"
            messages.append(LintMessage(tree.display(relative), number, found[0][0], "error", "control-character",
                                        message))
    return messages


def _raw_html_as_text(tree: _Tree, article: Article, text: str) -> list[LintMessage]:
    """Inline tags outside the allow-list show as text (kb.raw_html): say so, the writer may want code."""
    messages: list[LintMessage] = []
    for token in _RAW_PARSER.parse(clean_foreign_syntax(text)):
        if token.type != "inline" or not token.map:
            continue
        for child in token.children or []:
            if child.type == "html_inline" and not inline_tag_allowed(child.content):
                message = f"raw HTML {child.content[:40]} is shown as text; write it as `code` if that is meant"
                messages.append(
                    LintMessage(tree.display(article.path), token.map[0] + 1, 1, "warning", "raw-html", message)
                )
    return messages


def _links(tree: _Tree, relative: str, text: str) -> list[Link]:
    if relative not in tree._link_cache:
        tree._link_cache[relative] = list(iter_links(text))
    return tree._link_cache[relative]


def _link_messages(tree: _Tree, article: Article, text: str) -> list[LintMessage]:
    messages: list[LintMessage] = []
    for link in _links(tree, article.path, text):
        problem = _check_link(tree, article, link)
        if problem is not None:
            severity, rule, message = problem
            messages.append(LintMessage(tree.display(article.path), link.line, link.col, severity, rule, message))
    return messages


def _check_link(tree: _Tree, article: Article, link: Link) -> tuple[Severity, str, str] | None:
    """Judges a link as the site will serve it (kb.render.resolve_link); site URLs and #anchors here."""
    path, _, fragment = link.target.partition("#")
    if not path and not fragment:
        return None
    if not path:
        return _check_anchor(article, article, unquote(fragment))
    if path.startswith("/"):
        return _check_site_url(tree, article, path.split("?", 1)[0], unquote(fragment))
    target = resolve_link(link.target, article.path)
    if target is None:  # external
        return None
    resolved = unquote(target.path)
    if target.path.endswith(".md") and not link.image:
        return _check_article_link(tree, article, resolved, unquote(target.fragment))
    if resolved.startswith("../") or not (tree.root / resolved).is_file():
        return "error", "missing-media", f"{'image' if link.image else 'file'} not found: {link.target}"
    return None


def _check_article_link(
    tree: _Tree, article: Article, resolved: str, fragment: str
) -> tuple[Severity, str, str] | None:
    target = tree.articles.get(resolved)
    if target is None:
        if resolved in tree.errors:
            return None  # it exists; its own errors are reported on it
        return "error", "broken-link", f"no article at {resolved}"
    # The site links a file by its id, whatever its file name (kb.render's article_ids).
    return _check_target(article, target, fragment)


def _check_site_url(tree: _Tree, article: Article, path: str, fragment: str) -> tuple[Severity, str, str] | None:
    media = _SITE_MEDIA.match(path)
    if media is not None:
        if (tree.root / "_media" / unquote(media["file"])).is_file():
            return None
        return "error", "missing-media", f"no file _media/{unquote(media['file'])} for {path}"
    site = _SITE_ARTICLE.match(path)
    if site is None:
        return None  # home, search and other pages of the site
    paths = tree.by_key.get((site["lang"], unquote(site["id"])))
    if not paths:
        return "error", "broken-link", f"no {site['lang']} article with id {unquote(site['id'])!r} for {path}"
    return _check_target(article, tree.articles[paths[0]], fragment)


def _check_target(article: Article, target: Article, fragment: str) -> tuple[Severity, str, str] | None:
    if target.internal and not article.internal:
        return "error", "broken-link", f"{target.path} is internal: customers reading this article get a 404"
    return _check_anchor(article, target, fragment) if fragment else None


def _check_anchor(article: Article, target: Article, fragment: str) -> tuple[Severity, str, str] | None:
    anchors = {block.anchor for block in target.blocks if block.kind == "heading"}
    if fragment in anchors:
        return None
    where = "this article" if target is article else target.path
    return "error", "broken-anchor", f"no heading with anchor #{fragment} in {where}"


def _translation_messages(tree: _Tree, targets: set[str]) -> list[LintMessage]:
    groups = group_by_id(tree.articles.values(), tree.languages)
    messages: list[LintMessage] = []
    for status in article_statuses(tree.articles.values(), tree.languages):
        group = groups[status.id]
        owner = status.path or status.source_path or next(iter(group.values())).path
        if owner not in targets:
            continue
        problem = _translation_problem(status, source_of(group, tree.languages) is not None)
        if problem is not None:
            rule, key, message = problem
            line = _front_matter_line(tree, owner, key)
            messages.append(LintMessage(tree.display(owner), line, 1, "warning", rule, message))
    return messages


def _translation_problem(status: TranslationStatus, has_source: bool) -> tuple[str, str, str] | None:
    """(rule, front-matter key to point at, message) for a status that needs a writer's attention."""
    if status.status == "missing":
        return "missing-translation", "id", f"no {status.lang} translation of id {status.id!r}"
    if status.status == "stale":
        message = (
            f"translation is older than its source {status.source_path} "
            f"({TRANSLATED_FROM} {status.translated_from}, source is now {status.source_hash})"
        )
        return "stale-translation", TRANSLATED_FROM, message
    if status.status == "untracked" and has_source:
        message = f"no {TRANSLATED_FROM}: cannot tell which version of {status.source_path} this translates"
        return "untracked-translation", "id", message
    if status.status == "untracked":
        message = f"every article of id {status.id!r} has {TRANSLATED_FROM}: the source article is missing"
        return "untracked-translation", TRANSLATED_FROM, message
    return None


def _front_matter_line(tree: _Tree, relative: str, key: str) -> int:
    _, parsed = tree.source(relative)
    return front_matter_lines(parsed.front_matter or "").get(key, 1)


def lint_summary(messages: Iterable[LintMessage]) -> tuple[int, int]:
    """(errors, warnings): what a CLI prints last and bases its exit status on."""
    severities = [m.severity for m in messages]
    return severities.count("error"), severities.count("warning")
