"""Rates shown by the metrics API, as pure functions of counts.

Kept deliberately simple, and the same everywhere:

Per step (denominator: the step's `sent`, i.e. emails accepted by the SMTP server or tasks completed)
- `reply_rate    = replies / sent`        human replies only (never bounces or auto-replies);
- `positive_rate = positive / sent`;
- `bounce_rate   = bounces_hard / sent`.

Per cadence (denominator: `enrolled`, the enrollments started)
- `reply_rate          = enrollments with at least one human reply / enrolled`;
- `positive_reply_rate = enrollments with at least one positive reply / enrolled`;
- `below_benchmark     = reply_rate < REPLY_RATE_BENCHMARK` (5%, the usual floor for cold outreach).

A rate with a zero denominator is `None` (no data), not 0, and so is `below_benchmark` then.
Rates are rounded to 4 decimals (0.0525 = 5.25%).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Cold outreach replying below this rate is flagged (`below_benchmark`).
REPLY_RATE_BENCHMARK = 0.05


def rate(numerator: int, denominator: int) -> float | None:
    """`numerator / denominator` rounded to 4 decimals; None when there is nothing to divide by."""
    if denominator <= 0:
        return None
    return round(numerator / denominator, 4)


def step_rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Reply, positive and hard-bounce rates of one step, over what it sent."""
    sent = counts.get("sent", 0)
    return {
        "reply_rate": rate(counts.get("replies", 0), sent),
        "positive_rate": rate(counts.get("positive", 0), sent),
        "bounce_rate": rate(counts.get("bounces_hard", 0), sent),
    }


def below_benchmark(reply_rate: float | None, benchmark: float = REPLY_RATE_BENCHMARK) -> bool | None:
    """True when a known reply rate is under the benchmark; None without data."""
    if reply_rate is None:
        return None
    return reply_rate < benchmark


def cadence_rates(
    *,
    enrolled: int,
    replied: int,
    replied_positive: int,
    benchmark: float = REPLY_RATE_BENCHMARK,
) -> dict[str, float | bool | None]:
    """Reply and positive-reply rates of a cadence over its enrollments, and the benchmark flag."""
    reply_rate = rate(replied, enrolled)
    return {
        "reply_rate": reply_rate,
        "positive_reply_rate": rate(replied_positive, enrolled),
        "below_benchmark": below_benchmark(reply_rate, benchmark),
        "benchmark": benchmark,
    }
