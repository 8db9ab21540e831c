"""Hostile input through the whole classifier and the consumer: rejected (MalformedMessage -> dead letter)
or classified, never a crash, never a blocked event loop.

Each case named in the issue has a test here or in test_reply_robustness.py / test_reply_parsing.py:
huge (max_bytes, max_lines), deeply nested MIME (max_depth, boundary count), wrong charset
(below and test_reply_parsing), zip-bomb-like base64 (below).
"""

from __future__ import annotations

import asyncio
import base64
import io
import zipfile
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from cadenza_classification.consumers.handlers import register
from cadenza_classification.domain import Label, MalformedMessage, parse_message
from cadenza_classification.domain.combine import classify_reply
from cadenza_classification.model.intent import default_model
from cadenza_classification.service.classifier import ReplyClassifier
from cadenza_classification.settings import ClassificationSettings
from cadenza_shared.contracts.external import ReplyReceived
from cadenza_shared.errors import PoisonMessage

HEAD = (
    "From: Morgan Blake <morgan.blake@northwind.example.com>\nTo: dana@cadenza-demo.example.org\n"
    "Subject: Re: hello\nDate: Tue, 02 Mar 2027 10:00:00 +0000\nMessage-ID: <h1@northwind.example.com>\nMIME-Version: 1.0\n"
)


def classified_or_rejected(raw: bytes):
    """The service's contract: a Classification, or MalformedMessage (-> 422 / dead-letter topic)."""
    try:
        msg = parse_message(raw)
    except MalformedMessage as err:
        assert err.field and err.reason
        return None
    result = classify_reply(msg, model=default_model(), now=datetime(2027, 3, 2, tzinfo=UTC))
    assert isinstance(result.label, Label) and 0.0 <= result.confidence <= 1.0
    return result


# --------------------------------------------------------------------------- zip-bomb-like base64


def _multipart(text: str, attachment: bytes, ctype: str = "application/zip") -> bytes:
    b64 = base64.encodebytes(attachment).decode()
    return (
        HEAD + 'Content-Type: multipart/mixed; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
        f'--B\nContent-Type: {ctype}; name="x"\nContent-Disposition: attachment; filename="x"\nContent-Transfer-Encoding: base64\n\n{b64}'
        "--B--\n"
    ).encode()


def test_zip_bomb_attachment__is_never_decompressed_and_the_text_part_is_classified():
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(4):
            zf.writestr(f"layer{i}.bin", b"\0" * 50_000_000)  # 200 MB unpacked, ~200 KB packed
    raw = _multipart("Please remove me from your list.", blob.getvalue())
    assert len(raw) < 1_000_000
    result = classified_or_rejected(raw)
    assert result is not None and result.label is Label.unsubscribe


def test_base64_text_body_expanding_to_megabytes_of_one_word__is_classified_within_limits():
    body = base64.encodebytes(b"interested " * 330_000).decode()  # 3.6 MB decoded, 4.9 MB encoded
    raw = (HEAD + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + body).encode()
    assert len(raw) < 5_000_000
    assert classified_or_rejected(raw) is not None


def test_base64_inside_base64__is_decoded_once_only():
    inner = (HEAD + 'Content-Type: multipart/mixed; boundary="I"\n\n' + "--I\nContent-Type: text/plain\n\nx\n" * 5_000 + "--I--\n").encode()
    layered = base64.b64encode(base64.b64encode(inner))
    raw = _multipart("Sounds good, let's talk Tuesday.", layered, ctype="message/rfc822")
    result = classified_or_rejected(raw)
    assert result is not None and result.label is Label.positive


def test_base64_split_one_character_per_line__is_rejected_by_the_line_limit():
    body = "\n".join(base64.b64encode(b"x" * 300_000).decode())
    raw = (HEAD + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" + body).encode()
    with pytest.raises(MalformedMessage) as err:
        parse_message(raw)
    assert err.value.field == "raw"


def test_many_base64_attachments__up_to_the_part_limit_are_fine_beyond_it_rejected():
    part = base64.encodebytes(b"\0" * 10_000).decode()
    parts = "".join(f"--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n{part}" for _ in range(250))
    raw = (
        HEAD + 'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nNo thanks.\n' + parts + "--B--\n"
    ).encode()
    with pytest.raises(MalformedMessage) as err:
        parse_message(raw)
    assert err.value.field == "mime"


# --------------------------------------------------------------------------- wrong charsets


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain; charset=utf-16", "Not interested, thanks. Grüße".encode()),  # declared UTF-16, really UTF-8
        ("text/plain; charset=utf-32", b"odd length \xff\xfe\x00"),
        ("text/plain; charset=utf-7", b"+AGEAYgBj- and +ZZZZ broken shift"),
        ("text/plain; charset=iso-2022-jp", b"\x1b$B\xff\xff\x1b(B broken escape, interested"),
        ("text/plain; charset*=''%%%", b"rfc 2231 garbage in the parameter"),
        ('text/plain; charset=""', b"empty charset \xe9\xe8"),
        ("text/html; charset=big5", b"<p>\x81\x40\xfe\xff let's talk</p>"),
    ],
)
def test_wrong_or_broken_charset__is_classified_not_fatal(content_type, body):
    raw = (HEAD + f"Content-Type: {content_type}\n\n").encode() + body
    assert classified_or_rejected(raw) is not None


def test_undeclared_8bit_latin1__is_read_and_classified():
    raw = (HEAD + "Content-Type: text/plain\n\n").encode() + "Pas intéressé, merci. Désolé.".encode("latin-1")
    result = classified_or_rejected(raw)
    assert result is not None and result.label is Label.negative


# --------------------------------------------------------------------------- the consumer path


class FakeRuntime:
    def __init__(self) -> None:
        self.outbox = object()
        self.routes: dict[str, object] = {}

    def add_consumer(self, name, topics, routes) -> None:
        self.routes.update(routes)


def _received_handler():
    runtime = FakeRuntime()
    settings = ClassificationSettings(max_message_bytes=100_000)
    register(runtime, settings, ReplyClassifier.from_settings(settings))
    return runtime.routes[ReplyReceived.TYPE].handler


def _event(raw: str) -> ReplyReceived:
    return ReplyReceived(reply_ref="r-1", raw_message=raw, received_at=datetime(2027, 3, 2, tzinfo=UTC))


def _nested(depth: int) -> str:
    out = HEAD
    for i in range(depth):
        out += f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n'
    return out + "Content-Type: text/plain\n\nhi\n"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("larger than max_message_bytes", HEAD + "\n" + "interested " * 20_000),
        ("MIME nested 50 deep", _nested(50)),
        ("no From at all", "Subject: hi\n\nbody"),
        ("base64 that is pure garbage", HEAD + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!!****$$$$\n"),
    ],
)
async def test_consumer__malformed_reply_becomes_a_poison_message_for_the_dead_letter_topic(name, raw):
    handler = _received_handler()
    with pytest.raises(PoisonMessage) as err:
        await handler(SimpleNamespace(tenant="acme"), _event(raw), session=None)  # never reaches the database
    assert err.value.reason.startswith("data.raw_message: ")


async def test_classifier__heavy_message_runs_off_the_event_loop():
    """While a 5 MB message is parsed and classified, other coroutines (the consumer, the API) keep running."""
    classifier = ReplyClassifier.from_settings(ClassificationSettings())
    raw = (HEAD + "Content-Type: text/html\n\n").encode() + b"<div>interested " * 300_000
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    msg, result = await classifier.classify(raw)
    done.set()
    await task
    assert result.label in Label.__members__.values()
    assert ticks > 1, "the event loop was blocked while the message was classified"
