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
    # Outgoing mail: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (implicit TLS);
    # None writes each message as an .eml file under data_dir/outbox-eml/ instead (make run, no server).
    smtp_url: str | None = None
    # The From address; replies go to its plus-address with the ticket's token (support+TOKEN@...).
    mail_from: str = "support@manzil.example"
    # The help center's name in mail footers and the From display name.
    mail_sender_name: str = "Manzil Help Center"
    # Incoming IMAP mailbox polled by `kb mail fetch`.
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    # ssl (port 993), starttls, or plain (loopback tests only).
    imap_security: str = "ssl"
    # Per attachment; larger ones are listed on the ticket as skipped, never stored.
    mail_max_attachment_bytes: int = 10 * 1024 * 1024

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
            smtp_url=env.get("KB_SMTP_URL") or None,
            mail_from=env.get("KB_MAIL_FROM") or "support@manzil.example",
            mail_sender_name=env.get("KB_MAIL_SENDER_NAME") or "Manzil Help Center",
            imap_host=env.get("KB_IMAP_HOST") or None,
            imap_port=int(env.get("KB_IMAP_PORT", "993")),
            imap_user=env.get("KB_IMAP_USER", ""),
            imap_password=env.get("KB_IMAP_PASSWORD", ""),
            imap_folder=env.get("KB_IMAP_FOLDER", "INBOX"),
            imap_security=env.get("KB_IMAP_SECURITY", "ssl"),
            mail_max_attachment_bytes=int(env.get("KB_MAIL_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings
