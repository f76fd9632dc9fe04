"""The retrying consumer: durable retries, DLQ headers, commit ordering, malformed input."""

from __future__ import annotations

import pytest
from tenacity import stop_after_attempt

from modelguard import OverwriteModelError
from modelguard.config import dlq_topic, retry_topic
from modelguard.messaging.consumer import Headers, RetryingConsumer
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.policy import CLASSIFY, SEED, RetryPolicy
from modelguard.messaging.port import BrokerError

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
    """Wraps the broker so the test sees the order of publishes and commits."""

    def __init__(self, broker: MemoryBroker, fail_publish_to: str | None = None) -> None:
        self.broker, self.calls, self.fail_publish_to = broker, [], fail_publish_to

    def producer(self):
        spy, inner = self, self.broker.producer()

        class Producer:
            def publish(self, topic, value, **kw):
                if topic == spy.fail_publish_to:
                    spy.calls.append(("publish-failed", topic))
                    raise BrokerError("broker unavailable")
                spy.calls.append(("publish", topic))
                return inner.publish(topic, value, **kw)

            def close(self):
                inner.close()

        return Producer()

    def consumer(self, group, topics, client_id=None):
        spy, inner = self, self.broker.consumer(group, topics, client_id=client_id)

        class Consumer:
            def poll(self, timeout_s=0.1, max_records=100):
                return inner.poll(timeout_s, max_records)

            def commit(self, record):
                spy.calls.append(("commit", record.topic))
                inner.commit(record)

            def close(self):
                inner.close()

        return Consumer()


def test_an_offset_is_committed_only_after_the_retry_publish(bus):
    spy = CommitSpy(bus)
    consumer = RetryingConsumer(spy, TOPIC, GROUP, FailingFirst(1))
    publish(bus, event().to_bytes())
    drain(consumer)
    assert spy.calls == [
        ("publish", retry_topic(TOPIC)),
        ("commit", TOPIC),
        ("commit", retry_topic(TOPIC)),
    ]
    consumer.close()


def test_when_the_dlq_publish_fails_nothing_is_committed_and_the_record_comes_back(bus):
    spy = CommitSpy(bus, fail_publish_to=dlq_topic(TOPIC))
    handler = FailingFirst(99)
    consumer = RetryingConsumer(spy, TOPIC, GROUP, handler, policy=NO_RETRIES)
    publish(bus, event().to_bytes())
    consumer.poll_once(0.01)
    consumer.poll_once(0.01)
    assert ("commit", TOPIC) not in spy.calls
    assert handler.calls == [1, 1], "the record was redelivered after the failed publish"
    assert bus.committed(GROUP, TOPIC, 0) is None
    spy.fail_publish_to = None
    consumer.poll_once(0.01)
    assert spy.calls[-2:] == [("publish", dlq_topic(TOPIC)), ("commit", TOPIC)]
    consumer.close()


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
