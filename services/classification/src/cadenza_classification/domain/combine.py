"""Rules + intent model: the label the service publishes (pure; the model is passed in).

:func:`classify_reply` runs the rules (:func:`~cadenza_classification.domain.rules.classify`)
and then, for human intent only, asks the intent model (anything with
``predict_proba(text) -> {label: probability}``) about the new text:

* **Rules only** - bounces (``step == "bounce"``), spam complaints, machine mail
  recognised by its headers or subject, an empty new text: the model is not run.
* **Unsubscribe phrase** - the rules' ``unsubscribe`` stands whatever the model says
  (an opt-out is never second-guessed); the model's opinion is added as evidence.
* **No rule matched** (rules ``unknown``) - the model decides when its top label
  reaches ``min_model_probability`` (``out_of_office`` / ``auto_reply`` from text
  alone need at least :data:`MACHINE_MIN_PROBABILITY`); the confidence is the
  model's probability.  Below that the reply stays ``unknown``.
* **Rules say question** (the weakest rule: the text asks something and nothing
  above fired) - a model sure of another human intent (``QUESTION_OVERRIDE``,
  e.g. "When can we talk?" is positive) decides, with its probability.
* **Rules and model agree** (``referral`` and ``wrong_person`` count as the same
  opinion: the rules know whether a contact was named) - the rules' label and
  fields, with ``confidence = 1 - (1 - rules) * (1 - model)``.
* **They disagree** - each side scores ``(rules confidence + model probability)
  / 2`` for its label (the rules give the model's label nothing, so the model
  side is at most 0.5); the higher wins, except that a rules result of at least
  ``STRONG_RULES`` (an explicit phrase such as "not interested") keeps its label.
  Either way the result is usually below the review threshold: a disagreement
  goes to a human.

The fields that belong to a label the model chose (return date, follow-up date,
referral contact) are found with :func:`~cadenza_classification.domain.rules.label_details`;
a model ``referral`` without any contact becomes ``wrong_person``, a
``wrong_person`` that names one becomes ``referral``.  Evidence always carries
``"model: <label> <probability>"`` when the model ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from .parsing import ParsedMessage
from .rules import Classification, Label, classify, label_details

__all__ = ["IntentScorer", "MACHINE_MIN_PROBABILITY", "MODEL_MAX_CHARS", "classify_reply", "combine", "merge_llm"]

#: Steps decided from the structure of the message: the model never overrides them.
RULES_ONLY_STEPS = frozenset({"bounce", "complaint", "machine", "empty"})
#: The model may call a text an auto-reply / out-of-office without any header only this sure.
MACHINE_MIN_PROBABILITY = 0.7
#: A rules result this confident keeps its label when the model disagrees (it still goes to review).
STRONG_RULES = 0.85
#: The model overrides the rules' "question" (ends with "?") when this sure of another human label.
QUESTION_OVERRIDE = 0.6
#: Only the start of the new text is shown to the model (intent is stated up front).
MODEL_MAX_CHARS = 3_000
_MACHINE = frozenset({Label.out_of_office, Label.auto_reply})
_PERSON = frozenset({Label.referral, Label.wrong_person})


class IntentScorer(Protocol):
    def predict_proba(self, text: str) -> Mapping[str, float]: ...


def _group(label: Label) -> frozenset[Label]:
    return _PERSON if label in _PERSON else frozenset({label})


def _round(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 2)


def _decided(
    label: Label,
    confidence: float,
    evidence: list[str],
    msg: ParsedMessage,
    *,
    decided_by: str,
    review_threshold: float,
    default_pause_days: int,
    now: datetime | None,
) -> Classification:
    """A result whose label did not come from the rules: fill in the label's fields."""
    fields, details = label_details(msg, label, default_pause_days=default_pause_days, now=now)
    if label is Label.referral and not (fields.get("referral_email") or fields.get("referral_name")):
        label = Label.wrong_person
        details.append("no contact named: wrong_person")
    elif label is Label.wrong_person and fields.get("referral_email"):
        label = Label.referral
    confidence = _round(confidence)
    return Classification(
        label=label,
        confidence=confidence,
        evidence=tuple(dict.fromkeys([*evidence, *details])),
        needs_review=confidence < review_threshold,
        step=decided_by,
        decided_by=decided_by,
        **fields,  # type: ignore[arg-type]
    )


