"""The optional OpenAI-compatible adapter, against an in-process fake endpoint (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from cadenza_classification.domain import Label
from cadenza_classification.llm import LlmClassifier, parse_answer
from cadenza_classification.service.classifier import ReplyClassifier
from cadenza_classification.settings import ClassificationSettings


def fake_endpoint(content: str | None = None, status: int = 200, seen: list | None = None):
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if content is None:
            raise httpx.ConnectTimeout("no answer", request=request)
        return httpx.Response(status, json={"choices": [{"message": {"role": "assistant", "content": content}}]})

    return httpx.MockTransport(handle)


async def test_adapter__posts_an_openai_chat_request_and_reads_the_label():
    seen: list[httpx.Request] = []
    llm = LlmClassifier(
        "http://llm.local/v1", model="tiny", api_key="k", transport=fake_endpoint('{"label": "negative", "confidence": 0.8}', seen=seen)
    )
    assert await llm.classify("We are happy with our current vendor.") == ("negative", 0.8)
    request = seen[0]
    assert str(request.url) == "http://llm.local/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer k"
    body = json.loads(request.content)
    assert body["model"] == "tiny" and body["temperature"] == 0
    assert body["messages"][-1]["content"] == "We are happy with our current vendor."
    await llm.aclose()


@pytest.mark.parametrize(
    ("transport"),
    [
        fake_endpoint(None),
        fake_endpoint("oops", status=500),
        fake_endpoint("I think it is positive!"),
        fake_endpoint('{"label": "bounce_hard"}'),
    ],
)
async def test_adapter__errors_timeouts_and_nonsense_give_none(transport):
    llm = LlmClassifier("http://llm.local/v1", model="tiny", transport=transport)
    assert await llm.classify("hello") is None


def test_parse_answer__tolerates_code_fences_and_clamps():
    assert parse_answer('```json\n{"label": "Positive", "confidence": 7}\n```') == ("positive", 1.0)
    assert parse_answer('{"label": "question"}') == ("question", 0.7)
    assert parse_answer(None) is None


def test_settings__llm_is_off_by_default(monkeypatch):
    monkeypatch.delenv("CADENZA_CLASSIFICATION_LLM_URL", raising=False)
    assert ReplyClassifier.from_settings(ClassificationSettings()).llm is None


async def test_classifier__asks_the_llm_only_when_review_is_needed(build):
    seen: list[httpx.Request] = []
    classifier = ReplyClassifier.from_settings(ClassificationSettings(model_enabled=False))
    classifier.llm = LlmClassifier(
        "http://llm.local/v1", model="tiny", transport=fake_endpoint('{"label": "negative", "confidence": 0.9}', seen=seen)
    )

    _msg, sure = await classifier.classify(build("Sounds good, let's talk Tuesday."))
    assert sure.label is Label.positive and not seen

    _msg, unsure = await classifier.classify(build("Hmm, we'll see."))
    assert len(seen) == 1
    assert unsure.label is Label.negative and "llm: negative 0.90" in unsure.evidence and unsure.decided_by == "llm"
    await classifier.aclose()
