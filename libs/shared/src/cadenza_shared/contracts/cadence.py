"""The cadence definition: what sales ops write in YAML/JSON, validated strictly.

Published on the compacted `cadence.definitions` topic so scheduling (timing) and dispatch
(templates) keep their own copy of every version.
"""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cadenza_shared import topics
from cadenza_shared.envelope import Event, register


class Channel(StrEnum):
    """How a step reaches the prospect."""

    email = "email"
    linkedin_connect = "linkedin_connect"
    linkedin_message = "linkedin_message"
    linkedin_engage = "linkedin_engage"
    phone = "phone"
    sms = "sms"
    video = "video"
    direct_mail = "direct_mail"
    manual_task = "manual_task"


#: Channels a human performs: dispatch turns them into tasks.
TASK_CHANNELS = frozenset(
    {
        Channel.linkedin_connect,
        Channel.linkedin_message,
        Channel.linkedin_engage,
        Channel.phone,
        Channel.sms,
        Channel.video,
        Channel.direct_mail,
        Channel.manual_task,
    }
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class Strict(BaseModel):
    """Definitions reject unknown keys so a typo never silently changes a cadence."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=50_000)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _business_week() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class SendWindowSpec(Strict):
    days: list[Weekday] = Field(default_factory=_business_week, min_length=1)
    hours: list[str] = Field(default_factory=lambda: ["09:00-17:00"], min_length=1)

    @field_validator("hours")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        spans = []
        for item in value:
            m = _HOURS.match(item)
            if not m:
                raise ValueError(f"{item!r} is not a HH:MM-HH:MM range")
            start = int(m[1]) * 60 + int(m[2])
            end = int(m[3]) * 60 + int(m[4])
            if end <= start or end > 24 * 60:
                raise ValueError(f"{item!r} must end after it starts, within the day")
            spans.append((start, end))
        spans.sort()
        for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                raise ValueError("ranges overlap")
        return value


class Variant(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    subject: str | None = None
    body: str = Field(min_length=1)


class StepSpec(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
    channel: Channel
    day: int | None = Field(default=None, ge=1, le=365)
    after_days: int | None = Field(default=None, ge=0, le=365)
    business_days: bool = True
    at: time | None = None
    jitter_minutes: int = Field(default=0, ge=0, le=240)
    subject: str | None = None
    body: str | None = None
    variants: list[Variant] | None = None
    reply_in_thread: bool = False
    instructions: str | None = None
    task_expires_after_days: int = Field(default=2, ge=0, le=30)

    @model_validator(mode="after")
    def _consistent(self) -> StepSpec:
        if (self.day is None) == (self.after_days is None):
            raise ValueError("give exactly one of 'day' (day N of the cadence) or 'after_days'")
        if self.channel == Channel.email:
            if self.variants:
                if self.body or self.subject:
                    raise ValueError("an email step has either variants or subject/body, not both")
                for v in self.variants:
                    if not v.subject and not self.reply_in_thread:
                        raise ValueError(f"variant {v.id}: subject is required unless reply_in_thread")
                if len({v.id for v in self.variants}) != len(self.variants):
                    raise ValueError("variant ids must be unique")
            else:
                if not self.body:
                    raise ValueError("an email step needs a body")
                if not self.subject and not self.reply_in_thread:
                    raise ValueError("an email step needs a subject unless reply_in_thread is true")
        elif self.variants or self.subject:
            raise ValueError(f"subject/variants only apply to email steps, not {self.channel.value}")
        return self


class CompletionSpec(Strict):
    exit_after_days: int = Field(default=3, ge=0, le=90)
    then: Literal["enroll", "remove"] = "remove"
    cadence: str | None = None

    @model_validator(mode="after")
    def _target(self) -> CompletionSpec:
        if self.then == "enroll" and not self.cadence:
            raise ValueError("then=enroll needs 'cadence' (the key of the nurture cadence)")
        return self


class CadenceSpec(Strict):
    """A cadence as written by sales ops."""

    key: str
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5_000)
    default_timezone: str = "America/New_York"
    send_window: SendWindowSpec = Field(default_factory=SendWindowSpec)
    skip_holidays: bool = False
    blackout_dates: list[str] = Field(default_factory=list, max_length=1_000)
    on_completion: CompletionSpec = Field(default_factory=CompletionSpec)
    account_rule: Literal["pause_others", "exit_others", "none"] = "none"
    steps: list[StepSpec] = Field(min_length=1, max_length=100)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("must be lower-case letters, digits and dashes")
        return value

    @field_validator("blackout_dates")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                date.fromisoformat(item)
            except ValueError:
                raise ValueError(f"{item!r} is not a date (YYYY-MM-DD)") from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone name") from None
        return value

    @model_validator(mode="after")
    def _steps(self) -> CadenceSpec:
        ids = [s.id for s in self.steps]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"step ids must be unique: {', '.join(dupes)}")
        if self.steps[0].after_days is not None:
            raise ValueError("the first step must use 'day' (there is no previous step)")
        last_day = 0
        for step in self.steps:
            if step.day is not None:
                if step.day < last_day:
                    raise ValueError(f"step {step.id}: day {step.day} comes before an earlier step's day {last_day}")
                last_day = step.day
        first_email = next((s for s in self.steps if s.channel == Channel.email), None)
        if first_email is not None and first_email.reply_in_thread:
            raise ValueError(f"step {first_email.id}: the first email has no thread to reply in")
        return self


@register
class CadencePublished(Event):
    """A cadence version was created; the latest per key on a compacted topic."""

    TYPE: ClassVar[str] = "cadenza.CadencePublished"
    TOPIC: ClassVar[str] = topics.CADENCE_DEFINITIONS

    cadence_id: UUID
    key: str
    version: int
    definition: CadenceSpec

    def aggregate_id(self) -> str:
        return str(self.cadence_id)
