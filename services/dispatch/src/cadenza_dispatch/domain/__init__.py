"""Domain layer of the dispatch service."""
