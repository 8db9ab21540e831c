"""Service layer of the metrics service."""
