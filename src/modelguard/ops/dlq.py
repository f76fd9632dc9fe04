"""What a dead letter topic says about why it filled: `dlq inspect`'s summary.

It decides what an operator reads first, and reads it from the headers the retrying
consumer wrote: counts by error class; the span of first-failure times (when the
trouble started, and for how long); where the records came from (original topic,
partition and offsets, so they can be found or replayed); the most common messages;
and, when an error's notes carry the model registry's diagnosis, which model file ran
twice and how. Records without those headers (written by someone else) are counted
under ``UNKNOWN`` rather than dropped.

It counts records and distinct events, and they differ: a dead letter's event is the
record it came from, named by the origin topic, partition and offset in its headers,
and one record can be dead-lettered more than once. Each record that repeats an event
is named (`Repeat`), with why it happened as the headers show it: the consumer that
wrote each copy, and whether the copies share one run of attempts (the same first
failure) or the attempts started over. A record dead-lettered again was delivered
again, which happens only when a batch holding it was not committed: its worker died,
or lost the partition, before the commit.

It also says how many dead letters are stale: their event was applied later, by a
worker that got it again after the one that dead-lettered it died before committing
its batch. That is read from the processed-events store the idempotency guard writes,
when the caller gives a lookup in it; without one the count is unknown, never 0. A lab
run tags its store with its run id, and its topics carry the id in their names
(`config.run_names`): a store of another run than the DLQ's is not read, and the
report says whose it was (`StoreCheck`), rather than count against the wrong store.

The records come from `Broker.scan`, which joins no consumer group: inspecting a DLQ
never moves the offsets of the worker's group or of a replayer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelguard.config import dlq_topic, run_id_of
from modelguard.messaging.consumer import Headers
from modelguard.messaging.events import claimed_event_id
from modelguard.messaging.failure import read_notes
from modelguard.messaging.idempotency import run_of
from modelguard.messaging.port import Broker, Record
from modelguard.messaging.replay import Origin, ProcessedLookup, event_id_of, origin_of
from modelguard.registry.errors import double_run_in

UNKNOWN = "(unknown)"
MOST_COMMON = 5


def dlq_of(topic: str) -> str:
    """The DLQ to read for `--topic`: the worker's topic's DLQ, or a DLQ named as such."""
    return topic if topic.endswith(".dlq") else dlq_topic(topic)


def topic_of(topic: str) -> str:
    """The worker's topic for `--topic`: the topic itself, or the one whose DLQ it names."""
    return topic.removesuffix(".dlq")


@dataclass
class DoubleRuns:
    """Dead letters whose error says one model file ran twice, grouped by file and by
    the module it first ran as; each record names the module it ran as again."""

    file: str
    first_module: str
    cause: str
    example: str
    again_modules: Counter[str] = field(default_factory=Counter)

    @property
    def records(self) -> int:
        return sum(self.again_modules.values())

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "first_module": self.first_module,
            "again_modules": dict(self.again_modules.most_common()),
            "cause": self.cause,
            "records": self.records,
            "example": self.example,
        }


@dataclass
class Repeat:
    """One event dead-lettered more than once: its origin, and for each copy its DLQ
    position, the consumer that wrote it and its first failure's time (None where a
    header is missing)."""

    origin: Origin
    event_id: str | None
    copies: list[tuple[int, int, str | None, int | None]]  # (partition, offset, consumer, ms)

    @property
    def why(self) -> str:
        """Why the event was dead-lettered again, as far as the headers show it. A record
        (or one of its retries) is delivered again only when the batch holding it was not
        committed: its worker died, or lost the partition, before the commit."""
        writers = [consumer or "(unnamed)" for _, _, consumer, _ in self.copies]
        by = f"written by {', then '.join(writers)}"
        first_failures = {ms for _, _, _, ms in self.copies}
        if None in first_failures:
            return f"{by}; delivered again, since the batch holding it was not committed"
        if len(first_failures) == 1:
            return (f"{by}; one run of attempts (the same first failure) reached the DLQ "
                    "again: the delivery that dead-lettered it was delivered again, since "
                    "its batch was not committed")  # fmt: skip
        return (f"{by}; its attempts started over ({len(first_failures)} different first "
                "failures): the record was delivered again, since the batch holding it "
                "was not committed, and each delivery's attempts ended in the DLQ")  # fmt: skip

    def to_json(self) -> dict:
        topic, partition, offset = self.origin
        return {
            "origin": {"topic": topic, "partition": partition, "offset": offset},
            "event_id": self.event_id,
            "dead_letters": [
                {"partition": p, "offset": o, "consumer": c, "first_failure_ms": ms}
                for p, o, c, ms in self.copies
            ],
            "why": self.why,
        }


@dataclass(frozen=True)
class StoreCheck:
    """Whose processed-events store a report reads: the database, the run it is tagged
    with, and the run the DLQ's topic names (None: not a lab run's)."""

    database: str
    store_run: str | None
    dlq_run: str | None

    @property
    def belongs(self) -> bool:
        return self.store_run == self.dlq_run

    def line(self) -> str:
        def whose(run: str | None) -> str:
            return f"run {run}" if run else "no lab run"

        if self.belongs:
            return (f"processed-events store: database {self.database!r} "
                    f"({whose(self.store_run)}, as the DLQ)")  # fmt: skip
        return (f"processed-events store: database {self.database!r} belongs to "
                f"{whose(self.store_run)}, the DLQ to {whose(self.dlq_run)}: not read")  # fmt: skip

    def to_json(self) -> dict:
        return {"database": self.database, "store_run": self.store_run,
                "dlq_run": self.dlq_run, "belongs": self.belongs}  # fmt: skip


