"""Service layer of the enrollment service."""
