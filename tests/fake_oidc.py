"""A fake OpenID Connect provider on 127.0.0.1: discovery, authorize (signs
the configured person straight in), token (an RS256 id_token) and JWKS, so
st.login's real flow runs in a real browser with nothing leaving the machine."""

from __future__ import annotations

import secrets
import time
import urllib.parse

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.fake_http import FakeHTTP


class FakeOidc(FakeHTTP):
    def __init__(self, email: str, client_id: str) -> None:
        super().__init__()
        self.url = self.base_url
        self.email, self.client_id = email, client_id
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test"})
        self.codes: dict[str, str] = {}  # code -> nonce

    def answer(self, handler) -> None:
        path, query = self.target(handler)
        self.requests.append({"method": handler.command, "path": path})
        if handler.command == "POST":
            return self._token(handler, self.form(handler))
        if path == "/.well-known/openid-configuration":
            self.send(handler, 200, self.discovery())
        elif path == "/jwks":
            self.send(handler, 200, {"keys": [self.key.as_dict(private=False)]})
        elif path == "/authorize":
            code = secrets.token_urlsafe(16)
            self.codes[code] = query.get("nonce", "")
            target = query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
            handler.send_response(302)
            handler.send_header("Location", target)
            handler.end_headers()
        else:
            handler.send_error(404)

    def _token(self, handler, form: dict) -> None:
        nonce = self.codes.pop(form.get("code", ""), None)
        if handler.path != "/token" or nonce is None:
            handler.send_error(400)
            return
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "person-1",
            "aud": self.client_id,
            "email": self.email,
            "email_verified": True,
            "nonce": nonce,
            "iat": now,
            "exp": now + 600,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, self.key)
        self.send(
            handler, 200, {"access_token": "access", "token_type": "Bearer", "expires_in": 600, "id_token": id_token}
        )

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
