"""The Helm chart (deploy/helm/cadenza), linted and rendered with a real `helm` binary.

Skipped when no helm is found: HELM_BIN, else `helm` on PATH, else next to the running Python
(`make helm` in deploy/README.md installs it into .venv/bin).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "cadenza"
SERVICES = ("enrollment", "scheduling", "dispatch", "classification", "metrics")
RELEASE = "rel"
PREFIX = f"{RELEASE}-cadenza"


class Helm:
    """A helm binary, run with its cache, config and data directories kept out of the user's home."""

    def __init__(self, binary: str, home: Path) -> None:
        self.binary = binary
        self.env = {**os.environ, **{var: str(home / var.lower()) for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")}}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120, env=self.env)


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    configured = os.environ.get("HELM_BIN")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            pytest.skip(f"HELM_BIN={configured} is not an executable file")
        binary = configured
    else:
        # PATH, then next to this Python (`make helm` installs into .venv/bin, which `make test` does not put on PATH)
        beside_python = Path(sys.executable).parent / "helm"
        found = shutil.which("helm") or (str(beside_python) if os.access(beside_python, os.X_OK) else None)
        if found is None:
            pytest.skip("no helm binary: set HELM_BIN or put helm on PATH (see deploy/README.md, `make helm`)")
        binary = found
    return Helm(binary, tmp_path_factory.mktemp("helm-home"))


def sets_args(sets: tuple[str, ...] | list[str]) -> list[str]:
    return [arg for s in sets for arg in ("--set", s)]


def render(helm: Helm, *sets: str) -> list[dict]:
    result = helm("template", RELEASE, str(CHART), "--namespace", "cadenza", *sets_args(sets))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(deployment: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container(deployment)["env"]}


def app_version() -> str:
    return yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]


@pytest.mark.parametrize("sets", [(), ("scheduling.replicas=3",), ("global.existingSecret=cadenza-prod",)])
def test_lint(helm: Helm, sets: tuple[str, ...]) -> None:
    result = helm("lint", "--strict", str(CHART), *sets_args(sets))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("sets", [(), ("scheduling.replicas=3",)], ids=["defaults", "scheduling-x3"])
def test_five_deployments(helm: Helm, sets: tuple[str, ...]) -> None:
    docs = render(helm, *sets)
    deployments = of_kind(docs, "Deployment")
    assert sorted(deployments) == sorted(f"{PREFIX}-{name}" for name in SERVICES)
    for name in SERVICES:
        deployment = deployments[f"{PREFIX}-{name}"]
        main = container(deployment)
        assert main["image"] == f"cadenza-{name}:{app_version()}"
        assert main["command"] == [
            "uvicorn",
            f"cadenza_{name}.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--timeout-graceful-shutdown",
            "20",
        ]
        assert main["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert main["securityContext"]["readOnlyRootFilesystem"] is True
        assert main["securityContext"]["allowPrivilegeEscalation"] is False
        pod = deployment["spec"]["template"]
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["spec"]["terminationGracePeriodSeconds"] >= 20 + 5
        assert {"name": "tmp", "mountPath": "/tmp"} in main["volumeMounts"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert annotations["prometheus.io/port"] == "8000"
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()
        assert selector["app.kubernetes.io/component"] == name
    expected_scheduling = 3 if sets else 2
    assert deployments[f"{PREFIX}-scheduling"]["spec"]["replicas"] == expected_scheduling


def test_services_and_disruption_budgets_select_their_pods(helm: Helm) -> None:
    docs = render(helm)
    deployments = of_kind(docs, "Deployment")
    services = of_kind(docs, "Service")
    budgets = of_kind(docs, "PodDisruptionBudget")
    assert sorted(services) == sorted(budgets) == sorted(deployments)
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert "maxUnavailable" in budgets[name]["spec"] or "minAvailable" in budgets[name]["spec"]
    ports = {name: services[f"{PREFIX}-{name}"]["spec"]["ports"][0]["port"] for name in SERVICES}
    assert len(set(ports.values())) == 5


def test_migration_job_is_a_pre_install_pre_upgrade_hook(helm: Helm) -> None:
    docs = render(helm)
    jobs = of_kind(docs, "Job")
    job = jobs[f"{PREFIX}-migrate"]
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert set(hooks) == {"pre-install", "pre-upgrade"}
    main = job["spec"]["template"]["spec"]["containers"][0]
    assert main["command"] == ["cadenza", "migrate"]
    assert main["image"] == f"cadenza-migrate:{app_version()}"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    ref = {item["name"]: item for item in main["env"]}["CADENZA_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    # Hooks run before the release's objects exist: the Secret the Job reads is a hook too, created first.
    secret = of_kind(docs, "Secret")[ref["name"]]
    assert set(secret["metadata"]["annotations"]["helm.sh/hook"].split(",")) == set(hooks)
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert ref["key"] in secret["data"]


def test_migration_job_reads_the_existing_secret(helm: Helm) -> None:
    docs = render(helm, "global.existingSecret=cadenza-prod")
    main = of_kind(docs, "Job")[f"{PREFIX}-migrate"]["spec"]["template"]["spec"]["containers"][0]
    ref = {item["name"]: item for item in main["env"]}["CADENZA_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "cadenza-prod", "key": "database-url"}


def test_no_secret_rendered_with_an_existing_secret(helm: Helm) -> None:
    docs = render(helm, "global.existingSecret=cadenza-prod")
    assert not of_kind(docs, "Secret")
    for deployment in of_kind(docs, "Deployment").values():
        refs = [item["valueFrom"]["secretKeyRef"] for item in container(deployment)["env"] if "valueFrom" in item]
        assert refs and all(ref["name"] == "cadenza-prod" for ref in refs)


def test_rendered_secret_holds_the_values(helm: Helm) -> None:
    url = "postgresql+asyncpg://cadenza:pw@db:5432/cadenza"
    docs = render(helm, f"global.database.url={url}", "global.apiKeys=acme:k1")
    secret = of_kind(docs, "Secret")[f"{PREFIX}-secrets"]
    data = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert data["database-url"] == url
    assert data["api-keys"] == "acme:k1"
    assert len(data["internal-token"]) >= 32, "an empty internal token is generated"
    assert len(data["webhook-secret"]) >= 32


@pytest.mark.parametrize("sets", [(), ("global.existingSecret=cadenza-prod",)], ids=["chart-secret", "existing-secret"])
def test_internal_tokens_come_from_one_secret_key(helm: Helm, sets: tuple[str, ...]) -> None:
    deployments = of_kind(render(helm, *sets), "Deployment")
    enrollment = env_of(deployments[f"{PREFIX}-enrollment"])["CADENZA_ENROLLMENT_INTERNAL_TOKEN"]
    dispatch = env_of(deployments[f"{PREFIX}-dispatch"])["CADENZA_DISPATCH_INTERNAL_TOKEN"]
    assert "value" not in enrollment and "value" not in dispatch
    assert enrollment["valueFrom"]["secretKeyRef"] == dispatch["valueFrom"]["secretKeyRef"]


def test_env_names_only_known_settings(helm: Helm, known_env: dict[str, set[str]]) -> None:
    deployments = of_kind(render(helm, "dispatch.smtp.username=u", "dispatch.smtp.passwordSecret.name=smtp"), "Deployment")
    for name in SERVICES:
        env = env_of(deployments[f"{PREFIX}-{name}"])
        unknown = sorted(set(env) - known_env[name])
        assert not unknown, f"{name}: no settings class of the service reads {unknown}"
        for required in (
            "CADENZA_ENVIRONMENT",
            "CADENZA_DATABASE_URL",
            "CADENZA_KAFKA_BOOTSTRAP",
            "CADENZA_API_KEYS",
            "CADENZA_WEBHOOK_SECRET",
        ):
            assert required in env, f"{name} lacks {required}"
        assert env["CADENZA_ENVIRONMENT"]["value"] == "production"
    dispatch = env_of(deployments[f"{PREFIX}-dispatch"])
    assert dispatch["CADENZA_DISPATCH_ENROLLMENT_URL"]["value"] == f"http://{PREFIX}-enrollment:8001"
    assert dispatch["CADENZA_DISPATCH_SMTP_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "smtp"


def test_topics_job_is_optional(helm: Helm) -> None:
    job = of_kind(render(helm), "Job")[f"{PREFIX}-topics"]
    assert "pre-install" in job["metadata"]["annotations"]["helm.sh/hook"]
    main = job["spec"]["template"]["spec"]["containers"][0]
    assert main["image"] == f"cadenza-migrate:{app_version()}"
    assert "ensure_topics" in main["command"][-1]
    compile(main["command"][-1], "topics", "exec")
    assert f"{PREFIX}-topics" not in of_kind(render(helm, "topics.enabled=false"), "Job")


def test_registry_tag_and_disabled_service(helm: Helm) -> None:
    docs = render(helm, "global.image.registry=images.internal/team", "global.image.tag=1.2.3", "metrics.enabled=false")
    deployments = of_kind(docs, "Deployment")
    assert f"{PREFIX}-metrics" not in deployments and len(deployments) == 4
    assert container(deployments[f"{PREFIX}-enrollment"])["image"] == "images.internal/team/cadenza-enrollment:1.2.3"
    migrate = of_kind(docs, "Job")[f"{PREFIX}-migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert migrate["image"] == "images.internal/team/cadenza-migrate:1.2.3"


def test_grace_period_must_cover_the_shutdown(helm: Helm) -> None:
    result = helm("template", RELEASE, str(CHART), "--set", "global.terminationGracePeriodSeconds=10")
    assert result.returncode != 0
    assert "terminationGracePeriodSeconds" in result.stderr
