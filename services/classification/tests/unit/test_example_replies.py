"""The demo's example replies get the labels a sales rep would give them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadenza_classification.domain.combine import classify_reply
from cadenza_classification.domain.parsing import parse_message
from cadenza_classification.domain.rules import classify
from cadenza_classification.model.intent import default_model

REPLIES = Path(__file__).resolve().parents[4] / "examples" / "replies"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("01-positive-gmail.eml", "positive"),
        ("02-polite-no-outlook.eml", "negative"),
        ("03-unsubscribe.eml", "unsubscribe"),
        ("04-out-of-office-de.eml", "out_of_office"),
        ("05-hard-bounce-dsn.eml", "bounce_hard"),
        ("06-out-of-office-en.eml", "out_of_office"),
        ("07-referral.eml", "referral"),
        ("08-not-now-q3.eml", "negative"),
    ],
)
def test_example_reply__gets_the_expected_label(name, label):
    raw = (REPLIES / name).read_bytes().replace(b"{{original_message_id}}", b"<intro.1@ledgerline.example>")
    msg = parse_message(raw)
    assert classify(msg).label.value == label
    combined = classify_reply(msg, model=default_model())
    assert combined.label.value == label, "the rules + model path the service runs"
    assert not combined.needs_review
