"""Rules + intent model (domain/combine.py): who decides what, confidence, needs_review and evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cadenza_classification.domain import Label, classify, parse_message
from cadenza_classification.domain.combine import classify_reply, merge_llm
from cadenza_classification.model.dataset import MODEL_LABELS
from cadenza_classification.model.intent import default_model


class Fixed:
    """A scorer that always answers the same distribution (and counts its calls)."""

    def __init__(self, label: str, p: float) -> None:
        rest = (1.0 - p) / (len(MODEL_LABELS) - 1)
        self.probs = {lb: (p if lb == label else rest) for lb in MODEL_LABELS}
        self.calls = 0

    def predict_proba(self, text: str) -> dict[str, float]:
        self.calls += 1
        return self.probs


class Exploding:
    def predict_proba(self, text: str) -> dict[str, float]:
        raise AssertionError("the model must not be asked")


def combined(raw: bytes, model, **kw):
    return classify_reply(parse_message(raw), model=model, **kw)


# --------------------------------------------------------------------------- what the model never overrides


def test_bounce__never_asks_the_model(eml):
    result = combined(eml("dsn_hard_user_unknown"), Exploding())
    assert result.label is Label.bounce_hard and result.decided_by == "rules"


def test_machine_mail_by_headers__never_asks_the_model(eml):
    assert combined(eml("ooo_german_auto_submitted"), Exploding()).label is Label.out_of_office


def test_empty_new_text__never_asks_the_model(build):
    assert combined(build("> only a quote"), Exploding()).label is Label.unknown


def test_unsubscribe_phrase__stands_whatever_the_model_says(build):
    result = combined(build("Please remove me from your list."), Fixed("positive", 0.99))
    assert result.label is Label.unsubscribe
    assert "model: positive 0.99" in result.evidence


# --------------------------------------------------------------------------- no rule matched: the model decides


def test_no_rule__confident_model_decides_with_its_probability_and_evidence(build):
    result = combined(build("Wir sind mit unserem aktuellen Anbieter zufrieden."), Fixed("negative", 0.83))
    assert result.label is Label.negative
    assert result.confidence == 0.83 and not result.needs_review
    assert "model: negative 0.83" in result.evidence and "no rule matched" in result.evidence
    assert result.decided_by == "model"


def test_no_rule__model_label_below_the_threshold_needs_review(build):
    result = combined(build("Wir sind mit unserem aktuellen Anbieter zufrieden."), Fixed("negative", 0.55))
    assert result.label is Label.negative and result.needs_review


def test_no_rule__unsure_model_leaves_unknown_for_a_human(build):
    result = combined(build("Hmm, we'll see."), Fixed("positive", 0.4))
    assert result.label is Label.unknown and result.needs_review
    assert "model: positive 0.40" in result.evidence


def test_no_rule__model_agreeing_on_unknown_raises_the_confidence(build):
    result = combined(build("Thanks, got it."), Fixed("unknown", 0.9))
    assert result.label is Label.unknown and result.confidence == pytest.approx(0.93)


def test_no_rule__machine_label_from_wording_alone_needs_a_higher_probability(build):
    text = "Your request has been logged under reference 4821."
    assert combined(build(text), Fixed("auto_reply", 0.6)).label is Label.unknown
    assert combined(build(text), Fixed("auto_reply", 0.8)).label is Label.auto_reply


def test_model_out_of_office__gets_a_return_date_or_the_default_pause(build):
    raw = build("Gone fishing, see you after the long weekend.", date="Tue, 02 Mar 2027 10:00:00 +0000")
    result = combined(raw, Fixed("out_of_office", 0.9), default_pause_days=5)
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 3, 2) + timedelta(days=5)
    assert "no return date found: default pause 5 days" in result.evidence


def test_model_negative__gets_the_follow_up_date(build):
    raw = build("We'll revisit this in Q3.", date="Tue, 02 Mar 2027 10:00:00 +0000")
    assert classify(parse_message(raw)).label is not Label.negative or True  # whatever the rules say
    result = combined(raw, Fixed("negative", 0.9))
    assert result.label is Label.negative and result.follow_up_date == date(2027, 7, 1)


def test_model_referral_without_anybody_named__is_wrong_person(build):
    result = combined(build("Hmm, somebody else does that here."), Fixed("referral", 0.9))
    assert result.label is Label.wrong_person
    assert result.referral_email is None


def test_model_wrong_person_with_an_address__is_referral(build):
    result = combined(build("Hmm. jane.roe@northwind.example.com does that here."), Fixed("wrong_person", 0.9))
    assert result.label is Label.referral and result.referral_email == "jane.roe@northwind.example.com"


# --------------------------------------------------------------------------- rules decided: agreement and disagreement


def test_agreement__raises_the_confidence(build):
    raw = build("Not interested, thanks.")
    rules = classify(parse_message(raw))
    result = combined(raw, Fixed("negative", 0.8))
    assert result.label is Label.negative
    assert result.confidence > rules.confidence and result.decided_by == "rules+model"


def test_referral_and_wrong_person__count_as_the_same_opinion(build):
    result = combined(build("Please reach out to Jane Roe (jane.roe@northwind.example.com)."), Fixed("wrong_person", 0.8))
    assert result.label is Label.referral and result.decided_by == "rules+model"
    assert result.referral_email == "jane.roe@northwind.example.com"


def test_disagreement__goes_to_review_and_the_stronger_side_wins(build):
    raw = build("Not interested, thanks.")
    kept = combined(raw, Fixed("positive", 0.9))
    assert kept.label is Label.negative and kept.needs_review
    assert any(e.startswith("model disagrees") for e in kept.evidence)


def test_weak_question_rule__yields_to_a_sure_model(build):
    raw = build("Ok, you got my attention. What does next Monday look like for you?")
    assert classify(parse_message(raw)).label is Label.question
    result = combined(raw, Fixed("positive", 0.75))
    assert result.label is Label.positive and result.confidence == 0.75
    assert "rules said question 0.70" in result.evidence


def test_human_intent_found_by_rules__is_not_turned_into_machine_mail(build):
    result = combined(build("Sounds good, let's talk Tuesday."), Fixed("auto_reply", 0.95))
    assert result.label is Label.positive and result.needs_review


def test_model_none__is_the_rules_alone(build):
    raw = build("Which CRMs do you integrate with? We use a home-grown one.")
    assert combined(raw, None) == classify(parse_message(raw))


# --------------------------------------------------------------------------- the optional LLM's answer


def test_llm_agreement__raises_the_confidence(build):
    msg = parse_message(build("Which CRMs do you integrate with? We use a home-grown one."))
    result = classify_reply(msg, model=None)
    merged = merge_llm(result, "question", 0.9, msg)
    assert merged.label is Label.question and merged.confidence > result.confidence
    assert "llm: question 0.90" in merged.evidence and merged.decided_by == "rules+llm"


def test_llm_disagreement__replaces_only_a_label_the_rules_had_no_opinion_on(build):
    msg = parse_message(build("Hmm, we'll see."))
    result = classify_reply(msg, model=None)
    assert merge_llm(result, "negative", 0.9, msg).label is Label.negative
    assert merge_llm(result, "negative", 0.5, msg).label is Label.unknown
    msg2 = parse_message(build("Not interested, thanks."))
    strong = classify_reply(msg2, model=None)
    assert merge_llm(strong, "positive", 0.99, msg2).label is Label.negative


def test_llm__never_touches_bounces_or_unsubscribes(eml, build):
    bounce = parse_message(eml("dsn_hard_user_unknown"))
    assert merge_llm(classify(bounce), "positive", 1.0, bounce).label is Label.bounce_hard
    unsub = parse_message(build("Unsubscribe."))
    assert merge_llm(classify(unsub), "positive", 1.0, unsub).label is Label.unsubscribe


# --------------------------------------------------------------------------- with the shipped model


@pytest.mark.parametrize(
    ("body", "label"),
    [
        ("This is an automatic reply. We have received your message and will get back to you within two business days.", Label.auto_reply),
        ("Stop the sequence please, I'm not going to reply to these.", Label.unsubscribe),
        ("Not now, try me in Q3.", Label.negative),
        ("Please remove me from your list.", Label.unsubscribe),
        ("Sounds good, let's talk Tuesday at 2pm.", Label.positive),
    ],
)
def test_shipped_model__combined_labels(build, body, label):
    assert combined(build(body), default_model()).label is label


def test_shipped_model__huge_new_text_is_bounded(build):
    result = combined(build("interested? " * 200_000), default_model())
    assert 0.0 <= result.confidence <= 1.0
