"""The scheduling service layer against a real PostgreSQL: planning, pause/resume, projection, firing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text

import cadenza_shared.contracts  # noqa: F401  (registers every event type)
from cadenza_scheduling.repo.outbox_batch import add_many
from cadenza_scheduling.repo.tables import cadences, metadata, plans, timers
from cadenza_scheduling.service import handlers as svc
from cadenza_shared.clock import FixedClock
from cadenza_shared.contracts.cadence import CadenceSpec
from cadenza_shared.contracts.dispatch import MessageSent
from cadenza_shared.contracts.enrollment import EnrollmentPaused, EnrollmentResumed, EnrollmentStarted, Prospect
from cadenza_shared.contracts.scheduling import CadenceEnded, StepDue
from cadenza_shared.db.outbox import Outbox
from cadenza_shared.envelope import decode, wrap

pytestmark = pytest.mark.filterwarnings("ignore:Requested Holidays are available only:UserWarning")
NY = "America/New_York"
OUTBOX = metadata.tables["scheduling.outbox"]

CADENCE = {
    "key": "svc-test",
    "name": "Service test",
    "send_window": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["09:00-17:00"]},
    "skip_holidays": True,
    "on_completion": {"exit_after_days": 2},
    "steps": [
        {"id": "intro", "channel": "phone", "day": 1},
        {"id": "follow-up", "channel": "phone", "day": 3},
        {"id": "nudge", "channel": "phone", "after_days": 2},
    ],
}


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(NY))


def wall(at: datetime, tz: str = NY) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


async def add_cadence(sessions, definition: dict = CADENCE, tenant: str = "acme") -> uuid.UUID:
    cadence_id = uuid.uuid4()
    spec = CadenceSpec.model_validate(definition)
    async with sessions() as s, s.begin():
        await s.execute(
            insert(cadences).values(cadence_id=cadence_id, tenant=tenant, key=spec.key, version=1, definition=spec.model_dump(mode="json"))
        )
    return cadence_id


async def start(sessions, cadence_id, enrolled_at, *, tz=NY, country="US", fields=None, now=None) -> uuid.UUID:
    event = EnrollmentStarted(
        enrollment_id=uuid.uuid4(),
        cadence_id=cadence_id,
        cadence_key="svc-test",
        cadence_version=1,
        enrolled_at=enrolled_at,
        prospect=Prospect(
            prospect_id=uuid.uuid4(),
            email="dana@northwind.example",
            timezone=tz,
            timezone_source="region",
            country=country,
            fields=fields or {},
        ),
    )
    envelope = wrap(event, tenant="acme", source="test", time=enrolled_at)
    async with sessions() as s, s.begin():
        await svc.on_enrollment_started(s, envelope=envelope, event=event, now=now or enrolled_at)
    return event.enrollment_id


async def live_timers(sessions, enrollment_id) -> list:
    async with sessions() as s:
        return (await s.execute(select(timers).where(timers.c.enrollment_id == enrollment_id, timers.c.status == "pending"))).all()


async def perform(sessions, cadence_id, enrollment_id, step_index: int, at: datetime) -> None:
    """The step's timer fires at `at` and the step is performed at once."""
    async with sessions() as s, s.begin():
        await svc.fire_due_timers(s, outbox_for(at), now=at, limit=100)
    event = MessageSent(enrollment_id=enrollment_id, cadence_id=cadence_id, step_index=step_index, step_id="x", channel="phone", sent_at=at)
    async with sessions() as s, s.begin():
        await svc.on_step_resolved(s, event=event, now=at)


async def schedule(sessions, enrollment_id, now) -> dict:
    async with sessions() as s:
        return await svc.upcoming(s, tenant="acme", enrollment_id=enrollment_id, now=now)


# --------------------------------------------------------------------------------------------- #
# Planning
# --------------------------------------------------------------------------------------------- #


async def test_late_friday_enrollment__day_1_goes_monday_and_day_3_wednesday(sessions):
    cadence_id = await add_cadence(sessions)
    enrolled = ny(2027, 3, 12, 17, 30)
    enrollment_id = await start(sessions, cadence_id, enrolled)
    (first,) = await live_timers(sessions, enrollment_id)
    assert wall(first.due_at) == "Mon 2027-03-15 09:00"
    assert "window: 17:30 after 17:00 close" in first.reasons
    async with sessions() as s:
        plan = (await s.execute(select(plans).where(plans.c.enrollment_id == enrollment_id))).one()
    assert plan.anchor_at == ny(2027, 3, 15, 0, 0) and plan.timezone_source == "region"

    await perform(sessions, cadence_id, enrollment_id, 0, ny(2027, 3, 15, 9, 5))
    (second,) = await live_timers(sessions, enrollment_id)
    assert (second.step_index, wall(second.due_at)) == (1, "Wed 2027-03-17 09:00")


