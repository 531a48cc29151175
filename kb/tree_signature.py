"""A content tree's signature: every file's path, mtime and size, to tell cheaply that it changed.

Used by the preview (re-index and re-lint when a writer saves) from both its CLI command and its
blueprint; it lives here, with the content it describes, so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

Signature = tuple[tuple[str, int, int], ...]


def content_signature(content_dir: Path) -> Signature:
    """Every file's mtime and size: media and `_synonyms.yml` change what the index holds too."""
    out = []
    for path in sorted(content_dir.rglob("*")):
        relative = path.relative_to(content_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            stat = path.stat()
            out.append((relative.as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(out)
