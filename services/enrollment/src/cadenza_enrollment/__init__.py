"""Cadenza enrollment service: who is in which cadence, and in what state."""
