"""Pure domain of the classification service: parse a raw reply and classify it (no I/O, no framework imports)."""

from cadenza_classification.domain.errors import MalformedMessage
from cadenza_classification.domain.parsing import (
    DeliveryStatus,
    ParsedMessage,
    normalise_message_id,
    parse_message,
    thread_message_ids,
)
from cadenza_classification.domain.rules import Classification, Label, classify
from cadenza_classification.domain.text import extract_new_text, html_to_text

__all__ = [
    "Classification",
    "DeliveryStatus",
    "Label",
    "MalformedMessage",
    "ParsedMessage",
    "classify",
    "extract_new_text",
    "html_to_text",
    "normalise_message_id",
    "parse_message",
    "thread_message_ids",
]
