"""Consumers layer of the scheduling service."""
