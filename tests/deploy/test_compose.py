"""docker-compose.yml, checked without Docker: structure, start order, and that every service's
environment names only variables its settings classes read and is accepted by them."""

from __future__ import annotations

import importlib
import inspect
import os
import re
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from cadenza_shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = ("enrollment", "scheduling", "dispatch", "classification", "metrics")
HOST_PORTS = {"enrollment": 8001, "scheduling": 8002, "dispatch": 8003, "classification": 8004, "metrics": 8005}
_DEFAULTED = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    with COMPOSE_FILE.open() as handle:
        return yaml.safe_load(handle)


def resolve(value: object) -> str:
    """Compose interpolation of ${VAR:-default} with an empty environment (the defaults)."""
    return _DEFAULTED.sub(lambda m: m.group(2) or "", str(value))


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=value form
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def test_parses_with_every_part(compose: dict) -> None:
    assert set(compose["services"]) >= {*SERVICES, "postgres", "kafka", "mailpit", "migrate", "topics"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    kafka_env = environment(compose["services"]["kafka"])
    assert "broker" in kafka_env["KAFKA_PROCESS_ROLES"] and "controller" in kafka_env["KAFKA_PROCESS_ROLES"]
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "the topics service creates the topics"


@pytest.mark.parametrize("name", SERVICES)
def test_service_build_start_order_probe_and_port(compose: dict, name: str) -> None:
    service = compose["services"][name]
    assert service["build"]["context"] == "."
    assert service["build"]["dockerfile"] == f"services/{name}/Dockerfile"
    assert (ROOT / service["build"]["dockerfile"]).exists()
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert f"{HOST_PORTS[name]}:8000" in [str(port) for port in service["ports"]]


@pytest.mark.parametrize("name", SERVICES)
def test_service_env_names_only_known_settings(compose: dict, name: str, known_env: dict[str, set[str]]) -> None:
    env = environment(compose["services"][name])
    unknown = sorted(set(env) - known_env[name])
    assert not unknown, f"{name}: no settings class of the service reads {unknown}"
    for required in ("CADENZA_DATABASE_URL", "CADENZA_KAFKA_BOOTSTRAP", "CADENZA_API_KEYS", "CADENZA_WEBHOOK_SECRET"):
        assert required in env, f"{name} lacks {required}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_env_is_accepted_by_the_settings(compose: dict, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults that `docker compose up` uses validate (URLs, ports, booleans, secrets)."""
    for key in list(os.environ):
        if key.startswith("CADENZA_"):
            monkeypatch.delenv(key)
    for key, value in environment(compose["services"][name]).items():
        monkeypatch.setenv(key, resolve(value))
    common = CommonSettings()
    assert common.kafka_bootstrap == "kafka:9092"
    assert common.database_url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in common.database_url
    module = importlib.import_module(f"cadenza_{name}.settings")
    for obj in vars(module).values():
        if inspect.isclass(obj) and issubclass(obj, BaseSettings) and obj.__module__ == module.__name__:
            obj()


def test_internal_tokens_are_one_value(compose: dict) -> None:
    enrollment = environment(compose["services"]["enrollment"])["CADENZA_ENROLLMENT_INTERNAL_TOKEN"]
    dispatch = environment(compose["services"]["dispatch"])["CADENZA_DISPATCH_INTERNAL_TOKEN"]
    assert enrollment == dispatch


def test_dispatch_talks_to_enrollment_and_the_mail_sink(compose: dict) -> None:
    env = environment(compose["services"]["dispatch"])
    assert env["CADENZA_DISPATCH_ENROLLMENT_URL"] == "http://enrollment:8000"
    assert env["CADENZA_DISPATCH_SMTP_HOST"] == "mailpit"
    assert "mailpit" in compose["services"]["mailpit"]["image"]
    assert env["CADENZA_DISPATCH_SMTP_PORT"] == "1025"


def test_migrate_and_topics_one_shots(compose: dict) -> None:
    services = compose["services"]
    migrate, topics = services["migrate"], services["topics"]
    assert migrate["build"]["dockerfile"] == "deploy/migrate.Dockerfile"
    assert migrate["command"] == ["cadenza", "migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert environment(migrate)["CADENZA_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert topics["image"] == migrate["image"]
    script = topics["command"][-1]
    assert "ensure_topics" in script
    compile(script, "topics", "exec")
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert environment(topics)["CADENZA_KAFKA_BOOTSTRAP"] == "kafka:9092"
    for one_shot in (migrate, topics):
        assert one_shot.get("restart", "no") == "no"


def test_host_ports_are_distinct(compose: dict) -> None:
    published = []
    for service in compose["services"].values():
        for port in service.get("ports", []):
            parts = str(port).split(":")
            published.append(parts[-2])
    assert len(published) == len(set(published)), published
