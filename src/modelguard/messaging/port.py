"""The broker port: all the worker, the retrying consumer and the scenarios may ask of a broker.

It decides:

- the record shape: bytes in and bytes out, headers as ``(str, bytes)`` pairs;
- the delivery contract: ``publish`` returns once the record is stored; ``send`` only
  hands the record over, and ``flush`` returns once everything sent is stored (or
  raises); a consumer reads the partitions assigned to it from its position; the caller
  commits a record, or a batch of them at once, after handling it; records left
  uncommitted when a member leaves go to the next owner of their partition (at least
  once);
- flow control: a member may pause a partition it owns (polls skip it, the position
  stays), resume it, and seek it back to an offset; all three ignore a partition the
  member does not own, whose next owner starts from the group's commit anyway; a
  partition kept through a rebalance keeps its pause, a newly assigned one starts
  unpaused;
- reading without consuming: ``Broker.scan`` reads what a topic holds outside any
  consumer group, so an operator can look at a DLQ without moving anyone's offsets;
- the errors both adapters raise: ``CommitFailedError`` when a member commits a
  partition it does not own, ``BrokerClosedError`` on use after close,
  ``AuthenticationFailedError`` when the broker refuses the client's credentials, and
  ``BrokerError`` for anything else the broker refuses;
- the three questions a runner or an operator asks about a group: how many members it
  has once it is stable (``group_members``), how many records it has not committed past
  (``lag``), and where it has committed to in a topic (``committed_offsets``), which is
  where a member that joins now starts;
- the bookkeeping shared by the adapters, so that they cannot drift: argument checks,
  idempotent ``close``, context managers, and a broker closing what it opened;
- nothing about any one broker: the drivers (``messaging.drivers``) implement this port,
  and the port never imports them.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar


class BrokerError(Exception):
    """The broker refused or failed an operation."""


class CommitFailedError(BrokerError):
    """A commit for a partition this member does not own (any more): after a rebalance,
    its new owner reads from the group's last commit, so the record will be redelivered."""


class AuthenticationFailedError(BrokerError):
    """The broker refused this client's credentials: trying again will not help."""


class BrokerClosedError(BrokerError):
    """The producer, consumer or broker was used after close()."""


