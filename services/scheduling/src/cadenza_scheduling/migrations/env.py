"""Alembic environment of the scheduling schema."""

from cadenza_shared.db.migrations import run_env

from cadenza_scheduling.repo.tables import metadata

run_env(metadata)
