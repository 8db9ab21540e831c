"""Api layer of the classification service."""
