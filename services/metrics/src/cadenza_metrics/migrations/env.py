"""Alembic environment of the metrics schema."""

from cadenza_shared.db.migrations import run_env

from cadenza_metrics.repo.tables import metadata

run_env(metadata)
