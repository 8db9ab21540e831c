"""Shared helpers of the deployment tests: paths, the environment each service reads, package closures."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import subprocess
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
        obj for obj in vars(module).values() if inspect.isclass(obj) and issubclass(obj, BaseSettings) and obj.__module__ == module.__name__
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


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def providers(module: str) -> set[str]:
    """Canonical names of the installed distributions that provide top-level module `module`."""
    return {canonicalize_name(dist) for dist in _packages_distributions().get(module, [])}


def _guarded_imports(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside `try: ... except ImportError` (optional dependencies)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        caught = set()
        for handler in node.handlers:
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught |= {t.id for t in types if isinstance(t, ast.Name)}
        if caught & {"ImportError", "ModuleNotFoundError"}:
            guarded |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return guarded


def third_party_imports(files: Iterable[Path]) -> dict[str, list[str]]:
    """Top-level third-party modules that `files` import, lazy (in-function) imports included.

    Imports guarded by `except ImportError` are optional and left out."""
    found: dict[str, list[str]] = {}
    for path in sorted(set(files)):
        tree = ast.parse(path.read_text(), filename=str(path))
        guarded = _guarded_imports(tree)
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue
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
                found.setdefault(top, []).append(path.name)
    return found


_LOADED_PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
files = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} - {""})
print(json.dumps({"modules": sorted({m.split(".")[0] for m in sys.modules}), "files": files}))
"""


def loaded_by(*modules: str) -> tuple[set[str], list[Path]]:
    """Import `modules` in a fresh interpreter: the top-level modules loaded, and the files of the
    cadenza_* modules loaded (whose in-function imports run later, at request time)."""
    result = subprocess.run([sys.executable, "-c", _LOADED_PROBE, *modules], capture_output=True, text=True, timeout=120, cwd="/")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    files = [Path(f) for f in report["files"] if f.endswith(".py")]
    return set(report["modules"]), [f for f in files if any(part.startswith("cadenza_") for part in f.parts)]


@pytest.fixture(scope="session")
def packaging_tools() -> SimpleNamespace:
    """The helpers above, for the test modules (importlib import mode: they cannot import conftest)."""
    return SimpleNamespace(
        closure=distribution_closure,
        providers=providers,
        third_party_imports=third_party_imports,
        loaded_by=loaded_by,
        migrate_image_roots=MIGRATE_IMAGE_ROOTS,
    )
