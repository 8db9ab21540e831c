"""Behaviour of dispatch's pure task rules (cadenza_dispatch.domain.tasks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cadenza_dispatch.domain.tasks import check_outcome, outcomes_for, task_expires_at, task_title
from cadenza_shared.contracts.cadence import TASK_CHANNELS, Channel
from cadenza_shared.contracts.enrollment import Prospect
from cadenza_shared.errors import InvalidInput

PRIYA = Prospect(
    prospect_id=uuid.uuid4(),
    email="priya.raman@tessellate.example",
    first_name="Priya",
    last_name="Raman",
    company="Tessellate Software",
    timezone="America/Chicago",
    timezone_source="prospect",
)


def test_titles() -> None:
    assert task_title(Channel.phone, PRIYA) == "Call Priya Raman (Tessellate Software)"
    assert task_title(Channel.linkedin_connect, PRIYA) == "Send a LinkedIn connection request to Priya Raman (Tessellate Software)"
    bare = PRIYA.model_copy(update={"first_name": None, "last_name": None, "company": None})
    assert task_title(Channel.phone, bare) == "Call priya.raman@tessellate.example"
    assert all(task_title(c, PRIYA) for c in TASK_CHANNELS)


def test_expiry_in_days() -> None:
    now = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)
    assert task_expires_at(now, days=2, timezone="America/Chicago") == now + timedelta(days=2)


def test_zero_days_means_end_of_the_prospects_day() -> None:
    now = datetime(2027, 3, 3, 3, 0, tzinfo=UTC)  # 21:00 on 2 March in Chicago
    expires = task_expires_at(now, days=0, timezone="America/Chicago")
    assert expires == datetime(2027, 3, 3, 0, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert expires - now == timedelta(hours=3)


@pytest.mark.parametrize(
    "channel,given,expected",
    [
        (Channel.phone, "No answer", "no_answer"),
        (Channel.phone, "voicemail", "voicemail"),
        (Channel.linkedin_message, "not connected", "not_connected"),
        (Channel.linkedin_engage, "no-recent-post", "no_recent_post"),
        (Channel.sms, "sent", "sent"),
    ],
)
def test_outcome_normalised(channel: Channel, given: str, expected: str) -> None:
    assert check_outcome(channel, given) == expected


def test_outcome_must_fit_the_channel() -> None:
    with pytest.raises(InvalidInput) as info:
        check_outcome(Channel.phone, "sent")
    assert info.value.field == "outcome"
    assert "connected" in info.value.reason
    assert "connected" not in outcomes_for(Channel.manual_task)
