"""Published event schemas, one module per producing service; importing this registers them all."""

from cadenza_shared.contracts import cadence, classification, dispatch, enrollment, external, scheduling

__all__ = ["cadence", "classification", "dispatch", "enrollment", "external", "scheduling"]
