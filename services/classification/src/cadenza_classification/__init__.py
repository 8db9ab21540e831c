"""Cadenza classification service: turns raw replies into decisions and matches them to enrollments."""
