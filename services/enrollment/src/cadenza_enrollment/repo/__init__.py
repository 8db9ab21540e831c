"""Repo layer of the enrollment service."""
