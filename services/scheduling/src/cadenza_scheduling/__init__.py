"""Cadenza scheduling service: decides when each cadence step is due."""
