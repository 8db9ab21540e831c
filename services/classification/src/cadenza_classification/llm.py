"""Optional third opinion from an OpenAI-compatible chat endpoint (off by default).

Enabled only when ``CADENZA_CLASSIFICATION_LLM_URL`` is set (e.g.
``http://127.0.0.1:8080/v1`` for a local llama.cpp / vLLM / Ollama server).  It is
asked only about replies whose rules+model result still needs review, never about
bounces, machine mail or an unsubscribe, and it can never make the service fail:
any error, timeout or unparseable answer is logged and ignored.  Only the first
:data:`MAX_CHARS` characters of the new text are sent; nothing else of the message.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import structlog

__all__ = ["LLM_LABELS", "LlmClassifier", "MAX_CHARS"]

log = structlog.get_logger(__name__)

MAX_CHARS = 4_000
#: What the LLM may answer: human intent only (structure decides machine mail and bounces).
LLM_LABELS = ("positive", "negative", "unsubscribe", "referral", "wrong_person", "question", "unknown", "out_of_office", "auto_reply")

_SYSTEM = (
    "You label replies to a B2B sales e-mail. Answer with one JSON object and nothing else: "
    '{"label": <one of ' + ", ".join(LLM_LABELS) + '>, "confidence": <number between 0 and 1>}. '
    "positive: wants to talk, meet, see a demo or get information. negative: declines, or defers to a later time "
    "('not now, try me in Q3'). unsubscribe: asks to stop e-mails or be removed. referral: points to another named "
    "person or address. wrong_person: says they are not the right person or left, without naming anyone. question: "
    "asks something without a clear yes or no. out_of_office / auto_reply: automatic messages. unknown: anything else."
)
_JSON = re.compile(r"\{[^{}]{0,2000}\}", re.DOTALL)


class LlmClassifier:
    """``await classify(text)`` -> ``(label, confidence)`` or ``None``; never raises."""

    def __init__(
        self,
        url: str,
        *,
        model: str,
        api_key: str | None = None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base = url.rstrip("/")
        self.endpoint = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(timeout=timeout, headers=headers, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def classify(self, text: str) -> tuple[str, float] | None:
        payload = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": 60,
            "messages": [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": text[:MAX_CHARS]}],
        }
        try:
            response = await self._client.post(self.endpoint, json=payload)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            return parse_answer(content)
        except Exception as exc:  # noqa: BLE001 - an optional helper must never fail a reply
            log.warning("llm_classify_failed", endpoint=self.endpoint, error=f"{exc.__class__.__name__}: {exc}"[:300])
            return None


def parse_answer(content: Any) -> tuple[str, float] | None:
    """``'{"label": "positive", "confidence": 0.8}'`` (possibly inside prose or a code fence) -> ``("positive", 0.8)``."""
    if not isinstance(content, str):
        return None
    match = _JSON.search(content)
    if match is None:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    label = str(data.get("label", "")).strip().lower() if isinstance(data, dict) else ""
    if label not in LLM_LABELS:
        return None
    try:
        confidence = float(data.get("confidence", 0.7))
    except (TypeError, ValueError):
        confidence = 0.7
    return label, max(0.0, min(1.0, confidence))
