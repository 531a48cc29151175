"""One typed view of the deployment's configuration.

Every layer receives a `Settings` object instead of reading the environment itself, so tests can
pass their own and a setting has exactly one name and one default. It lives in `kb` (the leftmost
package) because the indexer, the copilot and the web app all need it.

Each field declares its environment variable and what it is for (`setting(...)`): `from_env`
reads every field from that, and `kb/settings_table.py` writes the README's configuration table
from the same metadata, so the documentation cannot drift from the code. A new setting is one
field here, nothing else.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "ar")
DEFAULT_EMBEDDERS: tuple[str, ...] = ("e5", "use")
SYNC_SNAPSHOT_DIR = "sync-tree"  # under data_dir: HEAD's content as `kb sync` published it
SYNC_LINT_MODES = ("hold", "warn")
_OFF = ("off", "0", "false", "no")
_ON = ("on", "1", "true", "yes")


def export_openmp_wait_policy(policy: str) -> None:
    """Hand `Settings.omp_wait_policy` to libgomp, which reads only the process environment, once, when it loads with
    the first e5 model (indexer.embedders): the one place outside `Settings.from_env` that touches the environment."""
    os.environ["OMP_WAIT_POLICY"] = policy.upper()


class SettingsError(ValueError):
    """An environment variable holds a value its setting cannot take; the message names it."""


def setting(
    default: Any,
    env: str | None,
    doc: str,
    *,
    shown_default: str | None = None,
    parse: Callable[[str], Any] | None = None,
) -> Any:
    """A field read from `env` (None: set in code only); `doc` and `shown_default` (when the default
    needs words) feed the README's table."""
    return field(default=default, metadata={"env": env, "doc": doc, "shown_default": shown_default, "parse": parse})


def _strip_slash(value: str) -> str:
    return value.rstrip("/")


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
    return value


def _bounded_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r}: expected a whole number from {low} to {high}")
    return value


def _positive_seconds(name: str, raw: str, high: float) -> float:
    """Seconds over 0 and at most `high` (a thread's wait past about 9e9 s is an OverflowError, not a long wait)."""
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= high:
        raise SettingsError(f"{name}={raw!r}: expected a number of seconds over 0 and at most {high:g}")
    return value


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a whole number >= 1") from None
    if value < 1:
        raise SettingsError(f"{name}={raw!r}: expected a whole number >= 1")
    return value


# The chunk's size (kb.chunking): a section over the most characters splits at block boundaries, one under the
# least merges into the chunk before it. Measured against other sizes on every domain (bench/RESULTS.md "Session 37,
# chunk37"); a change re-chunks every article at the next sync (embeddings of unchanged texts from the cache).
CHUNK_MAX_CHARS = 1100
CHUNK_MIN_CHARS = 160

SITEMAP_PROTOCOL_MAX_URLS = 50_000  # sitemaps.org: "no more than 50,000 URLs" per sitemap file


def _sitemap_limit(raw: str) -> int:
    value = _positive_int("KB_SITEMAP_MAX_URLS", raw)
    if value > SITEMAP_PROTOCOL_MAX_URLS:
        raise SettingsError(f"KB_SITEMAP_MAX_URLS={raw!r}: the sitemap protocol allows at most "
                            f"{SITEMAP_PROTOCOL_MAX_URLS} URLs a file")
    return value


def _languages(name: str, raw: str) -> tuple[str, ...]:
    """A comma-separated list of language codes ("en,ar"), or `none` for the empty list."""
    if raw.strip().lower() in ("none", *_OFF):
        return ()
    codes = tuple(code.strip().lower() for code in raw.split(",") if code.strip())
    bad = [code for code in codes if not code.isalpha() or not 2 <= len(code) <= 3]
    if not codes or bad:
        raise SettingsError(f"{name}={raw!r}: expected language codes such as en,ar, or none")
    return codes


