"""Rendering step templates for one prospect, as pure functions.

Templates are Jinja2 in a sandbox (no attribute tricks like `{{ ''.__class__ }}`) with strict
undefined values: a field the prospect lacks, or has empty, raises `MissingField` naming it,
so a message never goes out as "Hi ,". `{{ first_name | default('there') }}` and
`{% if title is defined %}` still work for optional fields.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from cadenza_shared.contracts.cadence import StepSpec, Variant
from cadenza_shared.contracts.enrollment import Prospect
from cadenza_shared.errors import CadenzaError

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'$")
#: Prospect attributes a template may use by name, next to every column in `fields`.
KNOWN_FIELDS = ("email", "first_name", "last_name", "company", "title", "country", "timezone", "phone", "account")


class RenderError(CadenzaError):
    """A template could not be rendered for this prospect; `reason_code` and `reason` go into MessageFailed."""

    reason_code = "template_error"

    def __init__(self, reason: str, *, part: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.part = part


class MissingField(RenderError):
    """A template uses a field the prospect does not have (or has empty)."""

    reason_code = "missing_field"

    def __init__(self, field: str, *, part: str = "template") -> None:
        super().__init__(f"template field '{field}' is missing for this prospect", part=part)
        self.field = field


class BadTemplate(RenderError):
    """The template itself is broken (syntax) or tried something the sandbox forbids."""


@dataclass(frozen=True)
class RenderedEmail:
    """Subject (None when the step has none, e.g. a reply in thread) and plain-text body."""

    subject: str | None
    body: str
    variant: str | None


def template_context(prospect: Prospect) -> dict[str, Any]:
    """The names a template sees: every given column, minus the empty ones (so they count as missing)."""
    context: dict[str, Any] = dict(prospect.fields)
    for name in KNOWN_FIELDS:
        value = getattr(prospect, name)
        if value is not None:
            context[name] = value
    return {k: v for k, v in context.items() if not _empty(v)}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@lru_cache(maxsize=1024)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def render(source: str, context: dict[str, Any], *, part: str) -> str:
    """Render one template; MissingField names the first absent field, BadTemplate explains the rest."""
    try:
        template = _compile(source)
    except TemplateSyntaxError as exc:
        raise BadTemplate(f"{part}: template syntax error on line {exc.lineno}: {exc.message}", part=part) from None
    try:
        return template.render(context)
    except SecurityError as exc:
        raise BadTemplate(f"{part}: not allowed in a template ({exc})", part=part) from None
    except UndefinedError as exc:
        message = str(exc)
        match = _UNDEFINED_NAME.match(message) or _NO_ATTRIBUTE.search(message)
        if match:
            raise MissingField(match[1], part=part) from None
        raise BadTemplate(f"{part}: {message}", part=part) from None
    except TemplateError as exc:
        raise BadTemplate(f"{part}: {exc}", part=part) from None
    except Exception as exc:  # a filter applied to the wrong type, a division by zero...
        raise BadTemplate(f"{part}: {exc.__class__.__name__}: {exc}", part=part) from None


def single_line(text: str) -> str:
    """A header value: whitespace (newlines included) collapsed, so nothing can inject a header."""
    return " ".join(text.split())


def choose_variant(enrollment_id: UUID, step: StepSpec) -> Variant | None:
    """The A/B variant this enrollment gets for this step: stable across retries and processes."""
    if not step.variants:
        return None
    digest = hashlib.sha256(f"{enrollment_id}:{step.id}".encode()).digest()
    return step.variants[int.from_bytes(digest[:8], "big") % len(step.variants)]


def render_email(step: StepSpec, prospect: Prospect, *, enrollment_id: UUID) -> RenderedEmail:
    """Subject and body of an email step (its variant for this enrollment, if it has variants)."""
    context = template_context(prospect)
    variant = choose_variant(enrollment_id, step)
    subject_source = variant.subject if variant else step.subject
    body_source = variant.body if variant else step.body
    if not body_source:
        raise BadTemplate("body: the step has no body", part="body")
    subject = single_line(render(subject_source, context, part="subject")) if subject_source else None
    body = render(body_source, context, part="body")
    return RenderedEmail(subject=subject or None, body=body, variant=variant.id if variant else None)


def render_task_text(step: StepSpec, prospect: Prospect) -> tuple[str | None, str | None]:
    """A task's rendered instructions and, when the step has one, the message to send by hand."""
    context = template_context(prospect)
    instructions = render(step.instructions, context, part="instructions") if step.instructions else None
    body = render(step.body, context, part="body") if step.body else None
    return instructions, body
