"""Behaviour of the scheduler's pure timing rules (cadenza_scheduling.domain.timing)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

pytestmark = pytest.mark.filterwarnings("ignore:Requested Holidays are available only:UserWarning")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
ALL_DAYS = WEEKDAYS + ["sat", "sun"]
OFFICE = SendWindow.parse(WEEKDAYS, ["09:00-17:00"])
SPLIT = SendWindow.parse(WEEKDAYS, ["09:00-12:00", "13:30-17:00"])
EVERY_NIGHT = SendWindow.parse(ALL_DAYS, ["01:00-06:00"])


def rules(tz: str, window: SendWindow = OFFICE, **kw) -> CalendarRules:
    return CalendarRules(timezone=tz, window=window, **kw)


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


def first_step(step: StepTiming, r: CalendarRules, enrolled: datetime, **kw) -> DueTime:
    kw.setdefault("not_before", enrolled)
    kw.setdefault("previous_at", None)
    return due_time(timing=step, rules=r, enrolled_at=enrolled, **kw)


def wall(d: DueTime) -> tuple:
    """(local wall clock 'YYYY-MM-DD HH:MM', UTC offset) of a due time."""
    return d.local.strftime("%Y-%m-%d %H:%M"), d.local.utcoffset()


def has_reason(d: DueTime, fragment: str) -> bool:
    return any(fragment in r for r in d.reasons)


# --------------------------------------------------------------------------- #
# Table tests: named cases
# --------------------------------------------------------------------------- #

H = timedelta(hours=1)

CASES = [
    pytest.param(
        "America/New_York",
        OFFICE,
        {},
        StepTiming(day=1),
        (2027, 3, 6, 10, 0),
        "2027-03-08 09:00",
        -5 * H,
        ["weekend: Sat 2027-03-06 skipped", "weekend: Sun 2027-03-07 skipped"],
        id="test_day_step_on_saturday__moves_to_monday_window_opening",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {"skip_holidays": True, "country": "US"},
        StepTiming(day=1),
        (2027, 5, 31, 8, 0),
        "2027-06-01 09:00",
        -4 * H,
        ["holiday: 2027-05-31 Memorial Day skipped"],
        id="test_us_memorial_day_with_skip__moves_to_tuesday",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {"skip_holidays": False, "country": "US"},
        StepTiming(day=1),
        (2027, 5, 31, 8, 0),
        "2027-05-31 09:00",
        -4 * H,
        [],
        id="test_us_memorial_day_without_skip__sends_on_the_holiday",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {"skip_holidays": True, "country": "US"},
        StepTiming(day=1),
        (2027, 7, 2, 18, 0),
        "2027-07-06 09:00",
        -4 * H,
        ["holiday: 2027-07-05 Independence Day (observed) skipped"],
        id="test_observed_us_holiday_after_late_friday__skips_weekend_and_observed_monday",
    ),
    pytest.param(
        "Europe/London",
        OFFICE,
        {"skip_holidays": True, "country": "GB"},
        StepTiming(day=1),
        (2027, 5, 3, 8, 0),
        "2027-05-04 09:00",
        1 * H,
        ["holiday: 2027-05-03 May Day skipped"],
        id="test_uk_bank_holiday_with_skip__moves_to_tuesday",
    ),
    pytest.param(
        "Europe/London",
        OFFICE,
        {"skip_holidays": False, "country": "GB"},
        StepTiming(day=1),
        (2027, 5, 3, 8, 0),
        "2027-05-03 09:00",
        1 * H,
        [],
        id="test_uk_bank_holiday_without_skip__sends_on_the_bank_holiday",
    ),
    pytest.param(
        "Europe/London",
        OFFICE,
        {"skip_holidays": True, "country": "GB", "subdivision": "SCT"},
        StepTiming(day=1),
        (2027, 8, 2, 8, 0),
        "2027-08-03 09:00",
        1 * H,
        ["holiday: 2027-08-02 Summer Bank Holiday skipped"],
        id="test_scottish_summer_bank_holiday__skipped_only_with_scottish_subdivision",
    ),
    pytest.param(
        "America/New_York",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(2, 30)),
        (2027, 3, 14, 0, 0),
        "2027-03-14 03:00",
        -4 * H,
        ["dst: 02:30 does not exist on 2027-03-14, moved to 03:00"],
        id="test_new_york_spring_forward__nonexistent_0230_moves_to_0300_edt",
    ),
    pytest.param(
        "America/New_York",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(1, 30)),
        (2027, 11, 7, 0, 0),
        "2027-11-07 01:30",
        -4 * H,
        [],
        id="test_new_york_fall_back__ambiguous_0130_takes_first_occurrence_edt",
    ),
    pytest.param(
        "America/New_York",
        SendWindow.parse(ALL_DAYS, ["02:00-04:00"]),
        {},
        StepTiming(day=1),
        (2027, 3, 14, 0, 0),
        "2027-03-14 03:00",
        -4 * H,
        ["dst: 02:00 does not exist on 2027-03-14, moved to 03:00"],
        id="test_window_opening_inside_spring_gap__opens_at_end_of_gap",
    ),
    pytest.param(
        "Europe/London",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(1, 30)),
        (2027, 3, 28, 0, 0),
        "2027-03-28 02:00",
        1 * H,
        ["dst: 01:30 does not exist on 2027-03-28, moved to 02:00"],
        id="test_london_spring_forward__nonexistent_0130_moves_to_0200_bst",
    ),
    pytest.param(
        "Europe/London",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(1, 30)),
        (2027, 10, 31, 0, 0),
        "2027-10-31 01:30",
        1 * H,
        [],
        id="test_london_fall_back__ambiguous_0130_takes_first_occurrence_bst",
    ),
    pytest.param(
        "Australia/Sydney",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(2, 30)),
        (2027, 4, 4, 0, 0),
        "2027-04-04 02:30",
        11 * H,
        [],
        id="test_sydney_dst_end__ambiguous_0230_takes_first_occurrence_aedt",
    ),
    pytest.param(
        "Australia/Sydney",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(2, 30)),
        (2027, 10, 3, 0, 0),
        "2027-10-03 03:00",
        11 * H,
        ["dst: 02:30 does not exist on 2027-10-03, moved to 03:00"],
        id="test_sydney_dst_start__nonexistent_0230_moves_to_0300_aedt",
    ),
    pytest.param(
        "Australia/Adelaide",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(2, 30)),
        (2027, 10, 3, 0, 0),
        "2027-10-03 03:00",
        timedelta(hours=10, minutes=30),
        ["dst: 02:30 does not exist on 2027-10-03, moved to 03:00"],
        id="test_adelaide_half_hour_zone_dst_start__nonexistent_0230_moves_to_0300_acdt",
    ),
    pytest.param(
        "Australia/Adelaide",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(2, 30)),
        (2027, 4, 4, 0, 0),
        "2027-04-04 02:30",
        timedelta(hours=10, minutes=30),
        [],
        id="test_adelaide_half_hour_zone_dst_end__ambiguous_0230_takes_first_occurrence_acdt",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(2, 15)),
        (2027, 10, 3, 0, 0),
        "2027-10-03 02:30",
        timedelta(hours=11),
        ["dst: 02:15 does not exist on 2027-10-03, moved to 02:30"],
        id="test_lord_howe_30_minute_dst_start__nonexistent_0215_moves_to_0230",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        EVERY_NIGHT,
        {},
        StepTiming(day=1, at=time(1, 45)),
        (2027, 4, 4, 0, 0),
        "2027-04-04 01:45",
        timedelta(hours=11),
        [],
        id="test_lord_howe_30_minute_dst_end__ambiguous_0145_takes_first_occurrence",
    ),
    pytest.param(
        "Asia/Kolkata",
        OFFICE,
        {},
        StepTiming(day=1),
        (2027, 3, 15, 8, 30),
        "2027-03-15 09:00",
        timedelta(hours=5, minutes=30),
        [],
        id="test_kolkata_half_hour_offset__opens_at_local_0900",
    ),
    pytest.param(
        "Asia/Kathmandu",
        OFFICE,
        {},
        StepTiming(day=1),
        (2027, 3, 15, 8, 30),
        "2027-03-15 09:00",
        timedelta(hours=5, minutes=45),
        [],
        id="test_kathmandu_quarter_hour_offset__opens_at_local_0900",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {},
        StepTiming(day=1),
        (2027, 3, 12, 17, 30),
        "2027-03-15 09:00",
        -4 * H,
        ["window: 17:30 after 17:00 close", "weekend: Sat 2027-03-13 skipped"],
        id="test_late_friday_enrollment_day_1__goes_to_next_window_on_monday",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {},
        StepTiming(day=1, at=time(10)),
        (2027, 3, 12, 17, 30),
        "2027-03-15 10:00",
        -4 * H,
        [],
        id="test_late_enrollment_with_preferred_time__keeps_preferred_time_on_next_send_day",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {},
        StepTiming(day=1),
        (2027, 3, 16, 11, 17),
        "2027-03-16 11:17",
        -4 * H,
        ["not_before"],
        id="test_enrollment_inside_window__day_1_is_immediate",
    ),
    pytest.param(
        "America/New_York",
        SPLIT,
        {},
        StepTiming(day=1, at=time(7, 10)),
        (2027, 3, 16, 6, 0),
        "2027-03-16 09:00",
        -4 * H,
        ["window: 07:10 before 09:00 opening"],
        id="test_preferred_time_before_window__uses_opening_and_records_reason",
    ),
    pytest.param(
        "America/New_York",
        SPLIT,
        {},
        StepTiming(day=1, at=time(12, 30)),
        (2027, 3, 16, 6, 0),
        "2027-03-16 13:30",
        -4 * H,
        ["window: 12:30 between ranges, moved to 13:30 opening"],
        id="test_preferred_time_in_lunch_gap__uses_next_range_opening",
    ),
    pytest.param(
        "America/New_York",
        SPLIT,
        {},
        StepTiming(day=1, at=time(18, 0)),
        (2027, 3, 16, 6, 0),
        "2027-03-17 09:00",
        -4 * H,
        ["window: 18:00 after 17:00 close, moved to next send day opening"],
        id="test_preferred_time_after_close__uses_next_send_day_opening",
    ),
    pytest.param(
        "America/New_York",
        OFFICE,
        {"blackout_dates": frozenset({date(2027, 12, 24)})},
        StepTiming(day=1),
        (2027, 12, 24, 8, 0),
        "2027-12-27 09:00",
        -5 * H,
        ["blackout: 2027-12-24 skipped"],
        id="test_blackout_date__is_skipped_like_a_holiday",
    ),
    pytest.param(
        "Asia/Kolkata",
        OFFICE,
        {},
        StepTiming(day=2),
        (2027, 3, 16, 1, 30),
        "2027-03-17 09:00",
        timedelta(hours=5, minutes=30),
        [],
        id="test_day_n_counts_local_dates__utc_monday_evening_is_local_tuesday",
    ),
]


@pytest.mark.parametrize("tz,window,extra,step,enrolled,expected,offset,reasons", CASES)
def test_named_case(tz, window, extra, step, enrolled, expected, offset, reasons):
    r = rules(tz, window, **extra)
    due = first_step(step, r, local(tz, *enrolled))
    assert wall(due) == (expected, offset)
    assert due.at.tzinfo is UTC and due.local.astimezone(UTC) == due.at
    for fragment in reasons:
        assert has_reason(due, fragment), (fragment, due.reasons)


def test_new_york_repeated_hour__resume_inside_second_occurrence_waits_for_end_of_repeat():
    r = rules("America/New_York", SendWindow.parse(ALL_DAYS, ["00:00-24:00"]))
    est_0130 = datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # 01:30 EST, fold=1
    due = next_window_opening(est_0130, r)
    assert due.at == datetime(2027, 11, 7, 7, 0, tzinfo=UTC)
    assert wall(due) == ("2027-11-07 02:00", -5 * H)
    assert has_reason(due, "repeated hour")


def test_business_day_after_dst_night__counts_local_dates_not_24_hour_periods():
    r = rules("America/New_York", SendWindow.parse(ALL_DAYS, ["10:00-11:00"]))
    step = StepTiming(after_days=1)
    spring_prev = local("America/New_York", 2027, 3, 13, 10, 0)
    spring = due_time(timing=step, rules=r, enrolled_at=spring_prev, previous_at=spring_prev, not_before=spring_prev)
    assert spring.at - spring_prev == timedelta(hours=23)
    assert wall(spring) == ("2027-03-14 10:00", -4 * H)
    fall_prev = local("America/New_York", 2027, 11, 6, 10, 0)
    fall = due_time(timing=step, rules=r, enrolled_at=fall_prev, previous_at=fall_prev, not_before=fall_prev)
    assert fall.at - fall_prev == timedelta(hours=25)
    assert wall(fall) == ("2027-11-07 10:00", -5 * H)


@pytest.mark.parametrize(
    "tz,prev,expected,hours",
    [
        ("Europe/London", (2027, 3, 26, 10, 0), "2027-03-29 10:00", 71),  # Fri -> Mon over the spring-forward Sunday
        ("Europe/London", (2027, 10, 29, 10, 0), "2027-11-01 10:00", 73),  # Fri -> Mon over the fall-back Sunday
        ("Australia/Sydney", (2027, 4, 2, 10, 0), "2027-04-05 10:00", 73),  # Fri -> Mon, DST ends Sun 4 Apr
        ("Australia/Sydney", (2027, 10, 1, 10, 0), "2027-10-04 10:00", 71),  # Fri -> Mon, DST starts Sun 3 Oct
        ("America/New_York", (2027, 3, 12, 10, 0), "2027-03-15 10:00", 71),
        ("America/New_York", (2027, 11, 5, 10, 0), "2027-11-08 10:00", 73),
    ],
)
def test_one_business_day_over_a_2027_dst_weekend__is_next_monday_same_local_time(tz, prev, expected, hours):
    r = rules(tz, SendWindow.parse(WEEKDAYS, ["10:00-11:00"]))
    previous = local(tz, *prev)
    due = due_time(timing=StepTiming(after_days=1), rules=r, enrolled_at=previous, previous_at=previous, not_before=previous)
    assert wall(due)[0] == expected
    assert due.at - previous == timedelta(hours=hours)


@pytest.mark.parametrize(
    "after_days,business_days,expected",
    [
        (1, True, "2027-03-15 09:00"),
        (1, False, "2027-03-15 09:00"),  # Sat is not a send day -> Monday
        (2, True, "2027-03-16 09:00"),
        (2, False, "2027-03-15 09:00"),  # Sun -> Monday
        (3, True, "2027-03-17 09:00"),
        (3, False, "2027-03-15 09:00"),
        (5, True, "2027-03-19 09:00"),
        (5, False, "2027-03-17 09:00"),
    ],
)
def test_after_days_from_friday__business_days_skip_weekend_calendar_days_count_it(after_days, business_days, expected):
    r = rules("America/New_York")
    prev = local("America/New_York", 2027, 3, 12, 10, 0)
    due = due_time(
        timing=StepTiming(after_days=after_days, business_days=business_days),
        rules=r,
        enrolled_at=prev - timedelta(days=7),
        previous_at=prev,
        not_before=prev,
    )
    assert wall(due)[0] == expected


def test_business_days_across_uk_bank_holiday__holiday_is_not_counted_only_when_skipped():
    prev = local("Europe/London", 2027, 4, 30, 10, 0)  # Friday before the May Day Monday
    step = StepTiming(after_days=1)
    on = due_time(
        timing=step, rules=rules("Europe/London", skip_holidays=True, country="GB"), enrolled_at=prev, previous_at=prev, not_before=prev
    )
    off = due_time(timing=step, rules=rules("Europe/London", country="GB"), enrolled_at=prev, previous_at=prev, not_before=prev)
    assert wall(on)[0] == "2027-05-04 09:00"
    assert wall(off)[0] == "2027-05-03 09:00"


def test_late_enrollment__later_day_steps_shift_with_the_first_step_and_keep_spacing():
    r = rules("America/New_York")
    enrolled = local("America/New_York", 2027, 3, 12, 17, 30)  # Friday, after close
    steps = [StepTiming(day=1), StepTiming(day=3), StepTiming(day=8)]
    dues = plan(steps, rules=r, enrolled_at=enrolled, not_before=enrolled)
    assert [wall(d)[0] for d in dues] == ["2027-03-15 09:00", "2027-03-17 09:00", "2027-03-22 09:00"]


def test_plan_anchor__is_start_of_shifted_day_1_or_unchanged_when_not_pushed():
    r = rules("America/New_York")
    late = local("America/New_York", 2027, 3, 12, 17, 30)
    first = first_step(StepTiming(day=1), r, late)
    anchor = plan_anchor(first=StepTiming(day=1), first_due=first, rules=r, enrolled_at=late)
    assert anchor == local("America/New_York", 2027, 3, 15, 0, 0)
    # without the anchor, day 3 counted from the raw enrollment collapses onto Monday
    raw = first_step(StepTiming(day=3), r, late)
    assert wall(raw)[0] == "2027-03-15 09:00"
    shifted = due_time(timing=StepTiming(day=3), rules=r, enrolled_at=anchor, previous_at=first.at, not_before=late)
    assert wall(shifted)[0] == "2027-03-17 09:00"

    early = local("America/New_York", 2027, 3, 16, 8, 0)
    on_time = first_step(StepTiming(day=1), r, early)
    assert plan_anchor(first=StepTiming(day=1), first_due=on_time, rules=r, enrolled_at=early) == early


def test_two_steps_on_day_1__keep_their_order():
    r = rules("America/New_York")
    enrolled = local("America/New_York", 2027, 3, 16, 8, 0)
    dues = plan([StepTiming(day=1, at=time(11)), StepTiming(day=1, at=time(10))], rules=r, enrolled_at=enrolled, not_before=enrolled)
    assert [wall(d)[0] for d in dues] == ["2027-03-16 11:00", "2027-03-16 11:00"]
    assert dues[1].at >= dues[0].at

    asap = plan(
        [StepTiming(day=1), StepTiming(after_days=0), StepTiming(after_days=0, at=time(15))],
        rules=r,
        enrolled_at=enrolled,
        not_before=enrolled,
    )
    assert [wall(d)[0] for d in asap] == ["2027-03-16 09:00", "2027-03-16 09:00", "2027-03-16 15:00"]


def test_after_days_0_after_window_closed__goes_to_next_send_day_not_before_previous():
    r = rules("America/New_York")
    prev = local("America/New_York", 2027, 3, 12, 16, 59, 30)
    due = due_time(timing=StepTiming(after_days=0), rules=r, enrolled_at=prev, previous_at=prev, not_before=prev + timedelta(minutes=1))
    assert wall(due)[0] == "2027-03-15 09:00"


def test_not_before_days_after_nominal_date__starts_from_not_before_date():
    r = rules("America/New_York")
    enrolled = local("America/New_York", 2027, 3, 1, 8, 0)
    now = local("America/New_York", 2027, 3, 10, 12, 34)
    due = first_step(StepTiming(day=2, at=time(10)), r, enrolled, not_before=now)
    assert wall(due)[0] == "2027-03-10 12:34"
    assert has_reason(due, "not_before")


def _expected_jitter(seed: str, minutes: int) -> timedelta:
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return timedelta(seconds=n % (minutes * 60))


def test_jitter__is_deterministic_per_seed_and_within_jitter_minutes():
    r = rules("America/New_York")
    enrolled = local("America/New_York", 2027, 3, 16, 8, 0)
    step = StepTiming(day=1, jitter_minutes=45)
    base = first_step(StepTiming(day=1), r, enrolled)
    results = {}
    for i in range(30):
        seed = f"enrollment-{i}"
        a = first_step(step, r, enrolled, seed=seed)
        b = first_step(step, r, enrolled, seed=seed)
        assert a == b
        assert a.at - base.at == _expected_jitter(seed, 45)
        assert timedelta(0) <= a.at - base.at < timedelta(minutes=45)
        results[seed] = a.at
    assert len(set(results.values())) > 20


def test_jitter_near_window_close__is_clamped_inside_the_same_window():
    r = rules("America/New_York")
    enrolled = local("America/New_York", 2027, 3, 16, 16, 50)
    seed = next(f"s{i}" for i in range(1000) if _expected_jitter(f"s{i}", 60) > timedelta(minutes=20))
    due = first_step(StepTiming(day=1, jitter_minutes=60), r, enrolled, seed=seed)
    assert wall(due) == ("2027-03-16 16:59", -4 * H)
    assert due.local.time() == time(16, 59, 59)
    assert has_reason(due, "clamped")


def test_jitter_across_fall_back_inside_range__stops_before_repeated_hour():
    r = rules("America/New_York", SendWindow.parse(ALL_DAYS, ["01:00-03:00"]))
    enrolled = local("America/New_York", 2027, 11, 7, 1, 50)  # EDT, 10 min before clocks go back
    seed = next(f"s{i}" for i in range(1000) if _expected_jitter(f"s{i}", 60) > timedelta(minutes=15))
    due = first_step(StepTiming(day=1, jitter_minutes=60), r, enrolled, seed=seed)
    assert due.at == datetime(2027, 11, 7, 5, 59, 59, tzinfo=UTC)  # 01:59:59 EDT
    assert due.local.fold == 0


def test_next_window_opening__inside_window_returns_same_instant():
    r = rules("America/New_York")
    t = local("America/New_York", 2027, 3, 16, 10, 15)
    due = next_window_opening(t, r)
    assert due.at == t and due.reasons == ()


def test_next_window_opening__resume_on_saturday_goes_to_monday_opening():
    r = rules("Europe/London", skip_holidays=True, country="GB")
    due = next_window_opening(local("Europe/London", 2027, 12, 25, 12, 0), r)
    assert wall(due)[0] == "2027-12-29 09:00"
    assert has_reason(due, "holiday: 2027-12-27 Christmas Day (observed) skipped")


@pytest.mark.parametrize(
    "d,expected",
    [
        (date(2027, 5, 28), (True, None)),
        (date(2027, 5, 29), (False, "weekend: Sat 2027-05-29 skipped")),
        (date(2027, 5, 31), (False, "holiday: 2027-05-31 Memorial Day skipped")),
        (date(2027, 6, 1), (False, "blackout: 2027-06-01 skipped")),
    ],
)
def test_is_send_day__reports_why_a_date_is_not_a_send_day(d, expected):
    r = rules("America/New_York", skip_holidays=True, country="US", blackout_dates=frozenset({date(2027, 6, 1)}))
    assert is_send_day(d, r) == expected


def test_is_send_day__weekday_outside_window_is_a_non_send_day():
    r = rules("UTC", SendWindow.parse(["mon"], ["09:00-17:00"]))
    assert is_send_day(date(2027, 3, 17), r) == (False, "non-send day: Wed 2027-03-17 skipped")


def test_holiday_lookups__are_cached_per_country_subdivision_and_year():
    from cadenza_scheduling.domain import timing

    r = rules("America/New_York", skip_holidays=True, country="US", subdivision="CA")
    is_send_day(date(2031, 1, 2), r)
    before = timing._holiday_calendar.cache_info()
    for day in range(3, 20):
        is_send_day(date(2031, 1, day), r)
    after = timing._holiday_calendar.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({}, "exactly one"),
        ({"day": 1, "after_days": 1}, "exactly one"),
        ({"day": 0}, "timing.day"),
        ({"day": -3}, "timing.day"),
        ({"after_days": -1}, "timing.after_days"),
        ({"day": 1, "jitter_minutes": -5}, "timing.jitter_minutes"),
        ({"day": 1, "at": time(9, tzinfo=UTC)}, "timing.at"),
    ],
)
def test_invalid_step_timing__is_rejected_naming_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StepTiming(**kwargs)


def test_unknown_timezone__is_rejected_naming_the_field():
    with pytest.raises(ValueError, match="rules.timezone"):
        rules("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="rules.timezone"):
        rules("")


def test_unknown_country_or_subdivision__is_rejected_naming_the_field():
    with pytest.raises(ValueError, match="rules.country"):
        rules("UTC", skip_holidays=True, country="XX")
    with pytest.raises(ValueError, match="rules.country"):
        rules("UTC", skip_holidays=True)
    with pytest.raises(ValueError, match="rules.subdivision"):
        rules("UTC", skip_holidays=True, country="US", subdivision="ZZ")


@pytest.mark.parametrize("field", ["enrolled_at", "not_before", "previous_at"])
def test_naive_datetimes__are_rejected_naming_the_field(field):
    aware = local("UTC", 2027, 3, 16, 10, 0)
    kwargs = {"enrolled_at": aware, "not_before": aware, "previous_at": aware}
    kwargs[field] = aware.replace(tzinfo=None)
    with pytest.raises(ValueError, match=field):
        due_time(timing=StepTiming(day=1), rules=rules("UTC"), **kwargs)
    with pytest.raises(ValueError, match="instant"):
        next_window_opening(datetime(2027, 3, 16, 10), rules("UTC"))


def test_send_window_parse__builds_sorted_merged_ranges():
    w = SendWindow.parse(["Fri", "mon", "Wednesday"], ["13:30-17:00", "09:00-12:00", "12:00-12:30", "22:00-24:00"])
    assert w.days == frozenset({0, 2, 4})
    assert w.ranges == ((time(9), time(12, 30)), (time(13, 30), time(17)), (time(22), time.max))


@pytest.mark.parametrize(
    "days,hours,bad",
    [
        (["mon", "funday"], ["09:00-17:00"], "funday"),
        ([], ["09:00-17:00"], "window.days"),
        (["mon"], ["9-5"], "9-5"),
        (["mon"], ["17:00-09:00"], "17:00-09:00"),
        (["mon"], ["09:00-09:00"], "09:00-09:00"),
        (["mon"], ["25:00-26:00"], "25:00-26:00"),
        (["mon"], ["09:00-12:00", "11:00-13:00"], "11:00-13:00"),
        (["mon"], [], "window.hours"),
    ],
)
def test_send_window_parse__rejects_bad_items_naming_them(days, hours, bad):
    with pytest.raises(ValueError, match=bad):
        SendWindow.parse(days, hours)


def test_send_window_parse__rejects_a_bare_string_instead_of_a_list():
    with pytest.raises(TypeError, match="window.days"):
        SendWindow.parse("mon", ["09:00-17:00"])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# Property tests
# --------------------------------------------------------------------------- #

ZONES = sorted(available_timezones())
HOLIDAY_SETTINGS = [
    (False, None, None),
    (True, "US", None),
    (True, "US", "CA"),
    (True, "GB", None),
    (True, "GB", "SCT"),
    (True, "DE", "BY"),
    (True, "IN", None),
    (True, "AU", "NSW"),
    (True, "NP", None),
    (True, "JP", None),
    (True, "BR", None),
    (False, "FR", None),
]


@cache
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def independent_send_day(d: date, r: CalendarRules) -> bool:
    if d.weekday() not in r.window.days or d in r.blackout_dates:
        return False
    return not (r.skip_holidays and d in _holiday_dates(r.country, r.subdivision, d.year))


def independent_allowed(instant: datetime, r: CalendarRules) -> bool:
    """Local wall clock (first occurrence only) inside a range on a send day."""
    loc = instant.astimezone(ZoneInfo(r.timezone))
    if loc.fold:
        return False
    t = loc.time().replace(fold=0)
    in_range = any(start <= t < end for start, end in r.window.ranges)
    return in_range and independent_send_day(loc.date(), r)


@cache
def _transitions(zone_name: str, year: int) -> tuple[datetime, ...]:
    """UTC instants (to the second) where the zone's offset changes in ``year``."""
    zone = ZoneInfo(zone_name)
    start = datetime(year, 1, 1, tzinfo=UTC)
    found = []
    step = timedelta(hours=6)
    prev = start
    while prev.year == year:
        nxt = prev + step
        if prev.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = prev, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        prev = nxt
    return tuple(found)


