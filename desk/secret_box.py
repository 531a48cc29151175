"""Agents' two-factor secrets sealed at rest (desk.two_factor), so a dump of the database alone (without the app's
secret key) yields no TOTP secret, so no code.

The cipher: AES-SIV (RFC 5297, the `cryptography` package's AESSIV), deterministic authenticated encryption, under a
512-bit key derived from the app's secret key (KB_SECRET_KEY, else the one kept in `$KB_DATA_DIR/secret_key`) through
HKDF-SHA256 with this purpose's own label: the key that signs cookies is never itself the one that seals secrets. SIV
rather than AES-GCM: it needs no nonce, so the sealed 20-byte secret is `siv1:` and 48 base64url characters (53) and
fits the agents table's existing 64-character column (GCM's nonce and tag made 88, and widening the column on SQLite
copies `agents`, which tickets reference). Deterministic only tells that two seals hold the same secret for the same
agent, and every enrolment draws a new random secret. The agent's id is the associated data: a sealed secret copied
onto another agent's row does not open.

A value without the prefix is a plain secret an older release stored: it still opens (as itself), and the app seals
every such one when it starts (`TwoFactor.seal_stored`, from webapp.app.create_app), not in a migration: migrations run
without the app's key (a CLI `kb` command migrates too, with whatever settings it has), and a key that differed there
from the web's would seal secrets no server can open; nor only at first use, which left an agent who never signs in
readable in a dump forever.

Rotating KB_SECRET_KEY: set the new one and list the old one in KB_PREVIOUS_SECRET_KEYS; a secret sealed under an old
key still opens, and the start's sweep seals it again under the new one. Once every process has started with the new
key, the old one can leave the list (a secret only it opens no longer opens: that agent's 2FA needs an admin's reset).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "siv1:"
_LABEL = b"kb desk two-factor secret v1"  # HKDF's info: this key for this purpose only


class SecretNotOpened(Exception):
    """A sealed secret no configured key opens (the key changed without KB_PREVIOUS_SECRET_KEYS, or the row was
    altered)."""


def derived_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_LABEL).derive(secret_key.encode("utf-8"))


@dataclass(frozen=True)
class SecretBox:
    """Seals under the first key, opens under any (the current one, then KB_PREVIOUS_SECRET_KEYS')."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_secret_keys(cls, current: str, previous: tuple[str, ...] = ()) -> SecretBox:
        return cls(tuple(derived_key(key) for key in (current, *previous)))

    def seal(self, agent_id: int, secret: str) -> str:
        """`secret` (base32, as pyotp makes it) sealed: its bytes, not its text, so it fits the column."""
        raw = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
        sealed = AESSIV(self.keys[0]).encrypt(raw, [_bound(agent_id)])
        return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def open(self, agent_id: int, stored: str) -> str:
        """The secret: a sealed one opened, a plain one (an older release's) as it is. SecretNotOpened otherwise."""
        if not stored.startswith(PREFIX):
            return stored
        for index in range(len(self.keys)):
            opened = self._open(agent_id, stored, index)
            if opened is not None:
                return opened
        raise SecretNotOpened

    def current(self, agent_id: int, stored: str) -> bool:
        """Whether `stored` is sealed under the current key (else the start's sweep seals it again)."""
        return stored.startswith(PREFIX) and self._open(agent_id, stored, 0) is not None

    def _open(self, agent_id: int, stored: str, index: int) -> str | None:
        body = stored[len(PREFIX):]
        try:
            raw = AESSIV(self.keys[index]).decrypt(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)),
                                                   [_bound(agent_id)])
        except (InvalidTag, ValueError, binascii.Error):
            return None
        return base64.b32encode(raw).decode("ascii").rstrip("=")


def _bound(agent_id: int) -> bytes:
    return f"agent:{agent_id}".encode("ascii")
