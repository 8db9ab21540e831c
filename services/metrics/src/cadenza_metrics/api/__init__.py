"""Api layer of the metrics service."""
