"""Re-driving dead letters: put DLQ records back on the topic they came from.

Once the fix is deployed, the events the old worker dead-lettered must still
be applied ("PURCHASE_CREATED events eventually succeed"). Each DLQ record is
republished to its original topic with the consumer's own headers removed, so
it starts again at attempt 1, and the DLQ offset is committed only after that
publish, so a crashed replay repeats records rather than losing them. The
idempotency guard makes a repeat harmless.

What a replay leaves out, each with its reason (`skip_reason`):

- "already processed": given `processed` (a lookup in the processed-events store), a
  record whose event the store has. A dead letter can be stale: its event was
  dead-lettered by one worker and then applied by another, because delivery is at least
  once and offsets are committed per batch, so a worker that dies mid-batch leaves the
  rest of its batch to be delivered again. Without the lookup such records are replayed,
  and the idempotency guard turns each into a no-op.
- "poison": by default, a record whose fault header (`failure.fault_of`) says its payload
  itself is the fault (a malformed record, a course that does not exist). No deploy
  cures it, so replaying it would only dead-letter it again, and a replay of that DLQ
  would meet it once more: a loop. Errors of the code or the environment
  (`OverwriteModelError` once the fix is deployed, a database timeout) are replayed.
- "not among the --only error classes": with `only`, a record whose error class is not
  in it; `only` chooses the classes explicitly, poison ones included.

A skipped record is committed too, since a group's offset cannot step over it: the
replay group has decided on it, and replaying it later takes another group.

`plan_replay` is the dry run: it reads the DLQ with `Broker.scan`, in no group, from
where `group` has committed (where a replay in that group would resume), and says
what the replay would republish where and what it would skip and why, touching
nothing. Both count records and distinct events: a dead letter's event is the record
it came from, named by the origin topic, partition and offset in its headers, so a
record dead-lettered twice (redelivered after a crash) is one event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from modelguard.config import dlq_topic
from modelguard.messaging.consumer import Headers
from modelguard.messaging.events import MalformedEvent, parse_event
from modelguard.messaging.failure import PAYLOAD
from modelguard.messaging.port import Broker, Record

# Which of some event ids the processed-events store has: see `processed_lookup`.
ProcessedLookup = Callable[[Collection[str]], set[str]]

ALREADY_PROCESSED = "already processed"
POISON = "poison"
NOT_SELECTED = "not among the --only error classes"
# Why each reason is a reason, for the reports to say beside the count.
WHY = {
    ALREADY_PROCESSED: "the processed-events store has the event: it was applied after "
    "this dead letter was written",
    POISON: "the payload itself is the fault (failure.PayloadFault): a replay could only "
    "fail the same way; name the class with --only to replay it anyway",
    NOT_SELECTED: "--only names the error classes to replay",
}

# Where a dead letter came from: (topic, partition, offset) of the record first published.
Origin = tuple[str, int, int]


@dataclass
class ReplayPlan:
    """What a replay does, or would do, with each DLQ record it reads: republish counts
    by original topic and error class, skips by reason and error class, and the records
    and distinct events (origins) read. `start` is where `group` had committed in each
    DLQ partition: the records before it are not read (`before_start` of them)."""

    topic: str
    group: str | None = None
    start: dict[int, int] = field(default_factory=dict)
    before_start: int = 0
    records: int = 0
    events: set[Origin] = field(default_factory=set)
    replay: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, class)
    replay_events: set[Origin] = field(default_factory=set)
    skip: Counter[str] = field(default_factory=Counter)  # not among --only, by class
    poison: Counter[str] = field(default_factory=Counter)  # by class
    # Event ids skipped as already processed; None: the processed-events store was not read.
    already_processed: list[str] | None = None
    classes: Counter[str] = field(default_factory=Counter)  # every record read, by class

    @property
    def replayed(self) -> int:
        return sum(self.replay.values())

    def unmatched(self, only: Collection[str] | None) -> list[str]:
        """The classes `only` names that no record read has: a typo, or a class already
        replayed. A replay would skip every record and commit it for its group, so the
        records it meant to send would be passed over for good in that group."""
        return sorted(set(only or ()) - set(self.classes))

    def add(self, record: Record, reason: str | None) -> None:
        """Count `record`, read from the DLQ, as replayed (no reason) or skipped."""
        origin = origin_of(record)
        self.records += 1
        self.classes[error_class(record)] += 1
        self.events.add(origin)
        if reason is None:
            self.replay[(original_topic(record, self.topic), error_class(record))] += 1
            self.replay_events.add(origin)
        elif reason == ALREADY_PROCESSED:
            if self.already_processed is None:
                self.already_processed = []
            self.already_processed.append(event_id_of(record) or "")
        elif reason == POISON:
            self.poison[error_class(record)] += 1
        else:
            self.skip[error_class(record)] += 1

    def to_json(self) -> dict:
        return {
            "dlq": dlq_topic(self.topic),
            "group": self.group,
            "starts_at": {str(p): o for p, o in sorted(self.start.items())},
            "before_start": self.before_start,
            "records": self.records,
            "events": len(self.events),
            "would_replay": self.replayed,
            "would_replay_events": len(self.replay_events),
            "would_replay_to": [
                {"topic": topic, "error_class": error_class, "records": count}
                for (topic, error_class), count in sorted(self.replay.items())
            ],
            "would_skip": dict(self.skip.most_common()),
            "would_skip_poison": dict(self.poison.most_common()),
            "would_skip_already_processed": self.already_processed,
        }


def summary_of(plan: ReplayPlan) -> dict[str, dict[str, int]]:
    """What a replay left out, by reason and error class (for a drill's JSON)."""
    already = Counter(plan.already_processed or ())
    return {
        POISON: dict(plan.poison.most_common()),
        NOT_SELECTED: dict(plan.skip.most_common()),
        ALREADY_PROCESSED: {"records": sum(already.values())},
    }


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
    tally: ReplayPlan | None = None,
) -> int:
    """Republish `<topic>.dlq` to the records' original topics; returns how many.

    `limit` stops after that many: a replay of the dead letters there were when it
    started, while workers that go on dead-lettering add more behind them. `read` stops
    after reading that many records, replayed or skipped: a caller that knows the DLQ
    holds no more need not wait out an idle poll after its last record.

    Records `skip_reason` leaves out (already processed, poison, not among `only`) are
    committed without being republished, and passed to `on_skip`; `tally` counts every
    record read, replayed or skipped, with its reason."""
    replayed = seen = 0

    def more() -> bool:
        return (limit is None or replayed < limit) and (read is None or seen < read)

    if tally is not None and processed is not None and tally.already_processed is None:
        tally.already_processed = []
    with bus.consumer(group, [dlq_topic(topic)]) as dead, bus.producer() as producer:
        while more():
            batch = dead.poll(idle_timeout_s)
            if not batch:
                return replayed
            done = _processed_in(batch, processed)
            for record in batch:
                seen += 1
                reason = skip_reason(record, only, done)
                if reason is not None:
                    dead.commit(record)
                    on_skip(record)
                else:
                    headers = [(k, v) for k, v in record.headers if k not in Headers.OWN]
                    producer.publish(original_topic(record, topic), record.value,
                                     key=record.key, headers=headers)  # fmt: skip
                    dead.commit(record)
                    replayed += 1
                if tally is not None:
                    tally.add(record, reason)
                if not more():
                    break
    return replayed


