"""An in-process broker that keeps the Kafka semantics the scenarios rely on.

It decides:

- storage: a topic is a list of partitions, each an append-only list of records whose
  offsets start at 0; the key picks the partition (``partition_for``); publishing to a
  missing topic creates it with ``default_partitions``, as Kafka's
  ``auto.create.topics.enable`` does; subscribing does not create it;
- membership: a consumer joins its group when it is created and leaves on close; every
  join, leave or new subscribed topic rebalances the group at once, with Kafka's range
  strategy (per topic, contiguous partition ranges over the members sorted by member id);
- positions: a partition newly assigned to a member starts at the group's committed
  offset, or 0 when nothing was committed, so uncommitted records are redelivered; a
  partition a member keeps keeps its position;
- commits: only the current owner of a partition may commit it, else CommitFailedError
  and nothing of that batch is committed;
- sessions: a poll is a member's heartbeat; a member silent for longer than
  ``session_timeout_ms`` on the broker's clock is dropped from its group when any member
  of the group next calls the broker, and its partitions move, as Kafka's coordinator
  does. The silent member learns it only when it comes back: a commit is refused, and
  its next poll joins the group again. This is the zombie worker's window;
- flow control: a paused partition is skipped by polls; a rebalance keeps the pause of
  a kept partition and drops it for a moved one;
- scans: a copy of the topic's partitions taken when the iteration starts;
- concurrency: one condition variable guards all state; ``poll`` waits on it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from modelguard.messaging.port import (
    Broker,
    CommitFailedError,
    Consumer,
    Producer,
    Record,
    RecordMetadata,
)

_keyless = itertools.count()


def partition_for(key: bytes | None, partitions: int) -> int:
    """The partition for ``key``: Kafka's default partitioner, murmur2 of the key bytes.

    A ``None`` key goes round-robin. Keyed records land where a Java or kafka-python
    producer would put them, so the memory broker and Kafka agree on placement.
    """
    if partitions < 1:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    if key is None:
        return next(_keyless) % partitions
    # kafka-python carries the Java client's murmur2; imported here so that the memory
    # broker does not pay for loading the Kafka client until a key is hashed.
    from kafka.partitioner.default import murmur2

    return (murmur2(key) & 0x7FFFFFFF) % partitions


TopicPartition = tuple[str, int]


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


# Kafka's default session.timeout.ms.
DEFAULT_SESSION_TIMEOUT_MS = 45_000


@dataclass
class _Group:
    members: dict[str, MemoryConsumer] = field(default_factory=dict)
    committed: dict[TopicPartition, int] = field(default_factory=dict)


class MemoryBroker(Broker):
    """A thread-safe broker in this process; ``clock`` returns milliseconds since the epoch
    and times both the records and the members' sessions."""

    name = "memory"

    def __init__(
        self,
        *,
        default_partitions: int = 1,
        clock: Callable[[], int] = _wall_clock_ms,
        session_timeout_ms: int = DEFAULT_SESSION_TIMEOUT_MS,
    ) -> None:
        super().__init__()
        if default_partitions < 1:
            raise ValueError(f"default_partitions must be >= 1, not {default_partitions}")
        if session_timeout_ms < 1:
            raise ValueError(f"session_timeout_ms must be >= 1, not {session_timeout_ms}")
        self.default_partitions = default_partitions
        self.session_timeout_ms = session_timeout_ms
        self._clock = clock
        self._cond = threading.Condition()
        self._topics: dict[str, list[list[Record]]] = {}
        self._groups: dict[str, _Group] = {}
        self._member_numbers = itertools.count(1)

    def __repr__(self) -> str:
        with self._cond:
            return f"<MemoryBroker topics={sorted(self._topics)}>"

    # -- inspection, for tests and scenarios (not part of the port) --

    def topic_records(self, topic: str) -> list[Record]:
        """Every record of ``topic`` in (partition, offset) order; [] for an unknown topic."""
        with self._cond:
            return [record for log in self._topics.get(topic, ()) for record in log]

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        """The group's committed offset (the next offset it will read), or None."""
        with self._cond:
            return self._group(group).committed.get((topic, partition))

    def members(self, group: str) -> list[str]:
        """The member ids of ``group`` now, sorted; a silent member counts until dropped."""
        with self._cond:
            return sorted(self._group(group).members)

    # -- the port --

    def _create_topic(self, name: str, partitions: int) -> None:
        with self._cond:
            self._ensure_topic(name, partitions)

    def _producer(self) -> Producer:
        return MemoryProducer(self)

    def _group_members(self, group: str) -> int:
        # Joins and leaves rebalance at once, under the lock: the group is always stable.
        with self._cond:
            return len(self._group(group).members)

    def _lag(self, group: str, topics: tuple[str, ...]) -> int:
        with self._cond:
            committed = self._group(group).committed
            return sum(
                len(log) - committed.get((topic, p), 0)
                for topic in topics
                for p, log in enumerate(self._topics.get(topic, ()))
            )

    def _committed_offsets(self, group: str, topic: str) -> dict[int, int]:
        with self._cond:
            committed = self._group(group).committed
            return {p: o for (name, p), o in sorted(committed.items()) if name == topic}

    def _consumer(self, group: str, topics: tuple[str, ...], client_id: str | None) -> Consumer:
        member_id = f"{client_id or 'consumer'}-{next(self._member_numbers):06d}"
        consumer = MemoryConsumer(self, group, topics, client_id, member_id)
        with self._cond:
            self._join(consumer)
        return consumer

    def _scan(self, topic: str, timeout_s: float) -> Iterator[Record]:
        with self._cond:
            logs = [list(log) for log in self._topics.get(topic, ())]
        for log in logs:
            yield from log

    # -- internals; every one of them runs with self._cond held --

    def _group(self, name: str) -> _Group:
        return self._groups.setdefault(name, _Group())

    def _ensure_topic(self, name: str, partitions: int) -> list[list[Record]]:
        if name not in self._topics:
            self._topics[name] = [[] for _ in range(partitions)]
            for group, state in self._groups.items():
                if any(name in member.topics for member in state.members.values()):
                    self._rebalance(group)
        return self._topics[name]

    def _append(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> RecordMetadata:
        with self._cond:
            logs = self._ensure_topic(topic, self.default_partitions)
            partition = partition_for(key, len(logs))
            log = logs[partition]
            log.append(Record(topic, partition, len(log), key, value, headers, self._clock()))
            self._cond.notify_all()
            return RecordMetadata(topic, partition, len(log) - 1)

    def _leave(self, consumer: MemoryConsumer) -> None:
        with self._cond:
            self._group(consumer.group).members.pop(consumer.member_id, None)
            consumer._positions.clear()
            consumer._pauses.clear()
            self._rebalance(consumer.group)

    def _join(self, consumer: MemoryConsumer) -> None:
        consumer._heartbeat_ms = self._clock()
        consumer._expired = False
        self._expire_silent(consumer.group, consumer._heartbeat_ms)
        self._group(consumer.group).members[consumer.member_id] = consumer
        self._rebalance(consumer.group)

    def _heartbeat(self, consumer: MemoryConsumer) -> None:
        """A poll: the member is alive; one that was dropped while silent joins again."""
        now = self._clock()
        if consumer._expired:
            self._join(consumer)
            return
        consumer._heartbeat_ms = now
        self._expire_silent(consumer.group, now)

    def _expire_silent(self, group: str, now_ms: int) -> None:
        state = self._group(group)
        silent = [
            member
            for member in state.members.values()
            if now_ms - member._heartbeat_ms > self.session_timeout_ms
        ]
        for member in silent:
            del state.members[member.member_id]
            member._positions.clear()
            member._pauses.clear()
            member._expired = True
        if silent:
            self._rebalance(group)

    def _rebalance(self, group: str) -> None:
        state = self._group(group)
        members = [state.members[m] for m in sorted(state.members)]
        wanted: dict[str, list[TopicPartition]] = {m.member_id: [] for m in members}
        subscribed = {topic for member in members for topic in member.topics}
        for topic in sorted(subscribed & self._topics.keys()):
            owners = [m for m in members if topic in m.topics]
            share, extra = divmod(len(self._topics[topic]), len(owners))
            first = 0
            for index, owner in enumerate(owners):
                count = share + (1 if index < extra else 0)
                wanted[owner.member_id] += [(topic, p) for p in range(first, first + count)]
                first += count
        for member in members:
            kept = member._positions
            member._positions = {
                tp: kept[tp] if tp in kept else state.committed.get(tp, 0)
                for tp in wanted[member.member_id]
            }
            member._pauses &= member._positions.keys()
        # Pollers wake up: a new assignment may hold records for them.
        self._cond.notify_all()


class MemoryProducer(Producer):
    def __init__(self, broker: MemoryBroker) -> None:
        super().__init__()
        self._broker = broker

    def _publish(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> RecordMetadata:
        return self._broker._append(topic, value, key, headers)

    def _close(self) -> None:
        pass


class MemoryConsumer(Consumer):
    """A group member; ``_positions`` maps each owned partition to the next offset to read."""

    def __init__(
        self,
        broker: MemoryBroker,
        group: str,
        topics: tuple[str, ...],
        client_id: str | None,
        member_id: str,
    ) -> None:
        super().__init__(group, topics, client_id)
        self.member_id = member_id
        self._positions: dict[TopicPartition, int] = {}
        self._pauses: set[TopicPartition] = set()
        self._heartbeat_ms = 0
        self._expired = False  # dropped from the group for silence; the next poll rejoins
        self._broker = broker
        self._turn = 0

    def _poll(self, timeout_s: float, max_records: int) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        cond = self._broker._cond
        # A waiting poll keeps heartbeating, as Kafka's background heartbeat does.
        beat_s = self._broker.session_timeout_ms / 3000
        with cond:
            while not self._closed:
                self._broker._heartbeat(self)
                records = self._take(max_records)
                remaining = deadline - time.monotonic()
                if records or remaining <= 0:
                    return records
                cond.wait(min(remaining, beat_s))
            return []

    def _take(self, max_records: int) -> list[Record]:
        """Up to max_records, one partition at a time in turn; the first turn rotates
        between polls so that no partition is starved by a busy neighbour."""
        owned = [tp for tp in self._positions if tp not in self._pauses]
        if not owned:
            return []
        self._turn = (self._turn + 1) % len(owned)
        order = owned[self._turn :] + owned[: self._turn]
        topics = self._broker._topics
        taken: list[Record] = []
        while len(taken) < max_records:
            before = len(taken)
            for topic, partition in order:
                log = topics[topic][partition]
                position = self._positions[(topic, partition)]
                if position < len(log) and len(taken) < max_records:
                    taken.append(log[position])
                    self._positions[(topic, partition)] = position + 1
            if len(taken) == before:
                break
        return taken

    def _commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        with self._broker._cond:
            # The coordinator's timer, not this member's next poll, ends a silent session.
            self._broker._expire_silent(self.group, self._broker._clock())
            for topic, partition in offsets:
                if (topic, partition) not in self._positions:
                    raise CommitFailedError(
                        f"member {self.member_id} of group {self.group!r} does not own "
                        f"{topic}[{partition}]: it was reassigned or never assigned"
                    )
            self._broker._group(self.group).committed.update(offsets)

    def _assignment(self) -> set[TopicPartition]:
        with self._broker._cond:
            return set(self._positions)

    def _pause(self, partitions: set[TopicPartition]) -> None:
        with self._broker._cond:
            self._pauses |= partitions & self._positions.keys()

    def _resume(self, partitions: set[TopicPartition]) -> None:
        with self._broker._cond:
            self._pauses -= partitions
            self._broker._cond.notify_all()  # a waiting poll may have records now

    def _paused(self) -> set[TopicPartition]:
        with self._broker._cond:
            return set(self._pauses)

    def _seek(self, topic: str, partition: int, offset: int) -> None:
        with self._broker._cond:
            if (topic, partition) in self._positions:
                self._positions[(topic, partition)] = offset
                self._broker._cond.notify_all()

    def _close(self) -> None:
        self._broker._leave(self)
