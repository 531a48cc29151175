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
    # Solved tickets close (final: a reply starts a follow-up) after this many days; the worker's pass.
    auto_close_days: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        embedders = tuple(e.strip() for e in env.get("KB_EMBEDDERS", ",".join(DEFAULT_EMBEDDERS)).split(","))
        settings = cls(
            content_dir=Path(env.get("KB_CONTENT_DIR", "content")),
            data_dir=Path(env.get("KB_DATA_DIR", "var")),
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
            auto_close_days=int(env.get("KB_AUTO_CLOSE_DAYS", "4")),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings
