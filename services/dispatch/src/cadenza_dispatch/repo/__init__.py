"""Repo layer of the dispatch service."""
