"""Service layer of the classification service."""
