"""Alembic environment of the enrollment schema."""

from cadenza_enrollment.repo.tables import metadata
from cadenza_shared.db.migrations import run_env

run_env(metadata)
