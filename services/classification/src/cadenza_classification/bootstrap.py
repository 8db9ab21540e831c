"""Composition root of the classification service."""

from __future__ import annotations

from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings

from cadenza_classification.consumers.handlers import register
from cadenza_classification.repo.tables import metadata
from cadenza_classification.settings import ClassificationSettings


def bootstrap(*, common: CommonSettings | None = None, settings: ClassificationSettings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    """Build the classification runtime."""
    common = common or CommonSettings()
    settings = settings or ClassificationSettings()
    runtime = build_runtime(name="classification", settings=common, metadata=metadata, clock=clock)
    runtime.extras["settings"] = settings
    register(runtime, settings)
    return runtime
