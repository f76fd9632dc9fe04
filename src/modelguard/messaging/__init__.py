"""Messaging: the broker port, its memory and Kafka adapters, and what runs on top of them."""