def combine(
    rules: Classification,
    probs: Mapping[str, float],
    msg: ParsedMessage,
    *,
    review_threshold: float = 0.6,
    min_model_probability: float = 0.5,
    default_pause_days: int = 7,
    now: datetime | None = None,
) -> Classification:
    """Merge the rules' result with the model's probabilities (see the module docstring)."""
    if rules.step in RULES_ONLY_STEPS or not probs:
        return rules
    dist = {Label(k): float(v) for k, v in probs.items() if k in Label.__members__}
    top = max(dist, key=dist.__getitem__)
    top_p = dist[top]
    note = f"model: {top.value} {top_p:.2f}"
    decide = dict(msg=msg, review_threshold=review_threshold, default_pause_days=default_pause_days, now=now)

    if rules.step == "unsubscribe":
        return replace(rules, evidence=(*rules.evidence, note))

    if rules.step == "none":
        floor = max(min_model_probability, MACHINE_MIN_PROBABILITY) if top in _MACHINE else min_model_probability
        if top is not Label.unknown and top_p >= floor:
            return _decided(top, top_p, [*rules.evidence, note], decided_by="model", **decide)
        if top is Label.unknown:
            confidence = _round(1 - (1 - rules.confidence) * (1 - top_p))
            return replace(
                rules,
                confidence=confidence,
                needs_review=confidence < review_threshold,
                evidence=(*rules.evidence, note),
                decided_by="rules+model",
            )
        return replace(rules, evidence=(*rules.evidence, note, f"model below {floor:.2f}: kept unknown"))

    rules_group = _group(rules.label)
    p_rules = sum(dist.get(label, 0.0) for label in rules_group)
    if top in rules_group:
        confidence = _round(1 - (1 - rules.confidence) * (1 - p_rules))
        return replace(
            rules,
            confidence=confidence,
            needs_review=confidence < review_threshold,
            evidence=(*rules.evidence, note),
            decided_by="rules+model",
        )

    if rules.step == "question" and top not in _MACHINE and top is not Label.unknown and top_p >= QUESTION_OVERRIDE:
        evidence = [f"rules said {rules.label.value} {rules.confidence:.2f}", *rules.evidence, note]
        return _decided(top, top_p, evidence, decided_by="model", **decide)

    score_rules = (rules.confidence + p_rules) / 2
    score_model = top_p / 2
    if top in _MACHINE and rules.step != "ooo_text":
        score_model = 0.0  # a human intent found by the rules is not turned into machine mail by wording alone
    if score_model > score_rules and rules.confidence < STRONG_RULES:
        evidence = [f"rules said {rules.label.value} {rules.confidence:.2f}", *rules.evidence, note]
        return _decided(top, score_model, evidence, decided_by="model", **decide)
    confidence = _round(score_rules)
    return replace(
        rules,
        confidence=confidence,
        needs_review=confidence < review_threshold,
        evidence=(*rules.evidence, note, f"model disagrees: {rules.label.value} {p_rules:.2f}"),
    )


def classify_reply(
    msg: ParsedMessage,
    *,
    model: IntentScorer | None,
    default_pause_days: int = 7,
    review_threshold: float = 0.6,
    min_model_probability: float = 0.5,
    now: datetime | None = None,
) -> Classification:
    """The rules, then the model for human intent; ``model=None`` is the rules alone."""
    rules = classify(msg, default_pause_days=default_pause_days, review_threshold=review_threshold, now=now)
    if model is None or rules.step in RULES_ONLY_STEPS:
        return rules
    probs = model.predict_proba(msg.new_text[:MODEL_MAX_CHARS])
    return combine(
        rules,
        probs,
        msg,
        review_threshold=review_threshold,
        min_model_probability=min_model_probability,
        default_pause_days=default_pause_days,
        now=now,
    )


#: The LLM's own confidence counts half (self-reported confidences are not calibrated).
LLM_WEIGHT = 0.5
#: An LLM label replaces a result the rules had no opinion on only when the LLM says it this sure.
LLM_MIN_CONFIDENCE = 0.7


def merge_llm(
    result: Classification,
    label: str,
    confidence: float,
    msg: ParsedMessage,
    *,
    review_threshold: float = 0.6,
    default_pause_days: int = 7,
    now: datetime | None = None,
) -> Classification:
    """Fold the optional LLM's answer into a result (the service asks only when ``needs_review``).

    * structural decisions (bounce, machine mail, complaint) and an unsubscribe phrase never change;
    * agreement raises the confidence: ``1 - (1 - c) * (1 - LLM_WEIGHT * llm)``;
    * disagreement replaces the label only when the rules had no opinion (no rule matched, the
      weak "question" rule, or the model decided) and the LLM is at least ``LLM_MIN_CONFIDENCE``
      sure; the confidence is then ``0.75 * llm``;
    * otherwise the result stays, with the LLM's answer as evidence.
    """
    note = f"llm: {label} {confidence:.2f}"
    if result.step in RULES_ONLY_STEPS or result.step == "unsubscribe" or label not in Label.__members__:
        return result
    llm_label = Label(label)
    if llm_label in _group(result.label):
        merged = _round(1 - (1 - result.confidence) * (1 - LLM_WEIGHT * confidence))
        return replace(
            result,
            confidence=merged,
            needs_review=merged < review_threshold,
            evidence=(*result.evidence, note),
            decided_by=f"{result.decided_by}+llm",
        )
    if result.step in ("none", "question", "model") and confidence >= LLM_MIN_CONFIDENCE:
        evidence = [f"{result.decided_by} said {result.label.value} {result.confidence:.2f}", *result.evidence, note]
        return _decided(
            llm_label,
            0.75 * confidence,
            evidence,
            msg,
            decided_by="llm",
            review_threshold=review_threshold,
            default_pause_days=default_pause_days,
            now=now,
        )
    return replace(result, evidence=(*result.evidence, note))
