"""Shared helpers of the deployment tests: paths, the environment each service reads, package closures."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "cadenza"
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = ("enrollment", "scheduling", "dispatch", "classification", "metrics")
#: What the migrate image installs (deploy/migrate.Dockerfile), besides libs/runtime with --no-deps.
MIGRATE_IMAGE_ROOTS = ("cadenza-shared", *(f"cadenza-{name}" for name in SERVICES), "typer", "rich", "httpx", "pyyaml")


def settings_env_names(settings_class: type[BaseSettings]) -> set[str]:
    """The environment variables a pydantic-settings class reads: env_prefix + field name, upper case."""
    prefix = settings_class.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in settings_class.model_fields.items():
        alias = field.validation_alias or field.alias
        names.add((alias if isinstance(alias, str) else prefix + field_name).upper())
    return names


def service_settings_class(service: str) -> type[BaseSettings]:
    """The BaseSettings subclass defined in cadenza_<service>.settings (EnrollmentSettings, ...)."""
    module = importlib.import_module(f"cadenza_{service}.settings")
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, BaseSettings) and obj.__module__ == module.__name__
    ]
    assert len(found) == 1, f"expected one settings class in {module.__name__}, found {found}"
    return found[0]


@pytest.fixture(scope="session")
def known_env() -> dict[str, set[str]]:
    """Per service: every CADENZA_* variable it reads (CommonSettings plus its own settings class)."""
    from cadenza_shared.settings import CommonSettings

    common = settings_env_names(CommonSettings)
    return {name: common | settings_env_names(service_settings_class(name)) for name in SERVICES}


def distribution_closure(roots: Iterable[str]) -> set[str]:
    """Canonical names of the installed distributions `roots` pull in, extras and markers applied."""
    seen: set[tuple[str, frozenset[str]]] = set()
    stack = [(root, frozenset[str]()) for root in roots]
    while stack:
        name, extras = stack.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None:
                environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
                if not any(requirement.marker.evaluate(env) for env in environments):
                    continue
            stack.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _ in seen}


def providers(module: str) -> set[str]:
    """Canonical names of the installed distributions that provide top-level module `module`."""
    return {canonicalize_name(dist) for dist in metadata.packages_distributions().get(module, [])}


def third_party_imports(source_dir: Path, skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """Top-level third-party modules imported anywhere under source_dir (lazy imports included)."""
    skipped = tuple(skip)
    found: dict[str, list[str]] = {}
    for path in sorted(source_dir.rglob("*.py")):
        relative = path.relative_to(source_dir).as_posix()
        if relative.startswith(skipped):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top.startswith("cadenza_") or top == "__future__":
                    continue
                found.setdefault(top, []).append(relative)
    return found


@pytest.fixture(scope="session")
def packaging_tools() -> SimpleNamespace:
    """The helpers above, for the test modules (importlib import mode: they cannot import conftest)."""
    return SimpleNamespace(
        closure=distribution_closure,
        providers=providers,
        third_party_imports=third_party_imports,
        migrate_image_roots=MIGRATE_IMAGE_ROOTS,
    )
