"""Alembic environment of the enrollment schema."""

from cadenza_shared.db.migrations import run_env

from cadenza_enrollment.repo.tables import metadata

run_env(metadata)