def widget_origins(raw: str | tuple[str, ...], name: str = "KB_WIDGET_ORIGINS") -> tuple[str, ...]:
    """The sites that may embed the help widget: comma-separated origins (`https://shop.example.com`,
    `http://localhost:8000`), each a scheme, a host and perhaps a port, nothing more; or `*` (any site: risky,
    README). Empty: the widget is off. A bad origin is an error naming it and the setting."""
    items = [item.strip() for item in raw.split(",")] if isinstance(raw, str) else [str(i).strip() for i in raw]
    items = [item for item in items if item]
    if "*" in items:
        if len(items) > 1:
            raise SettingsError(f"{name}: '*' (any site) stands alone, not with other origins")
        return ("*",)
    clean = []
    for item in items:
        origin = item.rstrip("/").lower()
        if not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"{name}: {item!r} is not an origin; write scheme://host[:port], e.g. "
                                "https://shop.example.com (no path, no wildcard but a lone '*')")
        clean.append(origin)
    return tuple(dict.fromkeys(clean))


def passkey_origins(raw: str | tuple[str, ...]) -> tuple[str, ...]:
    """KB_PASSKEY_ORIGINS: the origins agents' passkeys are made and used on (widget_origins' form, no '*'); the first
    one's host is the relying party id, and every other must be on it or a subdomain of it (the WebAuthn rule)."""
    origins = widget_origins(raw, "KB_PASSKEY_ORIGINS")
    if origins == ("*",):
        raise SettingsError("KB_PASSKEY_ORIGINS: '*' is not allowed: name the sites agents sign in on")
    if origins:
        rp_id = _origin_host(origins[0])
        for origin in origins[1:]:
            host = _origin_host(origin)
            if host != rp_id and not host.endswith("." + rp_id):
                raise SettingsError(f"KB_PASSKEY_ORIGINS: {origin!r} is not on {rp_id} (the first origin's host) "
                                    "or a subdomain of it")
    return origins


def _origin_host(origin: str) -> str:
    host = origin.split("://", 1)[1]
    return host.rsplit(":", 1)[0] if not host.endswith("]") and ":" in host else host


def stored_secret(data_dir: Path) -> str:
    """A random secret kept in the data directory, so sessions survive restarts without setup (KB_SECRET_KEY's
    default)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text("utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret, "utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path.read_text("utf-8").strip()


_ORIGIN = re.compile(r"https?://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)"
                     r"(:[0-9]{1,5})?")


_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def email_domains(raw: str | tuple[str, ...], name: str = "KB_OIDC_DOMAINS") -> tuple[str, ...]:
    """Email domains (`example.com,example.sa`), lower-cased; one that is not a domain names itself and the setting."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    clean = []
    for item in (str(item).strip().lower().removeprefix("@") for item in items):
        if not item:
            continue
        if not _DOMAIN.fullmatch(item):
            raise SettingsError(f"{name}: {item!r} is not an email domain such as example.com")
        clean.append(item)
    return tuple(dict.fromkeys(clean))


DIGITS = ("latn", "arab")


def digits_policy(value: str) -> str:
    """KB_DIGITS checked at start-up, so a typo is an error naming the variable, not Western digits."""
    cleaned = value.strip().lower()
    if cleaned not in DIGITS:
        raise SettingsError(f"KB_DIGITS must be one of {', '.join(DIGITS)}, not {value!r}")
    return cleaned


