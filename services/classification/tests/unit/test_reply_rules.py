"""Behaviour of classify() (cadenza_classification.domain.rules): labels, decision order, dates, evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cadenza_classification.domain import Classification, Label, classify, parse_message
from cadenza_classification.domain.rules import __doc__ as rules_doc


def label_of(raw: bytes, **kw) -> Classification:
    return classify(parse_message(raw), **kw)


# --------------------------------------------------------------------------- quoted text never counts


def test_quoted_original_with_interested__does_not_make_negative_reply_positive(eml):
    result = label_of(eml("gmail_negative_quoted_interested"))
    assert result.label is Label.negative
    assert not any("interested" in e for e in result.evidence)


def test_quoted_original_with_interested__does_not_make_neutral_reply_positive(eml):
    result = label_of(eml("gmail_ack_quoted_interested"))
    assert result.label is Label.unknown
    assert result.needs_review


def test_quoted_unsubscribe_wording_in_html_quote__does_not_make_positive_reply_unsubscribe(eml):
    result = label_of(eml("html_only_positive"))
    assert result.label is Label.positive
    assert "phrase 'happy to chat'" in result.evidence


def test_outlook_quoted_original_with_lets_talk__does_not_override_unsubscribe(eml):
    result = label_of(eml("outlook_original_message_unsubscribe"))
    assert result.label is Label.unsubscribe
    assert result.confidence >= 0.9 and not result.needs_review


# --------------------------------------------------------------------------- bounces


def test_rfc3464_user_unknown__is_bounce_hard_with_dsn_evidence(eml):
    result = label_of(eml("dsn_hard_user_unknown"))
    assert result.label is Label.bounce_hard
    assert "dsn status 5.1.1" in result.evidence
    assert result.confidence >= 0.95


def test_rfc3464_mailbox_full__is_bounce_soft(eml):
    result = label_of(eml("dsn_soft_mailbox_full"))
    assert result.label is Label.bounce_soft
    assert "dsn status 4.2.2" in result.evidence


def test_postfix_plain_bounce__is_bounce_hard(eml):
    result = label_of(eml("postfix_plain_bounce"))
    assert result.label is Label.bounce_hard
    assert "dsn non-standard bounce" in result.evidence


def test_bounce__is_never_judged_for_intent(eml):
    raw = eml("dsn_hard_user_unknown").replace(
        b"I'm sorry to have to inform you", b"Please unsubscribe. I'm interested, let's talk. I'm sorry to have to inform you"
    )
    assert label_of(raw).label is Label.bounce_hard


# --------------------------------------------------------------------------- machine mail and out of office


def test_german_ooo_with_auto_submitted__return_date_from_ab_dem(eml):
    result = label_of(eml("ooo_german_auto_submitted"))
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 1, 12)
    assert "header Auto-Submitted: auto-replied" in result.evidence
    assert any(e.startswith("return date from 'ab dem 12.01.2027") for e in result.evidence)
    assert result.referral_email is None  # "in dringenden Fällen ... an zentrale@" is not a referral


def test_french_ooo_without_headers__de_retour_le_3_mars(eml):
    result = label_of(eml("ooo_french_no_headers"))
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 3, 3)
    assert not any(e.startswith("header") for e in result.evidence)
    assert result.confidence < 0.95  # wording alone is weaker than headers


def test_english_ooo__back_on_monday_is_relative_to_the_date_header(eml):
    result = label_of(eml("ooo_english_back_on_monday"))  # sent Wednesday 2027-01-06
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 1, 11)


def test_outlook_automatic_reply__until_january_5th(eml):
    result = label_of(eml("ooo_english_until_outlook"))  # sent 2026-12-22
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 1, 5)
    assert "header X-Auto-Response-Suppress: All with auto-reply subject" in result.evidence


def test_ooo_without_a_date__uses_the_default_pause(eml):
    result = label_of(eml("ooo_no_date"), default_pause_days=10)
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 1, 24)
    assert "no return date found: default pause 10 days" in result.evidence


def test_ooo_return_date_in_the_past__is_ignored_for_the_default(build):
    raw = build(
        "I am out of the office. I was back on 02.01.2027 but travel again.",
        headers={"Auto-Submitted": "auto-replied"},
        date="Mon, 04 Jan 2027 09:00:00 +0000",
    )
    result = label_of(raw)
    assert result.return_date == date(2027, 1, 11)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Estoy fuera de la oficina hasta el 15 de enero.", date(2027, 1, 15)),
        ("Ik ben afwezig en terug op 18 januari.", date(2027, 1, 18)),
        ("Estou fora do escritório e retorno em 20 de janeiro.", date(2027, 1, 20)),
        ("I'm on annual leave, returning Thursday 14 January.", date(2027, 1, 14)),
        ("Ich bin im Urlaub und ab Montag wieder erreichbar.", date(2027, 1, 11)),
        ("I am out of office through 1/8/2027.", date(2027, 1, 8)),
        ("Je suis en congés jusqu'au 15/01.", date(2027, 1, 15)),
    ],
)
def test_multilingual_ooo__return_date(build, body, expected):
    raw = build(body, subject="Automatic reply: hello", date="Wed, 06 Jan 2027 10:00:00 +0100", headers={"Auto-Submitted": "auto-replied"})
    result = label_of(raw)
    assert result.label is Label.out_of_office
    assert result.return_date == expected


def test_ooo_return_date__uses_now_when_the_message_has_no_date():
    raw = b"From: a@example.com\nSubject: Out of office\nAuto-Submitted: auto-replied\n\nI'm out of the office, back on Monday.\n"
    result = classify(parse_message(raw), now=datetime(2027, 2, 3, 12, 0, tzinfo=UTC))  # a Wednesday
    assert result.return_date == date(2027, 2, 8)


def test_auto_generated_ticket_confirmation__is_auto_reply(build):
    raw = build(
        "Thank you for contacting support. Your request #4521 has been received and we are interested in helping.",
        subject="[Ticket #4521] Re: hello",
        headers={"Auto-Submitted": "auto-generated"},
    )
    result = label_of(raw)
    assert result.label is Label.auto_reply
    assert "header Auto-Submitted: auto-generated" in result.evidence


def test_auto_submitted_no__is_not_machine_mail(build):
    assert label_of(build("Sounds good, let's talk.", headers={"Auto-Submitted": "no"})).label is Label.positive


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Autoresponder"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"X-MS-Exchange-Inbox-Rules-Loop": "x@example.com"},
    ],
)
def test_machine_headers__make_auto_reply(build, headers):
    result = label_of(build("Your message has been received.", headers=headers))
    assert result.label is Label.auto_reply


def test_auto_reply_that_says_person_left__stays_auto_reply_but_carries_the_new_contact(build):
    raw = build(
        "Sam Ortiz is no longer with Northwind Traders. Please contact Jane Roe <jane.roe@northwind.example.com>.",
        subject="Automatic reply: hello",
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = label_of(raw)
    assert result.label is Label.auto_reply
    assert result.referral_email == "jane.roe@northwind.example.com"
    assert result.referral_name == "Jane Roe"


def test_ooo_wording_without_headers_in_english__is_out_of_office(build):
    result = label_of(build("I'm on vacation until March 15th with limited access to email."))
    assert result.label is Label.out_of_office
    assert result.return_date == date(2027, 3, 15)


# --------------------------------------------------------------------------- unsubscribe


@pytest.mark.parametrize(
    "body",
    [
        "please remove me from your list",
        "Unsubscribe",
        "STOP",
        "Stop emailing me.",
        "Take me off your mailing list, thanks.",
        "Do not contact me again.",
        "Bitte entfernen Sie mich aus Ihrem Verteiler.",
        "Merci de me désinscrire de vos envois.",
        "Por favor, darme de baja de su lista.",
    ],
)
def test_unsubscribe_requests__in_several_languages(build, body):
    assert label_of(build(body)).label is Label.unsubscribe


def test_unsubscribe__wins_over_negative(build):
    result = label_of(build("Not interested. Please remove me from your list."))
    assert result.label is Label.unsubscribe


def test_unsubscribe_subject_with_empty_body__is_unsubscribe(build):
    assert label_of(build("", subject="Unsubscribe")).label is Label.unsubscribe


def test_do_not_hesitate_to_contact__is_not_unsubscribe(build):
    assert label_of(build("Interested! Do not hesitate to contact me on Tuesday.")).label is Label.positive


# --------------------------------------------------------------------------- wrong person / referral


def test_wrong_person_without_a_contact__is_wrong_person(build):
    result = label_of(build("I'm no longer with Northwind Traders."))
    assert result.label is Label.wrong_person
    assert result.referral_email is None


def test_not_the_right_person__is_wrong_person(build):
    assert label_of(build("Sorry, I'm not the right person for this.")).label is Label.wrong_person


def test_referral_with_colleague_address__is_referral_with_email_and_name(eml):
    result = label_of(eml("base64_referral"))
    assert result.label is Label.referral
    assert result.referral_email == "jane.roe@example.org"
    assert result.referral_name == "Jane Roe"


def test_referral_by_cc__takes_the_address_from_the_cc_header(build):
    raw = build(
        "Thanks Dana, cc'ing my colleague Priya Shah who runs our onboarding program.",
        headers={"Cc": "Priya Shah <priya.shah@northwind.example.com>"},
    )
    result = label_of(raw)
    assert result.label is Label.referral
    assert result.referral_email == "priya.shah@northwind.example.com"
    assert result.referral_name == "Priya Shah"


def test_referral_by_name_only__is_referral_without_email(build):
    result = label_of(build("You should talk to Jordan Lee, our head of procurement."))
    assert result.label is Label.referral
    assert result.referral_name == "Jordan Lee"
    assert result.referral_email is None


def test_senders_own_signature_address__is_not_a_referral(build):
    raw = build("Let's talk next week.\n\nBest regards,\nMorgan Blake\nmorgan.blake@northwind.example.com | +1 555 0101")
    assert label_of(raw).label is Label.positive


def test_contact_me_without_anybody_named__is_not_a_referral(build):
    assert label_of(build("Interested - contact me on Thursday afternoon.")).label is Label.positive


# --------------------------------------------------------------------------- negative


@pytest.mark.parametrize(
    "body",
    [
        "Not interested.",
        "No thanks.",
        "We're all set, thank you.",
        "Thanks, but we already use another vendor for this.",
        "I'm not really interested in this.",
        "We wouldn't be interested.",
        "Kein Interesse, danke.",
        "Non merci.",
        "No me interesa, gracias.",
        "No",
    ],
)
def test_negative_replies(build, body):
    assert label_of(build(body)).label is Label.negative


def test_not_interested__is_negative_never_positive(build):
    result = label_of(build("I am not interested in a demo."))
    assert result.label is Label.negative
    assert not any("positive" in e for e in result.evidence)


def test_not_now_try_me_in_q3__is_negative_with_follow_up_date(build):
    result = label_of(build("Not now, try me in Q3.", date="Tue, 02 Mar 2027 10:00:00 -0800"))
    assert result.label is Label.negative
    assert result.follow_up_date == date(2027, 7, 1)
    assert "follow-up date from 'q3'" in result.evidence


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Not right now. Reach out next quarter.", date(2027, 4, 1)),
        ("Timing isn't right, check back in 6 months.", date(2027, 9, 2)),
        ("We have no budget until after January.", date(2028, 2, 1)),
        ("Not a priority this year - maybe next year.", date(2028, 1, 1)),
        ("Circle back in the fall please.", date(2027, 9, 1)),
        ("Aktuell kein Bedarf, melden Sie sich gerne im nächsten Quartal.", date(2027, 4, 1)),
        ("Pas pour le moment, recontactez-moi dans 3 mois.", date(2027, 6, 2)),
    ],
)
def test_deferrals__get_a_follow_up_date(build, body, expected):
    result = label_of(build(body, date="Tue, 02 Mar 2027 10:00:00 +0000"))
    assert result.label is Label.negative
    assert result.follow_up_date == expected


def test_plain_negative__has_no_follow_up_date(build):
    assert label_of(build("No thanks, we signed a contract last Q3.")).follow_up_date is None


def test_lets_talk_next_quarter__is_a_deferral_not_a_yes(build):
    result = label_of(build("Let's talk next quarter.", date="Tue, 02 Mar 2027 10:00:00 +0000"))
    assert result.label is Label.negative
    assert result.follow_up_date == date(2027, 4, 1)


# --------------------------------------------------------------------------- positive


@pytest.mark.parametrize(
    "body",
    [
        "Sounds good, let's talk.",
        "I'm interested - send me more info.",
        "Happy to chat. Book a time on my calendar.",
        "Tuesday at 2pm works.",
        "How about Thursday?",
        "Yes, please send over the pricing.",
        "Klingt gut, lassen Sie uns telefonieren.",
        "Avec plaisir, je suis disponible jeudi.",
        "Me interesa, hablemos la semana que viene.",
    ],
)
def test_positive_replies(build, body):
    assert label_of(build(body)).label is Label.positive


def test_positive_from_fixtures(eml):
    assert label_of(eml("outlook_header_block_positive")).label is Label.positive
    assert label_of(eml("quoted_printable_german_positive")).label is Label.positive


def test_lets_talk_next_week__stays_positive(build):
    assert label_of(build("Let's talk next week.")).label is Label.positive


def test_negated_positive_phrase__is_not_positive(build):
    assert label_of(build("Honestly, it does not sound good to me.")).label is not Label.positive


def test_french_latin1_negative(eml):
    assert label_of(eml("latin1_french_negative")).label is Label.negative


# --------------------------------------------------------------------------- question / unknown


def test_question_only__is_question(eml):
    result = label_of(eml("apple_mail_question"))
    assert result.label is Label.question
    assert "ends with '?'" in result.evidence


def test_question_mark_in_the_middle__is_a_weaker_question(build):
    result = label_of(build("Which CRMs do you integrate with? We use a home-grown one."))
    assert result.label is Label.question
    assert result.confidence < 0.6 and result.needs_review


def test_empty_new_text__is_unknown_and_needs_review(build):
    result = label_of(build("> only a quote\n> of our mail, interested?"))
    assert result.label is Label.unknown
    assert result.needs_review and "no new text" in result.evidence


# --------------------------------------------------------------------------- shape of the result


def test_review_threshold__sets_needs_review(build):
    raw = build("Sounds good, let's talk.")
    assert not label_of(raw).needs_review
    assert label_of(raw, review_threshold=0.99).needs_review


def test_classification_fields__are_in_range_and_frozen(build):
    result = label_of(build("Sounds good, let's talk."))
    assert 0.0 <= result.confidence <= 1.0
    assert isinstance(result.evidence, tuple) and result.evidence
    with pytest.raises(AttributeError):
        result.label = Label.negative  # type: ignore[misc]


def test_label_values__are_the_contract_strings():
    assert [label.value for label in Label] == [
        "positive",
        "negative",
        "unsubscribe",
        "out_of_office",
        "auto_reply",
        "bounce_hard",
        "bounce_soft",
        "referral",
        "wrong_person",
        "question",
        "unknown",
    ]
    assert Label.bounce_hard == "bounce_hard"


def test_decision_order__is_documented_in_the_module_docstring():
    order = [
        "Bounce",
        "Machine mail",
        "OOO wording",
        "Unsubscribe",
        "Wrong person / referral",
        "Negative",
        "Positive",
        "Question",
        "Unknown",
    ]
    positions = [rules_doc.index(step) for step in order]
    assert positions == sorted(positions)


# --------------------------------------------------------------------------- more realistic wording


@pytest.mark.parametrize(
    ("body", "label"),
    [
        ("Please stop.", Label.unsubscribe),
        ("Remove.", Label.unsubscribe),
        ("Merci de ne plus me contacter.", Label.unsubscribe),
        ("Bitte keine weiteren E-Mails.", Label.unsubscribe),
        ("We just signed with a competitor last month.", Label.negative),
        ("Appreciate it but we're going a different direction.", Label.negative),
        ("This isn't something we'd ever buy.", Label.negative),
        ("I don't think we need this.", Label.negative),
        ("I'll pass for now, thanks.", Label.negative),
        ("I'm not the decision maker, but I'll forward this to our VP of Sales.", Label.wrong_person),
        ("Yes", Label.positive),
        ("We're all set for Tuesday, see you then!", Label.positive),
        ("No problem, let's talk Tuesday.", Label.positive),
        ("Not only am I interested, my whole team is. Let's book a demo.", Label.positive),
        ("Can we do Wednesday 3/10 at 11am ET?", Label.positive),
        ("Thanks for your email, I'll review it and get back to you.", Label.unknown),
        ("I'm not sure this is a fit. What does it cost?", Label.question),
        ("Who gave you my email address?", Label.question),
    ],
)
def test_realistic_wording(build, body, label):
    assert label_of(build(body)).label is label


def test_left_the_company_with_a_new_address__is_referral(build):
    result = label_of(build("I've left Northwind. Try jane.doe@northwind.example.com instead."))
    assert result.label is Label.referral
    assert result.referral_email == "jane.doe@northwind.example.com"
    assert result.referral_name is None


def test_interested_with_a_colleague_to_include__is_positive(build):
    raw = build("Yes, let's meet next week, and please include Kevin Brandt (kevin.brandt@northwind.example.com).")
    assert label_of(raw).label is Label.positive


def test_unmonitored_mailbox_auto_reply__carries_the_alternative_address(build):
    raw = build(
        "This mailbox is no longer monitored. Please send your enquiry to info@northwind.example.com.",
        subject="Automatic reply: hi",
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = label_of(raw)
    assert result.label is Label.auto_reply
    assert result.referral_email == "info@northwind.example.com"


def test_outlook_html_reply__quoted_original_is_ignored(build):
    html = (
        '<html><body><div style="font-family: Calibri">Not interested, thanks.</div>'
        '<div id="Signature"><div>Alex Keller<br>Head of Ops</div></div>'
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
        '<div id="divRplyFwdMsg"><b>From:</b> Dana Seller &lt;dana@cadenza-demo.example.org&gt;<br>'
        "<b>Sent:</b> Tuesday, March 2, 2027 6:14 PM<br><b>To:</b> Keller, Alex<br><b>Subject:</b> Onboarding</div>"
        "<div>Hi Alex, interested in a call? Let's talk!</div></body></html>"
    )
    msg = parse_message(build(html, content_type="text/html; charset=utf-8"))
    assert msg.new_text == "Not interested, thanks."
    assert classify(msg).label is Label.negative


def test_german_outlook_header_block__is_quoted_history(build):
    body = (
        "Danke, kein Bedarf.\n\nVon: Dana Seller <dana@cadenza-demo.example.org>\n"
        "Gesendet: Dienstag, 2. März 2027 09:14\nAn: Weiß, Jürgen <j@example.de>\nBetreff: Onboarding\n\nInteresse an einer Demo?"
    )
    result = label_of(build(body))
    assert result.label is Label.negative


def test_forwarded_message_below__is_not_new_text(build):
    body = "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Dana <dana@x.example>\nDate: Tue, Mar 2, 2027\n\ninterested?"
    msg = parse_message(build(body))
    assert msg.new_text == "FYI, see below."


def test_read_receipt__is_auto_reply():
    raw = (
        b"From: Morgan Blake <morgan.blake@northwind.example.com>\nTo: dana@cadenza-demo.example.org\nSubject: Read: hello\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary="M"\n\n'
        b"--M\nContent-Type: text/plain\n\nYour message was read on Tuesday.\n"
        b"--M\nContent-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; morgan.blake@northwind.example.com\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\n\n--M--\n"
    )
    result = label_of(raw)
    assert result.label is Label.auto_reply
    assert "report-type disposition-notification (read receipt)" in result.evidence


def test_spam_complaint_feedback_report__is_unsubscribe():
    raw = (
        b"From: fbl@isp.example.net\nTo: abuse@cadenza-demo.example.org\nSubject: complaint\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n'
        b"--F\nContent-Type: text/plain\n\nThis is an abuse report.\n"
        b"--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: fbl/1.0\nVersion: 1\n\n--F--\n"
    )
    assert label_of(raw).label is Label.unsubscribe


def test_successful_delivery_notification__is_not_a_bounce():
    raw = (
        b"From: MAILER-DAEMON@mx.cadenza-demo.example.org\nTo: dana@cadenza-demo.example.org\n"
        b"Subject: Successful Mail Delivery Report\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="S"\n\n'
        b"--S\nContent-Type: text/plain\n\nYour message was successfully delivered.\n"
        b"--S\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.cadenza-demo.example.org\n\n"
        b"Final-Recipient: rfc822; morgan.blake@northwind.example.com\nAction: delivered\nStatus: 2.0.0\n\n--S--\n"
    )
    result = label_of(raw)
    assert result.label is Label.auto_reply
    assert "dsn reports success, not a failure" in result.evidence


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("I'm out until Dec 30 and back on January 4.", date(2027, 1, 4)),  # an explicit return beats "until"
        ("Out of office. Back in the office on 1/4.", date(2027, 1, 4)),
        ("I'm away until the 28th.", date(2026, 12, 28)),
    ],
)
def test_return_date_cue_priority_and_forms(build, body, expected):
    raw = build(body, headers={"Auto-Submitted": "auto-replied"}, date="Mon, 21 Dec 2026 09:00:00 +0000")
    assert label_of(raw).return_date == expected
