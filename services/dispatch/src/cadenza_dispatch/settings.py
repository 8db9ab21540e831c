"""Settings of the dispatch service (`CADENZA_DISPATCH_*`)."""

from __future__ import annotations

from email.utils import parseaddr

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cadenza_shared.settings import refuse_placeholder_in_production


class DispatchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADENZA_DISPATCH_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for each SMTP reply")
    from_address: str = "Alex Morgan <alex.morgan@ledgerline.example>"
    mail_domain: str = Field(default="ledgerline.example", description="Right-hand side of every Message-ID")
    enrollment_url: str = "http://127.0.0.1:8001"
    internal_token: SecretStr = Field(
        default=SecretStr("dev-internal-token"),
        description="Shared secret of enrollment's send-permit API: must equal CADENZA_ENROLLMENT_INTERNAL_TOKEN "
        "(in production both are set from the same secret)",
    )
    permit_timeout: float = Field(default=5.0, gt=0, description="Seconds to wait for a send permit")

    step_max_attempts: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Attempts at a step before it is given up as failed (backoff caps at 10 s: 32 is about five minutes)",
    )

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError("must be an address like 'Alex Morgan <alex.morgan@example.com>'")
        return value

    @field_validator("enrollment_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @property
    def sender_address(self) -> str:
        """The bare envelope sender (MAIL FROM), e.g. alex.morgan@ledgerline.example."""
        return parseaddr(self.from_address)[1]

    @field_validator("internal_token")
    @classmethod
    def _no_dev_token_in_production(cls, value: SecretStr) -> SecretStr:
        return refuse_placeholder_in_production("internal_token", value)
