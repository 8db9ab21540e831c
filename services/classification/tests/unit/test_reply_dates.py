"""Behaviour of the date finders used by classify() (cadenza_classification.domain.dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cadenza_classification.domain.dates import find_follow_up_date, find_return_date

TUESDAY = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("try me in Q3", date(2027, 7, 1)),
        ("try me in Q1", date(2028, 1, 1)),  # Q1 2027 has started: the next Q1
        ("revisit in Q2 2028", date(2028, 4, 1)),
        ("reach out next quarter", date(2027, 4, 1)),
        ("ping me in 6 months", date(2027, 9, 2)),
        ("check back in a few weeks", date(2027, 3, 23)),
        ("after January", date(2028, 2, 1)),
        ("after June", date(2027, 7, 1)),
        ("maybe next year", date(2028, 1, 1)),
        ("let's revisit in H2", date(2027, 7, 1)),
        ("not now, maybe towards the end of the year", date(2027, 12, 1)),
        ("not now - try again in mid-May", date(2027, 5, 15)),
        ("not now - try again early April", date(2027, 4, 1)),
        ("nicht jetzt, gerne nächstes Jahr", date(2028, 1, 1)),
        ("recontactez-moi dans 2 mois", date(2027, 5, 2)),
        ("contácteme de nuevo en septiembre", date(2027, 9, 1)),
    ],
)
def test_follow_up_periods(text, expected):
    hit = find_follow_up_date(text, TUESDAY)
    assert hit is not None and hit.value == expected


@pytest.mark.parametrize(
    "text",
    [
        "we signed in January",  # a bare month without any deferral wording
        "we bought it last Q3",
        "no thanks",
    ],
)
def test_no_follow_up_period(text):
    assert find_follow_up_date(text, TUESDAY) is None


def test_return_date__relative_weekday_uses_the_senders_local_date():
    # 23:30 on Sunday in New York is already Monday in UTC: "back on Monday" means the next day there
    sent = datetime(2027, 1, 10, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    hit = find_return_date("I'm out of office, back on Monday.", sent)
    assert hit is not None and hit.value == date(2027, 1, 11)


def test_return_date__must_be_after_the_message_date():
    assert find_return_date("I was back on 1 March.", TUESDAY) is None
    assert find_return_date("back on 2 March", TUESDAY) is None  # same day is not "after"


def test_return_date__german_numeric_date_is_day_first():
    hit = find_return_date("Ich bin ab dem 04.05.2027 wieder im Büro.", TUESDAY)
    assert hit is not None and hit.value == date(2027, 5, 4)


def test_return_date__us_numeric_date_is_month_first():
    hit = find_return_date("I'll be back on 4/5/2027.", TUESDAY)
    assert hit is not None and hit.value == date(2027, 4, 5)


def test_return_date__absurdly_far_dates_are_ignored():
    assert find_return_date("back on 1 January 2035", TUESDAY) is None


def test_return_date__a_just_passed_date_without_year_is_not_moved_to_next_year():
    # an auto-reply left on after the return: "until 28 February" sent on 2 March
    assert find_return_date("I am out of the office until 28 February.", TUESDAY) is None
    hit = find_return_date("I am out of the office until 28 February 2028.", TUESDAY)
    assert hit is not None and hit.value == date(2028, 2, 28)