def _minute_to_time(m: int) -> time:
    return time.max if m == 1440 else time(m // 60, m % 60)


@st.composite
def windows(draw) -> SendWindow:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    n = draw(st.integers(1, 3))
    bounds = sorted(draw(st.sets(st.integers(0, 1440), min_size=2 * n, max_size=2 * n)))
    ranges = tuple((_minute_to_time(bounds[i]), _minute_to_time(bounds[i + 1])) for i in range(0, 2 * n, 2))
    return SendWindow(days=days, ranges=ranges)


@st.composite
def scenarios(draw):
    zone_name = draw(st.sampled_from(ZONES))
    skip, country, subdivision = draw(st.sampled_from(HOLIDAY_SETTINGS))
    near_transition = draw(st.booleans())
    enrolled = None
    if near_transition:
        year = draw(st.integers(2005, 2036))
        trans = _transitions(zone_name, year)
        if trans:
            pick = draw(st.sampled_from(trans))
            enrolled = pick - timedelta(seconds=draw(st.integers(0, 4 * 86400)))
    if enrolled is None:
        enrolled = draw(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 1, 1), timezones=st.just(UTC)))
    blackout = draw(st.frozensets(st.integers(0, 40), max_size=6))
    enrolled_local_date = enrolled.astimezone(ZoneInfo(zone_name)).date()
    r = CalendarRules(
        timezone=zone_name,
        window=draw(windows()),
        skip_holidays=skip,
        country=country,
        subdivision=subdivision,
        blackout_dates=frozenset(enrolled_local_date + timedelta(days=k) for k in blackout),
    )
    not_before = enrolled + timedelta(seconds=draw(st.sampled_from([0, 0, 1, 3600, 86400 * 3])))
    return r, enrolled, not_before


