"""A small OpenID provider for the single sign-on tests (webapp.single_sign_on): a Flask app served on a loopback port
(waitress, webapp.background.serving), with discovery, JWKS, authorize and token endpoints, that signs RS256 ID
tokens with joserfc. Real enough to prove the desk's checks: the token endpoint wants the client's secret, the PKCE
verifier of the code's S256 challenge and the code's redirect URI, and takes each code once. `Provider.identity` is
who the next authorize signs in; `Provider.fault` spoils the next ID token one way ("nonce", "audience", "expired",
"other_key": signed by a key the JWKS does not hold, under the same key id)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey

from webapp.background import serving

CLIENT_ID = "desk-client"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
CLIENT_SECRET = "desk-secret-for-tests"


@dataclass
class Provider:
    issuer: str = ""
    identity: dict[str, Any] = field(default_factory=dict)
    fault: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)  # the authorize requests' parameters
    token_answer: tuple[bytes, str] | None = None  # the token endpoint's next body and content type, as it is
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))

    def sign_in_as(self, email: str, verified: object = True, name: str = "", fault: str | None = None) -> None:
        self.identity = {"email": email, "email_verified": verified, "name": name, "sub": f"sub-{email}"}
        self.fault = fault

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **grant["identity"]}
        fault = grant["fault"]
        if fault == "nonce":
            claims["nonce"] = "not-the-one-sent"
        elif fault == "audience":
            claims["aud"], claims["azp"] = "another-client", CLIENT_ID
        elif fault == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        key = self.other_key if fault == "other_key" else self.key
        if fault == "alg_none":  # unsigned: header and claims, an empty signature
            return ".".join(_b64(json.dumps(part).encode()) for part in ({"alg": "none", "kid": "k1"}, claims)) + "."
        if fault == "hs256_public":  # HMAC keyed by the public key's JWKS text (the algorithm-confusion attack)
            public = json.dumps(self.key.as_dict(private=False)).encode()
            signing = ".".join(_b64(json.dumps(part).encode()) for part in ({"alg": "HS256", "kid": "k1"}, claims))
            return signing + "." + _b64(hmac.new(public, signing.encode(), hashlib.sha256).digest())
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def provider_app(provider: Provider) -> Flask:
    app = Flask("oidc_provider")

    @app.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify({"issuer": provider.issuer, "authorization_endpoint": provider.issuer + "/authorize",
                        "token_endpoint": provider.issuer + "/token", "jwks_uri": provider.issuer + "/jwks",
                        "response_types_supported": ["code"], "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                        "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    @app.get("/jwks")
    def jwks():
        return jsonify({"keys": [provider.key.as_dict(private=False)]})

    @app.get("/authorize")
    def authorize():
        args = request.args.to_dict()
        provider.requests.append(args)
        if (args.get("client_id") != CLIENT_ID or args.get("response_type") != "code"
                or args.get("code_challenge_method") != "S256" or "openid" not in args.get("scope", "").split()):
            abort(400)
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {"nonce": args.get("nonce"), "challenge": args["code_challenge"],
                                "redirect_uri": args["redirect_uri"], "identity": dict(provider.identity),
                                "fault": provider.fault}
        return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": args["state"]}))

    @app.post("/token")
    def token():
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return jsonify({"error": "invalid_client"}), 401
        grant = provider.codes.pop(request.form.get("code", ""), None)  # each code once
        if grant is None or request.form.get("redirect_uri") != grant["redirect_uri"]:
            return jsonify({"error": "invalid_grant"}), 400
        verifier = request.form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return jsonify({"error": "invalid_grant", "error_description": "PKCE verifier"}), 400
        if provider.token_answer is not None:
            body, content_type = provider.token_answer
            provider.token_answer = None
            return body, 200, {"Content-Type": content_type}
        return jsonify({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                        "id_token": provider.id_token(grant)})

    return app


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    with serving(provider_app(provider), threads=2) as url:
        provider.issuer = url
        yield provider
