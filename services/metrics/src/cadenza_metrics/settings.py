"""Settings of the metrics service (`CADENZA_METRICS_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cadenza_metrics.domain.formulas import REPLY_RATE_BENCHMARK


class MetricsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADENZA_METRICS_", extra="ignore")

    reply_rate_benchmark: float = Field(
        default=REPLY_RATE_BENCHMARK,
        gt=0,
        lt=1,
        description="Cadences replying below this rate are flagged below_benchmark",
    )
