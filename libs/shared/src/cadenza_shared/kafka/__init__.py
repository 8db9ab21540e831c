"""Kafka edge: producer, consumer runner (ack / retry / dead-letter), topic administration."""
