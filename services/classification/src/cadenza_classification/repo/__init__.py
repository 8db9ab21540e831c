"""Repo layer of the classification service."""
