"""Pure timing rules of the Cadenza scheduler.

This module decides *when* a cadence step is due. It does no I/O and imports no
framework: only the standard library (``zoneinfo``, ``hashlib``) and the
``holidays`` package. Every function is deterministic for its inputs.

Vocabulary
==========

* **Local** means the wall clock of the prospect's IANA zone
  (:attr:`CalendarRules.timezone`). All dates ("day 3", "2 business days
  later", holidays, weekends) are *local calendar dates*; durations are never
  counted as 24-hour periods.
* A **send day** is a local date whose weekday is in ``window.days``, that is
  not in ``blackout_dates`` and, when ``skip_holidays`` is set, not a public
  holiday of ``country``/``subdivision`` (observed days included, as the
  ``holidays`` package reports them). See :func:`is_send_day`.
* The **send window** of a send day is the set of instants whose local
  wall-clock reading lies in one of ``window.ranges`` (each ``[start, end)``).
  An instant is **allowed** when it is inside the window of a send day.

DST and odd offsets
===================

* A wall-clock time that does not exist (spring forward, or a whole skipped
  day as in Pacific/Apia 2011) resolves to the first valid instant after the
  gap: ``02:30`` on 2027-03-14 in America/New_York becomes ``03:00`` EDT.
* A wall-clock time that occurs twice (fall back) is taken once, at its first
  occurrence (``fold=0``). The repeated stretch (``fold=1``) is never used:
  an instant that falls inside it (e.g. ``not_before`` = 01:30 EST on
  2027-11-07) moves to the end of the repeat (02:00 EST). This makes the
  mapping "allowed instant -> local wall clock" strictly increasing, so a
  window opens at most once per range per day.
* Fractional offsets (Asia/Kolkata +05:30, Asia/Kathmandu +05:45,
  Australia/Lord_Howe's 30-minute DST) need no special casing: everything is
  computed on local wall clocks and converted with ``zoneinfo``.

Step timing (:func:`due_time`)
==============================

Each call computes a *nominal date*, a *preferred time* and a *floor*:

* ``day=N``: nominal date = local date of ``enrolled_at`` + (N - 1) days.
* ``after_days=N``: reference = local date of ``previous_at`` (or of
  ``enrolled_at`` when there is no previous step). With ``business_days``
  the nominal date is the N-th send day *after* the reference date (local
  dates are counted, so a DST night counts as one day); otherwise it is the
  reference date + N calendar days. ``N = 0`` means the reference date itself,
  i.e. "the same day, as soon as allowed after the previous step".
* Preferred time = ``at`` or, when ``at`` is None, the first window opening.
  If ``at`` is outside the window it becomes the next opening after it on the
  same day (reason ``"window: 07:10 before 09:00 opening"``); if no range
  opens after it that day, the step goes to the first opening of the next
  send day (reason ``"window: 18:00 after 17:00 close, ..."``).
* Floor = max(``not_before``, ``enrolled_at``, ``previous_at``). The result
  is never earlier than the floor, so a later step is never before the
  previous one (several steps on the same day keep their order; equal
  instants are possible when both are "as soon as possible").

Placement: starting at the nominal date, take the first send day ``d``
(skipping weekends, blackouts and holidays, each recorded as a reason). The
candidate is the later of (``d`` at the preferred time) and the floor; the
result is the first allowed instant on ``d`` at or after the candidate. If
``d`` has no allowed instant left (the floor is after the close, e.g. a late
enrollment), the step moves to the next send day *at the preferred time*. If
the floor's local date is after the nominal date, placement starts on the
floor's date.

Late-day enrollment and the day-N spacing
=========================================

A day-1 step whose window already closed at enrollment goes to the next
window (next send day, preferred time). Later ``day=N`` steps keep their
spacing relative to the *first step's actual send date*: the whole plan
shifts by the number of days the first step was pushed past its nominal date.
Enrolled Friday 17:30 after a 17:00 close, "day 1" goes Monday and "day 3"
goes Wednesday (not Sunday->Monday). :func:`due_time` itself is anchored on
whatever ``enrolled_at`` it receives; the caller implements the shift by
passing, for every step after the first, the anchor returned by
:func:`plan_anchor` as ``enrolled_at``. :func:`plan` does exactly that for a
whole list of steps. Only the first step's shift propagates; a later step
moved by a holiday does not push the steps after it (except through the floor,
which keeps them in order).

Jitter
======

``jitter_minutes > 0`` adds an offset in ``[0, jitter_minutes * 60)``
seconds derived from SHA-256 of ``seed`` (stable across processes, unlike
``hash()``). Use an enrollment id (plus a step index if steps should differ).
The offset is applied after placement and never leaves the window range the
step was placed in: if ``placed + offset`` would reach the range's end (or
the start of a repeated fall-back hour inside it) it is **clamped** to one
second before that end. Clamping keeps the step on the same day instead of
pushing it to tomorrow.

Results
=======

:class:`DueTime` carries the UTC instant, the same instant in the prospect's
zone (always ``fold=0``), and the human-readable ``reasons`` for every rule
that moved it, in the order they applied.

Validation
==========

Exactly one of ``day``/``after_days``; ``day >= 1``; ``after_days >= 0``
(both at most :data:`MAX_DAYS`); ``jitter_minutes >= 0``; ``at`` must be a
naive time; datetimes must be timezone-aware; unknown time zones, countries
or subdivisions raise :class:`ValueError` naming the field
(``rules.timezone``, ``rules.country``, ``rules.subdivision``).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "MAX_DAYS",
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

#: Upper bound for ``day``/``after_days`` and for how far ahead a send day is
#: searched before giving up (about ten years).
MAX_DAYS = 3660

#: ``"24:00"`` as a range end is stored as :data:`datetime.time.max`.
END_OF_DAY = time.max

_DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {
    **{label.lower(): i for i, label in enumerate(_DAY_LABELS)},
    **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
}
_HOURS_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_SECOND = timedelta(seconds=1)
#: How many skipped days a business-days reason names before it says "..."
_LISTED_SKIPS = 5


# --------------------------------------------------------------------------- #
# Value objects
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class SendWindow:
    """Weekly send window, in the prospect's local wall-clock time.

    ``days``: weekday numbers, 0=Monday .. 6=Sunday (non-empty).
    ``ranges``: local ``[start, end)`` ranges, sorted, non-overlapping,
    ``start < end``; an end of ``time.max`` means "24:00" (end of day).
    """

    days: frozenset[int]
    ranges: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        if isinstance(self.days, (str, bytes)):
            raise TypeError("window.days: expected weekday numbers 0..6, got a string")
        days = frozenset(self.days)
        if not days:
            raise ValueError("window.days: at least one send day is required")
        for d in days:
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6:
                raise ValueError(f"window.days: {d!r} is not a weekday number 0..6")
        ranges = tuple(tuple(r) for r in self.ranges)
        if not ranges:
            raise ValueError("window.ranges: at least one range is required")
        prev_end: time | None = None
        for r in ranges:
            if len(r) != 2 or not all(isinstance(x, time) for x in r):
                raise ValueError(f"window.ranges: {r!r} is not a (start, end) pair of times")
            start, end = r
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"window.ranges: {_fmt_range(r)} must use naive local times")
            if not start < end:
                raise ValueError(f"window.ranges: {_fmt_range(r)} must start before it ends")
            if prev_end is not None and start < prev_end:
                raise ValueError(f"window.ranges: {_fmt_range(r)} is not sorted after / overlaps the previous range")
            prev_end = end
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "ranges", ranges)

    @classmethod
    def parse(cls, days: list[str], hours: list[str]) -> SendWindow:
        """Build a window from config strings.

        ``days`` like ``["mon", "tue"]`` (three-letter or full English names,
        case-insensitive); ``hours`` like ``["09:00-12:00", "13:30-17:00"]``
        (``24:00`` allowed as an end). Ranges are sorted; touching ranges are
        merged; overlapping ones are rejected. Raises :class:`ValueError`
        naming the offending item.
        """
        if isinstance(days, (str, bytes)):
            raise TypeError(f"window.days: expected a list of day names, got {days!r}")
        if isinstance(hours, (str, bytes)):
            raise TypeError(f"window.hours: expected a list of 'HH:MM-HH:MM', got {hours!r}")
        parsed_days: set[int] = set()
        for item in days:
            idx = _DAY_INDEX.get(item.strip().lower()) if isinstance(item, str) else None
            if idx is None:
                raise ValueError(f"window.days: unknown day {item!r} (expected mon..sun)")
            parsed_days.add(idx)
        if not parsed_days:
            raise ValueError("window.days: at least one send day is required")

        parsed: list[tuple[time, time, str]] = []
        for item in hours:
            m = _HOURS_RE.fullmatch(item) if isinstance(item, str) else None
            if m is None:
                raise ValueError(f"window.hours: {item!r} is not 'HH:MM-HH:MM'")
            start = _parse_hm(int(m[1]), int(m[2]), item, allow_24=False)
            end = _parse_hm(int(m[3]), int(m[4]), item, allow_24=True)
            if not start < end:
                raise ValueError(f"window.hours: {item!r} must start before it ends")
            parsed.append((start, end, item))
        if not parsed:
            raise ValueError("window.hours: at least one range is required")
        parsed.sort(key=lambda p: (p[0], p[1]))

        merged: list[list] = []
        for start, end, item in parsed:
            if merged and start < merged[-1][1]:
                raise ValueError(f"window.hours: {item!r} overlaps {merged[-1][2]!r}")
            if merged and start == merged[-1][1]:
                merged[-1][1] = end
            else:
                merged.append([start, end, item])
        return cls(
            days=frozenset(parsed_days),
            ranges=tuple((start, end) for start, end, _ in merged),
        )

    @property
    def opening(self) -> time:
        """First opening of the day."""
        return self.ranges[0][0]

    @property
    def close(self) -> time:
        """Last close of the day."""
        return self.ranges[-1][1]

    def range_index(self, t: time) -> int | None:
        """Index of the range containing local time ``t``, or None."""
        t = t.replace(tzinfo=None, fold=0)
        for i, (start, end) in enumerate(self.ranges):
            if start <= t < end:
                return i
        return None

    def contains(self, t: time) -> bool:
        """Whether local time ``t`` is inside one of the ranges."""
        return self.range_index(t) is not None

    def next_opening_after(self, t: time) -> time | None:
        """First range start strictly after ``t`` on the same day, or None."""
        t = t.replace(tzinfo=None, fold=0)
        for start, _ in self.ranges:
            if start > t:
                return start
        return None


@dataclass(frozen=True)
class StepTiming:
    """Timing rule of one cadence step (exactly one of ``day``/``after_days``).

    ``day``: "on day N of the cadence", day 1 = the anchor date (see module
    docs). ``after_days``: "N days after the previous step", counting send
    days when ``business_days`` else calendar days; 0 = same day, as soon as
    allowed. ``at``: preferred local time (None = window opening).
    ``jitter_minutes``: deterministic spread, see module docs.
    """

    day: int | None = None
    after_days: int | None = None
    business_days: bool = True
    at: time | None = None
    jitter_minutes: int = 0

    def __post_init__(self) -> None:
        _validate_timing(self)


@dataclass(frozen=True)
class CalendarRules:
    """Prospect calendar: zone, window, holidays and blackout dates.

    Validated on construction: ``timezone`` must be a known IANA name,
    ``country`` (ISO 3166-1 alpha-2, required when ``skip_holidays``) and
    ``subdivision`` must be known to the ``holidays`` package.
    """

    timezone: str
    window: SendWindow
    skip_holidays: bool = False
    country: str | None = None
    subdivision: str | None = None
    blackout_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.blackout_dates, (str, bytes)):
            raise TypeError("rules.blackout_dates: expected dates, got a string")
        object.__setattr__(self, "blackout_dates", frozenset(self.blackout_dates))
        _validate_rules(self)

    @property
    def zone(self) -> ZoneInfo:
        """The :class:`zoneinfo.ZoneInfo` for :attr:`timezone`."""
        return _zone(self.timezone)


@dataclass(frozen=True)
class DueTime:
    """When a step is due.

    ``at``: UTC, tz-aware. ``local``: the same instant in the prospect's zone
    (``fold=0`` always). ``reasons``: human-readable notes for every rule that
    moved the time, in the order applied.

    Compare and store instants via ``at``: by PEP 495, an aware datetime in
    the first occurrence of a repeated (fall-back) hour never compares equal
    to a datetime in another zone, so ``local == at`` can be False there.
    """

    at: datetime
    local: datetime
    reasons: tuple[str, ...]


# --------------------------------------------------------------------------- #
# Public functions
# --------------------------------------------------------------------------- #


def is_send_day(d: date, rules: CalendarRules) -> tuple[bool, str | None]:
    """Whether local date ``d`` is a send day; if not, the reason why.

    Checked in order: weekday in ``window.days`` (reason ``"weekend: Sat
    2027-03-13 skipped"``, or ``"non-send day: ..."`` for a weekday outside
    the window), ``blackout_dates`` (``"blackout: 2027-12-24 skipped"``), then
    holidays when ``skip_holidays`` (``"holiday: 2027-05-31 Memorial Day
    skipped"``).
    """
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"d must be a date, not {type(d).__name__}")
    wd = d.weekday()
    if wd not in rules.window.days:
        kind = "weekend" if wd >= 5 else "non-send day"
        return False, f"{kind}: {_DAY_LABELS[wd]} {d.isoformat()} skipped"
    if d in rules.blackout_dates:
        return False, f"blackout: {d.isoformat()} skipped"
    if rules.skip_holidays:
        name = _holiday_calendar(rules.country, rules.subdivision, d.year).get(d)
        if name:
            return False, f"holiday: {d.isoformat()} {name} skipped"
    return True, None


def next_window_opening(instant: datetime, rules: CalendarRules) -> DueTime:
    """The first allowed instant at or after ``instant`` (used to resume).

    Returns ``instant`` itself when it is already inside the window of a send
    day (and not in a repeated fall-back hour); otherwise the next opening,
    with the reasons it moved.
    """
    _validate_rules(rules)
    instant = _aware("instant", instant)
    reasons: list[str] = []
    t = _advance(instant, rules, reasons)
    assert t is not None
    return _due(t, rules, reasons)


def due_time(
    *,
    timing: StepTiming,
    rules: CalendarRules,
    enrolled_at: datetime,
    previous_at: datetime | None,
    not_before: datetime,
    seed: str = "",
) -> DueTime:
    """When a step with ``timing`` is due for one enrollment.

    ``enrolled_at`` anchors ``day=N`` steps (day 1 = its local date); for the
    steps after the first, pass :func:`plan_anchor`'s result so the plan
    shifts with a late first step. ``previous_at`` is the previous step's
    instant (reference for ``after_days``; None for the first step, in which
    case ``enrolled_at`` is the reference). ``not_before`` is typically "now".
    The result is never before ``not_before``, ``enrolled_at`` or
    ``previous_at`` and is always allowed (inside the window on a send day).
    ``seed`` drives the deterministic jitter. See the module docstring for
    the full rules.
    """
    _validate_timing(timing)
    _validate_rules(rules)
    enrolled_at = _aware("enrolled_at", enrolled_at)
    not_before = _aware("not_before", not_before)
    if previous_at is not None:
        previous_at = _aware("previous_at", previous_at)
    if not isinstance(seed, str):
        raise TypeError("seed must be a str")

    reasons: list[str] = []
    nominal = _nominal_date(timing, rules, enrolled_at, previous_at, reasons)
    floor = max(x for x in (not_before, enrolled_at, previous_at) if x is not None)
    placed = _place(nominal, timing.at, floor, rules, reasons)
    jittered = _apply_jitter(placed, timing.jitter_minutes, seed, rules, reasons)
    return _due(jittered, rules, reasons)


def plan_anchor(
    *,
    first: StepTiming,
    first_due: DueTime,
    rules: CalendarRules,
    enrolled_at: datetime,
) -> datetime:
    """The ``enrolled_at`` to pass for every step after the first.

    Day 1 of the plan moves by as many local days as the first step was
    pushed past its nominal date (late enrollment, weekend, holiday ...), so
    "day 3" stays two days after the first step's actual day. Returns
    ``enrolled_at`` unchanged when the first step was not pushed, else the
    start (local midnight, or the first instant after it) of the shifted day 1.
    """
    _validate_timing(first)
    _validate_rules(rules)
    enrolled_at = _aware("enrolled_at", enrolled_at)
    zone = rules.zone
    nominal = _nominal_date(first, rules, enrolled_at, None, [])
    shift = first_due.at.astimezone(zone).date() - nominal
    if shift <= timedelta(0):
        return enrolled_at
    anchor_day = enrolled_at.astimezone(zone).date() + shift
    return max(enrolled_at, _resolve(datetime.combine(anchor_day, time(0)), zone))


def plan(
    steps: Sequence[StepTiming],
    *,
    rules: CalendarRules,
    enrolled_at: datetime,
    not_before: datetime,
    seed: str = "",
) -> list[DueTime]:
    """Due times of a whole cadence, in order (reference implementation of
    the chaining rules): step 1 is anchored on ``enrolled_at``; later steps on
    :func:`plan_anchor`, each with ``previous_at`` = the previous due time.
    The result is non-decreasing. The same ``seed`` is used for every step.
    """
    out: list[DueTime] = []
    anchor = enrolled_at
    previous: datetime | None = None
    for i, step in enumerate(steps):
        due = due_time(
            timing=step,
            rules=rules,
            enrolled_at=anchor,
            previous_at=previous,
            not_before=not_before,
            seed=seed,
        )
        if i == 0:
            anchor = plan_anchor(first=step, first_due=due, rules=rules, enrolled_at=enrolled_at)
        previous = due.at
        out.append(due)
    return out


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _validate_timing(t: StepTiming) -> None:
    if not isinstance(t, StepTiming):
        raise TypeError("timing must be a StepTiming")
    if (t.day is None) == (t.after_days is None):
        raise ValueError("timing: exactly one of 'day' and 'after_days' must be set")
    if t.day is not None and (not _is_int(t.day) or not 1 <= t.day <= MAX_DAYS):
        raise ValueError(f"timing.day must be an integer in 1..{MAX_DAYS}, got {t.day!r}")
    if t.after_days is not None and (not _is_int(t.after_days) or not 0 <= t.after_days <= MAX_DAYS):
        raise ValueError(f"timing.after_days must be an integer in 0..{MAX_DAYS}, got {t.after_days!r}")
    if not isinstance(t.business_days, bool):
        raise TypeError(f"timing.business_days must be a bool, got {t.business_days!r}")
    if t.at is not None and (not isinstance(t.at, time) or t.at.tzinfo is not None):
        raise ValueError(f"timing.at must be a naive local time, got {t.at!r}")
    if not _is_int(t.jitter_minutes) or t.jitter_minutes < 0:
        raise ValueError(f"timing.jitter_minutes must be an integer >= 0, got {t.jitter_minutes!r}")


def _validate_rules(r: CalendarRules) -> None:
    if not isinstance(r, CalendarRules):
        raise TypeError("rules must be a CalendarRules")
    _zone(r.timezone)
    if not isinstance(r.window, SendWindow):
        raise TypeError("rules.window must be a SendWindow")
    if r.skip_holidays and not r.country:
        raise ValueError("rules.country is required when rules.skip_holidays is true")
    if r.country is not None:
        _holiday_calendar(r.country, r.subdivision, 2000)  # validates both fields
    elif r.subdivision is not None:
        raise ValueError("rules.subdivision given without rules.country")
    for d in r.blackout_dates:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"rules.blackout_dates: {d!r} is not a date")


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"rules.timezone: {name!r} is not an IANA time zone name")
    return _zone_cached(name)


@cache
def _zone_cached(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"rules.timezone: unknown IANA time zone {name!r}") from exc


@lru_cache(maxsize=1024)
def _holiday_calendar(country: str | None, subdivision: str | None, year: int) -> Mapping[date, str]:
    """Holidays of one (country, subdivision, year), as an immutable mapping."""
    if not isinstance(country, str) or not country.strip():
        raise ValueError(f"rules.country: {country!r} is not an ISO 3166-1 alpha-2 code")
    code = country.strip().upper()
    try:
        cal = holidays.country_holidays(code, subdiv=subdivision, years=year)
    except NotImplementedError as exc:
        try:
            holidays.country_holidays(code, years=year)
        except NotImplementedError:
            raise ValueError(f"rules.country: unknown country {country!r}") from exc
        raise ValueError(f"rules.subdivision: unknown subdivision {subdivision!r} of {country!r}") from exc
    return MappingProxyType({d: name for d, name in cal.items() if d.year == year})


def _aware(name: str, dt: datetime) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {dt.isoformat()})")
    return dt.astimezone(UTC)


# --------------------------------------------------------------------------- #
# Wall clock <-> instant
# --------------------------------------------------------------------------- #


def _wall(local: datetime) -> datetime:
    """Naive wall-clock reading of a local datetime."""
    return local.replace(tzinfo=None, fold=0)


def _offset(local: datetime) -> timedelta:
    off = local.utcoffset()
    assert off is not None
    return off


def _from_ts(ts: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, zone)


def _resolve(wall: datetime, zone: ZoneInfo) -> datetime:
    """First instant (UTC) whose first-occurrence wall reading is >= ``wall``.

    Existing times map to their first occurrence (fold=0); times in a gap map
    to the first instant after the gap.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first.astimezone(zone)) == wall:
        return first
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo_dt, hi_dt = sorted((first, second))
    lo = math.floor(lo_dt.timestamp())
    hi = math.ceil(hi_dt.timestamp())
    if _wall(_from_ts(hi, zone)) < wall:  # pragma: no cover - defensive
        hi += 2 * 86400
    # invariant: reading(lo) < wall <= reading(hi); transitions are on whole seconds
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(_from_ts(mid, zone)) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _end_of_repeat(t: datetime, zone: ZoneInfo) -> datetime:
    """First instant after ``t`` that is not a repeated (fold=1) wall time."""
    local = t.astimezone(zone)
    delta = _offset(local.replace(fold=0)) - _offset(local)
    lo = math.floor(t.timestamp())  # still fold=1: transitions are on whole seconds
    span = math.ceil(delta.total_seconds()) if delta > timedelta(0) else 86400
    hi = lo + span + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _from_ts(mid, zone).fold:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _resolve_noted(wall: datetime, zone: ZoneInfo, reasons: list[str]) -> datetime:
    t = _resolve(wall, zone)
    got = _wall(t.astimezone(zone))
    if got != wall:
        moved = _hm(got.time()) if got.date() == wall.date() else f"{got:%Y-%m-%d} {_hm(got.time())}"
        reasons.append(f"dst: {_hm(wall.time())} does not exist on {wall.date().isoformat()}, moved to {moved}")
    return t


