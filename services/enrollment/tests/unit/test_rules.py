"""The exit/pause rules and the state machine, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cadenza_enrollment.domain.state import MAX_SOFT_BOUNCES, Status, check_transition, decide_on_account_reply, decide_on_reply
from cadenza_shared.contracts.enrollment import ExitReason
from cadenza_shared.errors import Conflict

NOW = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)


def decide(label: str, **kw):
    return decide_on_reply(label=label, status=kw.pop("status", Status.active), timezone="Europe/Berlin", now=NOW, **kw)


@pytest.mark.parametrize(
    ("label", "reason", "suppress", "handoff"),
    [
        ("positive", ExitReason.replied_positive, False, True),
        ("negative", ExitReason.replied_negative, False, False),
        ("unsubscribe", ExitReason.unsubscribed, True, False),
        ("bounce_hard", ExitReason.bounced, True, False),
        ("wrong_person", ExitReason.wrong_person, False, True),
        ("referral", ExitReason.wrong_person, False, True),
    ],
)
def test_reply_label__exits_with_its_reason(label, reason, suppress, handoff):
    decision = decide(label)
    assert decision.action == "exit"
    assert decision.exit_reason == reason
    assert decision.suppress is suppress
    assert decision.handoff is handoff


def test_positive_reply__applies_the_account_rule():
    assert decide("positive").account_rule_applies


def test_out_of_office_with_return_date__pauses_until_that_local_midnight():
    decision = decide("out_of_office", return_date=date(2027, 3, 22))
    assert decision.action == "pause"
    assert decision.pause_until == datetime(2027, 3, 21, 23, 0, tzinfo=UTC)  # 00:00 CET


def test_out_of_office_without_date__pauses_for_the_default_days():
    decision = decide("out_of_office", default_pause_days=5)
    assert decision.pause_until == datetime(2027, 3, 20, 23, 0, tzinfo=UTC)  # 2027-03-21 00:00 CET


def test_out_of_office_with_past_date__changes_nothing():
    assert decide("out_of_office", return_date=date(2027, 3, 1)).action == "none"


def test_auto_reply__is_never_a_reply_and_changes_nothing():
    assert decide("auto_reply").action == "none"


def test_soft_bounces__exit_only_at_the_limit():
    assert decide("bounce_soft", soft_bounces=0).action == "none"
    last = decide("bounce_soft", soft_bounces=MAX_SOFT_BOUNCES - 1)
    assert last.action == "exit" and last.exit_reason == ExitReason.bounced


def test_negative_with_follow_up_date__keeps_the_date():
    decision = decide("negative", follow_up_date=date(2027, 7, 1))
    assert decision.follow_up_on == date(2027, 7, 1)


@pytest.mark.parametrize("label", ["question", "unknown"])
def test_human_reply_we_cannot_act_on__pauses_and_asks_a_human(label):
    decision = decide(label)
    assert decision.action == "pause" and decision.handoff


def test_exited_enrollment__ignores_every_reply():
    assert decide("positive", status=Status.exited).action == "none"


@pytest.mark.parametrize(
    ("status", "action"), [(Status.exited, "pause"), (Status.exited, "exit"), (Status.active, "resume"), (Status.paused, "pause")]
)
def test_impossible_transition__is_a_conflict(status, action):
    with pytest.raises(Conflict):
        check_transition(status, action)


def test_account_rule__pause_exit_or_nothing():
    assert decide_on_account_reply(rule="pause_others").action == "pause"
    assert decide_on_account_reply(rule="exit_others").exit_reason == ExitReason.account_rule
    assert decide_on_account_reply(rule="none").action == "none"


def test_smtp_rejection__exits_bounced_and_suppresses():
    from cadenza_enrollment.domain.state import decide_on_step_failure

    decision = decide_on_step_failure(reason_code="smtp_rejected", status=Status.active)
    assert decision.exit_reason == ExitReason.bounced and decision.suppress
    assert decide_on_step_failure(reason_code="task_expired", status=Status.active).action == "none"
    assert decide_on_step_failure(reason_code="smtp_rejected", status=Status.exited).action == "none"


def test_template_syntax_error__named_with_step_field_and_line():
    from cadenza_enrollment.domain.templates import check_templates
    from cadenza_shared.contracts.cadence import CadenceSpec
    from cadenza_shared.errors import InvalidInput

    spec = CadenceSpec.model_validate(
        {
            "key": "k",
            "name": "K",
            "steps": [
                {"id": "a", "channel": "email", "day": 1, "subject": "Hi", "body": "Hello {{ first_name }}"},
                {"id": "b", "channel": "email", "day": 2, "subject": "Re", "body": "line one\n{{ company"},
            ],
        }
    )
    with pytest.raises(InvalidInput) as err:
        check_templates(spec)
    assert err.value.field == "steps.1.body" and "line 2" in err.value.reason
