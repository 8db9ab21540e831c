"""Consumers layer of the enrollment service."""
