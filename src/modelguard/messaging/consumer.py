"""The retrying consumer: the platform's Kafka consumer logic, over the broker port.

It is responsible for:

- reading a topic and its retry topic (`<topic>.retry`) in one consumer group;
- parsing each record, and dead-letters a malformed one at once with its reason;
- calling the handler with the event and the attempt number, which travels in
  the record's headers so that a restart loses no retry state;
- after a failure, asking the retry policy: retry means republish to the retry
  topic with the next attempt number and, when the policy waits, the time the
  attempt is due (`messaging.due` holds the retry partition until then, without
  sleeping and without holding back the main topic), otherwise publish to `<topic>.dlq` with
  the error class, message, notes, attempts, original topic/partition/offset
  and the first failure's time;
- committing once per polled batch, after every record in it has settled: the
  handler succeeded, or its retry or DLQ record was sent. Those records are sent
  without waiting on each and flushed before the commit that covers them, so a
  crash anywhere before the commit redelivers the uncommitted rest (at least once;
  the handler's idempotency guard absorbs the redelivery);
- reporting each attempt to ``on_attempt`` as it settles, and calling
  ``before_commit`` before each commit, where a caller whose reports must not be
  lost (a runner counts them) makes the batch's reports durable at once, so no
  report waits on the broker record by record, and a committed record is always
  reported (a batch that fails before its commit comes back and is reported
  again);
- leaving and rejoining the group when the broker fails a publish or commit,
  so the batch in hand is redelivered rather than skipped, and retrying the
  join on later polls while the broker is away.

A retried record is republished and committed (Uber's reprocessing pattern),
so one failing event never blocks its partition; like Spring Kafka's retry
topics, this gives up ordering between retries and fresh records.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from modelguard.config import dlq_topic, retry_topic
from modelguard.messaging.due import DUE_MS, DueGate, due_header
from modelguard.messaging.events import (
    MalformedEvent,
    PurchaseCreated,
    claimed_event_id,
    parse_event,
)
from modelguard.messaging.failure import error_message, error_notes, fault_of
from modelguard.messaging.outcome import Outcome
from modelguard.messaging.policy import SEED, RetryPolicy
from modelguard.messaging.port import Broker, BrokerError, Consumer, Record

log = logging.getLogger(__name__)


class Headers:
    """Header names the consumer writes; a DLQ record carries all of them."""

    ATTEMPT = "mg.attempt"
    ORIGINAL_TOPIC = "mg.original-topic"
    ORIGINAL_PARTITION = "mg.original-partition"
    ORIGINAL_OFFSET = "mg.original-offset"
    FIRST_FAILURE_MS = "mg.first-failure-ms"
    ERROR_CLASS = "mg.error-class"
    ERROR_MESSAGE = "mg.error-message"
    ERROR_NOTES = "mg.error-notes"
    GROUP = "mg.group"
    # The consumer that wrote the record: which worker dead-lettered an event, so two
    # dead letters of one record say which worker got it again.
    CONSUMER = "mg.consumer"
    # `failure.fault_of` the error: whether the payload itself is the fault.
    FAULT = "mg.fault"
    DUE_MS = DUE_MS

    OWN = (
        ATTEMPT, ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, FIRST_FAILURE_MS,
        ERROR_CLASS, ERROR_MESSAGE, ERROR_NOTES, GROUP, CONSUMER, FAULT, DUE_MS,
    )  # fmt: skip


def _key_text(key: bytes | None) -> str:
    if key is None:
        return "none"
    text = key.decode("utf-8", "replace")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _attempt_of(record: Record) -> int:
    """The attempt this delivery is; a header someone else wrote may be nonsense."""
    raw = record.header(Headers.ATTEMPT)
    if raw is None:
        return 1
    try:
        attempt = int(raw)
    except ValueError:
        attempt = 0
    if attempt < 1:
        raise MalformedEvent(f"header {Headers.ATTEMPT} is not a positive number: {raw[:20]!r}")
    return attempt


@dataclass(frozen=True)
class Attempt:
    """What happened to one delivery of one record: the scenarios' raw data."""

    event_id: str | None
    attempt: int
    outcome: Outcome
    error_class: str | None = None
    error: str | None = None
    consumer: str = ""


Handler = Callable[[PurchaseCreated, int], object]


