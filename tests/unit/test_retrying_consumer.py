"""The retrying consumer: durable retries, DLQ headers, commit ordering, malformed input."""

from __future__ import annotations

import pytest
from tenacity import stop_after_attempt

from modelguard import OverwriteModelError
from modelguard.config import dlq_topic, retry_topic
from modelguard.messaging.consumer import Headers, RetryingConsumer
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.policy import BACKOFF, CLASSIFY, SEED, RetryPolicy
from modelguard.messaging.port import BrokerError, CommitFailedError

TOPIC, GROUP = "purchases", "allocation-worker"
NO_RETRIES = RetryPolicy("no-retries", stop_after_attempt(1), SEED.retry)


def event(n: int = 1) -> PurchaseCreated:
    return PurchaseCreated(f"evt-{n}", f"pur-{n}", f"user-{n}", "course-1")


@pytest.fixture
def bus():
    broker = MemoryBroker()
    for topic in (TOPIC, retry_topic(TOPIC), dlq_topic(TOPIC)):
        broker.create_topic(topic)
    yield broker
    broker.close()


def publish(bus, payload: bytes, key: bytes = b"k") -> None:
    with bus.producer() as producer:
        producer.publish(TOPIC, payload, key=key)


def drain(consumer: RetryingConsumer, rounds: int = 20) -> None:
    for _ in range(rounds):
        consumer.poll_once(0.01)


class FailingFirst:
    """A handler whose first `k` attempts raise."""

    def __init__(self, k: int, error: type[Exception] = RuntimeError) -> None:
        self.k, self.error, self.calls = k, error, []

    def __call__(self, evt: PurchaseCreated, attempt: int) -> None:
        self.calls.append(attempt)
        if attempt <= self.k:
            raise self.error(f"attempt {attempt} failed")


@pytest.mark.parametrize("failures", [0, 1, 4])
def test_an_event_succeeds_on_the_attempt_after_its_failures(bus, failures):
    handler, seen = FailingFirst(failures), []
    consumer = RetryingConsumer(bus, TOPIC, GROUP, handler, on_attempt=seen.append)
    publish(bus, event().to_bytes())
    drain(consumer)
    assert handler.calls == list(range(1, failures + 2))
    assert [a.outcome for a in seen] == ["retrying"] * failures + ["succeeded"]
    assert bus.topic_records(dlq_topic(TOPIC)) == []
    consumer.close()


@pytest.mark.parametrize(("policy", "attempts"), [(SEED, 5), (CLASSIFY, 1)])
def test_an_event_that_always_fails_is_dead_lettered_after_the_policys_attempts(
    bus, policy, attempts
):
    handler = FailingFirst(99, error=lambda message: OverwriteModelError("User"))
    consumer = RetryingConsumer(bus, TOPIC, GROUP, handler, policy=policy)
    publish(bus, event().to_bytes())
    drain(consumer)
    assert handler.calls == list(range(1, attempts + 1))
    [dead] = bus.topic_records(dlq_topic(TOPIC))
    assert dead.header(Headers.ATTEMPT) == str(attempts).encode()
    assert dead.header(Headers.ERROR_CLASS) == b"OverwriteModelError"
    consumer.close()


def test_a_dead_letter_carries_its_origin_the_error_and_the_first_failure_time(bus):
    clock = iter([1000.0, 1001.0, 1002.0, 1003.0, 1004.0])
    consumer = RetryingConsumer(bus, TOPIC, GROUP, FailingFirst(99), clock=lambda: next(clock))
    publish(bus, b"ignored by nobody", key=b"x")  # malformed: dead-lettered at once
    publish(bus, event().to_bytes(), key=b"x")
    drain(consumer)
    malformed, failed = bus.topic_records(dlq_topic(TOPIC))
    original = bus.topic_records(TOPIC)[1]
    assert failed.value == original.value and failed.key == b"x"
    assert failed.header(Headers.ORIGINAL_TOPIC) == TOPIC.encode()
    assert failed.header(Headers.ORIGINAL_PARTITION) == str(original.partition).encode()
    assert failed.header(Headers.ORIGINAL_OFFSET) == str(original.offset).encode()
    assert failed.header(Headers.ATTEMPT) == b"5"
    assert failed.header(Headers.ERROR_CLASS) == b"RuntimeError"
    assert failed.header(Headers.ERROR_MESSAGE) == b"RuntimeError: attempt 5 failed"
    # The first failure's time survives the four retries: the clock's second reading.
    assert failed.header(Headers.FIRST_FAILURE_MS) == b"1001000"
    assert failed.header(Headers.GROUP) == GROUP.encode()
    names = [name for name, _ in failed.headers]
    assert len(names) == len(set(names)), "headers are replaced, not appended per retry"
    assert malformed.header(Headers.ERROR_CLASS) == b"MalformedEvent"
    assert b"not JSON" in malformed.header(Headers.ERROR_MESSAGE)
    consumer.close()


def test_retries_are_durable_a_new_consumer_continues_the_attempt_count(bus):
    first = RetryingConsumer(bus, TOPIC, GROUP, FailingFirst(99))
    publish(bus, event().to_bytes())
    first.poll_once(0.01)  # attempt 1 fails and is republished with attempt 2
    first.close()
    handler = FailingFirst(2)
    second = RetryingConsumer(bus, TOPIC, GROUP, handler)
    drain(second)
    assert handler.calls == [2, 3]
    second.close()


def test_a_malformed_record_is_dead_lettered_and_the_consumer_goes_on(bus):
    handled = []
    consumer = RetryingConsumer(bus, TOPIC, GROUP, lambda e, a: handled.append(e.event_id))
    publish(bus, b"\x00\x01 not an event")
    publish(bus, event(2).to_bytes())
    drain(consumer)
    assert handled == ["evt-2"]
    assert len(bus.topic_records(dlq_topic(TOPIC))) == 1
    assert bus.lag(GROUP, TOPIC) == 0
    consumer.close()


class CommitSpy:
    """Wraps the broker so the test sees the order of sends, flushes and commits.

    A send to `fail_publish_to` is taken, and fails at the next flush, as a record
    that Kafka does not store fails: only when the producer is asked about it."""

    def __init__(self, broker: MemoryBroker, fail_publish_to: str | None = None) -> None:
        self.broker, self.calls, self.fail_publish_to = broker, [], fail_publish_to

    def producer(self):
        spy, inner = self, self.broker.producer()

        class Producer:
            doomed = False

            def send(self, topic, value, **kw):
                spy.calls.append(("send", topic))
                if topic == spy.fail_publish_to:
                    self.doomed = True
                else:
                    inner.send(topic, value, **kw)

            def flush(self):
                doomed, self.doomed = self.doomed, False
                if doomed:
                    spy.calls.append(("flush-failed",))
                    raise BrokerError("broker unavailable")
                spy.calls.append(("flush",))
                inner.flush()

            def close(self):
                inner.close()

        return Producer()

    def consumer(self, group, topics, client_id=None):
        spy, inner = self, self.broker.consumer(group, topics, client_id=client_id)

        class Consumer:
            def poll(self, timeout_s=0.1, max_records=100):
                return inner.poll(timeout_s, max_records)

            def commit_batch(self, records):
                ends = {}  # what the group stores: per partition, the offset after the last
                for r in records:
                    ends[r.topic] = max(ends.get(r.topic, 0), r.offset + 1)
                spy.calls.append(("commit", sorted(ends.items())))
                inner.commit_batch(records)

            def close(self):
                inner.close()

        return Consumer()


def test_an_offset_is_committed_only_after_the_retry_is_flushed(bus):
    spy = CommitSpy(bus)
    consumer = RetryingConsumer(spy, TOPIC, GROUP, FailingFirst(1))
    publish(bus, event().to_bytes())
    drain(consumer)
    assert spy.calls == [
        ("send", retry_topic(TOPIC)),
        ("flush",),
        ("commit", [(TOPIC, 1)]),
        ("flush",),
        ("commit", [(retry_topic(TOPIC), 1)]),
    ]
    consumer.close()


def test_a_polled_batch_is_reported_and_committed_once_after_its_retries_and_dead_letters(bus):
    fails = {"evt-2": RuntimeError, "evt-4": OverwriteModelError}

    def handler(evt, attempt):
        if evt.event_id in fails:
            raise fails[evt.event_id]("no")

    spy = CommitSpy(bus)
    reports = []
    consumer = RetryingConsumer(
        spy, TOPIC, GROUP, handler, policy=CLASSIFY, on_attempt=reports.append,
        before_commit=lambda: spy.calls.append(("before-commit", len(reports))),
    )  # fmt: skip
    for n in range(1, 6):
        publish(bus, event(n).to_bytes())
    publish(bus, b"not an event")
    assert consumer.poll_once(0.01) == 6
    assert spy.calls == [
        ("send", retry_topic(TOPIC)),
        ("send", dlq_topic(TOPIC)),
        ("send", dlq_topic(TOPIC)),
        ("flush",),
        ("before-commit", 6),  # every attempt reported, then the caller's hook, then the commit
        ("commit", [(TOPIC, 6)]),
    ]
    assert bus.committed(GROUP, TOPIC, 0) == 6
    assert [r.outcome for r in reports] == [
        "succeeded", "retrying", "succeeded", "dead_lettered", "succeeded", "dead_lettered",
    ]  # fmt: skip
    consumer.close()


def test_when_the_dlq_send_fails_nothing_of_the_batch_is_committed_and_it_comes_back(bus):
    spy = CommitSpy(bus, fail_publish_to=dlq_topic(TOPIC))
    handled = []

    def handler(evt, attempt):
        handled.append(evt.event_id)
        if evt.event_id == "evt-2":
            raise RuntimeError("no")

    consumer = RetryingConsumer(spy, TOPIC, GROUP, handler, policy=NO_RETRIES)
    for n in (1, 2, 3):
        publish(bus, event(n).to_bytes())
    consumer.poll_once(0.01)
    assert spy.calls[-1] == ("flush-failed",)
    assert not any(call[0] == "commit" for call in spy.calls)
    assert bus.committed(GROUP, TOPIC, 0) is None
    consumer.poll_once(0.01)
    assert handled == ["evt-1", "evt-2", "evt-3"] * 2, "the whole batch was redelivered"
    spy.fail_publish_to = None
    consumer.poll_once(0.01)
    assert spy.calls[-3:] == [("send", dlq_topic(TOPIC)), ("flush",), ("commit", [(TOPIC, 3)])]
    assert bus.committed(GROUP, TOPIC, 0) == 3
    consumer.close()


def test_a_stop_mid_batch_commits_what_settled_and_leaves_the_rest_for_the_next_owner(bus):
    handled = []
    consumer = None

    def handler(evt, attempt):
        handled.append(evt.event_id)
        if evt.event_id == "evt-2":
            consumer.stop()  # as SIGTERM does, while a record is in hand

    consumer = RetryingConsumer(bus, TOPIC, GROUP, handler)
    for n in (1, 2, 3, 4):
        publish(bus, event(n).to_bytes())
    assert consumer.poll_once(0.01) == 2
    assert bus.committed(GROUP, TOPIC, 0) == 2
    consumer.close()
    after = RetryingConsumer(bus, TOPIC, GROUP, lambda e, a: handled.append(e.event_id))
    drain(after)
    assert handled == ["evt-1", "evt-2", "evt-3", "evt-4"]
    after.close()


@pytest.mark.parametrize("attempt_header", [b"two", b"0", b"-3"])
def test_a_nonsense_attempt_header_is_dead_lettered_and_the_consumer_goes_on(bus, attempt_header):
    handled = []
    consumer = RetryingConsumer(bus, TOPIC, GROUP, lambda e, a: handled.append(e.event_id))
    with bus.producer() as producer:
        producer.publish(
            TOPIC, event(1).to_bytes(), key=b"k", headers=[(Headers.ATTEMPT, attempt_header)]
        )
    publish(bus, event(2).to_bytes())
    drain(consumer)
    assert handled == ["evt-2"]
    [dead] = bus.topic_records(dlq_topic(TOPIC))
    assert b"is not a positive number" in dead.header(Headers.ERROR_MESSAGE)
    consumer.close()


def test_while_the_broker_refuses_a_new_member_the_consumer_keeps_trying_to_rejoin(bus):
    spy = CommitSpy(bus, fail_publish_to=retry_topic(TOPIC))
    refusals = iter([BrokerError("broker unavailable")] * 2)
    joins = []

    def consumer(group, topics, client_id=None):
        joins.append(group)
        error = next(refusals, None) if len(joins) > 1 else None
        if error is not None:
            raise error
        return CommitSpy.consumer(spy, group, topics, client_id)

    spy.consumer = consumer
    handler = FailingFirst(1)
    retrying = RetryingConsumer(spy, TOPIC, GROUP, handler)
    publish(bus, event().to_bytes())
    retrying.poll_once(0.01)  # the retry publish fails: the member leaves the group
    spy.fail_publish_to = None
    for _ in range(6):
        retrying.poll_once(0.01)
    assert len(joins) == 4  # the first member, two refused joins, then a member again
    assert handler.calls == [1, 1, 2], "the record came back and went on to succeed"
    retrying.close()


class Clock:
    """Seconds that move only when a test says so; the broker reads them as ms."""

    def __init__(self, now_s: float = 1_000.0) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s

    def ms(self) -> int:
        return int(self.now_s * 1000)

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


class Recorder:
    """A handler that fails chosen attempts and notes when each attempt ran."""

    def __init__(self, clock: Clock, fail: dict[str, int]) -> None:
        self.clock, self.fail, self.calls = clock, fail, []

    def __call__(self, evt: PurchaseCreated, attempt: int) -> None:
        self.calls.append((evt.event_id, attempt, self.clock()))
        if attempt <= self.fail.get(evt.event_id, 0):
            raise RuntimeError(f"attempt {attempt} of {evt.event_id} failed")


