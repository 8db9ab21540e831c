"""Alembic environment of the classification schema."""

from cadenza_shared.db.migrations import run_env

from cadenza_classification.repo.tables import metadata

run_env(metadata)
