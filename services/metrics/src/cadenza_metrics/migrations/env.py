"""Alembic environment of the metrics schema."""

from cadenza_metrics.repo.tables import metadata
from cadenza_shared.db.migrations import run_env

run_env(metadata)
