"""Cadenza shared library: what every service needs to speak the same events the same way."""
