"""Non-blocking backoff on real Kafka: a retry waits for its due time, fresh records don't."""

from __future__ import annotations

import time
import uuid

import pytest

from modelguard.config import dlq_topic, retry_topic
from modelguard.messaging.consumer import Attempt, Headers, RetryingConsumer
from modelguard.messaging.drivers.kafka import KafkaBroker
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.policy import BACKOFF

WAIT_S = 60.0


def event(name: str) -> PurchaseCreated:
    return PurchaseCreated(f"evt-{name}", f"pur-{name}", "user-1", "course-1")


@pytest.mark.integration
@pytest.mark.kafka
def test_retries_wait_their_backoff_and_a_fresh_record_is_handled_before_them(kafka_bootstrap):
    topic = f"backoff-{uuid.uuid4().hex[:8]}"
    handled: list[tuple[str, int, float]] = []
    settled: list[Attempt] = []

    def handler(evt: PurchaseCreated, attempt: int) -> None:
        handled.append((evt.event_id, attempt, time.time()))
        if evt.event_id == "evt-slow" and attempt <= 2:
            raise RuntimeError(f"attempt {attempt} failed")

    with KafkaBroker(kafka_bootstrap, timeout_s=20) as bus:
        for name in (topic, retry_topic(topic), dlq_topic(topic)):
            bus.create_topic(name, 1)
        consumer = RetryingConsumer(
            bus, topic, f"group-{topic}", handler, policy=BACKOFF, on_attempt=settled.append
        )
        with bus.producer() as producer:
            producer.publish(topic, event("slow").to_bytes())
            deadline = time.monotonic() + WAIT_S
            while not any(a.outcome == "retrying" for a in settled):
                assert time.monotonic() < deadline, handled
                consumer.poll_once(0.2)
            # Attempt 1 failed and waits 1 s on the retry topic: fresh work arrives now.
            producer.publish(topic, event("fresh").to_bytes())
            while not any(a.event_id == "evt-slow" and a.outcome == "succeeded" for a in settled):
                assert time.monotonic() < deadline, handled
                consumer.poll_once(0.2)
        retries = [
            (r.header(Headers.ATTEMPT), r.header(Headers.DUE_MS), r.timestamp_ms)
            for r in _read_all(bus, retry_topic(topic), 2)
        ]
        consumer.close()

    order = [(e, a) for e, a, _ in handled]
    assert order == [("evt-slow", 1), ("evt-fresh", 1), ("evt-slow", 2), ("evt-slow", 3)]
    at = {(e, a): t for e, a, t in handled}
    # The backoff of BACKOFF: 1 s before attempt 2, 2 s before attempt 3.
    assert at[("evt-slow", 2)] - at[("evt-slow", 1)] >= 1.0
    assert at[("evt-slow", 3)] - at[("evt-slow", 2)] >= 2.0
    # Each retry record was handled no earlier than the due time it carried.
    for (attempt, due, _), key in zip(retries, [("evt-slow", 2), ("evt-slow", 3)], strict=True):
        assert attempt == str(key[1]).encode()
        assert at[key] * 1000 >= int(due)


def _read_all(bus: KafkaBroker, topic: str, count: int):
    records = []
    with bus.consumer(f"reader-{uuid.uuid4().hex[:8]}", [topic]) as reader:
        deadline = time.monotonic() + WAIT_S
        while len(records) < count and time.monotonic() < deadline:
            records += reader.poll(0.5)
    return records
