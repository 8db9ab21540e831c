"""Alembic environment of the classification schema."""

from cadenza_classification.repo.tables import metadata
from cadenza_shared.db.migrations import run_env

run_env(metadata)
