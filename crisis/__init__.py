"""Crisis detection: baselines, spike scores, levels with hysteresis,
explanations, and notifications to Slack."""
