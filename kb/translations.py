"""Which translations lag behind their source, and which of the source's sections changed since.

Articles pair across languages by `id`. A translation says which version of its source it was made
from with `translated_from: <hash>` in its front matter; the article of a group without that key is
the source. The hash covers the source body as a reader sees it (block texts, not Markdown bytes),
so reflowing a paragraph or fixing a link target does not send every translation back to the
translators. Only a hash is stored, so the old text (to tell *which* sections changed) comes from
git history when the content folder is a git repository; without it a stale translation is still
reported, just without its section list. Git runs only for stale translations, never otherwise.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import yaml

from kb.articles import TRANSLATED_FROM, Article, load_content
from kb.chunking import text_hash
from kb.parsing import Block, parse_source
from kb.settings import SHIPPED_LANGUAGES

HASH_CHARS = 12  # 48 bits: collisions between two versions of one article are not a practical concern
INTRODUCTION = "(introduction)"  # the section before the first heading has no heading of its own

Status = Literal["source", "up-to-date", "stale", "missing", "untracked"]


@dataclass(frozen=True)
class TranslationStatus:
    """One article id in one language.

    `untracked`: a translation without `translated_from` (or with one but no source article left),
    so nobody can tell which version it translates. `changed_sections` is set for stale translations
    only, and stays None when the old source text could not be found in git history.
    """

    id: str
    lang: str
    status: Status
    path: str | None  # relative to the content root; None when missing
    source_path: str | None
    translated_from: str | None = None
    source_hash: str | None = None
    changed_sections: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        if self.changed_sections is not None:
            data["changed_sections"] = list(self.changed_sections)
        return data


def _block_key(block: Block) -> str:
    """What of a block counts as its content, for the version stamp and for changed sections alike."""
    return f"{block.kind}:{block.level}:{block.text}"


def body_hash(blocks: Iterable[Block]) -> str:
    """The version stamp a translation records; kind and level count, so a paragraph turned heading does."""
    return text_hash("\n".join(_block_key(block) for block in blocks))[:HASH_CHARS]


def translated_from(article: Article) -> str | None:
    value = article.extra.get(TRANSLATED_FROM)
    if value is None:
        return None
    return str(value).strip() or None


def group_by_id(articles: Iterable[Article], languages: tuple[str, ...]) -> dict[str, dict[str, Article]]:
    """Article id -> language -> article, first article wins when an id repeats within a language."""
    groups: dict[str, dict[str, Article]] = {}
    for article in articles:
        if article.lang in languages:
            groups.setdefault(article.id, {}).setdefault(article.lang, article)
    return groups


def source_of(group: Mapping[str, Article], languages: tuple[str, ...]) -> Article | None:
    """The article the others translate: the one without `translated_from`.

    Several without it (content never stamped): the first in `languages` order, the help center's
    main language. None when every article has it, i.e. the source was deleted.
    """
    unstamped = [group[lang] for lang in languages if lang in group and translated_from(group[lang]) is None]
    return unstamped[0] if unstamped else None


def article_statuses(
    articles: Iterable[Article], languages: tuple[str, ...] = SHIPPED_LANGUAGES
) -> list[TranslationStatus]:
    """Statuses from the articles alone (no git): what lint needs, and the start of `translation_status`."""
    statuses: list[TranslationStatus] = []
    for article_id, group in sorted(group_by_id(articles, languages).items()):
        source = source_of(group, languages)
        current = body_hash(source.blocks) if source is not None else None
        for lang in languages:
            statuses.append(_status(article_id, lang, group.get(lang), source, current))
    return statuses


def _status(
    article_id: str, lang: str, article: Article | None, source: Article | None, current: str | None
) -> TranslationStatus:
    source_path = source.path if source is not None else None
    if article is None:
        return TranslationStatus(article_id, lang, "missing", None, source_path, source_hash=current)
    if article is source:
        return TranslationStatus(article_id, lang, "source", article.path, source_path, source_hash=current)
    stamp = translated_from(article)
    if stamp is None or current is None:
        status: Status = "untracked"
    else:
        status = "up-to-date" if stamp == current else "stale"
    return TranslationStatus(article_id, lang, status, article.path, source_path, stamp, current)


def translation_status(
    content_root: Path, languages: tuple[str, ...] = SHIPPED_LANGUAGES, loaded: Iterable[Article] | None = None
) -> list[TranslationStatus]:
    """Every id in every language; stale ones list the source sections changed since the translation.

    `loaded`: the tree's articles when the caller has them (the site's catalog), to skip a re-parse.
    """
    if loaded is None:
        loaded = load_content(content_root, languages).articles
    articles = {article.path: article for article in loaded}
    statuses = article_statuses(articles.values(), languages)
    return [_with_changed_sections(content_root, status, articles) for status in statuses]


def _with_changed_sections(
    content_root: Path, status: TranslationStatus, articles: Mapping[str, Article]
) -> TranslationStatus:
    if status.status != "stale" or status.source_path is None or status.translated_from is None:
        return status
    source = articles[status.source_path]
    old_text = find_source_version(content_root, source.path, status.translated_from)
    if old_text is None:
        return status
    changed = changed_sections(parse_source(old_text).blocks, source.blocks)
    return replace(status, changed_sections=changed)


def changed_sections(old: Iterable[Block], new: Iterable[Block]) -> tuple[str, ...]:
    """Headings of sections that differ: changed or added (in the new order), then removed ones."""
    before, after = _sections(old), _sections(new)
    changed = [title for anchor, (title, body) in after.items() if before.get(anchor, (None, None))[1] != body]
    removed = [title for anchor, (title, _) in before.items() if anchor not in after]
    return tuple(changed + removed)


def _sections(blocks: Iterable[Block]) -> dict[str, tuple[str, list[str]]]:
    """Anchor -> (heading, block texts): each heading's own blocks, up to the next heading of any level."""
    sections: dict[str, tuple[str, list[str]]] = {"": (INTRODUCTION, [])}
    current = ""
    for block in blocks:
        if block.kind == "heading":
            current = block.anchor
            sections[current] = (block.text, [f"{block.level}"])
        else:
            sections[current][1].append(_block_key(block))
    if not sections[""][1]:
        del sections[""]
    return sections


