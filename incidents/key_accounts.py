"""Key accounts: mentions from or about key customers are flagged on every
page and in alerts, and escalated once to the owning account manager in Slack.

A mention matches an account by the author's handle (or the author's name
being the account's), by one of its domains (in the text or the link,
subdomains included), or by its name or an alias in the text (whole words,
any case).
The runner scans new messages in id order, so each is judged once.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import sqlalchemy as sa

from access.roles import Actor, Permission, require
from publishing.channels import SendError, make_send_safe, slack_post
from settings.redact import error_text
from store.audit import record
from store.connection import write
from store.ingest import dialect_insert
from store.schema import key_account_hits as hits
from store.schema import key_account_scan as scan_state
from store.schema import key_accounts as ka
from store.schema import messages

SCAN_BATCH = 5000
RECENT_S = 86400  # how far back a newly added account is matched


def add_account(db, name, handles, domains, aliases, owner, owner_slack, by: Actor, now) -> int:
    require(by, Permission.KEY_ACCOUNTS)
    who = by.name
    if not name.strip() or not owner.strip():
        raise ValueError("a key account needs a name and an owner")
    clean = lambda xs: [x.strip() for x in xs if x.strip()]  # noqa: E731
    with write(db) as conn:
        new_id = conn.execute(
            ka.insert()
            .values(
                name=name.strip(),
                handles=json.dumps([h.lower() if h.startswith("@") else "@" + h.lower() for h in clean(handles)]),
                domains=json.dumps([d.lower() for d in clean(domains)]),
                aliases=json.dumps(clean(aliases)),
                owner=owner.strip(),
                owner_slack=owner_slack.strip(),
                updated_at=now,
            )
            .returning(ka.c.id)
        ).scalar_one()
        record(conn, who, "key_account.add", now, f"key_account:{new_id}", "", name=name, owner=owner)
        # A customer added mid-crisis: their mentions of the last day count too.
        account = conn.execute(sa.select(ka).where(ka.c.id == new_id)).all()
        match = matcher(pd.DataFrame(account, columns=[c.name for c in ka.columns]))
        m = messages.c
        recent = conn.execute(sa.select(m.id, m.author, m.text, m.url).where(m.created_at >= now - RECENT_S)).all()
        found = [
            {"message_id": r.id, "account_id": new_id, "matched": how, "at": now}
            for r in recent
            for _, how in match(r.author or "", r.text or "", r.url or "")
        ]
        if found:
            conn.execute(dialect_insert(conn, hits).on_conflict_do_nothing(), found)
    return new_id


def accounts(db) -> pd.DataFrame:
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(ka).order_by(ka.c.name)).all(), columns=[c.name for c in ka.columns])


def _word(term: str) -> re.Pattern:
    return re.compile(r"(?<![\w.@-])" + re.escape(term) + r"(?![\w-])", re.I)


def _domain(domain: str) -> re.Pattern:
    # Subdomains and e-mail addresses count (status.acme.example, jo@acme.example); notacme.example does not.
    return re.compile(r"(?<![\w-])" + re.escape(domain) + r"(?![\w-])", re.I)


def matcher(table: pd.DataFrame):
    """A function (author, text, url) -> [(account id, how)]."""
    rules = []
    for row in table.to_dict("records"):
        names = [row["name"], *json.loads(row["aliases"])]
        rules.append(
            (
                int(row["id"]),
                set(json.loads(row["handles"])),
                [_domain(d) for d in json.loads(row["domains"])],
                [_word(n) for n in names],
                {n.lower() for n in names},
            )
        )

    def match(author: str, text: str, url: str) -> list[tuple[int, str]]:
        found = []
        for account_id, handles, domains, names, exact_names in rules:
            if author.lower() in handles:
                found.append((account_id, "handle"))
            elif author.lower() in exact_names:
                found.append((account_id, "name"))
            elif any(p.search(text) or p.search(url) for p in domains):
                found.append((account_id, "domain"))
            elif any(p.search(text) for p in names):
                found.append((account_id, "name"))
        return found

    return match


def scan(db, now: float) -> int:
    """Judge messages stored since the last scan; returns how many matched."""
    table = accounts(db)
    with write(db) as conn:
        conn.execute(dialect_insert(conn, scan_state).values(id=1, last_message_id=0).on_conflict_do_nothing())
        last = conn.execute(sa.select(scan_state.c.last_message_id)).scalar()
        m = messages.c
        rows = conn.execute(
            sa.select(m.id, m.author, m.text, m.url).where(m.id > last).order_by(m.id).limit(SCAN_BATCH)
        ).all()
        if not rows:
            return 0
        match = matcher(table)
        found = [
            {"message_id": r.id, "account_id": account_id, "matched": how, "at": now}
            for r in rows
            for account_id, how in match(r.author or "", r.text or "", r.url or "")
        ]
        if found:
            conn.execute(dialect_insert(conn, hits).on_conflict_do_nothing(), found)
        conn.execute(scan_state.update().values(last_message_id=rows[-1].id))
    return len(found)


def recent_hits(db, since: float) -> pd.DataFrame:
    """Per account: mentions since `since` (for the banner and the alerts)."""
    stmt = (
        sa.select(ka.c.name, ka.c.owner, sa.func.count())
        .join(hits, hits.c.account_id == ka.c.id)
        .join(messages, messages.c.id == hits.c.message_id)
        .where(messages.c.created_at >= since)
        .group_by(ka.c.name, ka.c.owner)
        .order_by(sa.func.count().desc())
    )
    with db.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["account", "owner", "mentions"])


SENDING = "outcome unknown: claimed for sending and no result recorded (the sender stopped); check the channel"


def escalate(db, client, now: float, limit: int = 50) -> int:
    """Send each matched mention at most once to its account owner's Slack
    (the client's own retries made safe); returns how many went out."""
    make_send_safe(client)
    stmt = (
        sa.select(
            hits.c.message_id,
            hits.c.account_id,
            hits.c.matched,
            ka.c.name,
            ka.c.owner,
            ka.c.owner_slack,
            messages.c.source,
            messages.c.author,
            messages.c.text,
        )
        .join(ka, ka.c.id == hits.c.account_id)
        .join(messages, messages.c.id == hits.c.message_id)
        .where(hits.c.escalated_at.is_(None), ka.c.owner_slack != "")
        .limit(limit)
    )
    with db.connect() as conn:
        pending = conn.execute(stmt).all()
    sent = 0
    for row in pending:
        text = (
            f"Key account {row.name} (owner {row.owner}) mentioned on {row.source} by {row.author} "
            f"[{row.matched} match]: {row.text[:1500]}"
        )
        key = (hits.c.message_id == row.message_id) & (hits.c.account_id == row.account_id)
        # Claimed before sending: of two runners only the one whose UPDATE
        # changed the row sends. A crash after this leaves SENDING: never
        # sent again by itself (outcome unknown), a person checks Slack.
        with write(db) as conn:
            won = conn.execute(
                hits.update().where(key, hits.c.escalated_at.is_(None)).values(escalated_at=now, escalate_error=SENDING)
            ).rowcount
        if won != 1:
            continue
        try:
            slack_post(
                client,
                channel=row.owner_slack,
                text=text,
                blocks=[{"type": "section", "text": {"type": "plain_text", "text": text[:2900]}}],
            )
        except SendError as exc:  # recorded, never raised into ingestion
            with write(db) as conn:
                if exc.unknown:
                    error = f"outcome unknown: {error_text(exc)}; check the channel"
                    conn.execute(hits.update().where(key).values(escalate_error=error))
                else:  # surely not sent: released, tried again next cycle
                    conn.execute(hits.update().where(key).values(escalated_at=None, escalate_error=error_text(exc)))
            continue
        with write(db) as conn:
            conn.execute(hits.update().where(key).values(escalate_error=None))
        sent += 1
    return sent