preferred_times = st.one_of(st.none(), st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59])))
jitters = st.sampled_from([0, 0, 5, 30, 240])
steps = st.one_of(
    st.builds(StepTiming, day=st.integers(1, 30), at=preferred_times, jitter_minutes=jitters),
    st.builds(StepTiming, after_days=st.integers(0, 10), business_days=st.booleans(), at=preferred_times, jitter_minutes=jitters),
)

PROPERTY = settings(
    max_examples=int(os.environ.get("TIMING_MAX_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(scenario=scenarios(), cadence=st.lists(steps, min_size=1, max_size=5), seed=st.text(max_size=8))
def test_property_plan__every_due_is_allowed_not_early_and_monotonic(scenario, cadence, seed):
    r, enrolled, not_before = scenario
    zone = ZoneInfo(r.timezone)
    dues = plan(cadence, rules=r, enrolled_at=enrolled, not_before=not_before, seed=seed)
    assert len(dues) == len(cadence)
    enrolled_date = enrolled.astimezone(zone).date()
    first_date = dues[0].at.astimezone(zone).date()
    previous = None
    for step, due in zip(cadence, dues, strict=True):
        loc = due.at.astimezone(zone)
        assert due.at.tzinfo is UTC and due.local.astimezone(UTC) == due.at
        assert due.local.fold == 0
        # inside the window on an allowed day
        assert independent_allowed(due.at, r), (due, r)
        # never before not_before / enrollment / previous step (monotonic)
        assert due.at >= not_before and due.at >= enrolled
        if previous is not None:
            assert due.at >= previous
        # never before the rule allows
        if step.day is not None:
            assert loc.date() >= enrolled_date + timedelta(days=step.day - 1)
            if cadence[0].day is not None and step.day >= cadence[0].day:
                # day-N spacing is kept relative to the first step's actual date
                assert loc.date() >= first_date + timedelta(days=step.day - cadence[0].day)
            lower = enrolled_date + timedelta(days=step.day - 1)
        else:
            ref_date = (previous or enrolled).astimezone(zone).date()
            if step.business_days:
                counted = sum(independent_send_day(ref_date + timedelta(days=k), r) for k in range(1, (loc.date() - ref_date).days + 1))
                assert counted >= step.after_days
                lower = ref_date  # date bound checked by the count
            else:
                assert loc.date() >= ref_date + timedelta(days=step.after_days)
                lower = ref_date + timedelta(days=step.after_days)
        if step.at is not None and loc.date() == lower and step.day is not None:
            assert loc.replace(tzinfo=None) >= datetime.combine(lower, step.at)
        previous = due.at


@PROPERTY
@given(scenario=scenarios(), cadence=st.lists(steps, min_size=1, max_size=3), seed=st.text(max_size=8))
def test_property_plan__is_deterministic(scenario, cadence, seed):
    r, enrolled, not_before = scenario
    a = plan(cadence, rules=r, enrolled_at=enrolled, not_before=not_before, seed=seed)
    b = plan(cadence, rules=r, enrolled_at=enrolled, not_before=not_before, seed=seed)
    assert a == b


@PROPERTY
@given(scenario=scenarios(), shift=st.integers(0, 10 * 86400))
def test_property_next_window_opening__is_the_first_allowed_instant_at_or_after(scenario, shift):
    r, enrolled, _ = scenario
    t = enrolled + timedelta(seconds=shift)
    due = next_window_opening(t, r)
    assert due.at >= t
    assert independent_allowed(due.at, r)
    if independent_allowed(t, r):
        assert due.at == t
    elif due.at - timedelta(seconds=1) >= t:
        assert not independent_allowed(due.at - timedelta(seconds=1), r)


@PROPERTY
@given(scenario=scenarios(), step=steps, seed=st.text(max_size=8), gap=st.integers(0, 5 * 86400))
def test_property_due_time__with_previous_step_is_never_before_it_or_not_before(scenario, step, seed, gap):
    r, enrolled, _ = scenario
    previous = next_window_opening(enrolled, r).at
    now = previous + timedelta(seconds=gap)
    due = due_time(timing=step, rules=r, enrolled_at=enrolled, previous_at=previous, not_before=now, seed=seed)
    assert due.at >= now >= previous
    assert independent_allowed(due.at, r)
    if step.jitter_minutes:
        plain = due_time(
            timing=StepTiming(day=step.day, after_days=step.after_days, business_days=step.business_days, at=step.at),
            rules=r,
            enrolled_at=enrolled,
            previous_at=previous,
            not_before=now,
        )
        assert timedelta(0) <= due.at - plain.at < timedelta(minutes=step.jitter_minutes)


def test_business_days_reason__names_every_day_it_did_not_count():
    r = rules("America/New_York", skip_holidays=True, country="US", blackout_dates=frozenset({date(2027, 12, 24)}))
    prev = local("America/New_York", 2027, 12, 23, 16, 0)
    due = due_time(timing=StepTiming(after_days=1), rules=r, enrolled_at=prev, previous_at=prev, not_before=prev)
    assert wall(due)[0] == "2027-12-27 09:00"
    assert due.reasons == (
        "business days: 1 send day(s) after 2027-12-23 is Mon 2027-12-27 (3 non-send day(s) not counted: "
        "blackout: 2027-12-24; weekend: Sat 2027-12-25; weekend: Sun 2027-12-26)",
    )
    monday = local("UTC", 2027, 12, 20, 9, 30)
    long = due_time(
        timing=StepTiming(after_days=1),
        rules=rules("UTC", SendWindow.parse(["mon"], ["09:00-10:00"])),
        enrolled_at=monday,
        previous_at=monday,
        not_before=monday,
    )
    assert long.reasons[0].endswith(
        "(6 non-send day(s) not counted: non-send day: Tue 2027-12-21; non-send day: Wed 2027-12-22; "
        "non-send day: Thu 2027-12-23; non-send day: Fri 2027-12-24; weekend: Sat 2027-12-25; ...)"
    )
