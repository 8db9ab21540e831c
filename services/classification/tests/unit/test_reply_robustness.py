"""Hostile and random input: parse_message/classify either work or raise MalformedMessage, and stay fast."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadenza_classification.domain import MalformedMessage, classify, html_to_text, parse_message, thread_message_ids
from cadenza_classification.domain.dates import find_follow_up_date, find_return_date

MESSAGES = sorted((Path(__file__).parent / "messages").glob("*.eml"))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_malformed(raw: bytes) -> None:
    try:
        msg = parse_message(raw)
    except MalformedMessage as err:
        assert err.field and err.reason
        return
    result = classify(msg, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert 0.0 <= result.confidence <= 1.0
    thread_message_ids(msg)


@FUZZ
@given(st.binary(min_size=0, max_size=4000))
def test_random_bytes__parse_or_raise_malformed_message(raw):
    _parse_or_malformed(raw)


@FUZZ
@given(
    st.sampled_from(MESSAGES),
    st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.binary(min_size=0, max_size=8)), max_size=8),
)
def test_mutated_fixtures__parse_or_raise_malformed_message(path, edits):
    raw = bytearray(path.read_bytes())
    for offset, chunk in edits:
        at = offset % (len(raw) + 1)
        raw[at : at + len(chunk)] = chunk
    _parse_or_malformed(bytes(raw))


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_body__classifies_without_error(body):
    raw = b"From: a@example.com\nSubject: Re: hi\nDate: Tue, 02 Mar 2027 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
    _parse_or_malformed(raw + body.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("<>/!-?abdiv =\"'&;#x\n")), max_size=3000))
def test_random_html__converts_without_error(html):
    assert isinstance(html_to_text(html), str)


@FUZZ
@given(st.text(max_size=300))
def test_date_finders__only_return_dates_after_the_base(text):
    base = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    for hit in (find_return_date(text, base), find_follow_up_date(text, base)):
        assert hit is None or hit.value > date(2027, 3, 2)


# --------------------------------------------------------------------------- size and time bounds


def _timed(raw: bytes, **kw) -> float:
    start = time.perf_counter()
    try:
        classify(parse_message(raw, **kw))
    except MalformedMessage:
        pass
    return time.perf_counter() - start


HEADERS = b"From: a@example.com\nSubject: Re: x\nDate: Tue, 02 Mar 2027 10:00:00 +0000\n"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("a megabyte of '<' in HTML", HEADERS + b"Content-Type: text/html\n\n" + b"<" * 1_000_000),
        ("an unterminated HTML comment", HEADERS + b"Content-Type: text/html\n\n<!--" + b"x" * 1_000_000),
        ("200k nested divs", HEADERS + b"Content-Type: text/html\n\n" + b"<div>" * 200_000),
        ("one 2 MB line", HEADERS + b"\n" + b"interested " * 200_000),
        ("References without brackets", b"From: a@example.com\nReferences: " + b"a" * 1_000_000 + b"\n\nx"),
        ("many quote headers", HEADERS + b"\n" + b"On Tue wrote:\nFrom: x\nSent: y\nTo: z\n" * 20_000),
        ("OOO full of cues", HEADERS + b"Auto-Submitted: auto-replied\n\nout of office " + b"back on until bis hasta " * 40_000),
        ("bounce full of codes", b"From: MAILER-DAEMON@x.example\nSubject: failure notice\n\n" + b"said: 550 5.1.1 " * 100_000),
        ("too many lines", HEADERS + b"\n" + b"\n" * 1_000_000),
    ],
)
def test_hostile_input__is_handled_in_bounded_time(name, raw):
    assert _timed(raw) < 10.0, name


def test_max_lines__rejects_absurdly_many_short_lines():
    with pytest.raises(MalformedMessage) as err:
        parse_message(HEADERS + b"\n" + b"x\n" * 300_000)
    assert err.value.field == "raw" and "max_lines" in err.value.reason


def test_max_header_lines__rejects_header_floods():
    with pytest.raises(MalformedMessage) as err:
        parse_message(b"From: a@example.com\n" + b"X-A: b\n" * 20_000 + b"\nbody")
    assert err.value.field == "headers"


def test_five_megabyte_realistic_message__parses(eml):
    attachment = b"QUJD" * 19 + b"\n"
    raw = eml("base64_referral").replace(b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK\n", attachment * 60_000)
    assert 4_000_000 < len(raw) < 5_000_000
    assert classify(parse_message(raw)).referral_email == "jane.roe@example.org"
