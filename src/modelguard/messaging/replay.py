"""Re-driving dead letters: put DLQ records back on the topic they came from.

Once the fix is deployed, the events the old worker dead-lettered must still
be applied ("PURCHASE_CREATED events eventually succeed"). Each DLQ record is
republished to its original topic with the consumer's own headers removed, so
it starts again at attempt 1, and the DLQ offset is committed only after that
publish, so a crashed replay repeats records rather than losing them. The
idempotency guard makes a repeat harmless.

`only` replays the records of some error classes and skips the others. A skipped
record is committed too, since a group's offset cannot step over it: the replay
group has decided on it, and replaying other classes later takes another group.
`plan_replay` is the dry run: it reads the DLQ with `Broker.scan`, in no group, and
says what a replay would republish where, touching nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from modelguard.config import dlq_topic
from modelguard.messaging.consumer import Headers
from modelguard.messaging.port import Broker, Record


def replay_dead_letters(
    bus: Broker,
    topic: str,
    *,
    group: str = "dlq-replayer",
    idle_timeout_s: float = 1.0,
    limit: int | None = None,
    only: Collection[str] | None = None,
    on_skip: Callable[[Record], None] = lambda record: None,
) -> int:
    """Republish `<topic>.dlq` to the records' original topics; returns how many.

    `limit` stops after that many: a replay of the dead letters there were when it
    started, while workers that go on dead-lettering add more behind them.

    With `only`, records whose error class is not in it are committed without being
    republished, and passed to `on_skip`."""
    replayed = 0
    with bus.consumer(group, [dlq_topic(topic)]) as dead, bus.producer() as producer:
        while limit is None or replayed < limit:
            batch = dead.poll(idle_timeout_s)
            if not batch:
                return replayed
            for record in batch:
                if not selected(record, only):
                    dead.commit(record)
                    on_skip(record)
                    continue
                headers = [(k, v) for k, v in record.headers if k not in Headers.OWN]
                producer.publish(
                    original_topic(record, topic), record.value, key=record.key, headers=headers
                )
                dead.commit(record)
                replayed += 1
                if limit is not None and replayed >= limit:
                    break
    return replayed


@dataclass
class ReplayPlan:
    """What a replay of the whole DLQ would do: republish counts by original topic and
    error class, and the error classes it would skip."""

    topic: str
    replay: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, class)
    skip: Counter[str] = field(default_factory=Counter)

    @property
    def replayed(self) -> int:
        return sum(self.replay.values())

    def to_json(self) -> dict:
        return {
            "dlq": dlq_topic(self.topic),
            "would_replay": self.replayed,
            "would_replay_to": [
                {"topic": topic, "error_class": error_class, "records": count}
                for (topic, error_class), count in sorted(self.replay.items())
            ],
            "would_skip": dict(self.skip.most_common()),
        }


def plan_replay(
    bus: Broker, topic: str, *, only: Collection[str] | None = None, timeout_s: float = 30.0
) -> ReplayPlan:
    """The dry run of `replay_dead_letters(bus, topic, only=only)` over the whole DLQ."""
    plan = ReplayPlan(topic)
    for record in bus.scan(dlq_topic(topic), timeout_s=timeout_s):
        if selected(record, only):
            plan.replay[(original_topic(record, topic), error_class(record))] += 1
        else:
            plan.skip[error_class(record)] += 1
    return plan


def error_class(record: Record) -> str:
    return (record.header(Headers.ERROR_CLASS) or b"").decode("utf-8", "replace")


def selected(record: Record, only: Collection[str] | None) -> bool:
    return only is None or error_class(record) in only


def original_topic(record: Record, topic: str) -> str:
    return (record.header(Headers.ORIGINAL_TOPIC) or topic.encode()).decode()
