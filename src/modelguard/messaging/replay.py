"""Re-driving dead letters: put DLQ records back on the topic they came from.

Once the fix is deployed, the events the old worker dead-lettered must still
be applied ("PURCHASE_CREATED events eventually succeed"). Each DLQ record is
republished to its original topic with the consumer's own headers removed, so
it starts again at attempt 1, and the DLQ offset is committed only after that
publish, so a crashed replay repeats records rather than losing them. The
idempotency guard makes a repeat harmless.
"""

from __future__ import annotations

from modelguard.config import dlq_topic
from modelguard.messaging.consumer import Headers
from modelguard.messaging.port import Broker


def replay_dead_letters(
    bus: Broker,
    topic: str,
    *,
    group: str = "dlq-replayer",
    idle_timeout_s: float = 1.0,
    limit: int | None = None,
) -> int:
    """Republish `<topic>.dlq` to the records' original topics; returns how many."""
    replayed = 0
    with bus.consumer(group, [dlq_topic(topic)]) as dead, bus.producer() as producer:
        while limit is None or replayed < limit:
            batch = dead.poll(idle_timeout_s)
            if not batch:
                return replayed
            for record in batch:
                original = (record.header(Headers.ORIGINAL_TOPIC) or topic.encode()).decode()
                headers = [(k, v) for k, v in record.headers if k not in Headers.OWN]
                producer.publish(original, record.value, key=record.key, headers=headers)
                dead.commit(record)
                replayed += 1
                if limit is not None and replayed >= limit:
                    break
    return replayed