async def test_region_field__gives_the_holiday_subdivision(sessions):
    definition = {**CADENCE, "key": "svc-test-gb"}
    cadence_id = await add_cadence(sessions, definition)
    enrolled = datetime(2027, 8, 2, 6, 0, tzinfo=UTC)  # Summer Bank Holiday in Scotland, not in England
    scot = await start(sessions, cadence_id, enrolled, tz="Europe/London", country="GB", fields={"Region": "Scotland"})
    eng = await start(sessions, cadence_id, enrolled, tz="Europe/London", country="GB", fields={"region": "England"})
    (scot_timer,) = await live_timers(sessions, scot)
    (eng_timer,) = await live_timers(sessions, eng)
    assert wall(scot_timer.due_at, "Europe/London") == "Tue 2027-08-03 09:00"
    assert "holiday: 2027-08-02 Summer Bank Holiday skipped" in scot_timer.reasons
    assert wall(eng_timer.due_at, "Europe/London") == "Mon 2027-08-02 09:00"
    assert (await schedule(sessions, scot, enrolled))["subdivision"] == "SCT"


async def test_pause_and_resume__next_step_keeps_its_spacing_and_only_one_timer_is_live(sessions):
    cadence_id = await add_cadence(sessions)
    enrollment_id = await start(sessions, cadence_id, ny(2027, 3, 15, 8, 0))  # Monday: day 1 = Mon, day 3 = Wed
    await perform(sessions, cadence_id, enrollment_id, 0, ny(2027, 3, 15, 9, 0))
    async with sessions() as s, s.begin():
        await svc.on_paused(s, event=EnrollmentPaused(enrollment_id=enrollment_id, reason="ooo", paused_at=ny(2027, 3, 16, 12, 0)))
    assert await live_timers(sessions, enrollment_id) == []
    paused_view = await schedule(sessions, enrollment_id, ny(2027, 3, 18, 12, 0))
    assert paused_view["note"].startswith("paused")
    async with sessions() as s, s.begin():
        await svc.on_resumed(
            s, event=EnrollmentResumed(enrollment_id=enrollment_id, resumed_at=ny(2027, 3, 18, 12, 0)), now=ny(2027, 3, 18, 12, 0)
        )
    (live,) = await live_timers(sessions, enrollment_id)
    # day 3 (Wed 17th) + 2 days of pause = Fri 19th, not a burst on resume day
    assert (live.step_index, wall(live.due_at)) == (1, "Fri 2027-03-19 09:00")
    assert wall(paused_view["upcoming"][0]["due_at"]) == "Fri 2027-03-19 09:00"  # the paused projection said so


async def test_schedule__projects_every_remaining_step_as_the_timers_will_be_planned(sessions):
    cadence_id = await add_cadence(sessions)
    enrolled = ny(2027, 3, 12, 17, 30)
    enrollment_id = await start(sessions, cadence_id, enrolled)
    view = await schedule(sessions, enrollment_id, enrolled)
    upcoming = view["upcoming"]
    assert [(u["kind"], u["step_index"], u["projected"], u["due_local_display"]) for u in upcoming] == [
        ("step", 0, False, "Mon 2027-03-15 09:00 EDT"),
        ("step", 1, True, "Wed 2027-03-17 09:00 EDT"),
        ("step", 2, True, "Fri 2027-03-19 09:00 EDT"),
        ("end", 3, True, "Mon 2027-03-22 09:00 EDT"),  # two calendar days after Friday is Sunday: next opening
    ]
    assert upcoming[0]["step_id"] == "intro" and upcoming[1]["channel"] == "phone"
    assert upcoming[0]["due_local"] == "2027-03-15T09:00:00-04:00"
    assert upcoming[3]["reasons"][:2] == ["end: 2 day(s) after the last step (2027-03-19 09:00)", "weekend: Sun 2027-03-21 skipped"]

    # performing each step when due gives exactly the projected timers
    for index in range(3):
        (live,) = await live_timers(sessions, enrollment_id)
        assert (live.step_index, live.due_at) == (index, upcoming[index]["due_at"])
        await perform(sessions, cadence_id, enrollment_id, index, live.due_at)
    (end,) = await live_timers(sessions, enrollment_id)
    assert (end.kind, end.due_at) == ("end", upcoming[3]["due_at"])


async def test_schedule__other_tenant_gets_not_found(sessions):
    from cadenza_shared.errors import NotFound

    cadence_id = await add_cadence(sessions)
    enrollment_id = await start(sessions, cadence_id, ny(2027, 3, 15, 8, 0))
    async with sessions() as s:
        with pytest.raises(NotFound):
            await svc.upcoming(s, tenant="globex", enrollment_id=enrollment_id, now=ny(2027, 3, 15, 8, 0))


