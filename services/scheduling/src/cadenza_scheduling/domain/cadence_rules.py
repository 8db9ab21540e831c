"""Translate a cadence definition into the timing domain's inputs (pure)."""

from __future__ import annotations

from datetime import date

from cadenza_shared.contracts.cadence import CadenceSpec, StepSpec

from cadenza_scheduling.domain.timing import CalendarRules, SendWindow, StepTiming


def rules_for(spec: CadenceSpec, *, timezone: str, country: str | None) -> CalendarRules:
    """The calendar one prospect's steps are placed in."""
    return CalendarRules(
        timezone=timezone,
        window=SendWindow.parse(list(spec.send_window.days), list(spec.send_window.hours)),
        skip_holidays=spec.skip_holidays and country is not None,
        country=country if spec.skip_holidays else None,
        blackout_dates=frozenset(date.fromisoformat(d) for d in spec.blackout_dates),
    )


def timing_for(step: StepSpec) -> StepTiming:
    """A step's timing rule."""
    return StepTiming(
        day=step.day, after_days=step.after_days, business_days=step.business_days, at=step.at,
        jitter_minutes=step.jitter_minutes,
    )
