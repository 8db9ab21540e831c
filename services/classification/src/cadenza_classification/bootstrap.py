"""Composition root of the classification service."""

from __future__ import annotations

from cadenza_classification.consumers.handlers import register
from cadenza_classification.repo.tables import metadata
from cadenza_classification.service.classifier import ReplyClassifier
from cadenza_classification.settings import ClassificationSettings
from cadenza_shared.clock import Clock
from cadenza_shared.service import ServiceRuntime, build_runtime
from cadenza_shared.settings import CommonSettings


def bootstrap(
    *, common: CommonSettings | None = None, settings: ClassificationSettings | None = None, clock: Clock | None = None
) -> ServiceRuntime:
    """Build the classification runtime."""
    common = common or CommonSettings()
    settings = settings or ClassificationSettings()
    runtime = build_runtime(name="classification", settings=common, metadata=metadata, clock=clock)
    runtime.extras["settings"] = settings
    classifier = ReplyClassifier.from_settings(settings)  # loads the intent model: a broken artifact fails here
    runtime.extras["classifier"] = classifier
    register(runtime, settings, classifier)
    return runtime
