"""The incident report's four scenarios, as data: the one definition every runner uses.

1. kafka_retry: one PURCHASE_CREATED whose attempt 1 fails; attempt 2 must succeed.
2. multiple_retries: attempts 1-4 fail; attempt 5 must succeed.
3. concurrent_events: many purchases at once over several consumers of one group.
4. worker_restart: the worker process dies mid-stream, once half the events have
   settled; a new process takes over from the committed offsets, with a new
   registry and no cached modules.

A scenario says what happens (events, failing attempts, consumers, restart point);
which executor makes it happen (threads on the memory broker, processes on Kafka)
is the runner's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCENARIO_NAMES = ("kafka_retry", "multiple_retries", "concurrent_events", "worker_restart")


@dataclass(frozen=True)
class Scenario:
    name: str
    events: int
    consumers: int = 1
    failing_attempts: int = 0  # attempts 1..k of every event fail by injection
    restart_at: float | None = None  # the worker dies once this share of events settled

    def restart_point(self) -> int | None:
        """How many settled events kill the worker process, or None for no restart."""
        if self.restart_at is None:
            return None
        return max(1, int(self.events * self.restart_at))

    def partitions(self) -> int:
        """Partitions of the topic and its retry topic: enough for every consumer, twice."""
        return max(4, 2 * self.consumers)

    def fail_attempts(self, event_ids: Iterable[str]) -> dict[str, int]:
        """The fault plan's failing attempts, per event."""
        return {event_id: self.failing_attempts for event_id in event_ids}


def scenarios(events: int = 50, consumers: int = 3) -> list[Scenario]:
    """The four scenarios; `events` sizes the two larger ones, `consumers` the concurrent one
    (at least two, or it would not be concurrent)."""
    return [
        Scenario("kafka_retry", events=1, failing_attempts=1),
        Scenario("multiple_retries", events=1, failing_attempts=4),
        Scenario("concurrent_events", events=events, consumers=max(2, consumers)),
        Scenario("worker_restart", events=events, restart_at=0.5),
    ]
