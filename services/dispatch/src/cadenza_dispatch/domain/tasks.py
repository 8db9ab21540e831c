"""Human tasks (calls, LinkedIn, SMS...): titles, expiry and the outcomes a rep may log, as pure functions."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cadenza_shared.contracts.cadence import Channel
from cadenza_shared.contracts.enrollment import Prospect
from cadenza_shared.errors import InvalidInput

_VERBS = {
    Channel.phone: "Call {who}",
    Channel.linkedin_connect: "Send a LinkedIn connection request to {who}",
    Channel.linkedin_message: "Send a LinkedIn message to {who}",
    Channel.linkedin_engage: "Engage on LinkedIn with {who}",
    Channel.sms: "Text {who}",
    Channel.video: "Record a video for {who}",
    Channel.direct_mail: "Send direct mail to {who}",
    Channel.manual_task: "Task for {who}",
}

CALL_OUTCOMES = frozenset({"connected", "voicemail", "no_answer", "wrong_number"})
SOCIAL_OUTCOMES = frozenset({"sent", "done", "not_connected", "no_recent_post"})
OTHER_OUTCOMES = frozenset({"sent", "done"})


def task_title(channel: Channel, prospect: Prospect) -> str:
    """E.g. "Call Priya Raman (Tessellate Software)"."""
    name = " ".join(p for p in (prospect.first_name, prospect.last_name) if p and p.strip()) or prospect.email
    who = f"{name} ({prospect.company})" if prospect.company else name
    return _VERBS.get(channel, "Task for {who}").format(who=who)


def task_expires_at(now: datetime, *, days: int, timezone: str) -> datetime:
    """`days` after now; 0 means the end of today in the prospect's zone (its next local midnight)."""
    if days > 0:
        return now + timedelta(days=days)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=zone)


def outcomes_for(channel: Channel) -> frozenset[str]:
    """The outcomes a task of this channel can be completed with."""
    if channel == Channel.phone:
        return CALL_OUTCOMES
    if channel in (Channel.linkedin_connect, Channel.linkedin_message, Channel.linkedin_engage):
        return SOCIAL_OUTCOMES
    return OTHER_OUTCOMES


def check_outcome(channel: Channel, outcome: str) -> str:
    """The normalised outcome ("No answer" -> "no_answer"), or InvalidInput listing the allowed ones."""
    normalised = re.sub(r"[\s-]+", "_", outcome.strip().lower())
    allowed = outcomes_for(channel)
    if normalised not in allowed:
        raise InvalidInput("outcome", f"{outcome!r} is not an outcome of a {channel.value} task; use one of {', '.join(sorted(allowed))}")
    return normalised
