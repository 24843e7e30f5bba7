"""A fake OpenID Connect provider on 127.0.0.1: discovery, authorize (signs
the configured person straight in), token (an RS256 id_token) and JWKS, so
st.login's real flow runs in a real browser with nothing leaving the machine."""

from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
import urllib.parse

from joserfc import jwt
from joserfc.jwk import RSAKey


class FakeOidc:
    def __init__(self, email: str, client_id: str) -> None:
        self.email, self.client_id = email, client_id
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test"})
        self.codes: dict[str, str] = {}  # code -> nonce
        self.requests: list[str] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                fake.requests.append(url.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(fake.discovery())
                elif url.path == "/jwks":
                    self._json({"keys": [fake.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    code = secrets.token_urlsafe(16)
                    fake.codes[code] = query.get("nonce", "")
                    target = (
                        query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = dict(urllib.parse.parse_qsl(raw))
                fake.requests.append(self.path)
                nonce = fake.codes.pop(form.get("code", ""), None)
                if self.path != "/token" or nonce is None:
                    self.send_error(400)
                    return
                now = int(time.time())
                claims = {
                    "iss": fake.url,
                    "sub": "person-1",
                    "aud": fake.client_id,
                    "email": fake.email,
                    "email_verified": True,
                    "nonce": nonce,
                    "iat": now,
                    "exp": now + 600,
                }
                id_token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, fake.key)
                self._json({"access_token": "access", "token_type": "Bearer", "expires_in": 600, "id_token": id_token})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
