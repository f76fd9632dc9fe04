"""Non-blocking backoff: holding a retry-topic partition until its next record is due.

It decides:

- the due time: a retry record may carry ``mg.due-ms``, milliseconds since the epoch
  on the consumer's clock; a record without it, or with a value that is not a number,
  is due at once, so a header someone else wrote can never stall a partition;
- holding: a retry record met before its due time is not handled; its partition is
  paused and sought back to it, so the broker delivers it again once resumed, and the
  records behind it in the same batch are skipped too (the seek brings them back);
- releasing: before each poll the partitions whose due time has come are resumed,
  and the poll waits no longer than the earliest due time, so the poll loop never
  sleeps and the main topic's fresh records keep flowing meanwhile;
- forgetting: after the member leaves its group the holds go, since a new member
  starts with no pauses and meets the records, and their due times, again.

Only the retry topic is held. Records of one retry partition wait behind the one at
its head even when they are due sooner: one retry topic for every backoff, where
Spring Kafka uses a topic per delay, trades that for a simpler topology.
"""

from __future__ import annotations

from collections.abc import Callable

from modelguard.messaging.port import Consumer, Record

DUE_MS = "mg.due-ms"

TopicPartition = tuple[str, int]


def due_ms(record: Record) -> int | None:
    """When ``record`` is due (ms since the epoch), or None when it is due at once."""
    raw = record.header(DUE_MS)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def due_header(now_s: float, delay_s: float) -> list[tuple[str, bytes]]:
    """The header that makes a record due ``delay_s`` after ``now_s``; none for no delay."""
    if delay_s <= 0:
        return []
    return [(DUE_MS, str(int((now_s + delay_s) * 1000)).encode())]


class DueGate:
    """Decides, record by record, whether a retry record may be handled now.

    ``clock`` returns seconds since the epoch; it is read only while a retry record
    carries a due time or a partition is held, so a policy without delays never does.
    """

    def __init__(self, retry_topic: str, clock: Callable[[], float]) -> None:
        self.retry_topic = retry_topic
        self._clock = clock
        self._held: dict[TopicPartition, int] = {}  # partition -> due time (ms)
        self._held_this_batch: set[TopicPartition] = set()

    @property
    def held(self) -> dict[TopicPartition, int]:
        """The partitions held now, and when each is due (ms since the epoch)."""
        return dict(self._held)

    def release(self, consumer: Consumer) -> None:
        """Before a poll: resume every held partition whose due time has come."""
        self._held_this_batch.clear()
        if not self._held:
            return
        now_ms = self._now_ms()
        due = {tp for tp, when in self._held.items() if when <= now_ms}
        if due:
            consumer.resume(due)
            for tp in due:
                del self._held[tp]

    def poll_timeout(self, timeout_s: float) -> float:
        """``timeout_s``, or less when a held partition comes due sooner."""
        if not self._held:
            return timeout_s
        until_due_s = (min(self._held.values()) - self._now_ms()) / 1000
        return max(0.0, min(timeout_s, until_due_s))

    def admit(self, consumer: Consumer, record: Record) -> bool:
        """True when ``record`` may be handled now; else its partition is held."""
        if record.topic != self.retry_topic:
            return True
        tp = (record.topic, record.partition)
        if tp in self._held_this_batch:
            return False  # behind a held record: the seek delivers it again
        when = due_ms(record)
        if when is None or when <= self._now_ms():
            return True
        consumer.pause([tp])
        consumer.seek(record.topic, record.partition, record.offset)
        self._held[tp] = when
        self._held_this_batch.add(tp)
        return False

    def forget(self) -> None:
        """The member left its group: its pauses went with it."""
        self._held.clear()
        self._held_this_batch.clear()

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
