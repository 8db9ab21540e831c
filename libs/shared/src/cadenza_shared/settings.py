"""Settings every service shares, read from `CADENZA_*` environment variables (fail fast).

Each service adds its own class with its own prefix (`CADENZA_DISPATCH_...`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cadenza_shared.clock import Clock, build_clock

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev-key", "password"}


def asyncpg_url(value: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// and return the asyncpg form."""
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        value = "postgresql+asyncpg://" + value.split("://", 1)[1]
    if not value.startswith("postgresql+asyncpg://"):
        raise ValueError("must be a PostgreSQL URL (postgresql+asyncpg://user@host:port/db)")
    return value


def refuse_placeholder_in_production(name: str, value: SecretStr) -> SecretStr:
    """Service settings call this for their secrets: a dev default must not reach production."""
    import os

    if os.environ.get("CADENZA_ENVIRONMENT", "development") == "production":
        secret = value.get_secret_value()
        if secret.lower() in PLACEHOLDER_SECRETS or secret.startswith("dev-"):
            raise ValueError(f"{name}: a placeholder secret is not allowed in production")
    return value


class CommonSettings(BaseSettings):
    """Connection and runtime settings shared by all five services."""

    model_config = SettingsConfigDict(env_prefix="CADENZA_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/cadenza",
        description="SQLAlchemy async URL of the PostgreSQL database (each service uses its own schema).",
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_idempotence: bool = Field(
        default=True, description="Idempotent producer; the embedded broker refuses it, so `make run` turns it off."
    )
    kafka_topic_prefix: str = Field(default="", description="Prefix for every topic (isolates test runs).")
    api_keys: SecretStr = Field(
        default=SecretStr("acme:dev-key-acme"),
        description="Comma-separated tenant:key pairs accepted by the public APIs.",
    )
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    clock_mode: Literal["real", "scaled", "fixed"] = "real"
    clock_factor: float = Field(default=1.0, gt=0)
    clock_start: datetime | None = None
    clock_anchor: float | None = None
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return asyncpg_url(value)

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> CommonSettings:
        if self.environment == "production":
            for name in ("webhook_secret",):
                if getattr(self, name).get_secret_value().lower() in PLACEHOLDER_SECRETS | {"dev-webhook-secret"}:
                    raise ValueError(f"{name}: a placeholder secret is not allowed in production")
            for pair in self.tenant_keys().values():
                if pair.startswith("dev-key") or pair.lower() in PLACEHOLDER_SECRETS:
                    raise ValueError("api_keys: a placeholder API key is not allowed in production")
        return self

    def tenant_keys(self) -> dict[str, str]:
        """Map of tenant -> API key, parsed from `api_keys`."""
        result: dict[str, str] = {}
        for item in self.api_keys.get_secret_value().split(","):
            item = item.strip()
            if not item:
                continue
            tenant, sep, key = item.partition(":")
            if not sep or not tenant or not key:
                raise ValueError("api_keys: each entry must look like tenant:key")
            result[tenant.strip()] = key.strip()
        return result

    def topic(self, name: str) -> str:
        """The physical topic name for a logical topic."""
        return f"{self.kafka_topic_prefix}{name}"

    def build_clock(self) -> Clock:
        """The clock these settings describe."""
        return build_clock(mode=self.clock_mode, factor=self.clock_factor, virtual_start=self.clock_start, anchor=self.clock_anchor)
