"""Cadenza metrics service: step-level analytics, Prometheus business metrics."""
