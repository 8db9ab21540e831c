"""Consumers layer of the classification service."""
