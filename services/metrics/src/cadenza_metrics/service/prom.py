"""Business counters on the process registry (served by the shared `/metrics` endpoint).

Label values are bounded sets only - channel, reply label, exit reason, failure reason code,
open kind - never a tenant, cadence id or address. They are incremented after the event's
transaction commits (`after_commit`), so a retried or duplicate event is counted once.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession

from cadenza_shared.contracts.cadence import Channel
from cadenza_shared.contracts.classification import LABELS
from cadenza_shared.contracts.enrollment import ExitReason

STEPS_SENT = Counter("cadenza_steps_sent_total", "Steps performed (emails sent, tasks completed), by channel", ["channel"])
STEPS_FAILED = Counter(
    "cadenza_steps_failed_total",
    "Steps that failed, by channel and reason code (unknown codes: other)",
    ["channel", "reason_code"],
)
REPLIES = Counter("cadenza_replies_total", "Classified replies (first label of each reply), by label", ["label"])
EXITS = Counter("cadenza_enrollment_exits_total", "Enrollments that ended, by exit reason", ["reason"])
STARTED = Counter("cadenza_enrollments_started_total", "Enrollments started")
HANDOFFS = Counter("cadenza_handoffs_total", "Conversations handed off to a human")
OPENS = Counter("cadenza_opens_total", "Email opens, split into people and machines (proxies, scanners)", ["kind"])

# Every bounded series exists from the start (at 0), so rates work from the first event.
for _channel in Channel:
    STEPS_SENT.labels(_channel.value)
for _label in LABELS:
    REPLIES.labels(_label)
for _reason in ExitReason:
    EXITS.labels(_reason.value)
for _kind in ("human", "machine"):
    OPENS.labels(_kind)

_PENDING = "cadenza_metrics.after_commit"


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits; drop it if the transaction rolls back."""
    sync = session.sync_session
    pending: list[Callable[[], None]] | None = sync.info.get(_PENDING)
    if pending is None:
        pending = sync.info[_PENDING] = []

        def run(_session: object) -> None:
            actions = list(pending)
            pending.clear()
            for fn in actions:
                fn()

        def drop(_session: object) -> None:
            pending.clear()

        sa_event.listen(sync, "after_commit", run)
        sa_event.listen(sync, "after_rollback", drop)
    pending.append(action)