# --------------------------------------------------------------------------------------------- #
# Firing
# --------------------------------------------------------------------------------------------- #


async def insert_timers(sessions, cadence_id, due: list[datetime], kind: str = "step") -> list[uuid.UUID]:
    ids = []
    async with sessions() as s, s.begin():
        for at in due:
            enrollment_id, timer_id = uuid.uuid4(), uuid.uuid4()
            await s.execute(
                insert(plans).values(
                    enrollment_id=enrollment_id,
                    tenant="acme",
                    cadence_id=cadence_id,
                    timezone=NY,
                    status="active",
                    anchor_at=at,
                    next_step_index=0,
                )
            )
            await s.execute(
                insert(timers).values(
                    id=timer_id,
                    tenant="acme",
                    enrollment_id=enrollment_id,
                    kind=kind,
                    step_index=0,
                    due_at=at,
                    status="pending",
                    reasons=[],
                    created_at=at,
                )
            )
            ids.append(timer_id)
    return ids


def outbox_for(now: datetime) -> Outbox:
    return Outbox(table=OUTBOX, source="cadenza/scheduling", clock=FixedClock(now))


async def fire(sessions, now: datetime, limit: int) -> int:
    async with sessions() as s, s.begin():
        return await svc.fire_due_timers(s, outbox_for(now), now=now, limit=limit)


async def outbox_rows(sessions) -> list:
    async with sessions() as s:
        return (await s.execute(select(OUTBOX).order_by(OUTBOX.c.id))).all()


async def test_fire_due_timers__fires_due_timers_once_in_due_order_with_their_events(sessions):
    cadence_id = await add_cadence(sessions)
    now = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    due = [now - timedelta(minutes=m) for m in (5, 50, 20, 1)]
    step_ids = await insert_timers(sessions, cadence_id, due)
    (end_id,) = await insert_timers(sessions, cadence_id, [now - timedelta(minutes=30)], kind="end")
    future = await insert_timers(sessions, cadence_id, [now + timedelta(seconds=1)])

    assert await fire(sessions, now, limit=3) == 3
    assert await fire(sessions, now, limit=3) == 2
    assert await fire(sessions, now, limit=3) == 0

    rows = await outbox_rows(sessions)
    envelopes = [decode(r.value) for r in rows]
    assert [e.data["due_at"] for e in envelopes] == sorted(e.data["due_at"] for e in envelopes)  # due order, batch by batch
    by_id = {e.id: e for e in envelopes}
    assert set(by_id) == {f"timer-{t}" for t in [*step_ids, end_id]}
    step = by_id[f"timer-{step_ids[0]}"]
    assert step.type == StepDue.TYPE and step.source == "cadenza/scheduling" and step.tenant == "acme"
    assert step.data["step_id"] == "intro" and step.data["channel"] == "phone" and step.data["timer_id"] == str(step_ids[0])
    assert step.correlationid == step.subject == step.data["enrollment_id"]
    assert by_id[f"timer-{end_id}"].type == "cadenza.CadenceEnded" and by_id[f"timer-{end_id}"].data["steps_total"] == 3
    assert {r.topic for r in rows} == {"step.due"}
    async with sessions() as s:
        states = dict((await s.execute(select(timers.c.id, timers.c.status))).all())
        fired_at = set((await s.execute(select(timers.c.fired_at).where(timers.c.status == "fired"))).scalars())
    assert states[future[0]] == "pending"
    assert sum(1 for v in states.values() if v == "fired") == 5 and fired_at == {now}


async def test_add_many__writes_the_same_row_as_outbox_add(sessions):
    now = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    event = StepDue(
        enrollment_id=uuid.uuid4(),
        cadence_id=uuid.uuid4(),
        step_index=2,
        step_id="s",
        channel="email",
        due_at=now,
        fired_at=now,
        timer_id=uuid.uuid4(),
    )
    outbox = outbox_for(now)
    async with sessions() as s, s.begin():
        await outbox.add(s, event, tenant="acme", correlation_id="c", event_id="one")
        await add_many(s, outbox, [(event, "acme", "c", "two"), (event, "acme", "c", "three")])
    one, two, three = await outbox_rows(sessions)
    assert (one.event_type, one.topic, one.key) == (two.event_type, two.topic, two.key)
    assert one.value.replace(b'"id":"one"', b'"id":"two"') == two.value
    assert three.id > two.id  # the batch keeps its order


