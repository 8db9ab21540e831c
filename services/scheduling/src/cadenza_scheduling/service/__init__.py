"""Service layer of the scheduling service."""
