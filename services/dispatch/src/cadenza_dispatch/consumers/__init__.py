"""Consumers layer of the dispatch service."""
