"""One typed view of the deployment's configuration.

Every layer receives a `Settings` object instead of reading the environment itself, so tests can
pass their own and a setting has exactly one name and one default. It lives in `kb` (the leftmost
package) because the indexer, the copilot and the web app all need it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "ar")
DEFAULT_EMBEDDERS: tuple[str, ...] = ("e5", "use")
SYNC_SNAPSHOT_DIR = "sync-tree"  # under data_dir: HEAD's content as `kb sync` published it
SYNC_LINT_MODES = ("hold", "warn")


@dataclass(frozen=True)
class Settings:
    content_dir: Path = Path("content")
    data_dir: Path = Path("var")
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    collection: str = "helpcenter"
    database_url: str | None = None
    languages: tuple[str, ...] = SHIPPED_LANGUAGES
    embedders: tuple[str, ...] = DEFAULT_EMBEDDERS
    # A sentence-transformers model name or path, used when "st" is in `embedders`.
    st_model: str | None = None
    threads: int = 2
    max_query_chars: int = 512
    base_url: str = ""
    # Signs session cookies and CSRF tokens; when unset the web app keeps a random one in data_dir.
    secret_key: str | None = None
    # flask-limiter storage: memory:// for one process, redis://... when several serve together.
    rate_limit_storage: str = "memory://"
    # Off only for load benchmarks, which are one client sending far more than a person would.
    rate_limits: bool = True
    # The content folder in a git checkout that `kb sync` and the push webhook follow. When set
    # (or when the webhook is on), the site serves the synced snapshot, never the working tree.
    git_content_dir: Path | None = None
    # What `kb sync` does with an article that has lint errors: "hold" keeps its last good version
    # live (a new article waits), "warn" publishes it anyway and only reports the errors.
    sync_lint: str = "hold"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        embedders = tuple(e.strip() for e in env.get("KB_EMBEDDERS", ",".join(DEFAULT_EMBEDDERS)).split(","))
        data_dir = Path(env.get("KB_DATA_DIR", "var"))
        content_dir = Path(env.get("KB_CONTENT_DIR", "content"))
        git_dir: Path | None = Path(env["KB_GIT_CONTENT_DIR"]) if env.get("KB_GIT_CONTENT_DIR") else None
        if git_dir is None and env.get("KB_WEBHOOK_SECRET"):
            git_dir = content_dir  # the webhook follows the checkout named as the content
        sync_lint = env.get("KB_SYNC_LINT", "hold").strip().lower()
        if sync_lint not in SYNC_LINT_MODES:
            raise ValueError(f"KB_SYNC_LINT must be one of {', '.join(SYNC_LINT_MODES)}, not {sync_lint!r}")
        settings = cls(
            content_dir=content_dir,
            data_dir=data_dir,
            git_content_dir=git_dir,
            sync_lint=sync_lint,
            qdrant_url=env.get("QDRANT_URL") or None,
            qdrant_api_key=env.get("QDRANT_API_KEY") or None,
            collection=env.get("KB_COLLECTION", "helpcenter"),
            database_url=env.get("DATABASE_URL") or None,
            embedders=tuple(e for e in embedders if e),
            st_model=env.get("KB_ST_MODEL") or None,
            threads=int(env.get("KB_THREADS", "2")),
            base_url=env.get("KB_BASE_URL", "").rstrip("/"),
            secret_key=env.get("KB_SECRET_KEY") or None,
            rate_limit_storage=env.get("KB_RATELIMIT_STORAGE", "memory://"),
            rate_limits=env.get("KB_RATE_LIMITS", "on").lower() not in ("off", "0", "false", "no"),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        settings = replace(settings, **clean) if clean else settings
        following = settings.git_content_dir is not None
        if following and "content_dir" not in clean and (not env.get("KB_CONTENT_DIR") or git_dir == content_dir):
            # Following git, the site serves what `kb sync` published, never the checkout's working tree.
            settings = replace(settings, content_dir=settings.data_dir / SYNC_SNAPSHOT_DIR)
        return settings
