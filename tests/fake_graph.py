"""A fake Microsoft identity platform + Microsoft Graph on loopback (HTTPS, as
msal insists), written from Microsoft's published references: the v2.0
OpenID configuration and token endpoint (client credentials grant; errors as
{"error", "error_description"} with AADSTS codes), Graph v1.0 channel
(GET /teams/{id}/channels/{id}), chatMessage delta
(GET .../messages/delta with $top / $filter, @odata.nextLink and
@odata.deltaLink) and replies (GET .../messages/{id}/replies), Graph errors
as {"error": {"code", "message"}} and 429 with Retry-After.

A self-signed certificate for 127.0.0.1 is made once per process; point
requests at it with REQUESTS_CA_BUNDLE=fake.ca_path.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlencode

from tests.fake_http import FakeHTTP

EPOCH = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.timezone.utc)
_CERT: tuple[str, str] | None = None


def _certificate() -> tuple[str, str]:
    global _CERT
    if _CERT is None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(prefix="fake-graph-"))
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        _CERT = (str(folder / "cert.pem"), str(folder / "key.pem"))
    return _CERT


def chat_message(
    message_id: str,
    html: str,
    *,
    user_id: str | None = "aad-user-1",
    name: str = "Jane Doe",
    minutes: float = 0,
    message_type: str = "message",
    reply_to: str | None = None,
    subject: str | None = None,
    mentions: list[dict] | None = None,
    content_type: str = "html",
) -> dict:
    moment = (EPOCH + dt.timedelta(minutes=minutes)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sender = (
        {
            "application": None,
            "device": None,
            "user": {"id": user_id, "displayName": name, "userIdentityType": "aadUser"},
        }
        if user_id
        else {
            "application": {"id": "bot-app", "displayName": "Build bot", "applicationIdentityType": "bot"},
            "device": None,
            "user": None,
        }
    )
    return {
        "id": message_id,
        "replyToId": reply_to,
        "etag": message_id,
        "messageType": message_type,
        "createdDateTime": moment,
        "lastModifiedDateTime": moment,
        "lastEditedDateTime": None,
        "deletedDateTime": None,
        "subject": subject,
        "summary": None,
        "chatId": None,
        "importance": "normal",
        "locale": "en-us",
        "webUrl": f"https://teams.microsoft.com/l/message/19%3Achannel/{message_id}",
        "from": sender if message_type == "message" else None,
        "body": {"contentType": content_type, "content": html},
        "channelIdentity": {"teamId": "team-1", "channelId": "19:channel@thread.tacv2"},
        "attachments": [],
        "mentions": mentions or [],
        "reactions": [],
        "eventDetail": None
        if message_type == "message"
        else {"@odata.type": "#microsoft.graph.membersAddedEventMessageDetail"},
    }


class FakeGraph(FakeHTTP):
    content_type = "application/json; odata.metadata=minimal"

    def __init__(self, tenant: str = "tenant-1", client_id: str = "app-1", client_secret: str = "graph-secret") -> None:
        self.ca_path, key_path = _certificate()
        super().__init__(tls=(self.ca_path, key_path))
        self.tenant, self.client_id, self.client_secret = tenant, client_id, client_secret
        self.channels: dict[tuple[str, str], dict] = {}  # (team, channel) -> {"name", "messages": [(seq, msg)]}
        self.replies: dict[str, list[dict]] = {}  # root id -> replies
        self.seq = 0
        self.tokens: set[str] = set()

    def add_channel(self, team: str, channel: str, name: str) -> None:
        self.channels[(team, channel)] = {"name": name, "messages": []}

    def post(self, team: str, channel: str, *messages: dict) -> None:
        for message in messages:
            self.seq += 1
            self.channels[(team, channel)]["messages"].append((self.seq, message))

    def reply(self, root_id: str, *replies: dict) -> None:
        self.replies.setdefault(root_id, []).extend(replies)

    def answer(self, handler) -> None:
        path, params = self.target(handler)
        form = self.form(handler)
        auth = handler.headers.get("Authorization", "")
        self.requests.append({"path": path, "params": params, "auth": auth, "form": form})
        if path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            base = f"{self.base_url}/{self.tenant}"
            return self.send(
                handler,
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "token"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if path.endswith("/.well-known/openid-configuration"):
            return self.send(
                handler, 400, {"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant not found."}
            )
        if path == f"/{self.tenant}/oauth2/v2.0/token":
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return self.send(
                    handler,
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                        "sent in the request is the client secret value, not the client secret ID.",
                        "error_codes": [7000215],
                    },
                )
            token = f"graph-token-{len(self.tokens)}"
            self.tokens.add(token)
            return self.send(
                handler,
                200,
                {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token},
            )
        self.hang()
        if scripted := self.scripted():
            code, headers, body = scripted
            return self.send(handler, code, body, headers)
        if auth.removeprefix("Bearer ") not in self.tokens:
            return self.send(
                handler, 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}}
            )
        parts = [unquote(p) for p in path.removeprefix("/v1.0/").split("/")]
        # teams/{team}/channels/{channel}[/messages/delta | /messages/{id}/replies]
        if len(parts) < 4 or parts[0] != "teams" or parts[2] != "channels":
            return self.send(handler, 404, {"error": {"code": "NotFound", "message": "Resource not found"}})
        found = self.channels.get((parts[1], parts[3]))
        if found is None:
            return self.send(handler, 404, {"error": {"code": "NotFound", "message": "Channel not found"}})
        if len(parts) == 4:
            return self.send(handler, 200, {"id": parts[3], "displayName": found["name"], "membershipType": "standard"})
        if parts[4:] == ["messages", "delta"]:
            return self._delta(handler, path, params, found)
        if len(parts) == 7 and parts[4] == "messages" and parts[6] == "replies":
            return self.send(
                handler,
                200,
                {"@odata.count": len(self.replies.get(parts[5], [])), "value": self.replies.get(parts[5], [])},
            )
        return self.send(handler, 404, {"error": {"code": "NotFound", "message": "Resource not found"}})

    def _delta(self, handler, path: str, params: dict, found: dict) -> None:
        top = int(params.get("$top", 50))
        if "$skiptoken" in params:  # the next page keeps the first request's page size and filter
            top, after, offset, floor = params["$skiptoken"].split(":", 3)
            top, after, offset = int(top), int(after), int(offset)
        elif "$deltatoken" in params:
            after, offset, floor = int(params["$deltatoken"]), 0, ""
        else:
            after, offset = 0, 0
            flt = params.get("$filter", "")
            floor = flt.split(" gt ", 1)[1] if " gt " in flt else ""
        changed = [(s, m) for s, m in found["messages"] if s > after and m["lastModifiedDateTime"] > floor]
        page = changed[offset : offset + top]
        body = {
            "@odata.context": f"{self.base_url}/v1.0/$metadata#Collection(chatMessage)",
            "value": [m for _, m in page],
        }
        if offset + top < len(changed):
            body["@odata.nextLink"] = (
                f"{self.base_url}{path}?{urlencode({'$skiptoken': f'{top}:{after}:{offset + top}:{floor}'})}"
            )
        else:
            body["@odata.deltaLink"] = f"{self.base_url}{path}?{urlencode({'$deltatoken': str(self.seq)})}"
        self.send(handler, 200, body)
