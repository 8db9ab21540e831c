"""Settings of the scheduling service (`CADENZA_SCHEDULING_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SchedulingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADENZA_SCHEDULING_", extra="ignore")

    batch_size: int = Field(default=500, ge=1, le=10_000, description="Timers fired per transaction")
    max_idle_seconds: float = Field(default=1.0, gt=0, description="Longest real sleep between polls")
    gauge_interval_seconds: float = Field(
        default=5.0, ge=0, description="Real seconds between two counts of pending and overdue timers (the gauges)"
    )
