"""Tables. Change them only together with a migration in store/migrations."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Which sources are internal (staff text, shown only to roles allowed in
# [access] internal_text_roles) is said once, in the source registry:
# settings.registry.internal_sources(). Queries ask it when they run.

# SQLite needs INTEGER PRIMARY KEY (not BIGINT) to make it the rowid alias.
_Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(200), nullable=False, server_default=""),
    sa.Column("author", sa.String(200), nullable=False, server_default=""),
    sa.Column("reach", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("lang", sa.String(16), nullable=False, server_default=""),
    sa.Column("url", sa.Text, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),  # epoch s, UTC
    sa.Column("ingested_at", sa.BigInteger, nullable=False),
    sa.Column("label", sa.String(32)),  # NULL: not scored (yet); or "unscored: language"
    sa.Column("score", sa.Float),
    sa.Column("engine", sa.String(64)),
    sa.Column("engine_version", sa.String(64)),
    sa.Column("label_override", sa.String(16)),  # a person's correction wins
    sa.UniqueConstraint("source", "external_id", name="uq_messages_source_external_id"),
    sa.Index("ix_messages_created_at", "created_at"),
    sa.Index("ix_messages_source_created_at", "source", "created_at"),
    # Messages still to score (the engine failed): found without a scan.
    sa.Index(
        "ix_messages_unscored", "id", sqlite_where=sa.text("label IS NULL"), postgresql_where=sa.text("label IS NULL")
    ),
)

# Per-minute counts by source and effective label, written in the same
# transaction as the messages, so charts never scan raw messages.
rollups_minute = sa.Table(
    "rollups_minute",
    metadata,
    sa.Column("minute", sa.BigInteger, primary_key=True),  # epoch s, start of the minute
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("label", sa.String(32), primary_key=True),  # negative/neutral/positive/unscored/unscored: language
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("score_sum", sa.Float, nullable=False),
    sa.Column("reach_sum", sa.BigInteger, nullable=False),
    # One source over days (the staff's mood over a week) without reading every source's rows.
    sa.Index("ix_rollups_source_minute", "source", "minute"),
)

# One row per configured source: its cursor, its health and its lease.
source_state = sa.Table(
    "source_state",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("cursor", sa.Text),
    sa.Column("status", sa.String(16), nullable=False, server_default="new"),
    sa.Column("last_poll_at", sa.Float),
    sa.Column("last_success_at", sa.Float),
    sa.Column("last_error_at", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("polls", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("messages_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("next_poll_at", sa.Float),
    sa.Column("lease_owner", sa.String(128)),
    sa.Column("lease_expires_at", sa.Float),
    sa.Column("today", sa.String(10)),  # UTC day of the counters below
    sa.Column("today_messages", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("today_reads", sa.BigInteger, nullable=False, server_default="0"),  # billable reads (X)
    sa.Column("note", sa.Text),  # the source's latest notice (PollResult.note), kept until another replaces it
    sa.Column("note_at", sa.Float),
)

# Engine versions made by retraining on the team's corrections
# (sentiment.retrain): what was tried, its figures, and which one scores.
engine_versions = sa.Table(
    "engine_versions",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("engine", sa.String(64), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("replaces", sa.String(64), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False),  # active / rejected / retired
    sa.Column("metrics", sa.Text, nullable=False, server_default="{}"),  # JSON: per-class recall, n, splits
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Every person's label correction, oldest first: who, when, from what to what.
label_corrections = sa.Table(
    "label_corrections",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.BigInteger, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("model_label", sa.String(32)),  # what the engine said at the time
    sa.Column("old_label", sa.String(16)),  # the correction before (NULL: none)
    sa.Column("new_label", sa.String(16)),  # NULL: correction removed
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_label_corrections_message", "message_id"),
)

# Each live runner (in-app thread or worker) and the engine it scores with.
runners = sa.Table(
    "runners",
    metadata,
    sa.Column("owner", sa.String(128), primary_key=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("heartbeat_at", sa.Float, nullable=False),
    sa.Column("engine", sa.String(128), nullable=False),
    sa.Column("engine_version", sa.String(128), nullable=False),
    sa.Column("engine_note", sa.Text, nullable=False),  # which engine and why, in words
)

# The detector's state: one row. evaluated_minute also makes sure that each
# minute is judged by one runner only, however many run.
crisis_state = sa.Table(
    "crisis_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("evaluated_minute", sa.BigInteger),
    sa.Column("state", sa.Text, nullable=False),  # LevelState as JSON
    sa.Column("summary", sa.Text, nullable=False, server_default=""),  # the latest explanation, one line
    sa.Column("explanation", sa.Text, nullable=False, server_default="{}"),  # JSON
    sa.Column("updated_at", sa.Float),
)

# Level changes (detected, calmed, declared, stood down) and digests, with
# their explanation and what became of their notification.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # "level" or "digest"
    sa.Column("audience", sa.String(32), nullable=False),  # "crisis_team" or "executives"
    sa.Column("old_level", sa.Integer),
    sa.Column("new_level", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("suppressed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("who", sa.String(200)),
    sa.Column("why", sa.Text),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),  # JSON
    sa.Column("notified_at", sa.Float),
    sa.Column("notify_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("notify_error", sa.Text),
    # Not before this time (a retry's backoff, or another runner is sending it).
    sa.Column("notify_next_at", sa.Float),
    # Claimed for sending (by one runner, at most once); set with no notified_at
    # after the claim's time: the outcome is unknown and a person checks Slack.
    sa.Column("notify_claimed_at", sa.Float),
    sa.Index("ix_alerts_pending", "notified_at", "suppressed"),
)

# The company's own scheduled posts. Status: scheduled, held, draft,
# publishing (claimed, being sent), published, failed, overdue (its time
# passed while paused, held or down: waits for a person), deleted.
scheduled_posts = sa.Table(
    "scheduled_posts",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("origin", sa.String(16), nullable=False),  # manual, csv, drill
    sa.Column("origin_key", sa.String(200), unique=True),  # idempotent imports
    sa.Column("channel", sa.String(16), nullable=False),  # x, slack
    sa.Column("target", sa.String(200), nullable=False, server_default=""),  # Slack channel; "" for X
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("link", sa.Text, nullable=False, server_default=""),
    sa.Column("scheduled_at", sa.BigInteger, nullable=False),  # epoch s, UTC
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),  # as the author wrote it
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="scheduled"),
    sa.Column("status_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("published_at", sa.Float),
    sa.Column("external_id", sa.String(200)),  # tweet id, Slack ts, or dry-run marker
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Index("ix_scheduled_posts_due", "status", "scheduled_at"),
)

# The pause-all switch: one row. pause_id numbers the pauses, so a Resume
# names the pause it lifts and is refused if a newer one came since.
publishing_state = sa.Table(
    "publishing_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pause_id", sa.Integer, nullable=False, server_default="0"),
    sa.Column("paused_by", sa.String(200)),
    sa.Column("paused_reason", sa.Text),
    sa.Column("paused_at", sa.Float),
    sa.Column("resume_at", sa.Float),  # optional automatic resume
)

# A proposal to hold scheduled posts, waiting for a person: made by the
# detector when the level reaches CRISIS or by a person declaring a crisis.
# Later evaluations add newly due posts to the open one (version + 1); it stays
# until a person accepts (the posts are held) or dismisses it. open_key is 1
# while open and NULL once decided, so at most one proposal is open at a time.
hold_proposals = sa.Table(
    "hold_proposals",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),  # open, accepted, dismissed
    sa.Column("open_key", sa.Integer, unique=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("origin", sa.String(16), nullable=False),  # detector, declaration
    sa.Column("proposed_by", sa.String(200), nullable=False),  # "detector" or the person's name
    sa.Column("trigger", sa.Text, nullable=False, server_default=""),  # the evaluation's summary, or the person's why
    sa.Column("evaluated_minute", sa.BigInteger),  # the detector evaluation that proposed it
    sa.Column("crisis_since", sa.Float),  # the CRISIS it was proposed for
    sa.Column("proposed_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", sa.Float),
    sa.Column("decision_note", sa.Text),
)

# The posts a proposal names, with who added them when and why they were proposed.
hold_proposal_posts = sa.Table(
    "hold_proposal_posts",
    metadata,
    sa.Column("proposal_id", sa.BigInteger, sa.ForeignKey("hold_proposals.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("post_id", sa.BigInteger, sa.ForeignKey("scheduled_posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("added_at", sa.Float, nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False, server_default=""),
    sa.Column("outcome", sa.String(200)),  # after a decision: held, or what the post was by then
    sa.Index("ix_hold_proposal_posts_post", "post_id"),
)

# Every action a person (or the publisher) takes: who, when, what, why.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),  # JSON
    sa.Index("ix_audit_log_at", "at"),
)

# Comms staff's decision per mention.
triage = sa.Table(
    "triage",
    metadata,
    sa.Column("message_id", sa.BigInteger, sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("decision", sa.String(24), nullable=False),  # respond_publicly / respond_privately / monitor / ignore
    sa.Column("owner", sa.String(200), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)

# The incident record: what happened, the cause, the facts, the answers.
incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("keywords", sa.Text, nullable=False, server_default="[]"),  # JSON list
    sa.Column("cause_status", sa.String(16), nullable=False, server_default="unknown"),  # known/suspected/unknown
    sa.Column("cause", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),  # active/resolved
    sa.Column("declared_at", sa.Float, nullable=False),
    sa.Column("declared_by", sa.String(200), nullable=False),
    sa.Column("resolved_at", sa.Float),
    sa.Column("updated_at", sa.Float, nullable=False),
)

faq_facts = sa.Table(
    "faq_facts",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # when it happened
    sa.Column("statement", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.Float, nullable=False),
)

faq_entries = sa.Table(
    "faq_entries",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False, server_default=""),
    sa.Column("owner", sa.String(200), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),  # draft/approved
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

# Every change to an incident, fact or answer: who, when, which fields from what to what.
faq_history = sa.Table(
    "faq_history",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # incident / fact / entry
    sa.Column("item_id", sa.BigInteger, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # create / update / approve / delete / resolve
    sa.Column("changes", sa.Text, nullable=False),  # JSON {field: [old, new]}
)

# What was published to the staff channel, to publish only the changes next time.
faq_publications = sa.Table(
    "faq_publications",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(200), nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),  # JSON {entry id: [question, answer]}
)

# The crisis team: who does what, who is on duty, who reports to whom.
team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),  # lead/monitor/analyst/spokesperson/internal_comms/approver
    sa.Column("contact", sa.String(200), nullable=False, server_default=""),
    sa.Column("on_duty", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reports_to", sa.BigInteger),  # another member's id
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Rehearsals: when a drill was started, by whom, with which scenario.
drill_log = sa.Table(
    "drill_log",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("scenario", sa.Text, nullable=False),
    sa.Column("start_offset_s", sa.Float, nullable=False),
)

# Key customers (customer-success escalation) and the mentions that matched them.
key_accounts = sa.Table(
    "key_accounts",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("handles", sa.Text, nullable=False, server_default="[]"),  # JSON: "@acme"
    sa.Column("domains", sa.Text, nullable=False, server_default="[]"),  # JSON: "acme.example"
    sa.Column("aliases", sa.Text, nullable=False, server_default="[]"),  # JSON: other names
    sa.Column("owner", sa.String(200), nullable=False),  # the account manager
    sa.Column("owner_slack", sa.String(200), nullable=False, server_default=""),  # where escalations go
    sa.Column("updated_at", sa.Float, nullable=False),
)

key_account_hits = sa.Table(
    "key_account_hits",
    metadata,
    sa.Column("message_id", sa.BigInteger, sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("account_id", sa.BigInteger, sa.ForeignKey("key_accounts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("matched", sa.String(16), nullable=False),  # handle / domain / name
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("escalated_at", sa.Float),
    sa.Column("escalate_error", sa.Text),
)

# How far the key-account scan has read the messages table (one row).
key_account_scan = sa.Table(
    "key_account_scan",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_message_id", sa.BigInteger, nullable=False),
)

# Items a source returned that could not be stored as messages (malformed, or
# refused by the store), kept raw with the reason for a person to look at.
# One row per (source, external_id, digest of raw): a re-poll adds nothing.
quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(64), nullable=False),  # the monitor's name
    sa.Column("external_id", sa.String(200), nullable=False, server_default=""),
    sa.Column("digest", sa.String(64), nullable=False),  # sha256 of the whole raw item
    sa.Column("raw", sa.Text, nullable=False),  # capped (store.quarantine.RAW_MAX_CHARS)
    sa.Column("raw_chars", sa.BigInteger, nullable=False),  # the raw item's length before the cap
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.UniqueConstraint("source", "external_id", "digest", name="uq_quarantine_item"),
    sa.Index("ix_quarantine_source_at", "source", "at"),
)

# Each alert's delivery to each channel of its audience's route ([delivery.routes]):
# pending, sending (claimed), sent, failed (gave up or refused), unknown (a runner
# stopped mid-send: never sent twice). Retried with backoff until max_attempts.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("audience", sa.String(32), nullable=False),  # crisis_team, executives, internal_comms, on_duty
    sa.Column("channel", sa.String(200), nullable=False),  # the route entry: "teams:crisis", "email:a@b.example"
    sa.Column("recipient", sa.String(200), nullable=False, server_default=""),  # on duty: the person paged
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_at", sa.Float),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("sent_at", sa.Float),
    sa.UniqueConstraint("alert_id", "audience", "channel", "recipient", name="uq_deliveries_target"),
    sa.Index("ix_deliveries_status", "status", "next_at"),
)

# Level alerts paged to the person on duty: one row per step (0 = the first
# person on duty, then the next in the roster, then the crisis lead), until
# someone acknowledges (from the signed link in the alert, or on the page).
duty_pages = sa.Table(
    "duty_pages",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("member_id", sa.BigInteger),  # team_members.id (NULL: nobody left to page)
    sa.Column("member_name", sa.String(200), nullable=False),
    sa.Column("paged_at", sa.Float, nullable=False),
    sa.Column("due_at", sa.Float, nullable=False),  # escalates when not acknowledged by then
    sa.Column("status", sa.String(16), nullable=False, server_default="waiting"),  # waiting/acknowledged/escalated
    sa.Column("acked_at", sa.Float),
    sa.Column("acked_by", sa.String(200)),
    sa.UniqueConstraint("alert_id", "step", name="uq_duty_pages_step"),
)

# Narratives: recent external posts clustered by what they say (crisis/narratives.py,
# kept by crisis/narrative_store.py).
# One row per story: the running sum of its members' vectors (float32 bytes), its
# representative post (a real external message, joined for its text so that text
# retention applies) and its totals. vector_kind says which vectors it lives in.
narratives = sa.Table(
    "narratives",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("vector_kind", sa.String(32), nullable=False),
    sa.Column("vector_sum", sa.LargeBinary, nullable=False),
    sa.Column("rep_source", sa.String(32), nullable=False),
    sa.Column("rep_external_id", sa.String(200), nullable=False),
    sa.Column("rep_vector", sa.LargeBinary, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("negative", sa.Integer, nullable=False),
    sa.Column("reach", sa.BigInteger, nullable=False),
    sa.Column("first_seen", sa.BigInteger, nullable=False),  # epoch s of its first post
    sa.Column("last_seen", sa.BigInteger, nullable=False),
    sa.Index("ix_narratives_kind_last_seen", "vector_kind", "last_seen"),
)

# Each clustered post once: makes an update idempotent, and finds the story of a
# repost by its normalised text (key).
narrative_members = sa.Table(
    "narrative_members",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("external_id", sa.String(200), primary_key=True),
    sa.Column("narrative_id", sa.BigInteger, nullable=False),
    sa.Column("text_key", sa.String(32), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Index("ix_narrative_members_text_key", "text_key"),
    sa.Index("ix_narrative_members_created_at", "created_at"),
)

# Per narrative and 10 minutes: counts for windows and growth without reading members.
narrative_buckets = sa.Table(
    "narrative_buckets",
    metadata,
    sa.Column("narrative_id", sa.BigInteger, primary_key=True),
    sa.Column("bucket", sa.BigInteger, primary_key=True),  # epoch s, start of the 10 minutes
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("negative", sa.Integer, nullable=False),
    sa.Column("reach", sa.BigInteger, nullable=False),
    sa.Index("ix_narrative_buckets_bucket", "bucket"),
)

# One row: locked by the runner updating narratives, so two never interleave;
# also holds the hashed vectors' document frequencies and the last prune.
narrative_state = sa.Table(
    "narrative_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doc_freq", sa.LargeBinary),
    sa.Column("docs", sa.Float, nullable=False, server_default="0"),
    sa.Column("mean_vector", sa.LargeBinary),
    sa.Column("mean_weight", sa.Float, nullable=False, server_default="0"),
    sa.Column("pruned_at", sa.BigInteger, nullable=False, server_default="0"),
)

# What the team thought of an alert: useful, false alarm, or late (one verdict per alert, the latest wins).
alert_feedback = sa.Table(
    "alert_feedback",
    metadata,
    sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)

# "We missed a crisis here": a time the detector should have raised, and why.
missed_crises = sa.Table(
    "missed_crises",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),  # when the crisis began
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.Float, nullable=False),
    sa.Index("ix_missed_crises_at", "at"),
)

# Every CSV file of scheduled posts imported, by the SHA-256 of its text (line
# endings and a byte order mark aside): the same file is refused a second time.
csv_imports = sa.Table(
    "csv_imports",
    metadata,
    sa.Column("id", _Id, primary_key=True, autoincrement=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("filename", sa.String(255), nullable=False, server_default=""),
    sa.Column("posts", sa.Integer, nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)

UNSCORED = "unscored"
