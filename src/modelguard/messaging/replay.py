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

A dead letter can be stale: its event was dead-lettered by one worker and then
applied by another, because delivery is at least once and offsets are committed per
batch, so a worker that dies mid-batch leaves the rest of its batch to be delivered
again. Given `processed` (a lookup in the processed-events store), both the replay and
its dry run skip such records with the reason "already processed"; without it they are
replayed, and the idempotency guard turns each into a no-op.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from modelguard.config import dlq_topic
from modelguard.messaging.consumer import Headers
from modelguard.messaging.events import MalformedEvent, parse_event
from modelguard.messaging.port import Broker, Record

# Which of some event ids the processed-events store has: see `processed_lookup`.
ProcessedLookup = Callable[[Collection[str]], set[str]]

ALREADY_PROCESSED = "already processed"
NOT_SELECTED = "not in --only"


def replay_dead_letters(
    bus: Broker,
    topic: str,
    *,
    group: str = "dlq-replayer",
    idle_timeout_s: float = 1.0,
    limit: int | None = None,
    read: int | None = None,
    only: Collection[str] | None = None,
    on_skip: Callable[[Record], None] = lambda record: None,
    processed: ProcessedLookup | None = None,
) -> int:
    """Republish `<topic>.dlq` to the records' original topics; returns how many.

    `limit` stops after that many: a replay of the dead letters there were when it
    started, while workers that go on dead-lettering add more behind them. `read` stops
    after reading that many records, replayed or skipped: a caller that knows the DLQ
    holds no more need not wait out an idle poll after its last record.

    With `only`, records whose error class is not in it are committed without being
    republished, and passed to `on_skip`; with `processed`, so are records whose event
    the processed-events store already has (`skip_reason` says which applies)."""
    replayed = seen = 0

    def more() -> bool:
        return (limit is None or replayed < limit) and (read is None or seen < read)

    with bus.consumer(group, [dlq_topic(topic)]) as dead, bus.producer() as producer:
        while more():
            batch = dead.poll(idle_timeout_s)
            if not batch:
                return replayed
            done = _processed_in(batch, processed)
            for record in batch:
                seen += 1
                if skip_reason(record, only, done) is not None:
                    dead.commit(record)
                    on_skip(record)
                else:
                    headers = [(k, v) for k, v in record.headers if k not in Headers.OWN]
                    producer.publish(original_topic(record, topic), record.value,
                                     key=record.key, headers=headers)  # fmt: skip
                    dead.commit(record)
                    replayed += 1
                if not more():
                    break
    return replayed


@dataclass
class ReplayPlan:
    """What a replay of the whole DLQ would do: republish counts by original topic and
    error class, the error classes it would skip as not selected, and the event ids it
    would skip as already processed (None: the processed-events store was not read)."""

    topic: str
    replay: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, class)
    skip: Counter[str] = field(default_factory=Counter)
    already_processed: list[str] | None = None

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
            "would_skip_already_processed": self.already_processed,
        }


def plan_replay(
    bus: Broker,
    topic: str,
    *,
    only: Collection[str] | None = None,
    processed: ProcessedLookup | None = None,
    timeout_s: float = 30.0,
) -> ReplayPlan:
    """The dry run of `replay_dead_letters(bus, topic, only=only, processed=processed)`
    over the whole DLQ."""
    records = list(bus.scan(dlq_topic(topic), timeout_s=timeout_s))
    done = _processed_in(records, processed)
    plan = ReplayPlan(topic, already_processed=None if processed is None else [])
    for record in records:
        reason = skip_reason(record, only, done)
        if reason is None:
            plan.replay[(original_topic(record, topic), error_class(record))] += 1
        elif reason == ALREADY_PROCESSED:
            assert plan.already_processed is not None  # a lookup was given, or no id is done
            plan.already_processed.append(event_id_of(record) or "")
        else:
            plan.skip[error_class(record)] += 1
    return plan


def skip_reason(record: Record, only: Collection[str] | None, done: Collection[str]) -> str | None:
    """Why a replay leaves `record` out, or None to replay it. `done` holds the event ids
    the processed-events store has; an event applied since is left out whatever its class."""
    event_id = event_id_of(record)
    if event_id is not None and event_id in done:
        return ALREADY_PROCESSED
    if not selected(record, only):
        return NOT_SELECTED
    return None


def event_id_of(record: Record) -> str | None:
    """The dead-lettered event's id, or None when its payload is malformed."""
    try:
        return parse_event(record.value).event_id
    except MalformedEvent:
        return None


def processed_lookup(database: Any) -> ProcessedLookup:
    """The lookup in the processed-events collection of `database` (pymongo or mongomock)."""
    from modelguard.messaging.idempotency import COLLECTION, processed_among

    return lambda event_ids: processed_among(database[COLLECTION], event_ids)


def _processed_in(records: Iterable[Record], processed: ProcessedLookup | None) -> set[str]:
    if processed is None:
        return set()
    ids = {event_id for event_id in map(event_id_of, records) if event_id is not None}
    return processed(ids)


def error_class(record: Record) -> str:
    return (record.header(Headers.ERROR_CLASS) or b"").decode("utf-8", "replace")


def selected(record: Record, only: Collection[str] | None) -> bool:
    return only is None or error_class(record) in only


def original_topic(record: Record, topic: str) -> str:
    return (record.header(Headers.ORIGINAL_TOPIC) or topic.encode()).decode()
