"""The web app's guards, created once and bound to the app in `create_app`: CSRF on every form
(flask-wtf), rate limits (flask-limiter), agent sessions (flask-login), and the secret they share.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
login_manager = LoginManager()

SEARCH_LIMIT = "120 per minute"  # as-you-type sends one request per pause in typing
CONTACT_LIMIT = "5 per minute; 30 per hour"
FEEDBACK_LIMIT = "30 per minute"
LOGIN_LIMIT = "10 per minute"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def stored_secret(data_dir: Path) -> str:
    """A random secret kept in the data directory, so sessions survive restarts without setup."""
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