# --------------------------------------------------------------------------- #
# Core search
# --------------------------------------------------------------------------- #


def _next_send_day(d: date, rules: CalendarRules, reasons: list[str]) -> date:
    """First send day on or after ``d``; skipped days are recorded."""
    start = d
    for _ in range(MAX_DAYS):
        ok, why = is_send_day(d, rules)
        if ok:
            return d
        reasons.append(why or f"{d.isoformat()} skipped")
        d += timedelta(days=1)
    raise ValueError(f"rules: no send day within {MAX_DAYS} days from {start.isoformat()}")


def _advance(t: datetime, rules: CalendarRules, reasons: list[str], last_date: date | None = None) -> datetime | None:
    """First allowed instant at or after ``t``.

    With ``last_date``, returns None instead of going past that local date.
    """
    zone = rules.zone
    window = rules.window
    t = t.astimezone(UTC)
    for _ in range(MAX_DAYS * (len(window.ranges) + 3)):
        local = t.astimezone(zone)
        if local.fold:
            nt = _end_of_repeat(t, zone)
            reasons.append(
                f"dst: {_hm(local.time())} on {local.date().isoformat()} is the repeated "
                f"hour (second occurrence not used), moved to {_hm(nt.astimezone(zone).time())}"
            )
            t = nt
            continue
        d = local.date()
        if last_date is not None and d > last_date:
            return None
        ok, why = is_send_day(d, rules)
        if ok:
            tw = local.time()
            if window.contains(tw):
                return t
            nxt = window.next_opening_after(tw)
            if nxt is not None:
                reasons.append(_outside_reason(tw, nxt, window))
                t = _resolve_noted(datetime.combine(d, nxt), zone, reasons)
                continue
            reasons.append(f"window: {_hm(tw)} after {_hm(window.close)} close")
        else:
            reasons.append(why or f"{d.isoformat()} skipped")
        if last_date is not None and d >= last_date:
            return None
        nd = _next_send_day(d + timedelta(days=1), rules, reasons)
        t = _resolve_noted(datetime.combine(nd, window.opening), zone, reasons)
    raise ValueError("rules: no allowed send instant found")  # pragma: no cover


