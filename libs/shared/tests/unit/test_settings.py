"""Settings fail fast on bad values and on placeholder secrets in production."""

import pytest
from pydantic import SecretStr, ValidationError

from cadenza_shared.settings import CommonSettings, asyncpg_url, refuse_placeholder_in_production


def test_plain_postgres_url__becomes_the_asyncpg_form():
    assert asyncpg_url("postgres://u@db:5432/c") == "postgresql+asyncpg://u@db:5432/c"
    with pytest.raises(ValueError):
        asyncpg_url("mysql://u@db/c")


def test_production_with_dev_api_key__refused(monkeypatch):
    monkeypatch.setenv("CADENZA_ENVIRONMENT", "production")
    monkeypatch.setenv("CADENZA_WEBHOOK_SECRET", "a-real-long-secret-value")
    with pytest.raises(ValidationError, match="api_keys"):
        CommonSettings()


def test_production_with_dev_internal_token__refused(monkeypatch):
    monkeypatch.setenv("CADENZA_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="internal_token"):
        refuse_placeholder_in_production("internal_token", SecretStr("dev-internal-token"))
    assert refuse_placeholder_in_production("internal_token", SecretStr("9f8e7d6c5b4a")).get_secret_value() == "9f8e7d6c5b4a"


def test_api_keys__parsed_per_tenant(monkeypatch):
    monkeypatch.setenv("CADENZA_API_KEYS", "acme:k1, globex:k2")
    assert CommonSettings().tenant_keys() == {"acme": "k1", "globex": "k2"}
