"""Repo layer of the metrics service."""
