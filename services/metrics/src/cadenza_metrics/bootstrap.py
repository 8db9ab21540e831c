"""Composition root of the metrics service."""

from __future__ import annotations

from cadenza_metrics.consumers.handlers import register
from cadenza_metrics.repo.tables import metadata
from cadenza_metrics.settings import MetricsSettings
from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings


def bootstrap(
    *, common: CommonSettings | None = None, settings: MetricsSettings | None = None, clock: Clock | None = None
) -> ServiceRuntime:
    """Build the metrics runtime: one consumer counting every topic."""
    common = common or CommonSettings()
    settings = settings or MetricsSettings()
    runtime = build_runtime(name="metrics", settings=common, metadata=metadata, clock=clock)
    runtime.extras["settings"] = settings
    register(runtime)
    return runtime