def plan_replay(
    bus: Broker,
    topic: str,
    *,
    group: str | None = None,
    only: Collection[str] | None = None,
    processed: ProcessedLookup | None = None,
    timeout_s: float = 30.0,
) -> ReplayPlan:
    """The dry run of `replay_dead_letters(bus, topic, group=group, only=only,
    processed=processed)`: from where `group` has committed (the whole DLQ without a
    group, or for a group that committed nothing) to the DLQ's end."""
    start = bus.committed_offsets(group, dlq_topic(topic)) if group is not None else {}
    records = list(bus.scan(dlq_topic(topic), timeout_s=timeout_s))
    ahead = [r for r in records if r.offset >= start.get(r.partition, 0)]
    done = _processed_in(ahead, processed)
    plan = ReplayPlan(topic, group=group, start=start, before_start=len(records) - len(ahead),
                      already_processed=None if processed is None else [])  # fmt: skip
    for record in ahead:
        plan.add(record, skip_reason(record, only, done))
    return plan


def skip_reason(record: Record, only: Collection[str] | None, done: Collection[str]) -> str | None:
    """Why a replay leaves `record` out, or None to replay it. `done` holds the event ids
    the processed-events store has; an event applied since is left out whatever its class.
    `only` chooses the classes; without it, poison records are left out."""
    event_id = event_id_of(record)
    if event_id is not None and event_id in done:
        return ALREADY_PROCESSED
    if only is not None:
        return None if error_class(record) in only else NOT_SELECTED
    if is_poison(record):
        return POISON
    return None


def is_poison(record: Record) -> bool:
    """Whether the dead letter's own fault header says its payload is the fault. A record
    without that header (written by someone else, or by an older worker) is not: when in
    doubt, a replay sends it, which at worst dead-letters it again."""
    return record.header(Headers.FAULT) == PAYLOAD.encode()


def origin_of(record: Record) -> Origin:
    """The record a dead letter came from, from its headers; a record without them is
    its own origin."""
    topic = record.header(Headers.ORIGINAL_TOPIC)
    partition = _number(record.header(Headers.ORIGINAL_PARTITION))
    offset = _number(record.header(Headers.ORIGINAL_OFFSET))
    if topic is None or partition is None or offset is None:
        return (record.topic, record.partition, record.offset)
    return (topic.decode("utf-8", "replace"), partition, offset)


def _number(raw: bytes | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
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
