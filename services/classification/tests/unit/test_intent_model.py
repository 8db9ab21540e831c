"""The labelled set, the shipped intent model artifact and its pure-Python scorer."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from cadenza_classification.model import dataset
from cadenza_classification.model.build_dataset import build
from cadenza_classification.model.features import MAX_CHARS, terms
from cadenza_classification.model.intent import ARTIFACT_PATH, FORMAT, IntentModel, default_model

HUMAN_LABELS = {"positive", "negative", "unsubscribe", "referral", "wrong_person", "question", "unknown"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return dataset.load([dataset.DATA_PATH])


# --------------------------------------------------------------------------- the data set


def test_dataset__is_large_varied_and_labelled(records):
    assert len(records) >= 600
    labels = Counter(r["label"] for r in records)
    assert set(labels) == set(dataset.MODEL_LABELS)
    assert all(count >= 40 for count in labels.values()), labels
    langs = Counter(r["lang"] for r in records)
    assert {"en", "de", "fr", "es", "pt", "nl"} <= set(langs)
    assert langs["en"] < 0.75 * len(records)
    tags = Counter(t for r in records for t in r["tags"])
    assert tags["sarcasm"] >= 10 and tags["mixed"] >= 10 and tags["deferral"] >= 10
    lengths = sorted(len(r["text"]) for r in records)
    assert lengths[0] <= 10 and lengths[-1] >= 250


def test_dataset__split_is_about_a_quarter_stratified_and_grouped(records):
    test = [r for r in records if r["split"] == "test"]
    assert 0.2 <= len(test) / len(records) <= 0.3
    for label in dataset.MODEL_LABELS:
        of_label = [r for r in records if r["label"] == label]
        held = sum(r["split"] == "test" for r in of_label)
        assert 0.15 <= held / len(of_label) <= 0.35, label
    sides = defaultdict(set)
    for r in records:
        sides[r["group"]].add(r["split"])
    assert all(len(s) == 1 for s in sides.values()), "paraphrases of one reply never straddle the split"


def test_dataset__file_is_what_the_builder_writes(records):
    assert build() == records, "run: python -m cadenza_classification.model.build_dataset"


def test_dataset__mixed_signal_example_is_negative(records):
    texts = {r["text"]: r["label"] for r in records}
    assert any("Not now, try me in" in t and label == "negative" for t, label in texts.items())


def test_dataset__load_rejects_unknown_labels(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "hello", "label": "bounce_hard"}) + "\n")
    with pytest.raises(ValueError, match="label"):
        dataset.load([bad])


# --------------------------------------------------------------------------- the artifact


def test_artifact__ships_in_the_package_and_matches_the_data():
    model = default_model()
    assert model.meta["format"] == FORMAT
    assert set(model.labels) == set(dataset.MODEL_LABELS)
    assert model.meta["data_sha256"] == dataset.digest(), "data changed: run python -m cadenza_classification.model.train"
    assert model.meta["trained_on"]["records"] == len(dataset.load(split="train"))
    assert ARTIFACT_PATH.stat().st_size < 2_000_000


def test_artifact__wrong_format_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format": "something-else", "labels": [], "intercept": [], "vocab": {}}))
    with pytest.raises(ValueError, match="format"):
        IntentModel.load(path)


def test_scorer__probabilities_sum_to_one_for_any_text():
    model = default_model()
    for text in ("", "   ", "?!", "x" * 50_000, "Ünïcödé 🎉 テスト", "Sounds good, let's talk Tuesday."):
        probs = model.predict_proba(text)
        assert set(probs) == set(model.labels)
        assert abs(sum(probs.values()) - 1.0) < 1e-9
        assert all(0.0 <= p <= 1.0 for p in probs.values())


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Yes, let's talk. Does Tuesday at 2pm work?", "positive"),
        ("Please remove me from your mailing list.", "unsubscribe"),
        ("I am out of the office until April 3 with limited access to email.", "out_of_office"),
        ("Your request has been received. Ticket #48213. Please do not reply to this message.", "auto_reply"),
        ("Wir sind mit unserem aktuellen Anbieter zufrieden, kein Bedarf.", "negative"),
    ],
)
def test_scorer__clear_cases(text, label):
    assert default_model().predict(text)[0] == label


def test_scorer__top_terms_explain_the_label():
    model = default_model()
    assert model.top_terms("Please unsubscribe me.", "unsubscribe")


def test_features__are_bounded_and_deterministic():
    text = "Hello jane.roe@x.example, call 555-0100 at https://x.example/a ?"
    assert terms(text) == terms(text)
    assert "w:_email_" in terms(text) and "w:_url_" in terms(text) and "w:?" in terms(text)
    assert not any(ch in "123456789" for t in terms(text) for ch in t)
    assert len(terms("word " * 100_000)) < 10 * MAX_CHARS


# --------------------------------------------------------------------------- training (needs scikit-learn)


def test_runtime_scorer__reproduces_the_scikit_learn_pipeline():
    pytest.importorskip("sklearn")
    from threadpoolctl import threadpool_limits

    from cadenza_classification.model.train import fit

    train = [r for r in dataset.load(split="train")][::3]
    with threadpool_limits(1):
        pipeline, artifact = fit(train, c=10.0)
    model = IntentModel.from_artifact(artifact)
    texts = [r["text"] for r in dataset.load(split="test")[:40]]
    expected = pipeline.predict_proba(texts)
    classes = list(pipeline.classes_)
    for text, row in zip(texts, expected, strict=True):
        probs = model.predict_proba(text)
        assert max(abs(probs[c] - row[i]) for i, c in enumerate(classes)) < 1e-3
        assert model.predict(text)[0] == classes[int(row.argmax())]
