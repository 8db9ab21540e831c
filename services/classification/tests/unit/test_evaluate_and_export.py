"""The evaluation command's metrics and output, and the export of human relabels into the training data."""

from __future__ import annotations

import json

import pytest

from cadenza_classification.model import dataset, evaluate
from cadenza_classification.model.dataset import as_message
from cadenza_classification.model.export_relabels import append_records, records_from_rows


def test_score__per_label_macro_and_confusion():
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    s = evaluate.score(gold, pred)
    assert s.precision["a"] == 0.5 and s.recall["a"] == 0.5
    assert s.precision["b"] == pytest.approx(2 / 3) and s.recall["b"] == 1.0
    assert s.f1["c"] == 0.0 and s.support["c"] == 1
    assert s.macro_f1 == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert s.accuracy == 0.6
    assert s.confusion[("c", "a")] == 1


def test_evaluate__prints_the_three_systems_matrix_and_throughput_and_gates_on_macro_f1(capsys):
    assert evaluate.main(["--seconds", "0.05", "--fail-under", "1.01"]) == 1  # nothing reaches a macro-F1 above 1
    out = capsys.readouterr().out
    for needle in ("rules: accuracy", "model: accuracy", "combined: accuracy", "confusion matrix", "msg/s", "macro-F1 combined"):
        assert needle in out, needle
    assert "is below --fail-under 1.01" in out


def test_held_out_messages__parse_back_to_their_text():
    records = dataset.load(split="test")[:30]
    from cadenza_classification.domain import parse_message

    for i, record in enumerate(records):
        assert parse_message(as_message(record["text"], i)).new_text.startswith(record["text"].split("\n")[0].strip()[:20])


def test_export__rows_become_redacted_train_records_and_bounces_are_skipped():
    rows = [
        ("11111111-1111-1111-1111-111111111111", "positive", as_message("Call me on 555-0100 or mail jane@x.example", 1).decode()),
        ("22222222-2222-2222-2222-222222222222", "bounce_hard", as_message("whatever", 2).decode()),
        ("33333333-3333-3333-3333-333333333333", "negative", "not a message at all"),
    ]
    records = records_from_rows(rows)
    assert [r["label"] for r in records] == ["positive"]
    assert records[0]["text"] == "Call me on 000-0000 or mail someone@example.invalid"
    assert records[0]["split"] == "train" and records[0]["source"] == "relabel"


def test_export__appends_once_and_the_file_loads_as_training_data(tmp_path):
    path = tmp_path / "relabels.jsonl"
    record = {
        "id": "relabel-x",
        "text": "Let's pencil something in for the spring.",
        "label": "negative",
        "lang": "und",
        "split": "train",
        "group": "relabel-x",
        "tags": ["relabel"],
        "source": "relabel",
    }
    assert append_records([record], path) == 1
    assert append_records([record, dict(record, id="relabel-y")], path) == 0  # same id, then same text
    loaded = dataset.load([path])
    assert loaded == [record]
    assert json.loads(path.read_text())["label"] == "negative"
