"""Settings of the enrollment service (`CADENZA_ENROLLMENT_*`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cadenza_shared.settings import refuse_placeholder_in_production


class EnrollmentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADENZA_ENROLLMENT_", extra="ignore")

    default_pause_days: int = Field(default=7, ge=1, le=90, description="Out-of-office pause when no return date is found")
    internal_token: SecretStr = Field(default=SecretStr("dev-internal-token"), description="Shared secret of the internal send-permit API")
    max_upload_bytes: int = 5_000_000
    handoff_webhook_url: str | None = Field(default=None, description="Where hand-offs are POSTed, signed (unset: event only)")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("internal_token")
    @classmethod
    def _no_dev_token_in_production(cls, value: SecretStr) -> SecretStr:
        return refuse_placeholder_in_production("internal_token", value)