class RetryingConsumer:
    """One member of `group`, handling `topic` with `policy`.

    `on_attempt` hears every settled delivery; `on_handed_back` hears every record the
    broker would not let this member settle (a refused commit or a failed publish),
    which goes back to its partition's next owner.
    """

    def __init__(
        self,
        broker: Broker,
        topic: str,
        group: str,
        handler: Handler,
        *,
        policy: RetryPolicy = SEED,
        on_attempt: Callable[[Attempt], None] = lambda attempt: None,
        on_handed_back: Callable[[Record, BrokerError], None] = lambda record, error: None,
        before_commit: Callable[[], None] = lambda: None,
        name: str = "consumer",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.topic, self.group, self.name = topic, group, name
        self._broker, self._handler, self._policy = broker, handler, policy
        self._on_attempt, self._clock = on_attempt, clock
        self._on_handed_back = on_handed_back
        self._before_commit = before_commit
        self._producer = broker.producer()
        self._consumer: Consumer | None = broker.consumer(
            group, [topic, retry_topic(topic)], client_id=name
        )
        self._gate = DueGate(retry_topic(topic), clock)
        self._stopping = threading.Event()
        self.current_record: Record | None = None  # the record being settled, or settled last

    def run(self, *, idle_timeout_s: float | None = None, poll_timeout_s: float = 0.1) -> None:
        """Handle records until stop(), or until nothing arrived for `idle_timeout_s`."""
        idle_since = time.monotonic()
        while not self._stopping.is_set():
            if self.poll_once(poll_timeout_s) or self.holding:
                idle_since = time.monotonic()
            elif idle_timeout_s is not None and time.monotonic() - idle_since > idle_timeout_s:
                return

    @property
    def holding(self) -> bool:
        """Whether retry records wait for their due time: work in hand, not idleness."""
        return bool(self._gate.held)

    def poll_once(self, timeout_s: float = 0.1) -> int:
        """Handle one batch and commit it; returns how many records it settled."""
        if self._consumer is None and not self._join(timeout_s):
            return 0
        consumer = self._member()
        settled: list[Record] = []
        in_hand: Record | None = None
        # A failing poll is the caller's to handle, as before any record is in hand: a
        # refused login, say, must stop the worker rather than be retried here.
        self._gate.release(consumer)
        records = consumer.poll(self._gate.poll_timeout(timeout_s))
        try:
            for record in records:
                if self._stopping.is_set():
                    break  # the rest stays uncommitted and is redelivered to the next owner
                in_hand = record
                if self._gate.admit(consumer, record):
                    self._settle(record)
                    settled.append(record)
                # else not due yet: its partition waits (and skips the rest of this batch's
                # records of it), the others flow
                in_hand = None
            # Records arrive in offset order per partition and settle in that order, so
            # what settled is a prefix of each partition: committing its end skips nothing.
            self._commit(settled)
        except BrokerError as error:
            # A refused commit is the zombie's case: the group moved the partitions on
            # while this member was silent, and the batch is their new owners' now.
            log.warning("%s: broker failed (%s); rejoining the group", self.name, error)
            for record in [*settled, *([in_hand] if in_hand is not None else [])]:
                self._on_handed_back(record, error)
            self._leave()
            return 0
        return len(settled)

    def handle(self, record: Record) -> None:
        """Settle one record and commit it: a batch of one."""
        self._settle(record)
        self._commit([record])

    def report(self, record: Record, attempt: Attempt) -> None:
        """Called once per attempt as it settles, with the record it was about; passes
        the attempt to ``on_attempt``. A subclass that needs the record overrides this."""
        self._on_attempt(attempt)

    def _commit(self, records: list[Record]) -> None:
        if not records:
            return
        self._producer.flush()  # every retry and dead letter stored before the commit
        self._before_commit()
        self._member().commit_batch(records)

    def _settle(self, record: Record) -> None:
        """Handle one record, or send it on to the retry topic or the DLQ."""
        self.current_record = record
        try:
            attempt = _attempt_of(record)
            event = parse_event(record.value)
        except MalformedEvent as error:
            self._dead_letter(record, 1, error, event_id=None)
        else:
            try:
                self._handler(event, attempt)
            except Exception as error:  # the policy decides; nothing escapes unsettled
                if self._policy.should_retry(attempt, error):
                    self._retry(record, attempt, error, event.event_id)
                else:
                    self._dead_letter(record, attempt, error, event_id=event.event_id)
            else:
                self._report(record, event.event_id, attempt, Outcome.SUCCEEDED)

    def stop(self) -> None:
        self._stopping.set()

    def close(self) -> None:
        """Leave the group; records not yet committed go to the partition's next owner."""
        self.stop()
        if self._consumer is not None:
            self._consumer.close()
        self._producer.close()

    def _retry(self, record: Record, attempt: int, error: Exception, event_id: str) -> None:
        headers = self._failure_headers(record, attempt + 1, error)
        delay_s = self._policy.delay_s(attempt, error)
        if delay_s > 0:
            headers += due_header(self._clock(), delay_s)
        self._producer.send(retry_topic(self.topic), record.value, key=record.key, headers=headers)
        self._report(record, event_id, attempt, Outcome.RETRYING, error)

    def _dead_letter(
        self, record: Record, attempt: int, error: Exception, *, event_id: str | None
    ) -> None:
        headers = self._failure_headers(record, attempt, error)
        self._producer.send(dlq_topic(self.topic), record.value, key=record.key, headers=headers)
        # Everything an operator needs to find the record again, on one line: the
        # origin is where the record was first published, as the DLQ's headers say.
        named = event_id or claimed_event_id(record.value)
        origin = dict(headers)
        log.error(
            "%s: dead-lettered event %s (%s[%s]@%s, key %s) after %d attempt(s): %s: %s",
            self.name, named or "(no event id in the payload)",
            origin[Headers.ORIGINAL_TOPIC].decode("utf-8", "replace"),
            origin[Headers.ORIGINAL_PARTITION].decode(), origin[Headers.ORIGINAL_OFFSET].decode(),
            _key_text(record.key), attempt, type(error).__name__, error,
        )  # fmt: skip
        self._report(record, event_id, attempt, Outcome.DEAD_LETTERED, error)

    def _failure_headers(
        self, record: Record, attempt: int, error: Exception
    ) -> list[tuple[str, bytes]]:
        origin_names = (
            Headers.ORIGINAL_TOPIC, Headers.ORIGINAL_PARTITION,
            Headers.ORIGINAL_OFFSET, Headers.FIRST_FAILURE_MS,
        )  # fmt: skip
        if record.header(Headers.ORIGINAL_TOPIC) is None:  # the first failure of this record
            first_failure_ms = int(self._clock() * 1000)
            values = (record.topic, record.partition, record.offset, first_failure_ms)
            origin = [(n, str(v).encode()) for n, v in zip(origin_names, values, strict=True)]
        else:
            origin = [(n, record.header(n) or b"") for n in origin_names]
        # Replace, never append, our own headers, so a record does not grow per retry.
        kept = [(k, v) for k, v in record.headers if k not in Headers.OWN]
        return [
            *kept,
            (Headers.ATTEMPT, str(attempt).encode()),
            *origin,
            (Headers.ERROR_CLASS, type(error).__name__.encode()),
            (Headers.ERROR_MESSAGE, error_message(error)),
            (Headers.ERROR_NOTES, error_notes(error)),
            (Headers.GROUP, self.group.encode()),
            (Headers.CONSUMER, self.name.encode("utf-8", "replace")),
            (Headers.FAULT, fault_of(error).encode()),
        ]

    def _report(
        self,
        record: Record,
        event_id: str | None,
        attempt: int,
        outcome: Outcome,
        error: Exception | None = None,
    ) -> None:
        report = Attempt(
            event_id=event_id,
            attempt=attempt,
            outcome=outcome,
            error_class=type(error).__name__ if error else None,
            error=str(error) if error else None,
            consumer=self.name,
        )
        self.report(record, report)

    def _member(self) -> Consumer:
        """The group membership in hand; after a leave, the next poll joins first."""
        if self._consumer is None:
            raise BrokerError(f"{self.name} is not a member of {self.group} right now")
        return self._consumer

    def _leave(self) -> None:
        """Give up membership; the next poll joins again from the committed offsets."""
        consumer, self._consumer = self._consumer, None
        self._gate.forget()
        if consumer is None:
            return
        try:
            consumer.close()
        except BrokerError:
            pass

    def _join(self, wait_s: float) -> bool:
        try:
            self._consumer = self._broker.consumer(
                self.group, [self.topic, retry_topic(self.topic)], client_id=self.name
            )
        except BrokerError as error:  # the broker is still away: try again next poll
            log.warning("%s: cannot join %s yet (%s)", self.name, self.group, error)
            time.sleep(wait_s)
            return False
        return True
