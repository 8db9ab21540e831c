"""The enrollment state machine and the exit/pause rules, as pure functions.

States: `active` -> `paused` -> `active` ... -> `exited` (terminal). Every rule returns a
`Decision`; the service layer applies it and writes the events in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from cadenza_shared.contracts.enrollment import ExitReason
from cadenza_shared.errors import Conflict


class Status(StrEnum):
    active = "active"
    paused = "paused"
    exited = "exited"


#: Soft bounces tolerated before the address is treated as dead.
MAX_SOFT_BOUNCES = 3


@dataclass(frozen=True)
class Decision:
    """What a rule wants done to one enrollment."""

    action: str  # "exit" | "pause" | "resume" | "none"
    reason: str
    exit_reason: ExitReason | None = None
    pause_until: datetime | None = None
    suppress: bool = False
    handoff: bool = False
    account_rule_applies: bool = False
    follow_up_on: date | None = None
    notes: list[str] = field(default_factory=list)


NONE = Decision(action="none", reason="no change")


def check_transition(status: Status, action: str) -> None:
    """Refuse transitions the state machine does not have (409 at the API)."""
    allowed = {
        "pause": {Status.active},
        "resume": {Status.paused},
        "exit": {Status.active, Status.paused},
    }[action]
    if status not in allowed:
        raise Conflict(f"cannot {action} an enrollment that is {status.value}", field="status")


def can_send(status: Status) -> bool:
    """Only an active enrollment may be touched."""
    return status == Status.active


def local_start_of(day: date, timezone: str) -> datetime:
    """Midnight of `day` in the prospect's zone (a pause until a date ends as that day begins)."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone))


def decide_on_reply(
    *,
    label: str,
    status: Status,
    timezone: str,
    now: datetime,
    return_date: date | None = None,
    follow_up_date: date | None = None,
    soft_bounces: int = 0,
    default_pause_days: int = 7,
) -> Decision:
    """The exit/pause rule for one classified reply."""
    if status == Status.exited:
        return NONE
    if label == "positive":
        return Decision("exit", "positive reply", ExitReason.replied_positive, handoff=True, account_rule_applies=True)
    if label == "negative":
        return Decision("exit", "negative reply", ExitReason.replied_negative, follow_up_on=follow_up_date)
    if label == "unsubscribe":
        return Decision("exit", "unsubscribe request", ExitReason.unsubscribed, suppress=True)
    if label == "bounce_hard":
        return Decision("exit", "hard bounce", ExitReason.bounced, suppress=True)
    if label == "bounce_soft":
        if soft_bounces + 1 >= MAX_SOFT_BOUNCES:
            return Decision("exit", f"{soft_bounces + 1} soft bounces", ExitReason.bounced)
        return Decision("none", "soft bounce counted", notes=["soft_bounce"])
    if label == "wrong_person":
        return Decision("exit", "wrong person", ExitReason.wrong_person, handoff=True)
    if label == "referral":
        return Decision("exit", "referred to a colleague", ExitReason.wrong_person, handoff=True)
    if label == "out_of_office":
        day = return_date or (now.date() + timedelta(days=default_pause_days))
        until = local_start_of(day, timezone)
        if until <= now:
            return NONE
        return Decision("pause", f"out of office until {day.isoformat()}", pause_until=until)
    if label == "auto_reply":
        return NONE
    # a human wrote something we cannot act on automatically: stop touching, ask a human
    if status == Status.paused:
        return Decision("none", f"{label} reply while paused", handoff=True)
    return Decision("pause", f"{label} reply needs a human", handoff=True)


def decide_on_step_failure(*, reason_code: str, status: Status) -> Decision:
    """A send the receiving server refused for good (SMTP 5xx) is a hard bounce: exit and suppress."""
    if status != Status.exited and reason_code == "smtp_rejected":
        return Decision("exit", "the mail server rejected the address", ExitReason.bounced, suppress=True)
    return NONE


def decide_on_account_reply(*, rule: str) -> Decision:
    """What a positive reply from one contact does to the other contacts of the same account."""
    if rule == "exit_others":
        return Decision("exit", "a colleague replied positively", ExitReason.account_rule)
    if rule == "pause_others":
        return Decision("pause", "a colleague replied positively")
    return NONE
