"""Alert delivery beyond the [notify] Slack channels: a routing table from
audience to channels (Slack, Microsoft Teams, e-mail, signed webhooks), each
send recorded and retried (router), the person on duty paged with an
acknowledge link and escalated when nobody answers (escalation), and the
executive brief at set times (briefs)."""