async def test_fire_due_timers__events_are_byte_identical_to_validated_events_through_outbox_add(sessions):
    cadence_id = await add_cadence(sessions)
    now = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    (step_id,) = await insert_timers(sessions, cadence_id, [now - timedelta(minutes=3)])
    (end_id,) = await insert_timers(sessions, cadence_id, [now - timedelta(minutes=2)], kind="end")
    assert await fire(sessions, now, limit=10) == 2
    rows = {r.event_id: r for r in await outbox_rows(sessions)}
    async with sessions() as s:
        fired = {t.id: t for t in (await s.execute(select(timers))).all()}
        plan_of = dict((await s.execute(select(plans.c.enrollment_id, plans.c.cadence_id))).all())
    expected_step = StepDue(
        enrollment_id=fired[step_id].enrollment_id,
        cadence_id=plan_of[fired[step_id].enrollment_id],
        step_index=0,
        step_id="intro",
        channel="phone",
        due_at=fired[step_id].due_at,
        fired_at=now,
        timer_id=step_id,
    )
    expected_end = CadenceEnded(
        enrollment_id=fired[end_id].enrollment_id,
        cadence_id=plan_of[fired[end_id].enrollment_id],
        steps_total=3,
        due_at=fired[end_id].due_at,
        fired_at=now,
    )
    for timer_id, event in ((step_id, expected_step), (end_id, expected_end)):
        envelope = wrap(
            event,
            tenant="acme",
            source="cadenza/scheduling",
            time=now,
            correlation_id=str(event.enrollment_id),
            event_id=f"timer-{timer_id}",
        )
        row = rows[f"timer-{timer_id}"]
        assert row.value == envelope.encode()
        assert (row.event_type, row.topic, row.key) == (envelope.type, event.TOPIC, envelope.subject)


async def test_two_pollers__skip_locked_timers_and_never_fire_one_twice(sessions, scheduling_engine):
    cadence_id = await add_cadence(sessions)
    now = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    await insert_timers(sessions, cadence_id, [now - timedelta(seconds=i) for i in range(30)])

    # replica A claims 5 and has not committed yet: replica B takes the other 25, skipping A's
    async with sessions() as a:
        async with a.begin():
            assert await svc.fire_due_timers(a, outbox_for(now), now=now, limit=5) == 5
            assert await fire(sessions, now, limit=100) == 25
        assert await fire(sessions, now, limit=100) == 0

    # four concurrent pollers on 400 more timers
    await insert_timers(sessions, cadence_id, [now - timedelta(seconds=i) for i in range(400)])

    async def poller() -> int:
        total = 0
        while fired := await fire(sessions, now, limit=17):
            total += fired
        return total

    assert sum(await asyncio.gather(*(poller() for _ in range(4)))) == 400
    async with sessions() as s:
        counts = (await s.execute(text("SELECT count(*) FILTER (WHERE status = 'fired'), count(*) FROM scheduling.timers"))).one()
        events = (await s.execute(text("SELECT count(*), count(DISTINCT event_id) FROM scheduling.outbox"))).one()
    assert tuple(counts) == (430, 430)
    assert tuple(events) == (430, 430)


async def test_gauges__count_pending_and_overdue(sessions):
    cadence_id = await add_cadence(sessions)
    now = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
    await insert_timers(sessions, cadence_id, [now - timedelta(minutes=1), now, now + timedelta(minutes=1)])
    async with sessions() as s:
        await svc.refresh_gauges(s, now=now)
        assert await svc.next_due_at(s) == now - timedelta(minutes=1)
    assert (svc.PENDING._value.get(), svc.OVERDUE._value.get()) == (3, 2)


async def test_tenant_blackout_dates__skip_every_cadence_and_move_live_timers(sessions):
    from datetime import date

    cadence_id = await add_cadence(sessions)
    enrolled = ny(2027, 12, 23, 8, 0)  # Thursday: day 1 would be today 09:00
    before = await start(sessions, cadence_id, enrolled)
    (live,) = await live_timers(sessions, before)
    assert wall(live.due_at) == "Thu 2027-12-23 09:00"

    async with sessions() as s, s.begin():
        result = await svc.set_blackout_dates(
            s, tenant="acme", dates=[(date(2027, 12, 23), "office party"), (date(2027, 12, 22), "")], now=enrolled
        )
    assert result["dates"] == [{"date": date(2027, 12, 22), "reason": ""}, {"date": date(2027, 12, 23), "reason": "office party"}]
    assert result["replanned_timers"] == 1
    (moved,) = await live_timers(sessions, before)  # planned again: Fri 24 is the observed Christmas holiday -> Mon 27
    assert wall(moved.due_at) == "Mon 2027-12-27 09:00"
    assert "blackout: 2027-12-23 skipped" in moved.reasons

    after = await start(sessions, cadence_id, enrolled)  # planned after the change
    (timer,) = await live_timers(sessions, after)
    assert wall(timer.due_at) == "Mon 2027-12-27 09:00"

    async with sessions() as s:
        assert await svc.list_blackout_dates(s, tenant="globex") == []
