"""Which counters an event moves (pure): metric names, reply labels, failure reasons, engagements.

Counters live in the `step_counters` and `cadence_counters` tables under these names; the
Prometheus counters use the same mappings but only with bounded label values.
"""

from __future__ import annotations

import hashlib
import re

from cadenza_metrics.domain.opens import classify_open
from cadenza_shared.contracts.classification import LABELS, MACHINE_LABELS
from cadenza_shared.contracts.enrollment import ExitReason

#: Every per-step counter the API shows (missing ones are 0), in display order.
STEP_METRICS: tuple[str, ...] = (
    "due",
    "sent",
    "failed",
    "replies",
    "positive",
    "negative",
    "unsubscribes",
    "referrals",
    "wrong_person",
    "questions",
    "out_of_office",
    "auto_replies",
    "bounces_hard",
    "bounces_soft",
    "opens_human",
    "opens_machine",
    "clicks",
    "linkedin_accepted",
    "linkedin_replied",
    "call_connected",
    "visits",
)

#: The counter a reply label moves besides `replies` (human labels) - `unknown` only moves `replies`.
LABEL_METRIC: dict[str, str | None] = {
    "positive": "positive",
    "negative": "negative",
    "unsubscribe": "unsubscribes",
    "referral": "referrals",
    "wrong_person": "wrong_person",
    "question": "questions",
    "unknown": None,
    "out_of_office": "out_of_office",
    "auto_reply": "auto_replies",
    "bounce_hard": "bounces_hard",
    "bounce_soft": "bounces_soft",
}

#: Failure reason codes dispatch sends (cadenza_dispatch); anything else is `other` on Prometheus (bounded labels).
FAILURE_REASONS = frozenset(
    {
        "smtp_rejected",  # the SMTP server refused the message (5xx)
        "delivery_outcome_unknown",  # the connection broke after the message was handed over
        "template_error",  # the template did not render (syntax, sandbox)
        "missing_field",  # the prospect lacks a field the template or channel needs
        "no_thread",  # a reply-in-thread step with no earlier email to reply to
        "task_expired",  # nobody completed the human task in time
        "task_skipped",  # a user skipped the task
        "task_cancelled",  # the task was cancelled (the enrollment paused or exited)
        "gave_up",  # dispatch gave the step up after repeated transient failures
        "other",
    }
)

_CODE = re.compile(r"^[a-z0-9_.-]{1,64}$")


def is_human_reply(label: str) -> bool:
    """A reply written by a person: every label but bounces, auto-replies and out-of-office."""
    return label not in MACHINE_LABELS


def reply_metrics(label: str) -> tuple[str, ...]:
    """Step counters a reply with this label moves: `replies` (human only) plus its own counter."""
    metrics: list[str] = ["replies"] if is_human_reply(label) else []
    own = LABEL_METRIC.get(label)
    if own:
        metrics.append(own)
    return tuple(metrics)


def reply_label(label: str) -> str:
    """The label as a bounded Prometheus label value (unknown labels become `unknown`)."""
    return label if label in LABELS else "unknown"


def failure_reason_label(reason_code: str) -> str:
    """The reason code as a bounded Prometheus label value (codes outside FAILURE_REASONS become `other`)."""
    code = (reason_code or "").strip().lower()
    return code if code in FAILURE_REASONS else "other"


def failure_metric(reason_code: str) -> str:
    """The per-step counter of one failure reason (`failed:<code>`; unreadable codes become `other`)."""
    code = (reason_code or "").strip().lower()
    return f"failed:{code if _CODE.match(code) else 'other'}"


def exit_metric(reason: ExitReason | str) -> str:
    """The per-cadence counter of one exit reason."""
    return f"exit:{ExitReason(reason).value}"


def engagement_metric(kind: str, user_agent: str | None) -> str:
    """The step counter an engagement moves: opens split human/machine, the rest by kind."""
    if kind == "open":
        return f"opens_{classify_open(user_agent)}"
    if kind == "click":
        return "clicks"
    if kind == "visit":
        return "visits"
    return kind


def prospect_key(email: str) -> str:
    """A stable, non-reversible key of a prospect's address (metrics stores no email addresses)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
