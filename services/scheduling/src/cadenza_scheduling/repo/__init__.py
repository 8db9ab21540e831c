"""Repo layer of the scheduling service."""
