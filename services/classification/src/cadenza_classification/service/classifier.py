"""The classifier the service runs: parse, rules + intent model, optionally the LLM; off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from cadenza_classification.domain.combine import RULES_ONLY_STEPS, IntentScorer, classify_reply, merge_llm
from cadenza_classification.domain.parsing import ParsedMessage, parse_message
from cadenza_classification.domain.rules import Classification, label_details
from cadenza_classification.llm import LlmClassifier
from cadenza_classification.model.intent import default_model
from cadenza_classification.settings import ClassificationSettings

__all__ = ["ReplyClassifier"]


@dataclass
class ReplyClassifier:
    model: IntentScorer | None
    default_pause_days: int = 7
    review_threshold: float = 0.6
    min_model_probability: float = 0.5
    max_bytes: int = 5_000_000
    llm: LlmClassifier | None = None

    @classmethod
    def from_settings(cls, settings: ClassificationSettings) -> ReplyClassifier:
        """Loads the intent model now, so a broken artifact fails the start, not a reply."""
        model = default_model(str(settings.model_path) if settings.model_path else None) if settings.model_enabled else None
        llm = None
        if settings.llm_url:
            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            llm = LlmClassifier(settings.llm_url, model=settings.llm_model, api_key=key, timeout=settings.llm_timeout_seconds)
        return cls(
            model=model,
            default_pause_days=settings.default_pause_days,
            review_threshold=settings.review_threshold,
            min_model_probability=settings.model_min_probability,
            max_bytes=settings.max_message_bytes,
            llm=llm,
        )

    def classify_sync(self, raw: bytes, *, now: datetime | None = None) -> tuple[ParsedMessage, Classification]:
        """Parse and classify (CPU only; raises MalformedMessage)."""
        msg = parse_message(raw, max_bytes=self.max_bytes)
        result = classify_reply(
            msg,
            model=self.model,
            default_pause_days=self.default_pause_days,
            review_threshold=self.review_threshold,
            min_model_probability=self.min_model_probability,
            now=now,
        )
        return msg, result

    async def classify(self, raw: bytes, *, now: datetime | None = None) -> tuple[ParsedMessage, Classification]:
        """:meth:`classify_sync` in a worker thread (a 5 MB message never blocks the event loop), then the LLM if any."""
        msg, result = await asyncio.to_thread(self.classify_sync, raw, now=now)
        if self.llm is not None and result.needs_review and result.step not in RULES_ONLY_STEPS and result.step != "unsubscribe":
            answer = await self.llm.classify(msg.new_text)
            if answer is not None:
                result = merge_llm(
                    result,
                    *answer,
                    msg,
                    review_threshold=self.review_threshold,
                    default_pause_days=self.default_pause_days,
                    now=now,
                )
        return msg, result

    def details(self, raw: bytes, label: str, *, now: datetime | None = None) -> dict[str, object]:
        """The fields of ``label`` for a stored reply (a human relabel): return / follow-up date, referral contact."""
        msg = parse_message(raw, max_bytes=max(self.max_bytes, len(raw)))
        fields, _evidence = label_details(msg, label, default_pause_days=self.default_pause_days, now=now)
        return fields

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()
