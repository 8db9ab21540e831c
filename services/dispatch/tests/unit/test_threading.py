"""Behaviour of Message-IDs, threading headers and the composed email (cadenza_dispatch.domain.threading)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from cadenza_dispatch.domain.threading import (
    NoThread,
    PreviousEmail,
    Thread,
    compose_email,
    make_message_id,
    reply_subject,
    thread_for,
    to_wire,
)


def test_message_id_format() -> None:
    delivery_id = uuid.uuid4()
    mid = make_message_id(delivery_id, mail_domain="ledgerline.example")
    assert re.fullmatch(rf"<{delivery_id}\.[0-9a-f]{{8}}@ledgerline\.example>", mid)
    assert make_message_id(delivery_id, mail_domain="x.example") != make_message_id(delivery_id, mail_domain="x.example")
    assert make_message_id(delivery_id, mail_domain="x.example", nonce="deadbeef") == f"<{delivery_id}.deadbeef@x.example>"


def test_new_thread() -> None:
    assert thread_for(reply_in_thread=False, subject="Invoice approvals", previous=None) == Thread(subject="Invoice approvals")


def test_new_thread_ignores_previous_email() -> None:
    previous = PreviousEmail(message_id="<1@x>", subject="Old")
    assert thread_for(reply_in_thread=False, subject="Case study", previous=previous) == Thread(subject="Case study")


def test_reply_in_thread_first_reply() -> None:
    previous = PreviousEmail(message_id="<1@x>", subject="Invoice approvals at Tessellate", references=[])
    thread = thread_for(reply_in_thread=True, subject=None, previous=previous)
    assert thread == Thread(subject="Re: Invoice approvals at Tessellate", in_reply_to="<1@x>", references=["<1@x>"])


def test_reply_in_thread_chain_keeps_references_in_order() -> None:
    second = PreviousEmail(message_id="<2@x>", subject="Re: Invoice approvals", references=["<1@x>"])
    thread = thread_for(reply_in_thread=True, subject=None, previous=second)
    assert thread.subject == "Re: Invoice approvals"  # no "Re: Re:"
    assert thread.in_reply_to == "<2@x>"
    assert thread.references == ["<1@x>", "<2@x>"]


def test_reply_in_thread_uses_previous_subject_even_with_own_subject() -> None:
    previous = PreviousEmail(message_id="<1@x>", subject="Month-end")
    assert thread_for(reply_in_thread=True, subject="Other", previous=previous).subject == "Re: Month-end"


def test_reply_without_anything_sent_falls_back_to_own_subject_or_fails() -> None:
    assert thread_for(reply_in_thread=True, subject="Fresh start", previous=None) == Thread(subject="Fresh start")
    with pytest.raises(NoThread) as info:
        thread_for(reply_in_thread=True, subject=None, previous=None)
    assert info.value.reason_code == "no_thread"


@pytest.mark.parametrize(
    "subject,expected",
    [
        ("Hello", "Re: Hello"),
        ("Re: Hello", "Re: Hello"),
        ("RE:Hello", "RE:Hello"),
        ("  re : Hi", "re : Hi"),
        ("Regarding X", "Re: Regarding X"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_composed_email_headers_survive_the_wire() -> None:
    first, second = (make_message_id(uuid.uuid4(), mail_domain="ledgerline.example") for _ in range(2))
    thread = Thread(subject="Re: Approvals at Zoë's company", in_reply_to=second, references=[first, second])
    message = compose_email(
        from_address="Alex Morgan <alex.morgan@ledgerline.example>",
        to_address="zoe@acme.example",
        to_name="Zoë Brandt",
        thread=thread,
        body="Hi Zoë,\n\n.dot line\nAlex\n",
        message_id="<abc.12345678@ledgerline.example>",
        date=datetime(2027, 3, 2, 15, 30, tzinfo=UTC),
    )
    wire = to_wire(message)
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed["From"] == "Alex Morgan <alex.morgan@ledgerline.example>"
    assert parsed["To"].addresses[0].addr_spec == "zoe@acme.example"
    assert parsed["To"].addresses[0].display_name == "Zoë Brandt"
    assert parsed["Subject"] == "Re: Approvals at Zoë's company"
    assert parsed["Message-ID"] == "<abc.12345678@ledgerline.example>"
    assert parsed["In-Reply-To"] == second  # a long id is not folded onto a continuation line
    assert parsed["References"] == f"{first} {second}"
    assert f"\r\nIn-Reply-To: {second}\r\n".encode() in wire
    assert parsed["List-Unsubscribe"] == "<mailto:alex.morgan@ledgerline.example?subject=unsubscribe>"
    assert parsed["Date"].datetime == datetime(2027, 3, 2, 15, 30, tzinfo=UTC)
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().replace("\r\n", "\n") == "Hi Zoë,\n\n.dot line\nAlex\n"
    assert max(len(line) for line in wire.split(b"\r\n")) <= 998


def test_new_thread_email_has_no_reply_headers() -> None:
    message = compose_email(
        from_address="Alex Morgan <alex.morgan@ledgerline.example>",
        to_address="a@b.example",
        to_name=None,
        thread=Thread(subject="Hello"),
        body="x",
        message_id="<m@l.example>",
        date=datetime(2027, 1, 4, tzinfo=UTC),
    )
    assert message["In-Reply-To"] is None and message["References"] is None
    assert str(message["To"]) == "a@b.example"
