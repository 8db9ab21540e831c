"""Domain layer of the metrics service."""