def find_source_version(content_root: Path, relative: str, wanted: str) -> str | None:
    """Text of the newest committed version of `relative` whose body hash is `wanted`, following renames."""
    log = _git(content_root, "log", "--follow", "--format=commit %H", "--name-only", "--", relative)
    commit = None
    for line in (log or "").splitlines():
        if line.startswith("commit "):
            commit = line.removeprefix("commit ").strip()
        elif line.strip() and commit is not None:
            text = _git(content_root, "show", f"{commit}:{line.strip()}")
            if text is not None and body_hash(parse_source(text).blocks) == wanted:
                return text
    return None


def _git(cwd: Path, *args: str) -> str | None:
    """stdout of a read-only git command, or None when git or the repository is not there."""
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def stamp_translations(
    content_root: Path, languages: tuple[str, ...] = SHIPPED_LANGUAGES, ids: Iterable[str] | None = None
) -> list[Path]:
    """Record the current source hash in translations: "this translation matches the source now".

    Without `ids` only untracked translations are stamped (to start tracking existing content): a
    stale one is stamped only when named, by the translator who has just brought it up to date,
    so a blanket run never hides stale work. Returns the files it changed.
    """
    wanted = set(ids) if ids is not None else None
    changed: list[Path] = []
    stampable = ("untracked",) if wanted is None else ("untracked", "stale")
    for status in article_statuses(load_content(content_root, languages).articles, languages):
        if status.status not in stampable or status.source_hash is None or status.path is None:
            continue
        if wanted is not None and status.id not in wanted:
            continue
        path = content_root / status.path
        if set_front_matter_key(path, TRANSLATED_FROM, status.source_hash):
            changed.append(path)
    return changed


def set_front_matter_key(path: Path, key: str, value: str) -> bool:
    """Set one top-level scalar key by editing its line, so the writer's layout and comments survive."""
    text = path.read_bytes().decode("utf-8")
    parsed = parse_source(text)
    if parsed.front_matter is None:
        return False
    lines = text.splitlines(keepends=True)
    closing = parsed.body_line - 2  # 0-based index of the closing '---'
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    entry = f"{key}: {_yaml_scalar(value)}{newline}"
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    found = next((i for i in range(1, closing) if pattern.match(lines[i])), None)
    if found is None:
        lines.insert(closing, entry)
    elif lines[found] == entry:
        return False
    else:
        lines[found] = entry
    path.write_bytes("".join(lines).encode("utf-8"))
    return True


def _yaml_scalar(value: str) -> str:
    """Plain when YAML reads it back as the same string; quoted when it would not (an all-digit hash is an int)."""
    return value if yaml.safe_load(value) == value else f'"{value}"'
