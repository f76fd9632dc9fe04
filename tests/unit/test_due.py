"""The due gate: which retry records wait, and for how long the poll may block."""

from __future__ import annotations

from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.due import DUE_MS, DueGate, due_header, due_ms
from modelguard.messaging.port import Record

RETRY = "purchases.retry"


def retry_record(offset: int, due: bytes | None, topic: str = RETRY) -> Record:
    headers = () if due is None else ((DUE_MS, due),)
    return Record(topic, 0, offset, None, b"{}", headers)


def test_a_delay_becomes_a_due_header_and_no_delay_none():
    assert due_header(1_000.0, 2.5) == [(DUE_MS, b"1002500")]
    assert due_header(1_000.0, 0) == []


def test_a_missing_or_unreadable_due_time_means_due_at_once():
    assert due_ms(retry_record(0, None)) is None
    assert due_ms(retry_record(0, b"soon")) is None
    assert due_ms(retry_record(0, b"1002500")) == 1_002_500


def test_only_the_retry_topic_is_held_and_the_poll_waits_no_longer_than_the_due_time():
    now = [1_000.0]
    gate = DueGate(RETRY, lambda: now[0])
    with MemoryBroker() as broker:
        broker.create_topic(RETRY)
        broker.create_topic("purchases")
        consumer = broker.consumer("g", ["purchases", RETRY])
        assert gate.admit(consumer, retry_record(0, b"1002000", topic="purchases"))
        assert gate.admit(consumer, retry_record(0, b"unreadable"))
        assert not gate.admit(consumer, retry_record(3, b"1000300"))
        assert consumer.paused() == {(RETRY, 0)}
        assert not gate.admit(consumer, retry_record(4, None)), "behind the held one"
        assert gate.poll_timeout(1.0) == 0.3 and gate.poll_timeout(0.1) == 0.1

        gate.release(consumer)
        assert consumer.paused() == {(RETRY, 0)} and gate.held == {(RETRY, 0): 1_000_300}
        now[0] = 1_000.3
        gate.release(consumer)
        assert consumer.paused() == set() and gate.held == {}
        assert gate.poll_timeout(1.0) == 1.0
