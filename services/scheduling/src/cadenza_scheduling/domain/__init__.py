"""Pure domain rules of the scheduler (no I/O, no framework imports)."""

from cadenza_scheduling.domain.timing import (
    CalendarRules,
    DueTime,
    SendWindow,
    StepTiming,
    due_time,
    is_send_day,
    next_window_opening,
    plan,
    plan_anchor,
)

__all__ = [
    "CalendarRules",
    "DueTime",
    "SendWindow",
    "StepTiming",
    "due_time",
    "is_send_day",
    "next_window_opening",
    "plan",
    "plan_anchor",
]