def _outside_reason(tw: time, nxt: time, window: SendWindow) -> str:
    if tw < window.opening:
        return f"window: {_hm(tw)} before {_hm(nxt)} opening"
    return f"window: {_hm(tw)} between ranges, moved to {_hm(nxt)} opening"


def _nominal_date(
    timing: StepTiming,
    rules: CalendarRules,
    enrolled_at: datetime,
    previous_at: datetime | None,
    reasons: list[str],
) -> date:
    """The local date the rule names before any moving."""
    zone = rules.zone
    if timing.day is not None:
        return enrolled_at.astimezone(zone).date() + timedelta(days=timing.day - 1)
    ref = previous_at if previous_at is not None else enrolled_at
    ref_date = ref.astimezone(zone).date()
    n = timing.after_days
    assert n is not None
    if n == 0 or not timing.business_days:
        return ref_date + timedelta(days=n)
    d, counted, skipped = ref_date, 0, 0
    why: list[str] = []
    while counted < n:
        d += timedelta(days=1)
        ok, reason = is_send_day(d, rules)
        if ok:
            counted += 1
        else:
            skipped += 1
            if len(why) < _LISTED_SKIPS:
                why.append((reason or d.isoformat()).removesuffix(" skipped"))
            if skipped > MAX_DAYS:
                raise ValueError(f"rules: no send day within {MAX_DAYS} days")
    if skipped:
        listed = "; ".join(why) + ("; ..." if skipped > len(why) else "")
        reasons.append(
            f"business days: {n} send day(s) after {ref_date.isoformat()} is "
            f"{_DAY_LABELS[d.weekday()]} {d.isoformat()} ({skipped} non-send day(s) not counted: {listed})"
        )
    return d


