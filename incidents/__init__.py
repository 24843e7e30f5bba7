"""The incident record and the internal crisis FAQ: one source of truth,
the same facts for everyone."""
