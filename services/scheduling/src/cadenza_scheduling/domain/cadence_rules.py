"""Translate a cadence definition into the timing domain's inputs, and plan with it (pure).

The service layer and the schedule API both call these functions, so the plan the API projects
for the remaining steps is computed exactly as the timers will be when each step comes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

import holidays

from cadenza_scheduling.domain.timing import (
    CalendarRules,
    DueTime,
    SendWindow,
    StepTiming,
    due_time,
    next_window_opening,
    plan_anchor,
)
from cadenza_shared.contracts.cadence import CadenceSpec, StepSpec
from cadenza_shared.timezones import normalize_country, region_code, region_from_fields


@dataclass(frozen=True)
class Planned:
    """One step (or the end of the cadence) with its due time."""

    kind: str  # step | end
    step_index: int
    step_id: str | None
    channel: str | None
    due: DueTime


def region_of(fields: Mapping[str, Any] | None) -> str | None:
    """The prospect's region from its extra fields (`cadenza_shared.timezones.region_from_fields`)."""
    return region_from_fields(fields)


@lru_cache(maxsize=4096)
def holiday_subdivision(country: str | None, region: str | None) -> str | None:
    """The `holidays` subdivision code of a region (``California`` -> ``CA``, ``Bayern`` -> ``BY``), else None."""
    cc = normalize_country(country)
    if cc is None or not region or not region.strip():
        return None
    try:
        calendar = holidays.country_holidays(cc)
    except NotImplementedError:
        return None
    known = set(calendar.subdivisions)
    code = region_code(cc, region)
    if code in known:
        return code
    aliases = {k.casefold(): v for k, v in getattr(calendar, "subdivisions_aliases", {}).items()}
    alias = aliases.get(region.strip().casefold())
    return alias if alias in known else None


def calendar_for(
    spec: CadenceSpec,
    *,
    timezone: str,
    country: str | None,
    subdivision: str | None = None,
    tenant_blackout: frozenset[date] = frozenset(),
) -> tuple[CalendarRules, tuple[str, ...]]:
    """The calendar one prospect's steps are placed in, and notes on what could not be applied.

    Blackout dates are the cadence's `blackout_dates` plus the tenant's own list. A country the
    `holidays` package does not know (or no country at all) means no public holidays are
    skipped; the note says so and is shown with every due time.
    """
    notes: list[str] = []
    window = SendWindow.parse(list(spec.send_window.days), list(spec.send_window.hours))
    blackout = frozenset(date.fromisoformat(d) for d in spec.blackout_dates) | frozenset(tenant_blackout)
    cc = normalize_country(country)
    skip = False
    sub = None
    if spec.skip_holidays:
        if cc is None:
            notes.append("holidays: the prospect has no country, so no public holidays are skipped")
        elif not _holidays_known(cc):
            notes.append(f"holidays: no public holiday calendar for country {cc}, so none are skipped")
        else:
            skip = True
            sub = subdivision if subdivision and _holidays_known(cc, subdivision) else None
    rules = CalendarRules(
        timezone=timezone,
        window=window,
        skip_holidays=skip,
        country=cc if skip else None,
        subdivision=sub,
        blackout_dates=blackout,
    )
    return rules, tuple(notes)


def rules_for(
    spec: CadenceSpec,
    *,
    timezone: str,
    country: str | None,
    subdivision: str | None = None,
    tenant_blackout: frozenset[date] = frozenset(),
) -> CalendarRules:
    """The calendar one prospect's steps are placed in (see :func:`calendar_for`)."""
    return calendar_for(spec, timezone=timezone, country=country, subdivision=subdivision, tenant_blackout=tenant_blackout)[0]


def timing_for(step: StepSpec) -> StepTiming:
    """A step's timing rule."""
    return StepTiming(
        day=step.day,
        after_days=step.after_days,
        business_days=step.business_days,
        at=step.at,
        jitter_minutes=step.jitter_minutes,
    )


def step_seed(enrollment_id: UUID | str, step: StepSpec) -> str:
    """Jitter seed: the enrollment and the step, so each step of one enrollment gets its own offset."""
    return f"{enrollment_id}:{step.id}"


def step_due(
    spec: CadenceSpec,
    rules: CalendarRules,
    *,
    step_index: int,
    enrollment_id: UUID | str,
    anchor: datetime,
    previous_at: datetime | None,
    now: datetime,
) -> DueTime:
    """When step `step_index` is due: day N counts from `anchor`, after_days from `previous_at`."""
    step = spec.steps[step_index]
    return due_time(
        timing=timing_for(step),
        rules=rules,
        enrolled_at=anchor,
        previous_at=previous_at,
        not_before=now,
        seed=step_seed(enrollment_id, step),
    )


def end_due(spec: CadenceSpec, rules: CalendarRules, *, previous_at: datetime | None, now: datetime) -> DueTime:
    """When the cadence ends: `exit_after_days` local days after the last step, at the next window opening."""
    days = spec.on_completion.exit_after_days
    base = previous_at or now
    local = base.astimezone(rules.zone)
    target = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=rules.zone, fold=0)
    opening = next_window_opening(max(now, target), rules)
    reason = f"end: {days} day(s) after the last step ({local:%Y-%m-%d %H:%M})"
    return DueTime(at=opening.at, local=opening.local, reasons=(reason, *opening.reasons))


def first_step_anchor(spec: CadenceSpec, rules: CalendarRules, *, due: DueTime, anchor: datetime) -> datetime:
    """Day 1 of the plan after step 0 was placed: moved as far as step 0 was pushed (late enrollment)."""
    return plan_anchor(first=timing_for(spec.steps[0]), first_due=due, rules=rules, enrolled_at=anchor)


def resume_shift(
    *, anchor: datetime, last_step_at: datetime | None, paused_at: datetime | None, resumed_at: datetime
) -> tuple[datetime, datetime | None]:
    """(anchor, previous step instant) to plan with after a pause.

    Day 1 moves by the whole pause, so a ``day: 7`` step after a three-day pause comes on day 10.
    The previous step moves by the part of the pause after it, so an ``after_days`` step keeps
    its spacing from the last step. Only one step is planned at resume: never a burst.
    """
    if paused_at is None or resumed_at <= paused_at:
        return anchor, last_step_at
    new_anchor = anchor + (resumed_at - paused_at)
    if last_step_at is None:
        return new_anchor, None
    return new_anchor, last_step_at + max(timedelta(0), resumed_at - max(paused_at, last_step_at))


def project(
    spec: CadenceSpec,
    rules: CalendarRules,
    *,
    enrollment_id: UUID | str,
    from_index: int,
    anchor: datetime,
    previous_at: datetime | None,
    now: datetime,
) -> list[Planned]:
    """The remaining steps from `from_index`, then the end, as if each is performed when due."""
    out: list[Planned] = []
    previous = previous_at
    for index in range(from_index, len(spec.steps)):
        step = spec.steps[index]
        due = step_due(spec, rules, step_index=index, enrollment_id=enrollment_id, anchor=anchor, previous_at=previous, now=now)
        if index == 0:
            anchor = first_step_anchor(spec, rules, due=due, anchor=anchor)
        out.append(Planned("step", index, step.id, step.channel.value, due))
        previous = due.at
    out.append(Planned("end", len(spec.steps), None, None, end_due(spec, rules, previous_at=previous, now=now)))
    return out


@lru_cache(maxsize=1024)
def _holidays_known(country: str, subdivision: str | None = None) -> bool:
    try:
        holidays.country_holidays(country, subdiv=subdivision, years=2000)
    except NotImplementedError:
        return False
    return True
