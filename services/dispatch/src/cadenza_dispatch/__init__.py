"""Cadenza dispatch service: performs each due step through its channel: SMTP email, human tasks."""
