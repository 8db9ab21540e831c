"""Alembic environment of the dispatch schema."""

from cadenza_dispatch.repo.tables import metadata
from cadenza_shared.db.migrations import run_env

run_env(metadata)
