"""Settings of the classification service (`CADENZA_CLASSIFICATION_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClassificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADENZA_CLASSIFICATION_", extra="ignore")

    max_message_bytes: int = Field(default=5_000_000, ge=10_000, description="Larger inbound messages are rejected")
    default_pause_days: int = Field(default=7, ge=1, le=90, description="Out-of-office pause when no return date is given")
    review_threshold: float = Field(default=0.6, ge=0, le=1, description="Below this confidence a reply needs review")