def _place(nominal: date, at: time | None, floor: datetime, rules: CalendarRules, reasons: list[str]) -> datetime:
    """First allowed instant on the first send day >= ``nominal`` at/after the
    preferred time and the floor; rolls to the next send day (at the preferred
    time) when that day's window has nothing left."""
    zone = rules.zone
    window = rules.window
    day_lb = nominal
    if at is None:
        pref = window.opening
    elif window.contains(at):
        pref = at.replace(fold=0)
    else:
        nxt = window.next_opening_after(at)
        if nxt is not None:
            reasons.append(_outside_reason(at, nxt, window))
            pref = nxt
        else:
            reasons.append(f"window: {_hm(at)} after {_hm(window.close)} close, moved to next send day opening")
            pref = window.opening
            day_lb += timedelta(days=1)

    floor_local = floor.astimezone(zone)
    if floor_local.date() > day_lb:
        reasons.append(f"not_before: {floor_local:%Y-%m-%d} {_hm(floor_local.time())} is after {day_lb.isoformat()}")
        day_lb = floor_local.date()

    for _ in range(MAX_DAYS):
        d = _next_send_day(day_lb, rules, reasons)
        trial: list[str] = []
        base = _resolve_noted(datetime.combine(d, pref), zone, trial)
        cand = base
        if floor > base:
            trial.append(f"not_before: {_hm(floor_local.time())} is later than the preferred {_hm(pref)}")
            cand = floor
        t = _advance(cand, rules, trial, last_date=d)
        reasons.extend(trial)
        if t is not None:
            return t
        day_lb = d + timedelta(days=1)
    raise ValueError(f"rules: no send instant within {MAX_DAYS} days")  # pragma: no cover


