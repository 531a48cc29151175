"""Lint what `kb sync` is about to publish, as it will be published, before the site can see it.

A writer's commit can carry a broken link, a missing image, a wrong anchor or a front-matter typo.
Published as it is, the live site would show the broken article (or lose it: an article that no
longer loads drops out of the catalog). So the changed articles are linted first, against the
snapshot as it would be after the change (links to articles added in the same commit resolve), in a
staging copy made of hard links (cheap: only the changed files are new bytes). An article with lint
errors is held back: its last good version stays in the snapshot, and the site and the index keep
serving it, until a later commit fixes it (the held paths are retried on every sync).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from kb.articles import ArticleError
from kb.lint import lint_paths

STAGING_DIR = "sync-stage"


def _link_or_copy(source: str, target: str) -> str:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy judges the same
        shutil.copy2(source, target)
    return target


def lint_changes(
    snapshot: Path, staging: Path, writes: Mapping[str, bytes], removals: set[str], languages: tuple[str, ...]
) -> dict[str, list[ArticleError]]:
    """Lint errors of each written article, judged on the snapshot with these changes applied."""
    articles = [path for path in writes if path.endswith(".md") and not _hidden(path)]
    if not articles:
        return {}
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if snapshot.is_dir():
            shutil.copytree(snapshot, staging, copy_function=_link_or_copy)
        staging.mkdir(parents=True, exist_ok=True)
        for path in removals:
            (staging / path).unlink(missing_ok=True)
        for path, data in writes.items():
            target = staging / path
            if target.is_dir():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.stage")
            tmp.write_bytes(data)
            os.replace(tmp, target)  # replaces the link, never writes through it into the snapshot
        messages = lint_paths(staging, [staging / path for path in articles], languages)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    held: dict[str, list[ArticleError]] = {}
    root = staging.as_posix().rstrip("/") + "/"
    for message in messages:
        if message.severity != "error":
            continue
        relative = message.path.removeprefix(root)
        held.setdefault(relative, []).append(ArticleError(relative, message.line, message.message, message.rule))
    return held


def _hidden(path: str) -> bool:
    return any(part.startswith(("_", ".")) for part in PurePosixPath(path).parts)
