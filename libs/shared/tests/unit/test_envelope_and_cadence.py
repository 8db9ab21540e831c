"""Envelope codec, upcasting and cadence validation."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import cadenza_shared.contracts  # noqa: F401
from cadenza_shared.clock import FixedClock, ScaledClock
from cadenza_shared.contracts.cadence import CadenceSpec
from cadenza_shared.contracts.external import MeetingBooked
from cadenza_shared.envelope import decode, payload, wrap
from cadenza_shared.errors import PoisonMessage

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


def test_wrapped_event__round_trips_through_the_kafka_value():
    event = MeetingBooked(enrollment_id=uuid.uuid4(), starts_at=NOW, booked_at=NOW)
    envelope = wrap(event, tenant="acme", source="crm/test", time=NOW)
    again = decode(envelope.encode())
    assert again.subject == str(event.enrollment_id)
    assert payload(again) == event


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (b"{not json", "value: not JSON"),
        (b"[1, 2]", "value: a CloudEvent must be a JSON object"),
        (b'{"id": "1"}', "source"),
        (None, "tombstones"),
    ],
)
def test_unreadable_value__is_a_poison_message_naming_the_field(raw, names):
    with pytest.raises(PoisonMessage) as err:
        decode(raw)
    assert names in err.value.reason


def test_payload_with_bad_field__names_data_dot_field():
    envelope = wrap(MeetingBooked(prospect_email="a@b.example", starts_at=NOW, booked_at=NOW), tenant="acme", source="x", time=NOW)
    envelope.data["starts_at"] = "next tuesday"
    with pytest.raises(PoisonMessage) as err:
        payload(envelope)
    assert err.value.reason.startswith("data.starts_at")


def test_newer_dataversion__is_refused_not_misread():
    envelope = wrap(MeetingBooked(prospect_email="a@b.example", starts_at=NOW, booked_at=NOW), tenant="acme", source="x", time=NOW)
    envelope.dataversion = 9
    with pytest.raises(PoisonMessage, match="dataversion"):
        payload(envelope)


@pytest.mark.parametrize("name", ["multichannel-18d.yaml", "nurture-quarterly.yaml"])
def test_example_cadences__are_valid(name):
    spec = CadenceSpec.model_validate(yaml.safe_load((EXAMPLES / "cadences" / name).read_text()))
    assert spec.steps[0].day == 1


def test_canonical_cadence__has_the_briefs_days_and_channels():
    spec = CadenceSpec.model_validate(yaml.safe_load((EXAMPLES / "cadences" / "multichannel-18d.yaml").read_text()))
    assert [(s.day, s.channel.value) for s in spec.steps] == [
        (1, "email"),
        (1, "linkedin_connect"),
        (3, "email"),
        (5, "linkedin_message"),
        (7, "phone"),
        (10, "email"),
        (14, "phone"),
        (14, "linkedin_engage"),
        (18, "email"),
    ]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"steps": [{"id": "a", "channel": "email", "day": 1, "body": "x"}]}, "subject"),
        ({"steps": [{"id": "a", "channel": "fax", "day": 1}]}, "channel"),
        ({"steps": [{"id": "a", "channel": "phone", "day": 1, "after_days": 2}]}, "exactly one"),
        ({"send_window": {"hours": ["17:00-09:00"]}}, "end after"),
        ({"default_timezone": "Mars/Base"}, "IANA"),
        ({"on_completion": {"then": "enroll"}}, "nurture"),
    ],
)
def test_bad_cadence__says_what_is_wrong(change, where):
    doc = {"key": "k", "name": "K", "steps": [{"id": "a", "channel": "phone", "day": 1}], **change}
    with pytest.raises(ValidationError) as err:
        CadenceSpec.model_validate(doc)
    assert where in str(err.value)


def test_scaled_clocks_with_the_same_anchor__agree():
    anchor = time.time()
    a = ScaledClock(virtual_start=NOW, factor=8640, anchor=anchor)
    b = ScaledClock(virtual_start=NOW, factor=8640, anchor=anchor)
    assert abs((a.now() - b.now()).total_seconds()) < 8640 * 0.05
    assert a.real_seconds(86400) == 10


async def test_fixed_clock__moves_only_when_told():
    clock = FixedClock(current=NOW)
    await clock.sleep(60)
    assert (clock.now() - NOW).total_seconds() == 60


def test_scaled_clock_before_its_anchor__stands_still_at_the_start():
    clock = ScaledClock(virtual_start=NOW, factor=8640, anchor=time.time() + 60)
    assert clock.now() == NOW
