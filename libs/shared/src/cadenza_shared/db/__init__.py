"""PostgreSQL helpers: engine/session, transactional outbox and its relay, inbox (processed events)."""
