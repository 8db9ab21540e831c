"""Api layer of the dispatch service."""
