"""How one round of records goes through the worker process, and what a crash is.

It decides:

- the topics: each round has its own, with its retry and DLQ topics, and each
  record is published with the header that names it;
- when a round ends: when every record has settled, at the deadline, or after
  `max_crashes` crashes;
- what a crash is: an exception other than an injected kill escaping a
  consumer, one that would take the worker process down. Either way every
  consumer of that process stops with it, with no goodbye: none is closed, the
  records in hand stay uncommitted, and the attempt in hand is counted as
  "crashed". The next process starts once the broker's session timeout has passed
  (its clock is moved on by it) and the dead members are dropped, as a supervisor
  would restart it; a kill is counted apart from a crash;
- the replay, when asked: once the round has settled, the cause of its injected
  failures is gone (the fix is deployed), its DLQ is put back on the topic, and
  the round runs until every replayed record has settled again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from modelguard.config import dlq_topic, retry_topic
from modelguard.lab.faults import SkippingClock, WorkerCrash
from modelguard.lab.soak.accounting import Figures, Ledger
from modelguard.lab.soak.database import empty_round
from modelguard.lab.soak.process import AccountedConsumer, WorkerProcess
from modelguard.lab.soak.records import RECORD_ID, Fate, Outgoing
from modelguard.messaging.consumer import Attempt
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import MalformedEvent, parse_event
from modelguard.messaging.outcome import Outcome
from modelguard.messaging.replay import replay_dead_letters, skip_reason


class Soak:
    """One broker, one database, one worker process at a time; records go in by rounds."""

    def __init__(
        self,
        bus: MemoryBroker,
        process: WorkerProcess,
        *,
        consumers: int = 3,
        partitions: int = 6,
        deadline: float,
        max_crashes: int = 10,
        replay: bool = False,
        clock: SkippingClock | None = None,
        on_progress: Callable[[int], None] = lambda settled: None,
    ) -> None:
        self.bus, self.process, self.consumers = bus, process, consumers
        self.partitions, self.deadline, self.max_crashes = partitions, deadline, max_crashes
        self.replay, self.clock, self.on_progress = replay, clock, on_progress
        self.ledger = Ledger()
        self.figures = Figures(cured=frozenset({"failing"}) if replay else frozenset())
        self.kills = 0
        self.replayed = 0
        self.crashes: Counter[str] = Counter()
        self._ids = iter(range(1, 10**9))

    def run_round(self, name: str, records: Sequence[Outgoing], database: Any) -> list[Fate]:
        """Publish `records`, consume until each settles, then account; returns each fate."""
        topic, group = f"soak.{name}", f"allocation-worker.soak.{name}"
        ids = self._publish(topic, records)
        self._consume(topic, group)
        if self.replay:
            self._replay(topic, records)
            self._consume(topic, group)
        fates = self.figures.account_round(
            records,
            ids,
            succeeded=self.ledger.succeeded,
            dead_letters=self.bus.topic_records(dlq_topic(topic)),
            database=database,
        )
        # The round is checked; empty what mongomock would otherwise scan on every query.
        empty_round(database)
        return fates

    def _consume(self, topic: str, group: str) -> None:
        while not (self.ledger.settled() or self._gave_up()):
            if self.process.handler is None:
                self.process.start()
            self._run_process(topic, group)

    def _replay(self, topic: str, records: Sequence[Outgoing]) -> None:
        """Deploy the fix for the round's injected failures, then put its DLQ back."""
        for record in records:
            if record.category == "failing":
                try:
                    self.process.fail_attempts.pop(parse_event(record.value).event_id, None)
                except MalformedEvent:
                    pass
        dead = self.bus.topic_records(dlq_topic(topic))
        # The replay leaves out poison records (their payload is the fault), so only the
        # records it sends back are expected to settle again.
        sent = [r.header(RECORD_ID) for r in dead if skip_reason(r, None, ()) is None]
        self.ledger.expect([record_id for record_id in sent if record_id is not None])
        # The round has settled, so the DLQ holds all it will: stop at its last record
        # instead of waiting a poll's idle timeout for more.
        self.replayed += replay_dead_letters(
            self.bus, topic, group=f"replayer.{topic}", read=len(dead)
        )

    def _gave_up(self) -> bool:
        return time.monotonic() > self.deadline or self.crashes.total() >= self.max_crashes

    def _publish(self, topic: str, records: Sequence[Outgoing]) -> list[bytes]:
        for name, partitions in ((topic, self.partitions), (retry_topic(topic), self.partitions),
                                 (dlq_topic(topic), 1)):  # fmt: skip
            self.bus.create_topic(name, partitions)
        ids = [str(next(self._ids)).encode() for _ in records]
        self.ledger.expect(ids)
        with self.bus.producer() as producer:
            for record, record_id in zip(records, ids, strict=True):
                headers = [(RECORD_ID, record_id)]
                producer.publish(topic, record.value, key=record.key, headers=headers)
        return ids

    def _run_process(self, topic: str, group: str) -> None:
        """Consumers of one worker process, until the round settles or the process dies."""
        dead = threading.Event()
        members: list[AccountedConsumer] = []
        handler = self.process.handler
        assert handler is not None

        def die(cause: BaseException, member: AccountedConsumer) -> None:
            if isinstance(cause, WorkerCrash):
                self.kills += 1
                killed = Attempt(
                    cause.event_id, cause.attempt, Outcome.CRASHED, consumer=member.name
                )
                self.ledger.report(member.record_in_hand, killed)
            else:
                self.crashes[f"{type(cause).__name__}: {cause}"[:200]] += 1
            dead.set()
            for other in list(members):
                other.stop()  # a dead process takes every consumer in it
            self.process.stop()

        def consume(number: int) -> None:
            consumer = AccountedConsumer(self.bus, topic, group, handler, ledger=self.ledger,
                                         name=f"consumer-{number}")  # fmt: skip
            members.append(consumer)
            try:
                while not (self.ledger.settled() or dead.is_set() or self._gave_up()):
                    consumer.poll_once(0.05)
            except BaseException as cause:  # noqa: BLE001 -- counted, and the process restarts
                die(cause, consumer)
                return
            if not dead.is_set():
                consumer.close()  # a clean stop leaves the group; a dead process never does

        threads = [threading.Thread(target=consume, args=(n,), daemon=True)
                   for n in range(self.consumers)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
                self.on_progress(self.ledger.settled_count())
        if dead.is_set():
            self._let_the_session_time_out()
        self.on_progress(self.ledger.settled_count())

    def _let_the_session_time_out(self) -> None:
        if self.clock is None:
            raise RuntimeError("a dead worker process needs a broker on a SkippingClock")
        self.clock.skip(self.bus.session_timeout_ms + 1)