def check_store(database: Any, dlq: str) -> StoreCheck:
    """Whether `database`'s processed-events store belongs to the run `dlq` is from."""
    return StoreCheck(database.name, run_of(database), run_id_of(dlq))


@dataclass
class DlqSummary:
    topic: str
    records: int = 0
    events: int = 0  # distinct origins
    repeats: list[Repeat] = field(default_factory=list)
    error_classes: Counter[str] = field(default_factory=Counter)
    first_failure_ms: tuple[int, int] | None = None  # earliest, latest
    origins: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    messages: Counter[str] = field(default_factory=Counter)
    attempts: Counter[int] = field(default_factory=Counter)
    double_runs: list[DoubleRuns] = field(default_factory=list)
    # Event ids of dead letters whose event was processed later; None: not looked up.
    already_processed: list[str] | None = None
    store: StoreCheck | None = None  # whose store was looked in, when one was named

    def to_json(self) -> dict:
        earliest, latest = self.first_failure_ms or (None, None)
        stale = self.already_processed
        return {
            "topic": self.topic,
            "records": self.records,
            "events": self.events,
            "repeated_records": self.records - self.events,
            "repeats": [repeat.to_json() for repeat in self.repeats],
            "already_processed": None if stale is None else len(stale),
            "already_processed_events": stale,
            "store": None if self.store is None else self.store.to_json(),
            "error_classes": dict(self.error_classes.most_common()),
            "first_failure_ms": {"earliest": earliest, "latest": latest},
            "origins": [
                {"topic": topic, "partition": partition, "offsets": offsets}
                for (topic, partition), offsets in sorted(self.origins.items())
            ],
            "messages": [
                {"message": message, "records": count}
                for message, count in self.messages.most_common(MOST_COMMON)
            ],
            "attempts": {str(k): v for k, v in sorted(self.attempts.items())},
            "double_runs": [runs.to_json() for runs in self.double_runs],
        }


def inspect_dlq(
    bus: Broker,
    topic: str,
    *,
    processed: ProcessedLookup | None = None,
    store: StoreCheck | None = None,
    timeout_s: float = 30.0,
) -> DlqSummary:
    """The summary of `topic`'s DLQ (see `dlq_of`), read without any consumer group;
    with `processed`, it names the dead letters whose event was processed later, unless
    `store` says that store belongs to another run than the DLQ (then it is not read,
    and the count is unknown)."""
    name = dlq_of(topic)
    if store is not None and not store.belongs:
        processed = None
    summary = summarize(name, bus.scan(name, timeout_s=timeout_s), processed=processed)
    summary.store = store
    return summary


def summarize(
    topic: str, records: Iterable[Record], *, processed: ProcessedLookup | None = None
) -> DlqSummary:
    summary = DlqSummary(topic)
    event_ids: list[str] = []
    origins: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
    runs: dict[tuple[str, str], DoubleRuns] = {}
    first_failures: list[int] = []
    copies: defaultdict[Origin, list[Record]] = defaultdict(list)
    for record in records:
        summary.records += 1
        copies[origin_of(record)].append(record)
        event_id = event_id_of(record)
        if event_id is not None:
            event_ids.append(event_id)
        summary.error_classes[_text(record, Headers.ERROR_CLASS)] += 1
        summary.messages[_text(record, Headers.ERROR_MESSAGE)] += 1
        attempt = _number(record, Headers.ATTEMPT)
        if attempt is not None:
            summary.attempts[attempt] += 1
        failed_ms = _number(record, Headers.FIRST_FAILURE_MS)
        if failed_ms is not None:
            first_failures.append(failed_ms)
        partition = _number(record, Headers.ORIGINAL_PARTITION)
        offset = _number(record, Headers.ORIGINAL_OFFSET)
        if partition is not None and offset is not None:
            origins[(_text(record, Headers.ORIGINAL_TOPIC), partition)].append(offset)
        double_run = double_run_in(read_notes(record.header(Headers.ERROR_NOTES)))
        if double_run is not None:
            key = (double_run.file, double_run.first.module)
            if key not in runs:
                runs[key] = DoubleRuns(
                    double_run.file, double_run.first.module, double_run.cause, str(double_run)
                )
            runs[key].again_modules[double_run.again.module] += 1
    summary.events = len(copies)
    summary.repeats = [
        Repeat(origin, claimed_event_id(same[0].value),
               [(r.partition, r.offset, _consumer(r), _number(r, Headers.FIRST_FAILURE_MS))
                for r in same])  # fmt: skip
        for origin, same in sorted(copies.items())
        if len(same) > 1
    ]
    if first_failures:
        summary.first_failure_ms = (min(first_failures), max(first_failures))
    summary.origins = {key: sorted(offsets) for key, offsets in sorted(origins.items())}
    summary.double_runs = sorted(runs.values(), key=lambda r: -r.records)
    if processed is not None:
        done = processed(event_ids)
        # One per dead letter, in DLQ order: an event dead-lettered twice counts twice.
        summary.already_processed = [event_id for event_id in event_ids if event_id in done]
    return summary


def _consumer(record: Record) -> str | None:
    raw = record.header(Headers.CONSUMER)
    return raw.decode("utf-8", "replace") if raw else None


def _text(record: Record, name: str) -> str:
    raw = record.header(name)
    return raw.decode("utf-8", "replace") if raw else UNKNOWN


def _number(record: Record, name: str) -> int | None:
    raw = record.header(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
