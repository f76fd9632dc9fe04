"""Messaging: the broker port, its memory and Kafka adapters, and what runs on top of them."""

from modelguard.extras import require_lab

require_lab(__name__)