def test_a_retry_waits_for_its_backoff_while_fresh_records_flow():
    clock = Clock()
    bus = MemoryBroker(clock=clock.ms)
    handler = Recorder(clock, fail={"evt-1": 2})
    consumer = RetryingConsumer(bus, TOPIC, GROUP, handler, policy=BACKOFF, clock=clock)
    publish(bus, event(1).to_bytes())
    drain(consumer)
    [retry] = bus.topic_records(retry_topic(TOPIC))
    assert retry.header(Headers.DUE_MS) == b"1001000"  # the failure's time + 1 s
    assert consumer.holding

    publish(bus, event(2).to_bytes())  # fresh work arrives while evt-1 waits
    drain(consumer)
    clock.advance(0.999)
    drain(consumer)
    assert [(e, a) for e, a, _ in handler.calls] == [("evt-1", 1), ("evt-2", 1)]
    assert bus.committed(GROUP, retry_topic(TOPIC), 0) is None  # held, not skipped

    clock.advance(0.001)
    drain(consumer)  # attempt 2 fails too; attempt 3 waits 2 s more
    clock.advance(2)
    drain(consumer)
    assert [(e, a, t) for e, a, t in handler.calls if e == "evt-1"] == [
        ("evt-1", 1, 1000.0),
        ("evt-1", 2, 1001.0),
        ("evt-1", 3, 1003.0),
    ]
    assert not consumer.holding
    assert bus.lag(GROUP, TOPIC) == bus.lag(GROUP, retry_topic(TOPIC)) == 0
    consumer.close()


def test_records_behind_a_held_retry_wait_with_it_and_none_is_lost():
    clock = Clock()
    bus = MemoryBroker(clock=clock.ms)
    handler = Recorder(clock, fail={f"evt-{n}": 1 for n in range(1, 4)})
    seen = []
    consumer = RetryingConsumer(
        bus, TOPIC, GROUP, handler, policy=BACKOFF, clock=clock, on_attempt=seen.append
    )
    for n in range(1, 4):
        publish(bus, event(n).to_bytes())
    drain(consumer)
    assert len(bus.topic_records(retry_topic(TOPIC))) == 3
    assert [a.outcome for a in seen] == ["retrying"] * 3
    clock.advance(1)
    drain(consumer)
    assert sorted(a.event_id for a in seen if a.outcome == "succeeded") == [
        "evt-1", "evt-2", "evt-3",
    ]  # fmt: skip
    assert bus.topic_records(dlq_topic(TOPIC)) == []
    consumer.close()


def test_the_seed_policy_retries_at_once_and_never_reads_the_clock(bus):
    def clock() -> float:
        raise AssertionError("a policy without waits has no use for the clock")

    consumer = RetryingConsumer(bus, TOPIC, GROUP, FailingFirst(1), clock=clock)
    with bus.producer() as producer:  # a record that failed before, so no first-failure time
        producer.publish(
            TOPIC, event().to_bytes(), headers=[(Headers.ORIGINAL_TOPIC, TOPIC.encode())]
        )
    drain(consumer)
    [retry] = bus.topic_records(retry_topic(TOPIC))
    assert retry.header(Headers.DUE_MS) is None
    assert bus.lag(GROUP, retry_topic(TOPIC)) == 0
    consumer.close()


def test_a_zombie_member_cannot_commit_and_its_record_is_applied_once():
    """A member pauses mid-record past the session timeout; the group moves on."""
    clock = Clock()
    bus = MemoryBroker(clock=clock.ms, session_timeout_ms=10_000)
    allocated: dict[str, str] = {}  # purchase -> member: the database's unique index
    handed_back = []

    def allocate(name: str):
        def handler(evt: PurchaseCreated, attempt: int) -> None:
            if name == "zombie" and not handed_back:
                clock.advance(11)  # SIGSTOP: no polls, no heartbeats for 11 s
                survivor.poll_once(0.01)  # meanwhile the group moved on without it
            allocated.setdefault(evt.purchase_id, name)

        return handler

    zombie = RetryingConsumer(
        bus, TOPIC, GROUP, allocate("zombie"), name="a-zombie", clock=clock,
        on_handed_back=lambda record, error: handed_back.append((record.offset, error)),
    )  # fmt: skip
    survivor = RetryingConsumer(bus, TOPIC, GROUP, allocate("survivor"), name="b-survivor",
                                clock=clock)  # fmt: skip
    publish(bus, event(1).to_bytes())
    zombie.poll_once(0.01)

    [(offset, error)] = handed_back
    assert offset == 0 and isinstance(error, CommitFailedError)
    assert allocated == {"pur-1": "survivor"}, "redelivered to the new owner, applied once"
    assert bus.committed(GROUP, TOPIC, 0) == 1
    zombie.poll_once(0.01)  # it joins again, and finds nothing left to do
    assert len(bus.members(GROUP)) == 2 and bus.lag(GROUP, TOPIC) == 0
    zombie.close()
    survivor.close()
