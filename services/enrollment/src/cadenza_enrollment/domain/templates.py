"""Catch template syntax errors when a cadence is created, not at send time."""

from __future__ import annotations

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from cadenza_shared.contracts.cadence import CadenceSpec
from cadenza_shared.errors import InvalidInput

_ENV = SandboxedEnvironment(autoescape=False)


def check_templates(spec: CadenceSpec) -> None:
    """Compile every subject, body and instructions; InvalidInput names the step field and the line."""
    for index, step in enumerate(spec.steps):
        fields: list[tuple[str, str | None]] = [("subject", step.subject), ("body", step.body), ("instructions", step.instructions)]
        for v_index, variant in enumerate(step.variants or []):
            fields += [(f"variants.{v_index}.subject", variant.subject), (f"variants.{v_index}.body", variant.body)]
        for name, text in fields:
            if not text:
                continue
            try:
                _ENV.parse(text)
            except TemplateSyntaxError as exc:
                raise InvalidInput(f"steps.{index}.{name}", f"template error on line {exc.lineno}: {exc.message}") from None
