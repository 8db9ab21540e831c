"""Alembic environment of the dispatch schema."""

from cadenza_shared.db.migrations import run_env

from cadenza_dispatch.repo.tables import metadata

run_env(metadata)
