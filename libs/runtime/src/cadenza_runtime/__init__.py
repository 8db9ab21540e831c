"""Cadenza runtime helpers shared by the services (Kafka wiring, local brokers)."""
