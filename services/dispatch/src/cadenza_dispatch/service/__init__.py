"""Service layer of the dispatch service."""