@dataclass(frozen=True)
class Record:
    """One record as a consumer receives it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int = 0

    def header(self, name: str) -> bytes | None:
        """The last value of header ``name`` (later headers override earlier ones), or None."""
        for key, value in reversed(self.headers):
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class RecordMetadata:
    """Where a published record was stored."""

    topic: str
    partition: int
    offset: int


class _Closable(ABC):
    """Idempotent close, ``with`` support and a guard against use after close."""

    def __init__(self) -> None:
        self._closed = False
        self._close_lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._close()

    @abstractmethod
    def _close(self) -> None: ...

    def _check_open(self) -> None:
        if self._closed:
            raise BrokerClosedError(f"{self!r} is closed")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_C = TypeVar("_C", bound=_Closable)


class Producer(_Closable):
    """Publishes records; ``publish`` returns only once the broker has stored the record.

    ``send`` is the batching form: it returns at once, and ``flush`` waits for everything
    sent since the last flush, so a caller pays one wait for many records.
    """

    def publish(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> RecordMetadata:
        self._check_open()
        _check_record(topic, value, key)
        return self._publish(topic, value, key, _headers(headers))

    def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """Hand a record to the producer without waiting for the broker to store it.

        Only ``flush`` says whether it was stored; a ``BrokerError`` here means the
        producer could not even take it."""
        self._check_open()
        _check_record(topic, value, key)
        self._send(topic, value, key, _headers(headers))

    def flush(self) -> None:
        """Return once every record sent since the last flush is stored. ``BrokerError``
        if any of them was not: the caller must treat them all as unsent."""
        self._check_open()
        self._flush()

    @abstractmethod
    def _publish(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> RecordMetadata: ...

    def _send(
        self, topic: str, value: bytes, key: bytes | None, headers: tuple[tuple[str, bytes], ...]
    ) -> None:
        # A broker that stores a record at once has nothing to queue.
        self._publish(topic, value, key, headers)

    def _flush(self) -> None:
        pass


class Consumer(_Closable):
    """One member of a consumer group. Use it from one thread at a time."""

    def __init__(self, group: str, topics: tuple[str, ...], client_id: str | None) -> None:
        super().__init__()
        self.group = group
        self.topics = topics
        self.client_id = client_id

    def poll(self, timeout_s: float = 0.1, max_records: int = 100) -> list[Record]:
        """Records of the assigned partitions from this member's position, waiting up to
        ``timeout_s`` for the first; at most ``max_records``."""
        self._check_open()
        if timeout_s < 0 or max_records < 1:
            raise ValueError(
                f"poll needs timeout_s >= 0 and max_records >= 1: {timeout_s=}, {max_records=}"
            )
        return self._poll(timeout_s, max_records)

    def commit(self, record: Record) -> None:
        """Commit offset ``record.offset + 1`` of the record's partition for this group."""
        _check_type(isinstance(record, Record), f"commit takes a Record, not {record!r}")
        self.commit_batch([record])

    def commit_batch(self, records: Sequence[Record]) -> None:
        """Commit, for each partition among ``records``, the offset after its highest
        record, in one request. All or nothing: ``CommitFailedError`` if this member owns
        any of those partitions no more, and then none is committed."""
        offsets: dict[tuple[str, int], int] = {}
        for record in records:
            _check_type(isinstance(record, Record), f"commit takes Records, not {record!r}")
            partition = (record.topic, record.partition)
            offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
        if self._closed:
            raise CommitFailedError(f"{self!r} is closed and owns no partitions")
        if offsets:
            self._commit(offsets)

    def assignment(self) -> set[tuple[str, int]]:
        """The (topic, partition) pairs this member owns now."""
        return set() if self._closed else self._assignment()

    def pause(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Stop returning records of ``partitions`` from poll until they are resumed."""
        self._check_open()
        self._pause(self._owned(partitions))

    def resume(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Return records of paused ``partitions`` again, from their positions."""
        self._check_open()
        self._resume(self._owned(partitions))

    def paused(self) -> set[tuple[str, int]]:
        """The owned partitions that are paused now."""
        return set() if self._closed else self._paused()

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Make ``offset`` the next record a poll returns from that partition."""
        self._check_open()
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(f"an offset is an int >= 0, not {offset!r}")
        if (topic, partition) in self._assignment():
            self._seek(topic, partition, offset)

    def _owned(self, partitions: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
        return {(topic, partition) for topic, partition in partitions} & self._assignment()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} group={self.group!r} topics={list(self.topics)!r}>"

    @abstractmethod
    def _poll(self, timeout_s: float, max_records: int) -> list[Record]: ...

    @abstractmethod
    def _commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Store ``offsets`` ((topic, partition) -> next offset to read) for the group."""

    @abstractmethod
    def _assignment(self) -> set[tuple[str, int]]: ...

    @abstractmethod
    def _pause(self, partitions: set[tuple[str, int]]) -> None: ...

    @abstractmethod
    def _resume(self, partitions: set[tuple[str, int]]) -> None: ...

    @abstractmethod
    def _paused(self) -> set[tuple[str, int]]: ...

    @abstractmethod
    def _seek(self, topic: str, partition: int, offset: int) -> None: ...


class Broker(_Closable):
    """Creates topics, producers and consumers; closing it closes everything it opened."""

    name: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self._opened: list[_Closable] = []
        self._opened_lock = threading.Lock()

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Create topic ``name``; an existing topic is left as it is."""
        self._check_open()
        _check_name("topic", name)
        if partitions < 1:
            raise ValueError(f"a topic has at least one partition, not {partitions}")
        self._create_topic(name, partitions)

    def producer(self) -> Producer:
        self._check_open()
        return self._track(self._producer())

    def consumer(
        self, group: str, topics: Sequence[str], *, client_id: str | None = None
    ) -> Consumer:
        """Join ``group`` as a new member subscribed to ``topics``."""
        self._check_open()
        _check_name("group", group)
        # A bare string is a Sequence of one-letter topics: a classic slip, refused here.
        _check_type(not isinstance(topics, str), f"topics must be a list of names: {topics!r}")
        names = tuple(topics)
        if not names:
            raise ValueError("a consumer subscribes to at least one topic")
        for name in names:
            _check_name("topic", name)
        return self._track(self._consumer(group, names, client_id))

    def scan(self, topic: str, *, timeout_s: float = 30.0) -> Iterator[Record]:
        """The records ``topic`` holds when the iteration starts, each partition's in
        offset order; a missing topic yields nothing.

        No group is joined and nothing is committed, so no consumer's position moves.
        Records published after the iteration started are not included, so it ends.
        ``BrokerError`` when the records do not arrive within ``timeout_s``.
        """
        self._check_open()
        _check_name("topic", topic)
        return self._scan(topic, timeout_s)

    def group_members(self, group: str) -> int:
        """Members of ``group`` once it is stable (no rebalance under way), else 0."""
        self._check_open()
        _check_name("group", group)
        return self._group_members(group)

    def lag(self, group: str, *topics: str) -> int:
        """Records of ``topics`` that ``group`` has not committed past, over all partitions;
        a topic that does not exist has none."""
        self._check_open()
        _check_name("group", group)
        for name in topics:
            _check_name("topic", name)
        return self._lag(group, topics)

    def committed_offsets(self, group: str, topic: str) -> dict[int, int]:
        """Partition -> the offset ``group`` has committed in ``topic`` (the next record it
        reads); a partition without a commit is left out, and a member starts it at 0."""
        self._check_open()
        _check_name("group", group)
        _check_name("topic", topic)
        return self._committed_offsets(group, topic)

    def _track(self, opened: _C) -> _C:
        with self._opened_lock:
            self._opened = [o for o in self._opened if not o.closed]
            self._opened.append(opened)
        return opened

    def _close(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        failures: list[BrokerError] = []
        # Consumers first, so they leave their groups while producers can still flush.
        for item in sorted(opened, key=lambda o: not isinstance(o, Consumer)):
            try:
                item.close()
            except BrokerError as error:  # one failure must not leave the rest open
                failures.append(error)
        self._release()
        if failures:
            raise failures[0]

    def _release(self) -> None:
        """Free the adapter's own resources once its producers and consumers are closed."""

    @abstractmethod
    def _create_topic(self, name: str, partitions: int) -> None: ...

    @abstractmethod
    def _producer(self) -> Producer: ...

    @abstractmethod
    def _consumer(self, group: str, topics: tuple[str, ...], client_id: str | None) -> Consumer: ...

    @abstractmethod
    def _scan(self, topic: str, timeout_s: float) -> Iterator[Record]: ...

    @abstractmethod
    def _group_members(self, group: str) -> int: ...

    @abstractmethod
    def _lag(self, group: str, topics: tuple[str, ...]) -> int: ...

    @abstractmethod
    def _committed_offsets(self, group: str, topic: str) -> dict[int, int]: ...


def _check_type(condition: bool, message: str) -> None:
    if not condition:
        raise TypeError(message)


def _check_record(topic: str, value: bytes, key: bytes | None) -> None:
    _check_name("topic", topic)
    _check_type(isinstance(value, bytes), f"value must be bytes, not {type(value).__name__}")
    _check_type(key is None or isinstance(key, bytes), f"key must be bytes or None: {key!r}")


def _check_name(kind: str, name: object) -> None:
    _check_type(isinstance(name, str), f"{kind} must be a str, not {name!r}")
    if not name:
        raise ValueError(f"{kind} must not be empty")


def _headers(headers: Sequence[tuple[str, bytes]]) -> tuple[tuple[str, bytes], ...]:
    pairs = tuple((name, value) for name, value in headers)
    for name, value in pairs:
        _check_type(isinstance(name, str), f"header name must be str: {name!r}")
        _check_type(isinstance(value, bytes), f"header {name!r} must be bytes: {value!r}")
    return pairs
