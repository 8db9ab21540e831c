"""Settings of the classification service (`CADENZA_CLASSIFICATION_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClassificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADENZA_CLASSIFICATION_", extra="ignore", protected_namespaces=())

    max_message_bytes: int = Field(default=5_000_000, ge=10_000, description="Larger inbound messages are rejected")
    default_pause_days: int = Field(default=7, ge=1, le=90, description="Out-of-office pause when no return date is given")
    review_threshold: float = Field(default=0.6, ge=0, le=1, description="Below this confidence a reply needs review")
    model_enabled: bool = Field(default=True, description="Use the shipped intent model next to the rules (false: rules only)")
    model_path: Path | None = Field(default=None, description="Another intent model artifact (default: the one in the package)")
    model_min_probability: float = Field(
        default=0.5, ge=0, le=1, description="When no rule matched, the model's label is used from this probability on"
    )
    llm_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint asked about replies that still need review (unset: off)"
    )
    llm_model: str = Field(default="default", description="Model name sent to the LLM endpoint")
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer token for the LLM endpoint, if it needs one")
    llm_timeout_seconds: float = Field(default=5.0, gt=0, le=60, description="Per-request timeout of the LLM endpoint")
