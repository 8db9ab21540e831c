"""Domain layer of the classification service."""
