"""Follow git: index the content as of HEAD, working from what changed since the last indexed commit.

Writers commit; the help center publishes commits, never a half-edited working tree. So the
index is not built from the checkout itself but from a snapshot of HEAD's content folder kept in
`<data_dir>/sync-tree/`. Each run asks git what changed between the commit the snapshot was taken
from (recorded in `<data_dir>/last_commit`) and HEAD, rewrites only those files in the snapshot,
and hands the snapshot to the ordinary `sync_index` (through the caller's `run_index`), which
hashes files against the index and re-embeds only what changed. There is one indexing path; this
module only decides which bytes sit in the content folder it reads.

When the recorded commit is missing, unknown to the repository, or not an ancestor of HEAD
(history was rewritten: amend, reset, force-push), the snapshot is reconciled file by file with
HEAD's tree instead (a full comparison by blob id), which is correct whatever happened before.

Changed articles are linted before they enter the snapshot (indexer.publish_gate): one with lint
errors is held back at its last good version (Settings.sync_lint "hold", the default) or published
with its errors reported ("warn"). Held paths are kept in `<data_dir>/sync-held` and retried on
every run, so fixing what they link to (in any later commit) publishes them.

`last_commit` is written only after the index accepted the snapshot, so a crash anywhere leaves
it on a commit whose content is fully indexed; the next run redoes the rest (rewriting a snapshot
file with the same bytes is harmless). Runs are serialised across processes by an advisory lock
on `<data_dir>/git-sync.lock`, since the web hook's worker and `kb sync` from cron may overlap.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from indexer.publish_gate import STAGING_DIR, lint_changes
from indexer.sync import SyncReport
from kb.articles import ArticleError
from kb.settings import SYNC_SNAPSHOT_DIR, Settings

SNAPSHOT_DIR = SYNC_SNAPSHOT_DIR
STATE_FILE = "last_commit"
HELD_FILE = "sync-held"
LOCK_FILE = "git-sync.lock"
_TMP_SUFFIX = ".kbsync.tmp"
_REGULAR_MODES = ("100644", "100755")  # symlinks and submodules are never materialised

Mode = Literal["incremental", "full", "up-to-date"]


class GitSyncError(RuntimeError):
    """The content is not in a usable git repository, or git failed; the message says which."""


@dataclass(frozen=True)
class Change:
    status: Literal["added", "modified", "renamed", "deleted"]
    path: str  # relative to the content root; for a rename, the new path
    blob: str | None = None  # the new content's object id (None for deletions)
    mode: str = "100644"
    old_path: str | None = None


@dataclass
class GitSyncReport:
    to_commit: str
    from_commit: str | None = None
    mode: Mode = "incremental"
    reason: str = ""  # why a full comparison was needed
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new)
    deleted: list[str] = field(default_factory=list)
    index: SyncReport | None = None  # None when HEAD was already indexed
    held: list[ArticleError] = field(default_factory=list)  # lint errors of articles kept at their last good version
    published_with_errors: list[ArticleError] = field(default_factory=list)  # sync_lint "warn"
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.held or self.published_with_errors:
            return 2
        return self.index.exit_code if self.index is not None else 0

    @property
    def rejected(self) -> list[ArticleError]:
        """Articles not published as committed this run (each kept at its last good version), and why."""
        return [*self.held, *(self.index.rejected if self.index is not None else [])]

    def summary(self) -> str:
        span = f"{_short(self.from_commit)}..{_short(self.to_commit)}"
        if self.mode == "up-to-date":
            return f"{span}: up to date"
        how = f"full comparison ({self.reason})" if self.mode == "full" else "incremental"
        files = (
            f"files: {len(self.added)} added, {len(self.modified)} modified, "
            f"{len(self.renamed)} renamed, {len(self.deleted)} deleted"
        )
        index = f"; {self.index.summary()}" if self.index is not None else ""
        held = sorted({e.path for e in self.held})
        gate = f"; held back (lint errors): {', '.join(held)}" if held else ""
        warned = sorted({e.path for e in self.published_with_errors})
        gate += f"; published with lint errors: {', '.join(warned)}" if warned else ""
        return f"{span} {how}; {files}{index}{gate}"

    def as_json(self) -> dict[str, object]:
        index = self.index
        return {
            "from_commit": self.from_commit,
            "to_commit": self.to_commit,
            "mode": self.mode,
            "reason": self.reason,
            "files": {
                "added": self.added,
                "modified": self.modified,
                "renamed": [list(pair) for pair in self.renamed],
                "deleted": self.deleted,
            },
            "index": None
            if index is None
            else {
                "added": index.added,
                "changed": index.changed,
                "removed": index.removed,
                "unchanged": index.unchanged,
                "rejected": [str(e) for e in self.rejected],
                "chunks_embedded": index.chunks_embedded,
                "chunks_reused": index.chunks_reused,
            },
            "held": [str(e) for e in self.held],
            "published_with_errors": [str(e) for e in self.published_with_errors],
            "summary": self.summary(),
            "seconds": round(self.seconds, 3),
        }


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "(none)"


# -- git ---------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    # Fixed locale and no pager/prompt: the output is parsed, and a hook must never wait for input.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args], input=stdin, capture_output=True, check=False, env=env
        )
    except OSError as error:
        raise GitSyncError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise GitSyncError(f"git {args[0]} failed in {cwd}: {message}")
    return done.stdout


@dataclass(frozen=True)
class ContentRepo:
    """The git repository holding the content, and where in it the content folder is."""

    content_dir: Path
    root: Path
    prefix: str  # the content folder inside the repository, "" or ending with "/"
    object_format: str  # "sha1" or "sha256": how blob ids are computed

    @classmethod
    def locate(cls, content_dir: Path) -> ContentRepo:
        if not content_dir.is_dir():
            raise GitSyncError(f"content directory not found: {content_dir}")
        try:
            lines = _git(content_dir, "rev-parse", "--show-toplevel", "--show-prefix").decode().splitlines()
        except GitSyncError as error:
            raise GitSyncError(f"{content_dir} is not inside a git repository (use `kb index`): {error}") from None
        fmt = _git(content_dir, "rev-parse", "--show-object-format").decode().strip() or "sha1"
        return cls(content_dir, Path(lines[0]), lines[1] if len(lines) > 1 else "", fmt)

    def head(self) -> str:
        try:
            return _git(self.content_dir, "rev-parse", "--verify", "HEAD^{commit}").decode().strip()
        except GitSyncError:
            raise GitSyncError(f"the repository at {self.root} has no commits yet") from None

    def has_commit(self, commit: str) -> bool:
        try:
            _git(self.content_dir, "cat-file", "-e", f"{commit}^{{commit}}")
        except GitSyncError:
            return False
        return True

    def is_ancestor(self, older: str, newer: str) -> bool:
        try:
            _git(self.content_dir, "merge-base", "--is-ancestor", older, newer)
        except GitSyncError:
            return False
        return True

    def pull(self) -> bool:
        """Fast-forward from the upstream branch; False (and nothing done) when there is none.

        A push webhook means the remote moved: the checkout must catch up before HEAD is indexed.
        A checkout without an upstream (a writer's local repository) is indexed as it is.
        """
        try:
            _git(self.root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
        except GitSyncError:
            return False
        _git(self.root, "pull", "--ff-only", "--quiet")
        return True

    def tree(self, commit: str) -> dict[str, tuple[str, str]]:
        """Path (relative to the content folder) -> (mode, blob id) of every file in the commit."""
        # Run inside the content folder, ls-tree lists only it, with paths relative to it.
        out: dict[str, tuple[str, str]] = {}
        for entry in _git(self.content_dir, "ls-tree", "-r", "-z", commit).split(b"\0"):
            if entry:
                meta, _, path = entry.partition(b"\t")
                mode, kind, blob = meta.decode().split(" ")
                if kind == "blob":
                    out[path.decode("utf-8", "surrogateescape")] = (mode, blob)
        return out

    def changes(self, older: str, newer: str) -> list[Change]:
        """What changed in the content folder between two commits, renames detected."""
        raw = _git(self.content_dir, "diff", "--raw", "-z", "-M", "--relative", "--no-abbrev", older, newer)
        tokens = [t.decode("utf-8", "surrogateescape") for t in raw.split(b"\0")]
        out: list[Change] = []
        i = 0
        while i < len(tokens) and tokens[i].startswith(":"):
            _old_mode, new_mode, _old_blob, new_blob, status = tokens[i][1:].split(" ")
            letter = status[0]
            if letter in "RC":
                old, new = tokens[i + 1], tokens[i + 2]
                i += 3
                if letter == "R":
                    out.append(Change("renamed", new, new_blob, new_mode, old_path=old))
                else:
                    out.append(Change("added", new, new_blob, new_mode))
                continue
            path = tokens[i + 1]
            i += 2
            if letter == "D":
                out.append(Change("deleted", path))
            else:  # A, M, T (type change)
                out.append(Change("added" if letter == "A" else "modified", path, new_blob, new_mode))
        return out

    def blobs(self, ids: set[str]) -> dict[str, bytes]:
        """The raw bytes of many blobs in one git process (no smudge filters: what was committed)."""
        if not ids:
            return {}
        ordered = sorted(ids)
        raw = _git(self.content_dir, "cat-file", "--batch", stdin="".join(f"{i}\n" for i in ordered).encode())
        out: dict[str, bytes] = {}
        pos = 0
        for blob in ordered:
            end = raw.index(b"\n", pos)
            header = raw[pos:end].decode().split(" ")
            if len(header) != 3:
                raise GitSyncError(f"git cat-file: {raw[pos:end].decode('utf-8', 'replace')}")
            size = int(header[2])
            out[blob] = raw[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1  # the content is followed by a newline
        return out


# -- the snapshot ------------------------------------------------------------------------------


class Snapshot:
    """A plain folder holding exactly HEAD's content files, updated in place one file at a time.

    Every write is a rename of a complete temporary file, so a reader (the index run, or a web
    server whose catalog points here) sees either the old or the new bytes of a file, never a mix.
    """

    def __init__(self, root: Path, object_format: str = "sha1") -> None:
        self.root = root
        self.object_format = object_format

    def _target(self, relative: str) -> Path:
        parts = PurePosixPath(relative).parts
        if not parts or relative.startswith("/") or ".." in parts or ".git" in parts:
            raise GitSyncError(f"refusing to write outside the snapshot: {relative!r}")
        return self.root.joinpath(*parts)

    def write(self, relative: str, data: bytes) -> None:
        target = self._target(relative)
        if target.is_dir():  # a folder became a file in this commit
            self._remove_tree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}{_TMP_SUFFIX}")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def remove(self, relative: str) -> None:
        target = self._target(relative)
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def _remove_tree(self, directory: Path) -> None:
        for path in sorted(directory.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        directory.rmdir()

    def blob_ids(self) -> dict[str, str]:
        """Path -> git blob id of each file, computed as git would, to compare with a commit's tree."""
        out: dict[str, str] = {}
        if not self.root.is_dir():
            return out
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.endswith(_TMP_SUFFIX):
                data = path.read_bytes()
                digest = hashlib.new(self.object_format, b"blob %d\0" % len(data) + data)
                out[path.relative_to(self.root).as_posix()] = digest.hexdigest()
        return out

    def remove_leftovers(self) -> None:
        """Temporary files of a run that was killed mid-write."""
        if self.root.is_dir():
            for path in self.root.rglob(f"*{_TMP_SUFFIX}"):
                path.unlink(missing_ok=True)


def snapshot_dir(settings: Settings) -> Path:
    """Where HEAD's content is materialised; point a serving deployment's content_dir here."""
    return settings.data_dir / SNAPSHOT_DIR


# -- state and lock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    commit: str
    prefix: str  # the content folder it was taken from: another folder means another snapshot


def read_state(data_dir: Path) -> SyncState | None:
    try:
        lines = (data_dir / STATE_FILE).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return None
    if not lines or not lines[0].strip():
        return None
    return SyncState(lines[0].strip(), lines[1] if len(lines) > 1 else "")


def write_state(data_dir: Path, state: SyncState) -> None:
    path = data_dir / STATE_FILE
    tmp = path.with_name(f"{STATE_FILE}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(f"{state.commit}\n{state.prefix}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_held(data_dir: Path) -> set[str]:
    try:
        return {line for line in (data_dir / HELD_FILE).read_text("utf-8").splitlines() if line}
    except (FileNotFoundError, UnicodeDecodeError):
        return set()


def write_held(data_dir: Path, paths: set[str]) -> None:
    path = data_dir / HELD_FILE
    if not paths:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(f"{HELD_FILE}.{os.getpid()}.tmp")
    tmp.write_text("".join(f"{p}\n" for p in sorted(paths)), "utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def sync_lock(data_dir: Path, timeout: float = 600.0) -> Iterator[None]:
    """Exclusive across processes and threads (each call opens its own file description)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(data_dir / LOCK_FILE, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise GitSyncError(f"another sync holds {data_dir / LOCK_FILE} for over {timeout:.0f} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- the run -----------------------------------------------------------------------------------


IndexRun = Callable[[Settings], SyncReport]


def sync_git(
    settings: Settings, run_index: IndexRun, *, full: bool = False, fetch: bool = False, lock_timeout: float = 600.0
) -> GitSyncReport:
    """Index HEAD of the repository holding `settings.content_dir` (which must not be the snapshot).

    `run_index` gets settings whose content_dir is the snapshot and runs `sync_index` with them
    (e.g. `lambda s: sync_index(s, store, embedding, lexical)`). It is a callable so that a run
    with nothing to do never loads the models; pass `full=True` with a rebuild.
    """
    started = time.perf_counter()
    snapshot_root = snapshot_dir(settings)
    if settings.content_dir.resolve().is_relative_to(snapshot_root.resolve()):
        raise GitSyncError(
            f"the content directory {settings.content_dir} is the sync snapshot; "
            "sync reads the git checkout (KB_GIT_CONTENT_DIR or --content) and writes the snapshot"
        )
    with sync_lock(settings.data_dir, lock_timeout):
        repo = ContentRepo.locate(settings.content_dir)
        if fetch:
            repo.pull()
        head = repo.head()
        snapshot = Snapshot(snapshot_root, repo.object_format)
        snapshot.remove_leftovers()
        state = read_state(settings.data_dir)
        reason = "requested" if full else _full_reason(repo, snapshot, state, head)
        report = GitSyncReport(to_commit=head, from_commit=state.commit if state else None)
        held_before = read_held(settings.data_dir)
        gate = _Gate(settings, snapshot)
        changes: list[Change] = []
        if reason:
            report.mode, report.reason = "full", reason
            _reconcile(repo, snapshot, head, report, gate)
        elif state is not None and state.commit == head and not held_before:
            report.mode = "up-to-date"
            report.seconds = time.perf_counter() - started
            return report
        else:
            assert state is not None  # _full_reason returns a reason when there is no state
            changes = repo.changes(state.commit, head) if state.commit != head else []
            changes += _retry_held(repo, head, held_before, changes)
            _apply(repo, snapshot, changes, report, gate)
        report.held, report.published_with_errors = gate.held, gate.warned
        # With no content change since a fully indexed commit the index already matches the snapshot.
        if report.mode == "full" or changes:
            snapshot.root.mkdir(parents=True, exist_ok=True)
            report.index = run_index(replace(settings, content_dir=snapshot.root))
        write_held(settings.data_dir, {error.path for error in gate.held})
        write_state(settings.data_dir, SyncState(head, repo.prefix))
    report.seconds = time.perf_counter() - started
    return report


def _full_reason(repo: ContentRepo, snapshot: Snapshot, state: SyncState | None, head: str) -> str:
    """Why the diff since the last commit cannot be trusted; "" when it can."""
    if state is None:
        return "no indexed commit recorded"
    if state.prefix != repo.prefix:
        return f"content folder changed from {state.prefix or '/'} to {repo.prefix or '/'}"
    if not snapshot.root.is_dir():
        return "snapshot missing"
    if not repo.has_commit(state.commit):
        return f"last indexed commit {_short(state.commit)} is not in the repository"
    if not repo.is_ancestor(state.commit, head):
        return f"history rewritten: {_short(state.commit)} is not an ancestor of HEAD"
    return ""


class _Gate:
    """Decides, per run, which written articles are held back (publish_gate), and remembers why."""

    def __init__(self, settings: Settings, snapshot: Snapshot) -> None:
        self.settings = settings
        self.snapshot = snapshot
        self.held: list[ArticleError] = []
        self.warned: list[ArticleError] = []

    def __call__(self, writes: dict[str, bytes], removals: set[str]) -> set[str]:
        staging = self.settings.data_dir / STAGING_DIR
        found = lint_changes(self.snapshot.root, staging, writes, removals, self.settings.languages)
        errors = [error for path in sorted(found) for error in found[path]]
        if self.settings.sync_lint == "warn":
            self.warned = errors
            return set()
        self.held = errors
        return set(found)


def _retry_held(repo: ContentRepo, head: str, held: set[str], changes: list[Change]) -> list[Change]:
    """Held articles are judged again each run: what they link to may have been fixed since."""
    if not held:
        return []
    already = {change.path for change in changes}
    tree = repo.tree(head)
    return [
        Change("modified", path, tree[path][1], tree[path][0])
        for path in sorted(held - already)
        if path in tree and tree[path][0] in _REGULAR_MODES
    ]


def _apply(repo: ContentRepo, snapshot: Snapshot, changes: list[Change], report: GitSyncReport, gate: _Gate) -> None:
    """Bring the snapshot from the last commit to HEAD with only the files git says changed."""
    wanted = {c.blob for c in changes if c.blob and c.mode in _REGULAR_MODES}
    contents = repo.blobs(wanted)
    writes = {c.path: contents[c.blob] for c in changes if c.blob and c.mode in _REGULAR_MODES}
    removals = {c.old_path for c in changes if c.old_path is not None}
    removals |= {c.path for c in changes if not (c.blob and c.mode in _REGULAR_MODES)}
    held = gate(writes, removals)
    removals -= {c.old_path for c in changes if c.old_path is not None and c.path in held}  # a held rename stays
    # Removals first: a file that becomes a folder (or the reverse) must be out of the way.
    for path in sorted(removals):
        snapshot.remove(path)
    for path, data in writes.items():
        if path not in held:
            snapshot.write(path, data)
    for change in changes:
        if change.path in held:
            continue
        if change.status == "renamed":
            report.renamed.append((change.old_path or "", change.path))
        else:
            getattr(report, change.status).append(change.path)


def _reconcile(repo: ContentRepo, snapshot: Snapshot, head: str, report: GitSyncReport, gate: _Gate) -> None:
    """Make the snapshot equal HEAD's tree whatever it held before, comparing blob ids."""
    tree = {path: blob for path, (mode, blob) in repo.tree(head).items() if mode in _REGULAR_MODES}
    if not tree and repo.prefix:
        raise GitSyncError(f"HEAD ({_short(head)}) has no files in {repo.prefix}: commit the content first")
    have = snapshot.blob_ids()
    stale = {path: blob for path, blob in tree.items() if have.get(path) != blob}
    contents = repo.blobs(set(stale.values()))
    writes = {path: contents[blob] for path, blob in stale.items()}
    removals = set(have) - set(tree)
    held = gate(writes, removals)
    for path in sorted(removals):
        snapshot.remove(path)
        report.deleted.append(path)
    for path, data in sorted(writes.items()):
        if path in held:
            continue
        snapshot.write(path, data)
        (report.modified if path in have else report.added).append(path)
