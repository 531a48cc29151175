"""A software passkey for the server-side tests of desk.passkeys and webapp.passkey_pages (no browser): answers a
registration and an authentication as a platform authenticator would (P-256, "none" attestation, user present and
verified), with knobs a test turns to make a bad answer: another origin, a counter going back, no user verification.
The browser tests use Chromium's own virtual authenticator instead (tests/browser/test_passkeys_browser.py)."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


@dataclass
class SoftPasskey:
    rp_id: str
    origin: str
    user_handle: bytes = b""
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    count: int = 0

    def _cose(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, options: str | dict[str, Any], origin: str | None) -> bytes:
        challenge = (json.loads(options) if isinstance(options, str) else options)["challenge"]
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode("utf-8")

    def register(self, options: str | dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        parsed = json.loads(options) if isinstance(options, str) else options
        self.user_handle = base64url_to_bytes(parsed["user"]["id"])
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | UV | AT]) + struct.pack(">I", 0)
                     + bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cid, client_data = bytes_to_base64url(self.credential_id), self._client_data("webauthn.create", options, origin)
        return {"id": cid, "rawId": cid, "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "attestationObject": bytes_to_base64url(attestation), "transports": ["internal"]}}

    def assert_(self, options: str | dict[str, Any], origin: str | None = None, count: int | None = None,
                verified: bool = True) -> dict[str, Any]:
        """An assertion for `options`; the counter goes up by one unless `count` is given."""
        self.count = self.count + 1 if count is None else count
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | (UV if verified else 0)])
                     + struct.pack(">I", self.count))
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        cid = bytes_to_base64url(self.credential_id)
        return {"id": cid, "rawId": cid, "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "authenticatorData": bytes_to_base64url(auth_data),
                             "signature": bytes_to_base64url(signature),
                             "userHandle": bytes_to_base64url(self.user_handle)}}
