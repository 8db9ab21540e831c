"""Behaviour of the rates (cadenza_metrics.domain.formulas) and counter mappings (domain.counting)."""

from __future__ import annotations

import pytest

from cadenza_metrics.domain.counting import (
    STEP_METRICS,
    engagement_metric,
    exit_metric,
    failure_metric,
    failure_reason_label,
    is_human_reply,
    prospect_key,
    reply_label,
    reply_metrics,
)
from cadenza_metrics.domain.formulas import REPLY_RATE_BENCHMARK, below_benchmark, cadence_rates, rate, step_rates
from cadenza_shared.contracts.classification import LABELS, MACHINE_LABELS
from cadenza_shared.contracts.enrollment import ExitReason


def test_rate_rounds_to_four_decimals_and_is_none_without_denominator() -> None:
    assert rate(1, 3) == 0.3333
    assert rate(0, 10) == 0.0
    assert rate(5, 0) is None
    assert rate(0, 0) is None


def test_step_rates_divide_by_sent() -> None:
    counts = {"sent": 40, "replies": 4, "positive": 1, "bounces_hard": 2, "out_of_office": 7, "auto_replies": 3}
    assert step_rates(counts) == {"reply_rate": 0.1, "positive_rate": 0.025, "bounce_rate": 0.05}


def test_step_rates_of_a_step_that_sent_nothing_are_unknown() -> None:
    assert step_rates({"due": 5, "failed": 5}) == {"reply_rate": None, "positive_rate": None, "bounce_rate": None}


def test_cadence_rates_divide_distinct_replying_enrollments_by_enrolled() -> None:
    rates = cadence_rates(enrolled=48, replied=6, replied_positive=2)
    assert rates["reply_rate"] == 0.125
    assert rates["positive_reply_rate"] == 0.0417
    assert rates["below_benchmark"] is False
    assert rates["benchmark"] == REPLY_RATE_BENCHMARK


def test_cold_outreach_under_five_percent_is_flagged() -> None:
    assert cadence_rates(enrolled=100, replied=4, replied_positive=1)["below_benchmark"] is True
    assert cadence_rates(enrolled=100, replied=5, replied_positive=1)["below_benchmark"] is False  # exactly 5% is not below
    assert cadence_rates(enrolled=0, replied=0, replied_positive=0)["below_benchmark"] is None
    assert below_benchmark(0.08, benchmark=0.1) is True


@pytest.mark.parametrize("label", sorted(MACHINE_LABELS))
def test_machine_mail_is_never_a_reply(label: str) -> None:
    assert not is_human_reply(label)
    assert "replies" not in reply_metrics(label)
    assert len(reply_metrics(label)) == 1


def test_human_labels_count_as_replies_and_under_their_own_counter() -> None:
    assert reply_metrics("positive") == ("replies", "positive")
    assert reply_metrics("negative") == ("replies", "negative")
    assert reply_metrics("unsubscribe") == ("replies", "unsubscribes")
    assert reply_metrics("referral") == ("replies", "referrals")
    assert reply_metrics("wrong_person") == ("replies", "wrong_person")
    assert reply_metrics("question") == ("replies", "questions")
    assert reply_metrics("unknown") == ("replies",)
    assert reply_metrics("bounce_hard") == ("bounces_hard",)
    assert reply_metrics("bounce_soft") == ("bounces_soft",)
    assert reply_metrics("out_of_office") == ("out_of_office",)
    assert reply_metrics("auto_reply") == ("auto_replies",)


def test_every_label_maps_to_known_step_metrics() -> None:
    for label in LABELS:
        assert set(reply_metrics(label)) <= set(STEP_METRICS)


def test_prometheus_labels_stay_bounded() -> None:
    assert reply_label("positive") == "positive"
    assert reply_label("something-new") == "unknown"
    assert failure_reason_label("smtp_rejected") == "smtp_rejected"
    assert failure_reason_label(" SMTP_REJECTED ") == "smtp_rejected"
    assert failure_reason_label("task_expired") == "task_expired"
    assert failure_reason_label("acme-specific-4711") == "other"
    assert failure_reason_label("") == "other"


def test_failure_counters_keep_readable_codes_and_fold_the_rest() -> None:
    assert failure_metric("invalid_address") == "failed:invalid_address"
    assert failure_metric("vendor.code-7") == "failed:vendor.code-7"
    assert failure_metric("has spaces and ünïcode") == "failed:other"
    assert failure_metric("x" * 65) == "failed:other"


def test_exit_and_engagement_metrics() -> None:
    assert exit_metric(ExitReason.meeting_booked) == "exit:meeting_booked"
    assert exit_metric("bounced") == "exit:bounced"
    assert engagement_metric("open", "curl/8") == "opens_machine"
    assert engagement_metric("open", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0") == "opens_human"
    assert engagement_metric("click", None) == "clicks"
    assert engagement_metric("visit", None) == "visits"
    assert engagement_metric("linkedin_accepted", None) == "linkedin_accepted"


def test_prospect_key_is_stable_and_case_insensitive() -> None:
    assert prospect_key(" Katrin.Vogel@Rheinwerk.example ") == prospect_key("katrin.vogel@rheinwerk.example")
    assert "@" not in prospect_key("a@b.example")
