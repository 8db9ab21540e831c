"""Alembic environment of the scheduling schema."""

from cadenza_scheduling.repo.tables import metadata
from cadenza_shared.db.migrations import run_env

run_env(metadata)
