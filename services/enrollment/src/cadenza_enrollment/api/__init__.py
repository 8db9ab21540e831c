"""Api layer of the enrollment service."""
