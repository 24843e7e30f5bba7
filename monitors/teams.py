"""Internal Microsoft Teams channels through Microsoft Graph, app-only.

The app signs in with its client credentials (msal; the token is cached
and renewed by msal) and reads each configured channel's messages with a
delta query: the first read asks for messages changed in the last
`backfill_h` hours, pages follow @odata.nextLink (at most `max_pages` a
poll; the rest next poll) and the final @odata.deltaLink is the channel's
cursor, so each later poll reads only what is new. Replies of threads
started or active within `thread_window_h` are read with
.../messages/{id}/replies, newer than the last reply seen.

Like Slack, it is staff talking: authors are a keyed hash of their Entra
user id ("staff-3f9a...", the same key and hash as Slack), @mentions of
colleagues become their pseudonyms, system and bot messages are skipped,
HTML bodies become plain text (never rendered), and the source is internal
(settings.registry: internal): its text is shown only to the roles
allowed in [access] internal_text_roles.

Graph's throttling (429 + Retry-After) is this source's own next poll; a
refused secret or a missing permission stops the source with what to fix; a
timeout or a 5xx raises, so the runner backs off.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import requests

from model.message import Message, Quarantined
from monitors.base import NotConfigured, PollResult, RetryAt, SourceStopped
from monitors.mastodon import html_to_text
from monitors.slack import pseudonym

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MAX_THREADS = 50  # threads followed per channel: the most recently active
SECRET_HELP = (
    "TEAMS_CLIENT_SECRET (environment, or [teams] client_secret in .streamlit/secrets.toml) with tenant_id "
    "and client_id in [sources.teams]"
)
_MENTION = re.compile(r'<at\b[^>]*\bid="(\d+)"[^>]*>.*?</at>', re.I | re.S)


class TeamsUnavailable(OSError):
    """Graph or the sign-in server did not answer, or answered 5xx: the runner backs off."""


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class TeamsMonitor:
    name = "teams"

    def __init__(
        self,
        app=None,  # () -> msal.ConfidentialClientApplication, made at the first poll (it asks the authority)
        *,
        channels: list[str] | tuple[str, ...] = (),
        pseudonym_key: bytes = b"",
        graph_url: str = "https://graph.microsoft.com/v1.0",
        interval_s: float = 60.0,
        max_pages: int = 5,
        page_size: int = 50,
        backfill_h: float = 24.0,
        thread_window_h: float = 24.0,
        timeout_s: float = 20.0,
        missing: str = "",
        clock=time.time,
    ) -> None:
        self._make_app = app
        self.app: Any = None  # the msal.ConfidentialClientApplication once made (msal ships no types)
        self.key, self.missing, self.clock = pseudonym_key, missing, clock
        self.channels = [tuple(c.split("/", 1)) for c in channels]
        self.graph_url = graph_url.rstrip("/")
        self.interval_s, self.max_pages, self.page_size = interval_s, max_pages, page_size
        self.backfill_s, self.thread_window_s, self.timeout_s = backfill_h * 3600, thread_window_h * 3600, timeout_s
        self.http = requests.Session()

    # --- calls ---

    def _token(self) -> str:
        try:
            if self.app is None:
                self.app = self._make_app()
            result = self.app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        except requests.Timeout:
            raise TeamsUnavailable(f"the sign-in server did not answer within {self.timeout_s:g} s") from None
        except requests.RequestException as exc:
            raise TeamsUnavailable(f"the sign-in server could not be reached ({type(exc).__name__})") from None
        except ValueError as exc:  # msal: the authority's OpenID configuration could not be read
            raise SourceStopped(f"Microsoft sign-in: {' '.join(str(exc).split())[:300]}; check tenant_id") from None
        if "access_token" not in result:
            said = " ".join(str(result.get("error_description") or result.get("error") or "no token").split())
            raise SourceStopped(f"Microsoft sign-in refused the app ({said[:300]}): check {SECRET_HELP}")
        return result["access_token"]

    def _get(self, url: str, params: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        try:
            answer = self.http.get(url, params=params, headers=headers, timeout=self.timeout_s)
        except requests.Timeout:
            raise TeamsUnavailable(f"Microsoft Graph did not answer within {self.timeout_s:g} s") from None
        except requests.RequestException as exc:
            raise TeamsUnavailable(f"Microsoft Graph could not be reached ({type(exc).__name__})") from None
        if answer.status_code == 200:
            data = answer.json()
            if not isinstance(data, dict):
                raise ValueError("Microsoft Graph answered with something that is not a JSON object")
            return data
        try:
            error = answer.json().get("error") or {}
        except ValueError:
            error = {}
        said = f"{answer.status_code} {error.get('code', '')}: {error.get('message', '')}".strip(": ")
        if answer.status_code == 429:
            wait = float(answer.headers.get("Retry-After") or 60)
            raise RetryAt(self.clock() + wait, f"Microsoft Graph throttled the app (429): waiting {wait:.0f} s")
        if answer.status_code in (401, 403):
            raise SourceStopped(
                f"Microsoft Graph refused the app ({said}): it needs the application permission "
                "ChannelMessage.Read.All (admin consent) and Microsoft's approval for protected APIs"
            )
        if answer.status_code == 404:
            raise SourceStopped(
                f"Microsoft Graph: not found ({said}); check [sources.teams] channels (team-id/channel-id)"
            )
        if answer.status_code == 410 or error.get("code") in ("syncStateNotFound", "resyncRequired"):
            raise _Resync()
        raise TeamsUnavailable(f"Microsoft Graph answered {said}")

    def _path(self, team: str, channel: str) -> str:
        return f"{self.graph_url}/teams/{quote(team, safe='')}/channels/{quote(channel, safe='')}"

    # --- polling ---

    def poll(self, cursor: str | None) -> PollResult:
        if self.missing:
            raise NotConfigured(self.missing)
        state = json.loads(cursor) if cursor else {}
        names: dict[str, str] = dict(state.get("names") or {})
        links: dict[str, str] = dict(state.get("links") or {})
        threads: dict[str, dict[str, str]] = {k: dict(v) for k, v in (state.get("threads") or {}).items()}
        now = self.clock()
        out: list[Message] = []
        bad: list[Quarantined] = []
        for team, channel in self.channels:
            key = f"{team}/{channel}"
            base = self._path(team, channel)
            if key not in names:
                names[key] = str(self._get(base).get("displayName") or channel)
            label = f"#{names[key]}"
            seen = threads.setdefault(key, {})
            roots = self._delta(base, key, links, now)
            for item in roots:
                self._keep(item, label, out, bad)
                if item.get("id") and not item.get("replyToId"):
                    seen.setdefault(item["id"], item.get("createdDateTime") or "")
            # Graph has no reply count: each followed thread costs a call, so only the liveliest are followed.
            for stale in sorted(seen, key=lambda k: seen[k] or "")[: max(0, len(seen) - MAX_THREADS)]:
                del seen[stale]
            for root_id, last in list(seen.items()):
                started = _root_time(root_id, roots, last)
                if started and now - started > self.thread_window_s:
                    del seen[root_id]  # no longer followed
                    continue
                data = self._get(f"{base}/messages/{quote(root_id, safe='')}/replies", {"$top": 50})
                replies = list(data.get("value") or [])
                for _ in range(self.max_pages - 1):
                    if not data.get("@odata.nextLink"):
                        break
                    data = self._get(data["@odata.nextLink"])
                    replies += data.get("value") or []
                for item in replies:
                    stamp = str(item.get("createdDateTime") or "")
                    if stamp and stamp > (last or ""):
                        self._keep(item, label, out, bad)
                        seen[root_id] = max(seen[root_id] or "", stamp)
        next_state = {"names": names, "links": links, "threads": threads}
        return PollResult(out, json.dumps(next_state), quarantined=bad)

    def _delta(self, base: str, key: str, links: dict[str, str], now: float) -> list[dict]:
        link = links.get(key)
        first = {
            "$top": self.page_size,
            "$filter": "lastModifiedDateTime gt "
            + (datetime.fromtimestamp(now - self.backfill_s, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")),
        }
        items: list[dict] = []
        for _ in range(self.max_pages):
            try:
                data = self._get(link) if link else self._get(f"{base}/messages/delta", first)
            except _Resync:  # the delta token expired: start again from the backfill window (the store dedupes)
                link = None
                data = self._get(f"{base}/messages/delta", first)
            items += [i for i in data.get("value") or [] if isinstance(i, dict)]
            if data.get("@odata.nextLink"):
                link = links[key] = data["@odata.nextLink"]  # a poll that stops here goes on from this page
                continue
            if data.get("@odata.deltaLink"):
                links[key] = data["@odata.deltaLink"]
            break
        return items

    def _keep(self, item: dict, label: str, out: list, bad: list) -> None:
        if item.get("messageType") != "message" or item.get("deletedDateTime"):
            return  # system events (joins, renames, calls) and deleted messages
        user = ((item.get("from") or {}).get("user")) or {}
        if not user.get("id"):
            return  # bots, connectors and apps: not staff talking
        try:
            out.append(self._message(item, user["id"], label))
        except Exception as exc:  # one odd message never costs the channel
            raw = json.dumps(item, default=str, ensure_ascii=False)[:20_000]
            bad.append(Quarantined(self.name, str(item.get("id") or ""), raw, f"{exc.__class__.__name__}: {exc}"))

    def _message(self, item: dict, user_id: str, label: str) -> Message | None:
        body = item.get("body") or {}
        content = str(body.get("content") or "")
        mentions = {
            str(m.get("id")): (((m.get("mentioned") or {}).get("user")) or {}).get("id")
            for m in item.get("mentions") or []
        }

        def mention(match: re.Match) -> str:
            who = mentions.get(match.group(1))
            return "@" + (pseudonym(self.key, who) if who else "someone")

        content = _MENTION.sub(mention, content)  # colleagues' names never reach the store
        text = html_to_text(content) if str(body.get("contentType") or "html").lower() == "html" else content.strip()
        subject = " ".join(str(item.get("subject") or "").split())
        if subject:
            text = f"{subject}\n\n{text}" if text else subject
        if not text:
            raise ValueError("message without words (an attachment or card only)")
        if not item.get("id") or not item.get("createdDateTime"):
            raise ValueError("message without id or createdDateTime")
        channel_id = str((item.get("channelIdentity") or {}).get("channelId") or label)
        return Message(
            source="teams",
            external_id=f"{channel_id}:{item['id']}",
            created_at=_aware(str(item["createdDateTime"])),
            text=text[:4000],
            channel=label[:200],
            author=pseudonym(self.key, user_id),
            url=str(item.get("webUrl") or ""),
        )


class _Resync(Exception):
    """Graph no longer knows this delta token."""


def _root_time(root_id: str, roots: list[dict], fallback: str) -> float | None:
    for item in roots:
        if item.get("id") == root_id and item.get("createdDateTime"):
            return _aware(str(item["createdDateTime"])).timestamp()
    try:
        return _aware(fallback).timestamp() if fallback else None
    except ValueError:
        return None


def build(cfg, pseudonym_key: bytes, secret=None) -> TeamsMonitor:
    """The monitor for `[sources.teams]` (settings.schema.TeamsSource); the
    pseudonym key is worker.service.pseudonym_key, the one Slack uses."""
    if secret is None:
        from settings.secrets import secret
    client_secret = secret("TEAMS_CLIENT_SECRET", "teams", "client_secret")
    if not client_secret or not cfg.tenant_id or not cfg.client_id:
        return TeamsMonitor(missing=f"Microsoft Teams needs an app registration: set {SECRET_HELP}")
    import msal

    app = lambda: msal.ConfidentialClientApplication(  # noqa: E731
        cfg.client_id,
        client_credential=client_secret,
        authority=f"{cfg.authority_url.rstrip('/')}/{cfg.tenant_id}",
        timeout=cfg.timeout_s,
        # Sovereign clouds and test servers are named in config; no look-up at login.microsoftonline.com.
        instance_discovery=cfg.authority_url.rstrip("/") == "https://login.microsoftonline.com",
    )
    return TeamsMonitor(
        app,
        channels=cfg.channels,
        pseudonym_key=pseudonym_key,
        graph_url=cfg.graph_url,
        interval_s=cfg.interval_s,
        max_pages=cfg.max_pages,
        backfill_h=cfg.backfill_h,
        thread_window_h=cfg.thread_window_h,
        timeout_s=cfg.timeout_s,
    )
