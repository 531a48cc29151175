"""A published version's id-tracker mappings, fingerprinted so their damage is found before the engine reads them.

qdrant-edge reports most damage as an error the store catches (`EdgeStore` then serves the
version before), but some it cannot: random bytes in a segment's id-tracker mappings made
`EdgeShard.load` abort the whole process (SIGABRT from the Rust side, no exception to catch) about
once in 200 tries, taking the web server down with it instead of falling back. So each version
records, when it is published, a BLAKE2 digest of each segment's id-tracker mappings, and a
version whose mappings no longer match is reported damaged without being handed to the engine.

Only the mappings: they are the file seen to abort the engine, and one that never changes once a
version is published (no point is written to a published version). Most other files do change
after publication, by the engine itself: it rewrites its JSON configs when it opens a shard,
flushes `mutable_id_tracker.versions` when the writer's shard closes, and removes its trackers'
journals (measured on three published versions opened and closed twice). A digest over those
would report sound versions as damaged and serve an older index, far worse than the rare abort.
Other damage is left to the engine's own errors, which `EdgeStore` catches. A version published
before this file existed has no digest and opens as before.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

DIGEST = "DIGEST.json"  # beside COMPLETE in a version's directory: {path under shard/: hex digest}
_FINGERPRINTED = "mutable_id_tracker.mappings"


class ShardDamaged(Exception):
    """A version's structural file is missing or differs from what was published."""


def _structural_files(shard: Path) -> list[Path]:
    return sorted(p for p in shard.rglob(_FINGERPRINTED) if p.is_file())


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, hashlib.blake2b).hexdigest()


def write_digest(version_dir: Path) -> None:
    """Record the shard's structural files (call once the shard is flushed, before COMPLETE)."""
    shard = version_dir / "shard"
    digests = {str(p.relative_to(shard)): _digest(p) for p in _structural_files(shard)}
    (version_dir / DIGEST).write_text(json.dumps(digests, sort_keys=True), "utf-8")


def check_digest(version_dir: Path) -> None:
    """Raise `ShardDamaged` naming the first structural file that is gone or changed; nothing to
    check (and no error) for a version published without a digest."""
    try:
        recorded = json.loads((version_dir / DIGEST).read_text("utf-8"))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as error:
        raise ShardDamaged(f"{DIGEST} cannot be read ({error})") from None
    if not isinstance(recorded, dict):
        raise ShardDamaged(f"{DIGEST} does not hold a file list")
    shard = version_dir / "shard"
    for name, expected in sorted(recorded.items()):
        try:
            actual = _digest(shard / name)
        except OSError as error:
            raise ShardDamaged(f"shard file {name} cannot be read ({error.strerror or error})") from None
        if actual != expected:
            raise ShardDamaged(f"shard file {name} does not match the digest recorded when it was published")
