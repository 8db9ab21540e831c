"""Planning with a cadence definition (cadenza_scheduling.domain.cadence_rules): pure, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadenza_scheduling.domain.cadence_rules import (
    calendar_for,
    end_due,
    first_step_anchor,
    holiday_subdivision,
    project,
    region_of,
    resume_shift,
    step_due,
    step_seed,
    timing_for,
)
from cadenza_scheduling.domain.timing import plan
from cadenza_shared.contracts.cadence import CadenceSpec

pytestmark = pytest.mark.filterwarnings("ignore:Requested Holidays are available only:UserWarning")
NY = "America/New_York"
ENROLLMENT = uuid.UUID("9b2f4c1e-4a57-4e8f-9a59-0c2d7f6b1a10")


def cadence(*steps: dict, **extra) -> CadenceSpec:
    body = [{"id": f"s{i}", "channel": "phone", **s} for i, s in enumerate(steps)]
    return CadenceSpec.model_validate({"key": "t", "name": "t", "steps": body, **extra})


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(NY))


def local_wall(at: datetime, tz: str = NY) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


# --------------------------------------------------------------------------------------------- #
# Region, subdivision and calendar
# --------------------------------------------------------------------------------------------- #


def test_region_of__first_of_subdivision_region_state_province_any_case():
    assert region_of({"State": "Texas", "company_size": "50"}) == "Texas"
    assert region_of({"province": " QC ", "region": "Quebec"}) == "Quebec"
    assert region_of({"region": "", "state": "CA"}) == "CA"
    assert region_of({}) is None
    assert region_of(None) is None


@pytest.mark.parametrize(
    "country,region,expected",
    [
        ("US", "California", "CA"),
        ("US", "US-NY", "NY"),
        ("DE", "Bayern", "BY"),  # an alias the holidays package knows
        ("DE", "BY", "BY"),
        ("GB", "Scotland", "SCT"),
        ("AU", "New South Wales", "NSW"),
        ("BR", "São Paulo", "SP"),
        ("US", "Atlantis", None),
        ("US", None, None),
        (None, "CA", None),
        ("AQ", "anything", None),  # no subdivisions
    ],
)
def test_holiday_subdivision(country, region, expected):
    assert holiday_subdivision(country, region) == expected


def test_calendar_for__skips_the_holidays_of_the_prospects_subdivision_only():
    spec = cadence({"day": 1}, skip_holidays=True)
    scotland, _ = calendar_for(spec, timezone="Europe/London", country="GB", subdivision="SCT")
    england, _ = calendar_for(spec, timezone="Europe/London", country="GB", subdivision=None)
    enrolled = datetime(2027, 8, 2, 7, 0, tzinfo=UTC)  # Mon 2 Aug 2027: Summer Bank Holiday in Scotland only
    assert (
        local_wall(
            step_due(spec, scotland, step_index=0, enrollment_id=ENROLLMENT, anchor=enrolled, previous_at=None, now=enrolled).at,
            "Europe/London",
        )
        == "Tue 2027-08-03 09:00"
    )
    assert (
        local_wall(
            step_due(spec, england, step_index=0, enrollment_id=ENROLLMENT, anchor=enrolled, previous_at=None, now=enrolled).at,
            "Europe/London",
        )
        == "Mon 2027-08-02 09:00"
    )


def test_calendar_for__a_country_without_holiday_calendar_is_noted_not_an_error(monkeypatch):
    from cadenza_scheduling.domain import cadence_rules

    spec = cadence({"day": 1}, skip_holidays=True)
    monkeypatch.setattr(cadence_rules, "_holidays_known", lambda country, subdivision=None: country != "AQ")
    rules, notes = calendar_for(spec, timezone="Antarctica/Troll", country="AQ")
    assert not rules.skip_holidays
    assert notes == ("holidays: no public holiday calendar for country AQ, so none are skipped",)
    rules, notes = calendar_for(spec, timezone=NY, country=None)
    assert not rules.skip_holidays and "no country" in notes[0]
    rules, notes = calendar_for(cadence({"day": 1}), timezone=NY, country="US", subdivision="CA")
    assert not rules.skip_holidays and notes == ()


def test_calendar_for__window_with_two_ranges_and_blackout_dates():
    spec = cadence(
        {"day": 1},
        send_window={"days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["09:00-11:30", "14:00-16:00"]},
        blackout_dates=["2027-12-24"],
    )
    rules, _ = calendar_for(spec, timezone=NY, country="US")
    assert rules.window.ranges == ((time(9), time(11, 30)), (time(14), time(16)))
    assert rules.blackout_dates == frozenset({date(2027, 12, 24)})
    noon = ny(2027, 12, 23, 12, 0)  # lunch gap on Thursday
    due = step_due(spec, rules, step_index=0, enrollment_id=ENROLLMENT, anchor=noon, previous_at=None, now=noon)
    assert local_wall(due.at) == "Thu 2027-12-23 14:00"
    late = ny(2027, 12, 23, 16, 30)  # after the second range: Friday is a blackout date -> Monday
    due = step_due(spec, rules, step_index=0, enrollment_id=ENROLLMENT, anchor=late, previous_at=None, now=late)
    assert local_wall(due.at) == "Mon 2027-12-27 09:00"
    assert any(r.startswith("blackout: 2027-12-24") for r in due.reasons)


# --------------------------------------------------------------------------------------------- #
# Jitter, end of cadence, resume
# --------------------------------------------------------------------------------------------- #


def test_jitter__differs_per_step_of_one_enrollment_and_is_stable():
    spec = cadence({"day": 1, "jitter_minutes": 120}, {"day": 2, "jitter_minutes": 120}, {"day": 3, "jitter_minutes": 120})
    rules, _ = calendar_for(spec, timezone=NY, country="US")
    enrolled = ny(2027, 3, 16, 7, 0)  # Tuesday before opening: days 1..3 open at 09:00
    offsets = []
    for index in range(3):
        due = step_due(spec, rules, step_index=index, enrollment_id=ENROLLMENT, anchor=enrolled, previous_at=None, now=enrolled)
        again = step_due(spec, rules, step_index=index, enrollment_id=ENROLLMENT, anchor=enrolled, previous_at=None, now=enrolled)
        assert due == again
        opening = due.at.astimezone(ZoneInfo(NY)).replace(hour=9, minute=0, second=0)
        offsets.append(due.at - opening)
        assert timedelta(0) <= offsets[-1] < timedelta(minutes=120)
    assert len(set(offsets)) == 3
    assert step_seed(ENROLLMENT, spec.steps[1]) == f"{ENROLLMENT}:s1"


def test_end_due__counts_local_days_after_the_last_step_across_dst():
    spec = cadence({"day": 1}, on_completion={"exit_after_days": 3})
    rules, _ = calendar_for(spec, timezone=NY, country="US")
    last = ny(2027, 3, 12, 10, 0)  # Friday before the spring-forward Sunday
    due = end_due(spec, rules, previous_at=last, now=last)
    assert local_wall(due.at) == "Mon 2027-03-15 10:00"  # 71 real hours, three local days
    assert due.reasons[0] == "end: 3 day(s) after the last step (2027-03-12 10:00)"
    weekend = end_due(spec, rules, previous_at=ny(2027, 3, 11, 16, 0), now=last)  # lands on Sunday -> Monday opening
    assert local_wall(weekend.at) == "Mon 2027-03-15 09:00"


@pytest.mark.parametrize(
    "paused,last,resumed,expected_anchor_shift,expected_previous",
    [
        pytest.param((3, 18), None, (3, 21), 3, None, id="pause_before_any_step_moves_day_1"),
        pytest.param((3, 18), (3, 17), (3, 21), 3, (3, 20), id="last_step_before_pause_moves_by_whole_pause"),
        pytest.param((3, 18), (3, 19), (3, 21), 3, (3, 21), id="step_finished_during_pause_moves_by_the_rest"),
        pytest.param((3, 18), (3, 17), (3, 18), 0, (3, 17), id="resume_at_once_moves_nothing"),
    ],
)
def test_resume_shift(paused, last, resumed, expected_anchor_shift, expected_previous):
    anchor = ny(2027, 3, 16, 0, 0)
    new_anchor, previous = resume_shift(
        anchor=anchor,
        last_step_at=ny(2027, *last, 10, 0) if last else None,
        paused_at=ny(2027, *paused, 10, 0),
        resumed_at=ny(2027, *resumed, 10, 0),
    )
    assert new_anchor == anchor + timedelta(days=expected_anchor_shift)
    assert previous == (ny(2027, *expected_previous, 10, 0) if expected_previous else None)


def test_resume__a_day_7_step_after_a_three_day_pause_comes_on_day_10_and_nothing_bursts():
    spec = cadence({"day": 1}, {"day": 3}, {"day": 7}, send_window={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]})
    rules, _ = calendar_for(spec, timezone=NY, country="US")
    enrolled = ny(2027, 3, 1, 9, 0)  # day 1 = Mon 1 Mar
    sent_day_3 = ny(2027, 3, 3, 9, 0)
    anchor, previous = resume_shift(
        anchor=enrolled, last_step_at=sent_day_3, paused_at=ny(2027, 3, 4, 12, 0), resumed_at=ny(2027, 3, 7, 12, 0)
    )
    resumed = ny(2027, 3, 7, 12, 0)
    due = step_due(spec, rules, step_index=2, enrollment_id=ENROLLMENT, anchor=anchor, previous_at=previous, now=resumed)
    assert local_wall(due.at) == "Wed 2027-03-10 09:00"  # day 7 (Sun 7 Mar) + 3 days of pause


# --------------------------------------------------------------------------------------------- #
# Projection
# --------------------------------------------------------------------------------------------- #


def test_project__late_friday_enrollment_shifts_the_plan_and_keeps_spacing():
    spec = cadence({"day": 1}, {"day": 3}, {"after_days": 2}, {"day": 8}, on_completion={"exit_after_days": 2})
    rules, _ = calendar_for(spec, timezone=NY, country="US")
    enrolled = ny(2027, 3, 12, 17, 30)  # Friday after the 17:00 close
    items = project(spec, rules, enrollment_id=ENROLLMENT, from_index=0, anchor=enrolled, previous_at=None, now=enrolled)
    assert [(i.kind, i.step_index, local_wall(i.due.at)) for i in items] == [
        ("step", 0, "Mon 2027-03-15 09:00"),
        ("step", 1, "Wed 2027-03-17 09:00"),
        ("step", 2, "Fri 2027-03-19 09:00"),
        ("step", 3, "Mon 2027-03-22 09:00"),
        ("end", 4, "Wed 2027-03-24 09:00"),
    ]
    assert items[0].step_id == "s0" and items[0].channel == "phone"
    assert first_step_anchor(spec, rules, due=items[0].due, anchor=enrolled) == ny(2027, 3, 15, 0, 0)


def test_project__several_steps_on_one_day_keep_their_order():
    spec = cadence({"day": 1, "at": "15:00"}, {"day": 1, "at": "10:00"}, {"after_days": 0})
    rules, _ = calendar_for(spec, timezone=NY, country="US")
    enrolled = ny(2027, 3, 16, 8, 0)
    items = project(spec, rules, enrollment_id=ENROLLMENT, from_index=0, anchor=enrolled, previous_at=None, now=enrolled)
    assert [local_wall(i.due.at) for i in items[:3]] == ["Tue 2027-03-16 15:00"] * 3
    assert items[0].due.at <= items[1].due.at <= items[2].due.at


WEEKDAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
step_specs = st.one_of(
    st.builds(
        lambda d, at: {"day": d, **({"at": at} if at else {})},
        st.integers(1, 20),
        st.sampled_from([None, "08:30", "10:15", "16:45", "20:00"]),
    ),
    st.builds(lambda n, b: {"after_days": n, "business_days": b}, st.integers(0, 6), st.booleans()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.lists(step_specs, min_size=1, max_size=5),
    tz=st.sampled_from([NY, "Europe/London", "Australia/Sydney", "Asia/Kathmandu", "Australia/Lord_Howe"]),
    days=st.sets(st.sampled_from(WEEKDAY_NAMES), min_size=1),
    start=st.datetimes(min_value=datetime(2026, 12, 1), max_value=datetime(2028, 2, 1), timezones=st.just(UTC)),
)
def test_property__projection_equals_the_reference_plan(raw, tz, days, start):
    steps = sorted([s for s in raw if "day" in s], key=lambda s: s["day"]) or [{"day": 1}]
    steps = [steps[0], *[s for s in raw if s is not steps[0] and ("after_days" in s or s["day"] >= steps[0]["day"])]]
    last_day = 0
    ordered = []
    for s in steps:  # the definition requires day steps in order
        if "day" in s and s["day"] < last_day:
            continue
        last_day = s.get("day", last_day)
        ordered.append(s)
    spec = cadence(*ordered, send_window={"days": sorted(days, key=WEEKDAY_NAMES.index), "hours": ["09:00-12:00", "13:00-17:00"]})
    rules, _ = calendar_for(spec, timezone=tz, country=None)
    items = project(spec, rules, enrollment_id=ENROLLMENT, from_index=0, anchor=start, previous_at=None, now=start)
    reference = plan([timing_for(s) for s in spec.steps], rules=rules, enrolled_at=start, not_before=start)
    assert [i.due.at for i in items[:-1]] == [d.at for d in reference]
    assert items[-1].kind == "end" and items[-1].due.at >= items[-2].due.at
    for before, after in zip(items, items[1:], strict=False):
        assert before.due.at <= after.due.at
