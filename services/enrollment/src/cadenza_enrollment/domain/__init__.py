"""Domain layer of the enrollment service."""
