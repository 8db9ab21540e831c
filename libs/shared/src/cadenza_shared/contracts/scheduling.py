"""Events the scheduling service publishes (`step.due`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from cadenza_shared import topics
from cadenza_shared.contracts.cadence import Channel
from cadenza_shared.envelope import Event, register


@register
class StepDue(Event):
    """A step's timer fired: dispatch should perform it now (if the enrollment is still active)."""

    TYPE: ClassVar[str] = "cadenza.StepDue"
    TOPIC: ClassVar[str] = topics.STEP_DUE

    enrollment_id: UUID
    cadence_id: UUID
    step_index: int
    step_id: str
    channel: Channel
    due_at: datetime
    fired_at: datetime
    timer_id: UUID


@register
class CadenceEnded(Event):
    """The quiet period after the last step passed without an exit: enrollment completes it."""

    TYPE: ClassVar[str] = "cadenza.CadenceEnded"
    TOPIC: ClassVar[str] = topics.STEP_DUE

    enrollment_id: UUID
    cadence_id: UUID
    steps_total: int
    due_at: datetime
    fired_at: datetime
