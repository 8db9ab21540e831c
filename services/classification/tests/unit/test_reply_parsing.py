"""Behaviour of parse_message / thread_message_ids / new-text extraction (cadenza_classification.domain)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cadenza_classification.domain import (
    MalformedMessage,
    ParsedMessage,
    extract_new_text,
    html_to_text,
    parse_message,
    thread_message_ids,
)

# --------------------------------------------------------------------------- headers


def test_gmail_reply__headers_are_decoded_and_addresses_lower_cased(eml):
    msg = parse_message(eml("gmail_negative_quoted_interested"))
    assert msg.from_address == "morgan.blake@northwind.example.com"
    assert msg.from_name == "Morgan Blake"
    assert msg.to_addresses == ("dana@cadenza-demo.example.org",)
    assert msg.subject == "Re: Cutting onboarding time at Northwind"
    assert msg.message_id == "<CAF9xk2Lq0b+reply01@mail.northwind.example.com>"
    assert msg.in_reply_to == ("<cadenza.7f3a9c.step1@cadenza-demo.example.org>",)
    assert msg.sent_at == datetime(2027, 3, 2, 18, 1, 57, tzinfo=UTC)
    assert msg.sent_at.utcoffset() == timedelta(hours=-8)
    assert msg.dsn is None


def test_rfc2047_encoded_sender_and_subject__are_decoded(eml):
    msg = parse_message(eml("quoted_printable_german_positive"))
    assert msg.from_name == "Jürgen Weiß"
    assert msg.subject == "AW: Kürzere Einarbeitung"


def test_headers_mapping__has_lower_cased_names_first_value_and_is_read_only(build):
    raw = build("hi", headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes", "X-Unrelated": "1"})
    msg = parse_message(raw)
    assert msg.headers["auto-submitted"] == "auto-replied"
    assert msg.headers["x-autoreply"] == "yes"
    assert "x-unrelated" not in msg.headers
    with pytest.raises(TypeError):
        msg.headers["x-new"] = "1"  # type: ignore[index]


def test_date_without_zone__is_made_tz_aware_utc(build):
    msg = parse_message(build("hi", date="Tue, 02 Mar 2027 10:00:00 -0000"))
    assert msg.sent_at == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert msg.sent_at.tzinfo is not None


def test_unparseable_date__gives_none_instead_of_failing(build):
    assert parse_message(build("hi", date="sometime last week")).sent_at is None


def test_missing_date__falls_back_to_the_newest_received_header():
    raw = (
        b"Received: from a.example.net by mx.example.org; Wed, 03 Mar 2027 08:00:00 +0100\n"
        b"Received: from b.example.net by a.example.net; Wed, 03 Mar 2027 07:59:00 +0100\n"
        b"From: x@example.net\nSubject: hi\n\nbody\n"
    )
    assert parse_message(raw).sent_at == datetime(2027, 3, 3, 8, 0, tzinfo=timezone(timedelta(hours=1)))


def test_raw_utf8_in_headers__is_read_as_utf8():
    raw = "From: Zoë Example <zoe@example.org>\nSubject: Grüße\n\nbody\n".encode()
    msg = parse_message(raw)
    assert msg.from_name == "Zoë Example"
    assert msg.subject == "Grüße"


def test_cc_header__is_kept_with_names(build):
    msg = parse_message(build("hi", headers={"Cc": '"Roe, Jane" <Jane.Roe@Example.org>, ops@example.org'}))
    assert msg.cc == (("Roe, Jane", "jane.roe@example.org"), (None, "ops@example.org"))


# --------------------------------------------------------------------------- thread ids


def test_thread_ids__in_reply_to_first_then_references_last_to_first_without_duplicates():
    raw = (
        b"From: a@example.com\nSubject: Re: x\n"
        b"In-Reply-To: <third@cadenza-demo.example.org>\n"
        b"References: <first@cadenza-demo.example.org>\n <second@cadenza-demo.example.org> <third@cadenza-demo.example.org>\n"
        b"\nok\n"
    )
    msg = parse_message(raw)
    assert thread_message_ids(msg) == (
        "<third@cadenza-demo.example.org>",
        "<second@cadenza-demo.example.org>",
        "<first@cadenza-demo.example.org>",
    )


def test_thread_ids__bare_ids_without_brackets_are_normalised():
    raw = b"From: a@example.com\nSubject: Re: x\nIn-Reply-To: abc.123@cadenza-demo.example.org\n\nok\n"
    assert thread_message_ids(parse_message(raw)) == ("<abc.123@cadenza-demo.example.org>",)


def test_thread_ids__of_a_bounce_end_with_the_returned_message_id(eml):
    msg = parse_message(eml("dsn_hard_user_unknown"))
    assert thread_message_ids(msg) == ("<cadenza.lee01.step1@cadenza-demo.example.org>",)


def test_thread_ids__of_a_message_without_threading_headers_are_empty(eml):
    assert thread_message_ids(parse_message(eml("ooo_no_date"))) == ()


# --------------------------------------------------------------------------- bodies and encodings


def test_multipart_alternative__prefers_text_plain_over_html(eml):
    msg = parse_message(eml("gmail_negative_quoted_interested"))
    assert not msg.html_only
    assert msg.text.startswith("Hi Dana,\n\nThanks for reaching out")


def test_quoted_printable_body__is_decoded(eml):
    msg = parse_message(eml("quoted_printable_german_positive"))
    assert "Klingt gut – passt Ihnen Donnerstag um 14 Uhr?" in msg.text
    assert "\r" not in msg.text


def test_base64_body__is_decoded_and_attachments_are_ignored(eml):
    msg = parse_message(eml("base64_referral"))
    assert "please reach out to Jane Roe (jane.roe@example.org)" in msg.text
    assert "%PDF" not in msg.text


def test_iso_8859_1_body__is_decoded_with_its_charset(eml):
    msg = parse_message(eml("latin1_french_negative"))
    assert "nous ne sommes pas intéressés" in msg.text
    assert msg.from_name == "Hélène Dubois"


def test_wrong_charset_label__falls_back_instead_of_failing(build):
    raw = build("x", content_type="text/plain; charset=utf-8").replace(b"\n\nx", b"\n\nCaf\xe9 cr\xe8me, merci")
    assert parse_message(raw).text == "Café crème, merci"


def test_unknown_charset__falls_back_to_utf8(build):
    raw = build("Grüße aus Köln", content_type="text/plain; charset=x-klingon-42")
    assert parse_message(raw).text == "Grüße aus Köln"


def test_undecodable_bytes__are_replaced_not_fatal(build):
    raw = build("x", content_type="text/plain; charset=shift_jis").replace(b"\n\nx", b"\n\nok \x81\xff\xfe end")
    text = parse_message(raw).text
    assert text.startswith("ok ") and text.endswith(" end")


def test_base64_body_that_is_pure_garbage__raises_malformed_body(build):
    raw = build("!!!!****$$$$", cte="base64")
    with pytest.raises(MalformedMessage) as err:
        parse_message(raw)
    assert err.value.field == "body"


def test_base64_body_with_bad_padding__is_still_decoded(build):
    payload = base64.b64encode(b"Let's talk on Tuesday").decode().rstrip("=")
    assert parse_message(build(payload, cte="base64")).text.startswith("Let's talk on Tuesday")


def test_html_only_reply__is_converted_to_text_without_script_style_or_entities(eml):
    msg = parse_message(eml("html_only_positive"))
    assert msg.html_only
    assert "Happy to chat — does Thursday work?" in msg.text
    assert "alert" not in msg.text and "color" not in msg.text
    assert "&nbsp;" not in msg.text and "&mdash;" not in msg.text


def test_html_only_reply__new_text_drops_gmail_quote_and_signature(eml):
    msg = parse_message(eml("html_only_positive"))
    assert msg.new_text == "Hi Dana,\n\nHappy to chat — does Thursday work?"


def test_html_to_text__blockquotes_become_quoted_lines():
    text = html_to_text(
        "<p>Yes please</p><blockquote type='cite'><p>Old <b>mail</b></p><blockquote>older</blockquote></blockquote><p>after</p>"
    )
    assert text.split("\n") == ["Yes please", "", "> Old mail", "", ">> older", "", "after"]


def test_html_to_text__mailto_links_keep_the_address():
    assert html_to_text('<div>Ask <a href="mailto:jane.roe@example.org">Jane Roe</a></div>') == ("Ask Jane Roe <jane.roe@example.org>")


def test_html_to_text__survives_unclosed_and_stray_tags():
    assert html_to_text("<div><p>one<p>two</span></div></td><br>three") == "one\ntwo\n\nthree"


# --------------------------------------------------------------------------- new text (quotes and signatures)


def test_gmail_reply__new_text_has_no_quoted_original(eml):
    msg = parse_message(eml("gmail_negative_quoted_interested"))
    assert "interested" not in msg.new_text.lower()
    assert "wrote:" not in msg.new_text
    assert msg.new_text == ("Hi Dana,\n\nThanks for reaching out, but we already have a vendor for this. Not a fit\nfor us.")


def test_outlook_original_message_block__and_sender_name_block_are_removed(eml):
    msg = parse_message(eml("outlook_original_message_unsubscribe"))
    assert msg.new_text == "Please remove me from your list."


def test_outlook_from_sent_block_under_underscores__is_removed_with_the_signature(eml):
    msg = parse_message(eml("outlook_header_block_positive"))
    assert msg.new_text == "Hi Dana,\n\nTuesday at 2pm works for me. Please send over a calendar invite."


def test_iphone_reply__drops_sent_from_my_iphone_and_quoted_attribution(eml):
    msg = parse_message(eml("apple_mail_question"))
    assert msg.new_text == "What does pricing look like for a team of 20?"


def test_apple_mail_desktop_attribution__is_removed():
    text = (
        "Sure, Thursday works.\n\nOn Mar 5, 2027, at 09:14, Dana Seller <dana@cadenza-demo.example.org> wrote:\n\n> Are you interested?\n"
    )
    assert extract_new_text(text) == "Sure, Thursday works."


def test_gmail_attribution_wrapped_over_two_lines__is_removed():
    text = "No thanks.\n\nOn Tue, Mar 2, 2027 at 9:14 AM Dana Seller <\ndana@cadenza-demo.example.org> wrote:\n\n> interested?\n"
    assert extract_new_text(text) == "No thanks."


def test_german_and_french_attributions__are_removed():
    de = "Kein Interesse.\n\nAm 09.03.2027 um 09:14 schrieb Dana Seller <dana@cadenza-demo.example.org>:\n> Interesse?\n"
    fr = "Non merci.\n\nLe mar. 2 mars 2027 à 09:14, Dana Seller <dana@cadenza-demo.example.org> a écrit :\n> Intéressé ?\n"
    assert extract_new_text(de) == "Kein Interesse."
    assert extract_new_text(fr) == "Non merci."


def test_bottom_posted_answer_below_the_quote__is_kept():
    text = (
        "On Tue, Mar 2, 2027 at 9:14 AM Dana Seller <dana@cadenza-demo.example.org> wrote:\n"
        "> Would you be interested in a call?\n"
        "\n"
        "Yes, let's talk Thursday.\n"
    )
    assert extract_new_text(text) == "Yes, let's talk Thursday."


def test_inline_answers_between_quoted_lines__are_kept_and_quotes_dropped():
    text = "> Are you the right person?\nNo, ask Jane.\n> Interested in a demo?\nNot really.\n"
    assert extract_new_text(text) == "No, ask Jane.\nNot really."


def test_rfc3676_signature_delimiter__cuts_the_signature():
    assert extract_new_text("Happy to chat.\n-- \nTom | tom@example.com | interested in golf") == "Happy to chat."


def test_valediction_at_the_start__is_not_mistaken_for_a_signature():
    assert extract_new_text("Thanks!\n\nBest,\nTom") == "Thanks!"


def test_valediction_followed_by_a_question__is_not_a_signature():
    assert extract_new_text("Hi Dana,\n\nThanks.\n\nCan you send pricing?") == "Hi Dana,\n\nThanks.\n\nCan you send pricing?"


def test_valediction_with_name_title_and_phone__is_cut():
    text = "Sounds good.\n\nBest regards,\nTom Baker\nVP Sales | Contoso\n+1 555 0100\ntom@contoso.example.com"
    assert extract_new_text(text) == "Sounds good."


def test_human_sentence_ending_in_wrote__is_not_a_quote_header():
    text = "Here is what my boss wrote:\nwe should talk next week.\n"
    assert extract_new_text(text) == "Here is what my boss wrote:\nwe should talk next week."


# --------------------------------------------------------------------------- bounces (DSN)


def test_rfc3464_user_unknown__is_a_hard_bounce_with_recipient_status_and_original_id(eml):
    dsn = parse_message(eml("dsn_hard_user_unknown")).dsn
    assert dsn is not None
    assert dsn.standard
    assert dsn.failed_recipient == "lee.hart@northwind.example.com"
    assert dsn.status == "5.1.1"
    assert dsn.action == "failed"
    assert "User unknown" in dsn.diagnostic
    assert dsn.original_message_id == "<cadenza.lee01.step1@cadenza-demo.example.org>"
    assert dsn.reporting_mta == "mx.cadenza-demo.example.org"
    assert dsn.hard is True


def test_rfc3464_mailbox_full_delay__is_a_soft_bounce_with_folded_message_id(eml):
    dsn = parse_message(eml("dsn_soft_mailbox_full")).dsn
    assert dsn is not None
    assert dsn.status == "4.2.2"
    assert dsn.action == "delayed"
    assert dsn.failed_recipient == "avery.stone@fabrikam.example.net"
    assert dsn.original_message_id == "<cadenza.avery02.step2@cadenza-demo.example.org>"
    assert dsn.hard is False


def test_postfix_plain_text_bounce__is_recognised_heuristically(eml):
    msg = parse_message(eml("postfix_plain_bounce"))
    dsn = msg.dsn
    assert dsn is not None
    assert dsn.standard is False
    assert dsn.failed_recipient == "quinn.morales@example.net"
    assert dsn.status == "5.1.1"
    assert dsn.hard is True
    assert dsn.original_message_id == "<cadenza.quinn03.step1@cadenza-demo.example.org>"
    assert thread_message_ids(msg) == ("<cadenza.quinn03.step1@cadenza-demo.example.org>",)


def _report(status: str, action: str, diagnostic: str, *, returned: str = "message/rfc822") -> bytes:
    original = (
        "From: Dana Seller <dana@cadenza-demo.example.org>\nTo: x@example.net\nSubject: hello\n"
        "Message-ID: <cadenza.rfc822.step1@cadenza-demo.example.org>\n\nAre you interested?\n"
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.cadenza-demo.example.org>\n"
        "To: dana@cadenza-demo.example.org\nSubject: Undeliverable: hello\nDate: Fri, 05 Mar 2027 10:00:00 +0000\n"
        'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="R"\n\n'
        "--R\nContent-Type: text/plain\n\nDelivery has failed to these recipients or groups.\n\n"
        "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.cadenza-demo.example.org\n\n"
        f"Final-Recipient: rfc822; x@example.net\nAction: {action}\nStatus: {status}\nDiagnostic-Code: smtp; {diagnostic}\n\n"
        f"--R\nContent-Type: {returned}\n\n{original}\n--R--\n"
    ).encode()


def test_attached_message_rfc822__supplies_the_original_message_id_and_never_the_body():
    msg = parse_message(_report("5.1.10", "failed", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found"))
    assert msg.dsn is not None and msg.dsn.original_message_id == "<cadenza.rfc822.step1@cadenza-demo.example.org>"
    assert "interested" not in msg.text.lower()
    assert msg.dsn.hard


@pytest.mark.parametrize(
    ("status", "action", "diagnostic", "hard"),
    [
        ("5.2.2", "failed", "552 5.2.2 Mailbox full", False),  # full mailbox: the address exists
        ("5.2.1", "failed", "550 5.2.1 The email account that you tried to reach is disabled", True),
        ("4.4.7", "failed", "Message expired, retry timeout exceeded", False),
        ("5.4.4", "failed", "550 5.4.4 Host or domain name not found", True),
        ("4.7.1", "delayed", "451 4.7.1 Greylisted, please try again later", False),
    ],
)
def test_hard_or_soft__follows_status_class_except_mailbox_full(status, action, diagnostic, hard):
    dsn = parse_message(_report(status, action, diagnostic)).dsn
    assert dsn is not None and dsn.status == status and dsn.hard is hard


def test_exim_style_bounce_with_x_failed_recipients__is_recognised():
    raw = (
        b"From: Mail Delivery System <Mailer-Daemon@smtp.example.net>\nTo: dana@cadenza-demo.example.org\n"
        b"Subject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: gone@example.net\n"
        b"Auto-Submitted: auto-replied\n\nThis message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error.\n\n"
        b"  gone@example.net\n    host mx.example.net [192.0.2.9]\n    SMTP error from remote mail server after RCPT TO:<gone@example.net>:\n"
        b"    550 No such user here\n\n------ This is a copy of the message, including all the headers. ------\n\n"
        b"Message-ID: <cadenza.exim.step1@cadenza-demo.example.org>\nSubject: hello\n"
    )
    dsn = parse_message(raw).dsn
    assert dsn is not None
    assert dsn.failed_recipient == "gone@example.net"
    assert dsn.hard is True and dsn.status is None
    assert dsn.original_message_id == "<cadenza.exim.step1@cadenza-demo.example.org>"


def test_human_reply_mentioning_delivery_failure__is_not_a_bounce(build):
    msg = parse_message(
        build("Your last email said the delivery failed? 550 5.1.1 user unknown, odd.", subject="Re: Undelivered Mail Returned to Sender")
    )
    assert msg.dsn is None


def test_bounce_without_from__is_accepted():
    raw = _report("5.1.1", "failed", "550 5.1.1 user unknown").replace(
        b"From: Mail Delivery System <MAILER-DAEMON@mx.cadenza-demo.example.org>\n", b""
    )
    msg = parse_message(raw)
    assert msg.from_address is None and msg.dsn is not None


# --------------------------------------------------------------------------- malformed input


def test_empty_input__raises_malformed_raw():
    for raw in (b"", b"   \r\n\t"):
        with pytest.raises(MalformedMessage) as err:
            parse_message(raw)
        assert err.value.field == "raw"
        assert str(err.value) == "raw: empty input"


def test_input_over_max_bytes__raises_malformed_raw(build):
    raw = build("x" * 2000)
    with pytest.raises(MalformedMessage) as err:
        parse_message(raw, max_bytes=1000)
    assert err.value.field == "raw" and "max_bytes" in err.value.reason


def test_str_instead_of_bytes__is_a_type_error():
    with pytest.raises(TypeError):
        parse_message("From: a@example.com\n\nhi")  # type: ignore[arg-type]


def test_message_without_from__raises_malformed_from():
    with pytest.raises(MalformedMessage) as err:
        parse_message(b"To: dana@cadenza-demo.example.org\nSubject: hi\n\nhello\n")
    assert err.value.field == "from"


def test_from_without_address__raises_malformed_from():
    with pytest.raises(MalformedMessage) as err:
        parse_message(b"From: \nSubject: hi\n\nhello\n")
    assert err.value.field == "from"


def test_garbage_bytes__raise_malformed_message_quickly():
    garbage = bytes((i * 7919 + 13) % 256 for i in range(50_000))
    with pytest.raises(MalformedMessage):
        parse_message(garbage)


def _nested(depth: int) -> bytes:
    head = b"From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n"
    tail = b""
    for i in range(depth):
        head += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
        tail = b"\n--b%d--\n" % i + tail
    return head + b"Content-Type: text/plain\n\nhi\n" + tail


def test_fifty_deep_nested_multipart__raises_malformed_mime():
    with pytest.raises(MalformedMessage) as err:
        parse_message(_nested(50))
    assert err.value.field == "mime" and "max_depth" in err.value.reason


def test_nesting_within_limits__parses():
    assert parse_message(_nested(5)).text == "hi"
    assert parse_message(_nested(50), max_depth=60).text == "hi"


def test_thousands_of_nested_boundaries__are_rejected_before_parsing():
    with pytest.raises(MalformedMessage) as err:
        parse_message(_nested(3000), max_bytes=10_000_000)
    assert err.value.field == "mime"


def test_too_many_parts__raises_malformed_mime():
    parts = b"".join(b"--p\nContent-Type: text/plain\n\npart %d\n" % i for i in range(30))
    raw = b'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="p"\n\n' + parts + b"--p--\n"
    with pytest.raises(MalformedMessage) as err:
        parse_message(raw, max_parts=20)
    assert err.value.field == "mime"
    assert parse_message(raw).text == "part 0"


def test_malformed_message__str_and_attributes():
    err = MalformedMessage("from", "missing From header")
    assert (err.field, err.reason, str(err)) == ("from", "missing From header", "from: missing From header")
    assert isinstance(err, ValueError)


def test_parsed_message__is_frozen(eml):
    msg = parse_message(eml("apple_mail_question"))
    assert isinstance(msg, ParsedMessage)
    with pytest.raises(AttributeError):
        msg.subject = "x"  # type: ignore[misc]


def test_bounce_forwarded_as_an_attachment_by_a_person__is_not_a_bounce():
    bounce = _report("5.1.1", "failed", "550 5.1.1 user unknown").decode()
    raw = (
        "From: Morgan Blake <morgan.blake@northwind.example.com>\nTo: dana@cadenza-demo.example.org\n"
        'Subject: Fwd: your mail bounced\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="FWD"\n\n'
        "--FWD\nContent-Type: text/plain\n\nFYI, this bounced - use my new address.\n"
        f"--FWD\nContent-Type: message/rfc822\n\n{bounce}\n--FWD--\n"
    ).encode()
    msg = parse_message(raw)
    assert msg.dsn is None
    assert msg.text == "FYI, this bounced - use my new address."
