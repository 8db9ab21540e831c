"""Consumers layer of the metrics service."""
