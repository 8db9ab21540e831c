"""Api layer of the scheduling service."""