def _jitter_offset(seed: str, minutes: int) -> timedelta:
    """Deterministic offset in [0, minutes*60) seconds from SHA-256(seed)."""
    if minutes <= 0:
        return timedelta(0)
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (minutes * 60))


def _run_end(t: datetime, rules: CalendarRules) -> datetime:
    """End (exclusive) of the uninterrupted allowed stretch containing ``t``."""
    zone = rules.zone
    local = t.astimezone(zone)
    idx = rules.window.range_index(local.time())
    assert idx is not None
    end = _resolve(datetime.combine(local.date(), rules.window.ranges[idx][1]), zone)
    offset = _offset(local)
    if _offset(end.astimezone(zone)) < offset:
        # Clocks go back inside the range: the repeated stretch is not used.
        lo, hi = math.floor(t.timestamp()), math.ceil(end.timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _from_ts(mid, zone).utcoffset() == offset:
                lo = mid
            else:
                hi = mid
        end = min(end, datetime.fromtimestamp(hi, UTC))
    return end


def _apply_jitter(t: datetime, minutes: int, seed: str, rules: CalendarRules, reasons: list[str]) -> datetime:
    offset = _jitter_offset(seed, minutes)
    if not offset:
        return t
    end = _run_end(t, rules)
    cand = t + offset
    if cand < end:
        reasons.append(f"jitter: +{_dur(offset)}")
        return cand
    clamped = max(t, end - _SECOND)
    end_local = _wall(end.astimezone(rules.zone)).time()
    reasons.append(f"jitter: +{_dur(offset)} clamped to {_dur(clamped - t)} (window range ends at {_hm(end_local)})")
    return clamped


def _due(t: datetime, rules: CalendarRules, reasons: list[str]) -> DueTime:
    at = t.astimezone(UTC)
    return DueTime(at=at, local=at.astimezone(rules.zone), reasons=tuple(reasons))


# --------------------------------------------------------------------------- #
# Formatting
# --------------------------------------------------------------------------- #


def _parse_hm(h: int, m: int, item: str, *, allow_24: bool) -> time:
    if allow_24 and h == 24 and m == 0:
        return END_OF_DAY
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"window.hours: {item!r} has an invalid time")
    return time(h, m)


def _hm(t: time) -> str:
    if t == END_OF_DAY:
        return "24:00"
    if t.second or t.microsecond:
        return t.strftime("%H:%M:%S")
    return t.strftime("%H:%M")


def _fmt_range(r: tuple[time, time]) -> str:
    return f"{_hm(r[0])}-{_hm(r[1])}"


def _dur(d: timedelta) -> str:
    total = int(d.total_seconds())
    minutes, seconds = divmod(total, 60)
    return f"{minutes}m{seconds:02d}s"
