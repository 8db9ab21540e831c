"""Webhook signatures."""

from cadenza_shared.webhooks import sign, verify

BODY = b'{"type":"cadenza.HandoffRequested"}'


def test_signed_body__verifies_with_the_same_secret():
    header = sign("s3cret", timestamp=1_800_000_000, body=BODY)
    assert verify("s3cret", header=header, body=BODY, now=1_800_000_010)


def test_tampered_body_wrong_secret_or_old_signature__fail():
    header = sign("s3cret", timestamp=1_800_000_000, body=BODY)
    assert not verify("s3cret", header=header, body=BODY + b" ", now=1_800_000_000)
    assert not verify("other", header=header, body=BODY, now=1_800_000_000)
    assert not verify("s3cret", header=header, body=BODY, now=1_800_000_000 + 3600)
    assert not verify("s3cret", header="garbage", body=BODY, now=1_800_000_000)