@dataclass(frozen=True)
class Settings:
    content_dir: Path = setting(Path("content"), "KB_CONTENT_DIR", "the articles (Markdown in git)")
    data_dir: Path = setting(Path("var"), "KB_DATA_DIR", "index versions, embedding cache, SQLite database")
    qdrant_url: str | None = setting(
        None, "QDRANT_URL", "a Qdrant server or cluster (`http://...`) instead of the embedded engine"
    )
    qdrant_api_key: str | None = setting(None, "QDRANT_API_KEY", "its API key")
    collection: str = setting("helpcenter", "KB_COLLECTION", "the alias readers query on the server")
    qdrant_shard_number: int = setting(
        1, "QDRANT_SHARD_NUMBER", "shards per collection on a Qdrant server or cluster (qdrant-edge has one)",
        parse=lambda raw: _positive_int("QDRANT_SHARD_NUMBER", raw),
    )
    qdrant_replication_factor: int = setting(
        1, "QDRANT_REPLICATION_FACTOR", "copies of each shard on a Qdrant cluster",
        parse=lambda raw: _positive_int("QDRANT_REPLICATION_FACTOR", raw),
    )
    qdrant_write_consistency_factor: int = setting(
        1, "QDRANT_WRITE_CONSISTENCY_FACTOR", "replicas that must acknowledge a write on a Qdrant cluster",
        parse=lambda raw: _positive_int("QDRANT_WRITE_CONSISTENCY_FACTOR", raw),
    )
    database_url: str | None = setting(
        None,
        "DATABASE_URL",
        "tickets, agents and analytics in PostgreSQL (`postgresql://...`, needs `pip install '.[postgres]'`) "
        "instead of `$KB_DATA_DIR/helpdesk.sqlite`; the schema is migrated (alembic) on start",
    )
    languages: tuple[str, ...] = setting(SHIPPED_LANGUAGES, None, "the shipped languages, the default first")
    embedders: tuple[str, ...] = setting(
        DEFAULT_EMBEDDERS,
        "KB_EMBEDDERS",
        "dense models: `e5` (multilingual-e5-small), `use` (multilingual USE), `st` (sentence-transformers)",
    )
    st_model: str | None = setting(
        None, "KB_ST_MODEL", "sentence-transformers model path or name for `st` (loaded offline)"
    )
    threads: int = setting(2, "KB_THREADS", "CPU threads for embedding passages and for a local GGUF drafter")
    omp_wait_policy: str = setting(
        "passive", "OMP_WAIT_POLICY",
        "how e5's OpenMP threads wait at a barrier: `passive` sleeps, `active` spins (spinning burns a core that "
        "gunicorn workers, `kb worker` or a second process need); set in the process before the first model loads",
        parse=lambda raw: _choice("OMP_WAIT_POLICY", raw, ("passive", "active")),
    )
    chunk_max_chars: int = setting(
        CHUNK_MAX_CHARS, "KB_CHUNK_MAX_CHARS",
        "characters of an article section above which it is indexed as more than one chunk (split at paragraphs, "
        "list items, table rows); a change re-chunks every article at the next `kb index`",
        parse=lambda raw: _bounded_int("KB_CHUNK_MAX_CHARS", raw, 200, 8000),
    )
    chunk_min_chars: int = setting(
        CHUNK_MIN_CHARS, "KB_CHUNK_MIN_CHARS",
        "characters of an article section under which it joins the chunk before it (its heading a line of that "
        "chunk's text); less than `KB_CHUNK_MAX_CHARS` (the start refuses it otherwise)",
        parse=lambda raw: _bounded_int("KB_CHUNK_MIN_CHARS", raw, 0, 2000),
    )
    max_query_chars: int = setting(512, None, "longer queries are cut to this many characters")
    base_url: str = setting(
        "",
        "KB_BASE_URL",
        "prefix of the links in drafts and API answers (`https://help.example.com`, or `/help` behind a proxy)",
        shown_default="unset",
        parse=_strip_slash,
    )
    robots_disallow_all: bool = setting(
        False, "KB_ROBOTS_DISALLOW_ALL",
        "`on`: `/robots.txt` asks search engines to crawl nothing (a staging site); off: the help center is "
        "crawlable, the workspace, API, ticket, contact and search pages are not",
    )
    sitemap_max_urls: int = setting(
        50_000, "KB_SITEMAP_MAX_URLS",
        "URLs per `/sitemap.xml`; past it the sitemap is an index of `/sitemap-<n>.xml` files (the sitemap "
        "protocol's limit is 50,000, the most this takes)",
        parse=lambda raw: _sitemap_limit(raw),
    )
    secret_key: str | None = setting(
        None,
        "KB_SECRET_KEY",
        "signs sessions and CSRF tokens; set it when several servers share the work",
        shown_default="random, kept in `$KB_DATA_DIR/secret_key`",
    )
    previous_secret_keys: tuple[str, ...] = setting(
        (), "KB_PREVIOUS_SECRET_KEYS",
        "earlier `KB_SECRET_KEY` values, comma-separated, while rotating it: agents' two-factor secrets sealed under "
        "one still open, and are sealed again under the current key when the app starts (README, Two-factor sign-in)",
        shown_default="empty", parse=lambda raw: tuple(item.strip() for item in raw.split(",") if item.strip()),
    )
    passkey_origins: tuple[str, ...] = setting(
        (), "KB_PASSKEY_ORIGINS",
        "comma-separated origins agents sign in with passkeys on (`https://help.example.com`); the first one's host "
        "is the passkeys' relying party id, the others on it or its subdomains; empty: passkeys are off (never "
        "taken from the request's Host header)",
        shown_default="empty (off)", parse=lambda raw: passkey_origins(raw),
    )
    rate_limit_storage: str = setting(
        "memory://", "KB_RATELIMIT_STORAGE", "flask-limiter storage (e.g. `redis://...` for several processes)"
    )
    rate_limits: bool = setting(True, "KB_RATE_LIMITS", "`off` disables rate limits (load benchmarks only)")
    require_two_factor: bool = setting(
        False, "KB_REQUIRE_TWO_FACTOR",
        "`on`: an agent without two-factor sign-in is taken to their profile's enrolment on signing in and can use "
        "nothing else in the workspace until enrolled (API tokens are unaffected)",
    )
    two_factor_max_failures: int = setting(
        5, "KB_TWO_FACTOR_MAX_FAILURES",
        "wrong codes in a row at the sign-in's second step (per agent, whatever browser or address) before it is "
        "locked for that agent: 15 minutes, doubling with each further lock up to 24 hours; a right code or an "
        "admin's reset clears it",
        parse=lambda raw: _positive_int("KB_TWO_FACTOR_MAX_FAILURES", raw),
    )
    oidc_issuer: str | None = setting(
        None, "KB_OIDC_ISSUER",
        "agents' single sign-on (OpenID Connect): the identity provider's issuer, exactly as its ID tokens name it "
        "(`https://accounts.google.com`, `https://login.microsoftonline.com/TENANT/v2.0`, "
        "`https://COMPANY.okta.com`); its discovery document is read from `ISSUER/.well-known/openid-configuration`. "
        "https only (http on a loopback address, or with `KB_OIDC_ALLOW_HTTP`); unset: no single sign-on",
        shown_default="unset (off)",
    )
    oidc_client_id: str = setting("", "KB_OIDC_CLIENT_ID", "the desk's client id at the identity provider",
                                  shown_default="unset")
    oidc_client_secret: str = setting(
        "", "KB_OIDC_CLIENT_SECRET",
        "its client secret (the redirect URI to register there: `BASE/agent/login/sso/callback`)",
        shown_default="unset",
    )
    oidc_name: str = setting(
        "SSO", "KB_OIDC_NAME", "the provider's name on the login page's \"Sign in with ...\" button (`Google`, "
        "`Microsoft`, `Okta`)",
    )
    password_sign_in: bool = setting(
        True, "KB_PASSWORD_SIGN_IN",
        "`off` (with single sign-on set up): agents and leads sign in only through the identity provider; admins keep "
        "their password as the break-glass way in",
    )
    oidc_create_agents: bool = setting(
        False, "KB_OIDC_CREATE_AGENTS",
        "`on`: a verified email of an allowed domain (`KB_OIDC_DOMAINS`, required then) that no agent has signs in as "
        "a new agent (role agent); off: it is refused",
    )
    oidc_domains: tuple[str, ...] = setting(
        (), "KB_OIDC_DOMAINS",
        "comma-separated email domains single sign-on accepts (`example.com`); empty: any domain, for agents that "
        "exist",
        shown_default="empty (any)", parse=lambda raw: email_domains(raw),
    )
    oidc_two_factor: bool = setting(
        False, "KB_OIDC_TWO_FACTOR",
        "`on`: an agent with the desk's two-factor sign-in is asked for its code after single sign-on too; off: the "
        "identity provider's own multi-factor step stands for it",
    )
    oidc_allow_http: bool = setting(
        False, "KB_OIDC_ALLOW_HTTP",
        "`on`: an `http://` issuer on a non-loopback address is allowed (never in production)",
    )
    sync_lint: str = setting(
        "hold", "KB_SYNC_LINT",
        "what `kb sync` does with an article that has lint errors: `hold` keeps its last good version live (a new "
        "article waits), `warn` publishes it anyway and reports the errors",
        parse=lambda raw: _choice("KB_SYNC_LINT", raw, SYNC_LINT_MODES),
    )
    rules_check_seconds: float = setting(
        3.0, "KB_RULES_CHECK_SECONDS",
        "how often (at most) each web worker and the worker look whether content/_triggers.yml, "
        "_ticket_fields.yml, _business_hours.yml or a macro changed, and load the new rules between requests and "
        "jobs: a merged change applies within this many seconds (0: before every request and job)",
    )
    webhook_secret: str | None = setting(
        None, "KB_WEBHOOK_SECRET", "shared secret of the git push webhook (the endpoint is off without it)"
    )
    git_content_dir: Path | None = setting(
        None,
        "KB_GIT_CONTENT_DIR",
        "the content folder in the git checkout that `kb sync` and the webhook follow",
        shown_default="`$KB_CONTENT_DIR`",
    )
    llm_url: str | None = setting(
        None,
        "KB_LLM_URL",
        "optional LLM drafter: an OpenAI-compatible endpoint (vLLM, llama.cpp server). Off by default; its "
        "output must cite only the given passages or the grounded draft is used",
    )
    llm_model: str = setting("default", "KB_LLM_MODEL", "the model name sent to `KB_LLM_URL`")
    llm_api_key: str | None = setting(None, "KB_LLM_API_KEY", "the API key sent to `KB_LLM_URL`")
    llm_timeout: float = setting(
        30.0, "KB_LLM_TIMEOUT", "seconds the LLM drafter waits for one answer before the grounded draft is used"
    )
    llm_gguf: Path | None = setting(
        None,
        "KB_LLM_GGUF",
        "optional local drafter: a GGUF model file run in-process through llama-index's LlamaCPP (needs "
        "`pip install '.[local-llm]'`, a ~5 min build); same prompt, citation check and timeout",
    )
    db_busy_timeout: float = setting(
        2.0, "KB_DB_BUSY_TIMEOUT", "SQLite: seconds one write waits for another process's lock (busy_timeout)"
    )
    db_write_deadline: float = setting(
        10.0, "KB_DB_WRITE_DEADLINE",
        "seconds a customer's write is retried in all before the page says \"try again\" (their text kept)",
    )
    analytics_queue: int = setting(
        10_000, "KB_ANALYTICS_QUEUE",
        "analytics waiting for the background writer; past this many the newest are dropped and counted",
    )
    smtp_url: str | None = setting(
        None, "KB_SMTP_URL",
        "outgoing mail: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465` "
        "(TLS from the start); unset writes each mail as an `.eml` file under `$KB_DATA_DIR/outbox-eml/`",
    )
    mail_from: str = setting(
        "support@manzil.example", "KB_MAIL_FROM",
        "the From address; replies come back to its plus-address `support+TOKEN@...`",
    )
    mail_sender_name: str = setting(
        "Manzil Help Center", "KB_MAIL_SENDER_NAME",
        "From display name and the help center's name in mails of a language `content/_theme.yml` does not name "
        "(the theme's `name` in the others: Arabic mail comes from «مركز مساعدة منزل»)",
    )
    mail_suggested_articles: int = setting(
        3, "KB_MAIL_SUGGESTED_ARTICLES",
        "help-center articles the acknowledgement mail of a new ticket suggests (public ones in the ticket's "
        "language, only when search does not abstain), each with \"Did this answer your question?\"; `0` turns it off",
        parse=lambda raw: _bounded_int("KB_MAIL_SUGGESTED_ARTICLES", raw, 0, 5),
    )
    mail_suggestions_timeout_seconds: float = setting(
        10.0, "KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS",
        "seconds the worker waits for the acknowledgement's article search; past it the acknowledgement goes without "
        "suggested articles (logged), and no other search starts until that one ends; at most 600",
        parse=lambda raw: _positive_seconds("KB_MAIL_SUGGESTIONS_TIMEOUT_SECONDS", raw, 600),
    )
    max_ccs: int = setting(
        20, "KB_MAX_CCS",
        "people copied on one ticket at most (the mail's `Cc:` and other `To:` addresses, agents' \"Add CC\"); "
        "Zendesk allows 48",
        parse=lambda raw: _positive_int("KB_MAX_CCS", raw),
    )
    side_conversation_max_recipients: int = setting(
        10, "KB_SIDE_CONVERSATION_MAX_RECIPIENTS",
        "addresses one side conversation is with at most (its To: when started; Zendesk's side conversations take 20)",
        parse=lambda raw: _positive_int("KB_SIDE_CONVERSATION_MAX_RECIPIENTS", raw),
    )
    imap_host: str | None = setting(None, "KB_IMAP_HOST", "the IMAP server `kb mail fetch` polls")
    imap_port: int = setting(993, "KB_IMAP_PORT", "its port")
    imap_user: str = setting("", "KB_IMAP_USER", "the mailbox's user", shown_default="unset")
    imap_password: str = setting("", "KB_IMAP_PASSWORD", "the mailbox's password", shown_default="unset")
    imap_folder: str = setting("INBOX", "KB_IMAP_FOLDER", "the folder polled")
    imap_security: str = setting("ssl", "KB_IMAP_SECURITY", "`ssl`, `starttls`, or `plain` (loopback only)")
    mail_max_attachment_bytes: int = setting(
        10 * 1024 * 1024, "KB_MAIL_MAX_ATTACHMENT_BYTES",
        "per file: a larger one in a customer's mail is listed on the ticket as not kept, one an agent attaches to a "
        "reply or note is refused (the text typed is kept), one posted with a ticket to the API is a 400",
    )
    reply_max_attachments: int = setting(
        10, "KB_REPLY_MAX_ATTACHMENTS", "files an agent may attach to one reply or note (and the API take with one "
        "new ticket)",
        parse=lambda raw: _positive_int("KB_REPLY_MAX_ATTACHMENTS", raw),
    )
    reply_max_attachments_bytes: int = setting(
        20 * 1024 * 1024, "KB_REPLY_MAX_ATTACHMENTS_BYTES",
        "the files of one agent reply or note (or of one new ticket through the API) together (the mail grows by a "
        "third in base64: keep it under your SMTP server's message size limit)",
        parse=lambda raw: _positive_int("KB_REPLY_MAX_ATTACHMENTS_BYTES", raw),
    )
    customer_max_attachments: int = setting(
        5, "KB_CUSTOMER_MAX_ATTACHMENTS", "files a customer may attach on the contact form or to a reply on their "
        "ticket's page (`KB_MAIL_MAX_ATTACHMENT_BYTES` each)",
        parse=lambda raw: _positive_int("KB_CUSTOMER_MAX_ATTACHMENTS", raw),
    )
    customer_max_attachments_bytes: int = setting(
        20 * 1024 * 1024, "KB_CUSTOMER_MAX_ATTACHMENTS_BYTES",
        "the files of one contact form or customer reply on the web together (a post up to twice this plus 1 MiB is "
        "read, so a file over it is refused by name with the typed text kept)",
        parse=lambda raw: _positive_int("KB_CUSTOMER_MAX_ATTACHMENTS_BYTES", raw),
    )
    digits: str = setting(
        "latn", "KB_DIGITS", "digits of numbers and dates on Arabic pages: `latn` (0-9, as Gulf stores print them) "
        "or `arab` (٠-٩)", parse=digits_policy,
    )
    routing_language_fallback_minutes: int = setting(
        30, "KB_ROUTING_LANGUAGE_FALLBACK_MINUTES",
        "automatic assignment gives a ticket only to a member who answers in its language (the agent's languages) "
        "and has all its required skills (the admin page's skills); after this many minutes unassigned in its team "
        "(from its last move to the team, or its arrival) with nobody such available, the worker's `auto-assign` "
        "pass may give it to any available member (Zendesk's skills timeout); 0: never",
        parse=lambda raw: _bounded_int("KB_ROUTING_LANGUAGE_FALLBACK_MINUTES", raw, 0, 100_000),
    )
    auto_close_days: int = setting(
        4, "KB_AUTO_CLOSE_DAYS", "solved tickets close (final: a reply then starts a follow-up) after this many days"
    )
    held_mail_retention_days: int = setting(
        14, "KB_HELD_MAIL_RETENTION_DAYS",
        "held mail no agent recovered or deleted is purged (its kept original removed) after this many days, as "
        "Zendesk deletes suspended tickets after 14 (`kb worker`, or `kb mail held --purge` from cron)",
        parse=lambda raw: _positive_int("KB_HELD_MAIL_RETENTION_DAYS", raw),
    )
    deleted_ticket_retention_days: int = setting(
        30, "KB_DELETED_TICKET_RETENTION_DAYS",
        "deleted tickets (and spam) are removed for good, with their messages and files, after this many days, as "
        "Zendesk purges its deleted tickets after 30 (`kb worker`, or `kb tickets purge-deleted` from cron)",
        parse=lambda raw: _positive_int("KB_DELETED_TICKET_RETENTION_DAYS", raw),
    )
    idempotency_key_hours: int = setting(
        24, "KB_IDEMPOTENCY_KEY_HOURS",
        "an API POST's `Idempotency-Key` gives back its first answer to a retry for this many hours (as Stripe's 24), "
        "then is forgotten (`kb worker` purges it)",
        parse=lambda raw: _positive_int("KB_IDEMPOTENCY_KEY_HOURS", raw),
    )
    audit_keep_days: int = setting(
        365, "KB_AUDIT_KEEP_DAYS",
        "the audit log's events (agents, roles, passwords, API tokens, team members, customer edits, failed sign-ins) "
        "are kept this many days, then purged (`kb worker`)",
        parse=lambda raw: _positive_int("KB_AUDIT_KEEP_DAYS", raw),
    )
    webhook_allow_private: bool = setting(
        False, "KB_WEBHOOK_ALLOW_PRIVATE",
        "`on`: outbound webhooks may use http and reach loopback, private and link-local addresses (tests, "
        "on-premises receivers); off, an endpoint must be https on a public address, checked on save and on each "
        "delivery",
    )
    webhook_timeout_s: float = setting(
        10.0, "KB_WEBHOOK_TIMEOUT", "seconds a webhook delivery waits to connect and for the receiver's answer"
    )
    webhook_max_attempts: int = setting(
        12, "KB_WEBHOOK_MAX_ATTEMPTS",
        "tries of one webhook event (network errors, 5xx, 408, 429) before it fails for good; the wait doubles from "
        "one minute up to 12 hours, so 12 tries span about 29 hours",
        parse=lambda raw: _positive_int("KB_WEBHOOK_MAX_ATTEMPTS", raw),
    )
    webhook_disable_after: int = setting(
        10, "KB_WEBHOOK_DISABLE_AFTER",
        "events in a row that failed for good before a webhook endpoint is turned off (the admin page says why)",
        parse=lambda raw: _positive_int("KB_WEBHOOK_DISABLE_AFTER", raw),
    )
    webhook_keep_days: int = setting(
        30, "KB_WEBHOOK_KEEP_DAYS", "delivered and failed webhook events are kept this many days, then purged "
        "(`kb worker`)",
        parse=lambda raw: _positive_int("KB_WEBHOOK_KEEP_DAYS", raw),
    )
    saved_views_per_agent: int = setting(
        20, "KB_SAVED_VIEWS_PER_AGENT",
        "inbox views an agent may save (personal ones and those they share), as Zendesk caps personal views",
        parse=lambda raw: _positive_int("KB_SAVED_VIEWS_PER_AGENT", raw),
    )
    time_tracking: bool = setting(
        True, "KB_TIME_TRACKING",
        "the ticket page's timer and \"Time spent\" fields (each agent's time on a ticket, with a reply, note or "
        "update, or by hand; README \"Time tracking\"); `off` hides them (entries already made, the API's routes and "
        "the dashboard's figures stay)",
    )
    click_feedback: bool = setting(
        False, "KB_CLICK_FEEDBACK",
        "`on`: results customers clicked for a query (with no ticket after it in that visit) rank a little higher "
        "for it (capped, decayed; `kb clicks refresh` or the worker learns them). Search evaluation never uses it",
    )
    click_half_life_days: float = setting(
        30.0, "KB_CLICK_HALF_LIFE_DAYS", "a click's weight halves every this many days"
    )
    click_min_visits: int = setting(
        3, "KB_CLICK_MIN_VISITS", "distinct visits that must click an article for a query before it is lifted",
        parse=lambda raw: _positive_int("KB_CLICK_MIN_VISITS", raw),
    )
    near_topic_abstention: bool = setting(
        False, "KB_NEAR_TOPIC_ABSTENTION",
        "`on`: search also says it has no answer when the first result's best section holds little of the question's "
        "rare words, on the index's own scale (copilot.section_coverage). Off: it did not hold on held-out questions",
    )
    llm_retries: int = setting(
        1, "KB_LLM_RETRIES", "retries of a timed-out or failed request to `KB_LLM_URL` (each waits `KB_LLM_TIMEOUT`)"
    )
    llm_max_tokens: int = setting(
        512, "KB_LLM_MAX_TOKENS", "longest reply the LLM drafter may write, in tokens",
        parse=lambda raw: _positive_int("KB_LLM_MAX_TOKENS", raw),
    )
    llm_context: int = setting(
        4096, "KB_LLM_CONTEXT", "context window (tokens) the local GGUF model is loaded with",
        parse=lambda raw: _positive_int("KB_LLM_CONTEXT", raw),
    )
    widget_origins: tuple[str, ...] = setting(
        (), "KB_WIDGET_ORIGINS",
        "comma-separated origins of the sites that may embed the help widget (`https://shop.example.com`); empty: "
        "the widget is off (`/widget.js` answers 404); `*`: any site (risky: README, Help widget)",
        shown_default="empty (off)", parse=lambda raw: widget_origins(raw),
    )
    llm_card_languages: tuple[str, ...] = setting(
        ("en",), "KB_LLM_CARD_LANGUAGES",
        "comma-separated languages of the questions whose answer card the configured LLM may write (`none`: "
        "every card extractive); the others quote the section. English only by default: the 1.5B model we measured "
        "writes Arabic cards badly (bench/RESULTS.md)",
        shown_default="`en`", parse=lambda raw: _languages("KB_LLM_CARD_LANGUAGES", raw),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Every field from its environment variable (unset or empty: the default), then `overrides`."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.metadata["env"] is None:
                continue
            raw = env.get(spec.metadata["env"], "")
            if raw.strip():
                values[spec.name] = _parse(spec, raw.strip())
        settings = cls(**values)
        clean: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        settings = replace(settings, **clean) if clean else settings
        if settings.chunk_min_chars >= settings.chunk_max_chars:  # every section merged, then split again
            raise SettingsError(f"KB_CHUNK_MIN_CHARS={settings.chunk_min_chars} must be less than "
                                f"KB_CHUNK_MAX_CHARS={settings.chunk_max_chars}: a section under the least joins the "
                                "chunk before it, one over the most is split")
        git_dir = settings.git_content_dir
        if git_dir is None and settings.webhook_secret:  # the webhook follows the checkout named as the content
            git_dir = settings.content_dir
            settings = replace(settings, git_content_dir=git_dir)
        explicit = values.get("content_dir")
        if git_dir is not None and "content_dir" not in clean and (explicit is None or git_dir == explicit):
            # Following git, the site serves what `kb sync` published, never the checkout's working tree.
            settings = replace(settings, content_dir=settings.data_dir / SYNC_SNAPSHOT_DIR)
        return settings


def _parse(spec: dataclasses.Field[Any], raw: str) -> Any:
    """The environment's text as the field's type; a bad value names its variable."""
    name, kind = spec.metadata["env"], str(spec.type)
    custom = spec.metadata.get("parse")
    if custom is not None:
        return custom(raw)
    if kind.startswith("Path"):
        return Path(raw)
    if kind.startswith("tuple"):
        items = tuple(item.strip() for item in raw.split(",") if item.strip())
        if not items:
            raise SettingsError(f"{name}: give at least one comma-separated value")
        return items
    if kind == "bool":
        if raw.lower() in _ON:
            return True
        if raw.lower() in _OFF:
            return False
        raise SettingsError(f"{name}: use on or off, not {raw!r}")
    if kind in ("int", "float"):
        try:
            return int(raw) if kind == "int" else float(raw)
        except ValueError:
            kind_name = "a whole number" if kind == "int" else "a number"
            raise SettingsError(f"{name}: expected {kind_name}, not {raw!r}") from None
    return raw
