"""Behaviour of dispatch's pure template rules (cadenza_dispatch.domain.templates)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from cadenza_dispatch.domain.templates import (
    BadTemplate,
    MissingField,
    choose_variant,
    render,
    render_email,
    render_task_text,
    template_context,
)
from cadenza_shared.contracts.cadence import StepSpec
from cadenza_shared.contracts.enrollment import Prospect

PRIYA = Prospect(
    prospect_id=uuid.UUID("00000000-0000-0000-0000-000000000001"),
    email="priya.raman@tessellate.example",
    first_name="Priya",
    last_name="Raman",
    company="Tessellate Software",
    title="VP Finance",
    timezone="America/Chicago",
    timezone_source="prospect",
    phone="+15125550118",
    fields={"industry": "Software", "city": "Austin", "linkedin_url": "https://www.linkedin.com/in/priya-raman-example", "nickname": "  "},
)


def email_step(**kw) -> StepSpec:
    return StepSpec.model_validate({"id": "intro", "day": 1, "channel": "email", **kw})


def test_renders_known_and_extra_fields() -> None:
    step = email_step(subject="Invoice approvals at {{ company }}", body="Hi {{ first_name }}, {{ industry | lower }} in {{ city }}.")
    result = render_email(step, PRIYA, enrollment_id=uuid.uuid4())
    assert result.subject == "Invoice approvals at Tessellate Software"
    assert result.body == "Hi Priya, software in Austin."
    assert result.variant is None


@pytest.mark.parametrize(
    "source,field",
    [
        ("Hi {{ first_name }} at {{ department }}", "department"),
        ("{{ revenue | lower }}", "revenue"),
        ("Hey {{ nickname }}", "nickname"),  # present but blank counts as missing
    ],
)
def test_missing_or_empty_field_is_named(source: str, field: str) -> None:
    with pytest.raises(MissingField) as info:
        render(source, template_context(PRIYA), part="body")
    assert info.value.field == field
    assert info.value.reason == f"template field '{field}' is missing for this prospect"
    assert info.value.reason_code == "missing_field"


def test_none_field_is_missing_not_rendered_as_none() -> None:
    nameless = PRIYA.model_copy(update={"first_name": None})
    with pytest.raises(MissingField) as info:
        render_email(email_step(subject="Hello", body="Hi {{ first_name }},"), nameless, enrollment_id=uuid.uuid4())
    assert info.value.field == "first_name"


def test_optional_fields_can_be_guarded() -> None:
    context = template_context(PRIYA.model_copy(update={"first_name": None}))
    assert render("Hi {{ first_name | default('there') }}", context, part="body") == "Hi there"
    assert render("{% if first_name is defined %}x{% else %}y{% endif %}", context, part="body") == "y"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ first_name.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_sandbox_blocks_attribute_tricks(source: str) -> None:
    with pytest.raises((BadTemplate, MissingField)) as info:
        render(source, template_context(PRIYA), part="body")
    assert "class" not in getattr(info.value, "field", "")


def test_dunder_access_is_a_template_error_not_output() -> None:
    with pytest.raises(BadTemplate) as info:
        render("{{ ''.__class__ }}", {}, part="body")
    assert "unsafe" in info.value.reason or "not allowed" in info.value.reason
    assert info.value.reason_code == "template_error"


def test_syntax_error_names_part_and_line() -> None:
    with pytest.raises(BadTemplate) as info:
        render("Hi {{ first_name }\nline two {% if %}", template_context(PRIYA), part="subject")
    assert info.value.reason.startswith("subject: template syntax error on line")


def test_subject_is_one_line() -> None:
    step = email_step(subject="Hello\r\nBcc: victim@example.com {{ company }}", body="x")
    assert render_email(step, PRIYA, enrollment_id=uuid.uuid4()).subject == "Hello Bcc: victim@example.com Tessellate Software"


VARIANTS = email_step(
    variants=[{"id": "a", "subject": "A {{ company }}", "body": "a"}, {"id": "b", "subject": "B {{ company }}", "body": "b"}]
)


def test_variant_is_deterministic_per_enrollment() -> None:
    enrollment_id = uuid.uuid4()
    first = choose_variant(enrollment_id, VARIANTS)
    assert all(choose_variant(enrollment_id, VARIANTS) == first for _ in range(20))
    rendered = render_email(VARIANTS, PRIYA, enrollment_id=enrollment_id)
    assert rendered.variant == first.id
    assert rendered.subject == f"{first.id.upper()} Tessellate Software"


def test_variants_spread_evenly() -> None:
    three = email_step(variants=[{"id": v, "subject": v, "body": v} for v in ("a", "b", "c")])
    counts = Counter(choose_variant(uuid.UUID(int=i * 7919 + 13), three).id for i in range(3000))
    assert set(counts) == {"a", "b", "c"}
    assert all(850 <= n <= 1150 for n in counts.values()), counts


def test_variant_depends_on_step_too() -> None:
    other = VARIANTS.model_copy(update={"id": "follow-up"})
    picks = {(choose_variant(e, VARIANTS).id, choose_variant(e, other).id) for e in (uuid.UUID(int=i) for i in range(200))}
    assert len(picks) == 4


def test_no_variants_means_none() -> None:
    assert choose_variant(uuid.uuid4(), email_step(subject="s", body="b")) is None


def test_task_instructions_and_body() -> None:
    step = StepSpec.model_validate(
        {
            "id": "li",
            "day": 5,
            "channel": "linkedin_message",
            "instructions": "Message {{ first_name }} at {{ linkedin_url }}",
            "body": "Hi {{ first_name }} from {{ company }}",
        }
    )
    assert render_task_text(step, PRIYA) == (
        "Message Priya at https://www.linkedin.com/in/priya-raman-example",
        "Hi Priya from Tessellate Software",
    )
    call = StepSpec.model_validate({"id": "call", "day": 7, "channel": "phone"})
    assert render_task_text(call, PRIYA) == (None, None)
