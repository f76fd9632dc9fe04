"""The memory broker: the broker contract, plus what only an in-process broker can show
(exact rebalances, blocking polls, many threads) and the port's own helpers."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from contract.broker_contract import BrokerContract

from modelguard.messaging.drivers import open_broker
from modelguard.messaging.drivers.kafka import KafkaBroker
from modelguard.messaging.drivers.memory import MemoryBroker, partition_for
from modelguard.messaging.port import (
    CommitFailedError,
    Record,
)


@pytest.fixture
def broker():
    with MemoryBroker() as memory:
        yield memory


class TestMemoryBrokerContract(BrokerContract):
    wait_s = 2.0
    quiet_s = 0.05


# -- storage --


def test_publishing_to_a_missing_topic_creates_it_with_the_default_partitions():
    broker = MemoryBroker(default_partitions=3)
    with broker.producer() as producer:
        for n in range(6):
            producer.publish("orders", b"%d" % n)
    # Keyless records go round-robin, so six of them fill three partitions evenly.
    assert Counter(r.partition for r in broker.topic_records("orders")) == {0: 2, 1: 2, 2: 2}


def test_topic_records_lists_partitions_in_order_and_an_unknown_topic_as_empty(broker):
    broker.create_topic("orders", partitions=2)
    with broker.producer() as producer:
        for key in (b"a", b"b", b"c", b"d", b"a"):
            producer.publish("orders", key, key=key)
    records = broker.topic_records("orders")
    assert [(r.partition, r.offset) for r in records] == sorted(
        (r.partition, r.offset) for r in records
    )
    assert len(records) == 5
    assert broker.topic_records("never-published") == []


def test_timestamps_come_from_the_injected_clock():
    now = [1_000]
    broker = MemoryBroker(clock=lambda: now[0])
    with broker.producer() as producer:
        producer.publish("orders", b"first")
        now[0] = 2_000
        producer.publish("orders", b"second")
    assert [r.timestamp_ms for r in broker.topic_records("orders")] == [1_000, 2_000]


def test_committed_and_lag_follow_the_groups_commits(broker):
    broker.create_topic("orders", partitions=2)
    with broker.producer() as producer:
        for key in (b"a", b"b", b"c", b"d"):
            producer.publish("orders", b"x", key=key)
    assert broker.lag("billing", "orders") == 4
    with broker.consumer("billing", ["orders"]) as consumer:
        first = consumer.poll(max_records=1)[0]
        consumer.commit(first)
    assert broker.committed("billing", "orders", first.partition) == first.offset + 1
    assert broker.committed("billing", "orders", 1 - first.partition) is None
    assert broker.lag("billing", "orders") == 3
    assert broker.lag("billing", "never-published") == 0


# -- groups and rebalances --


def test_a_member_joining_or_leaving_rebalances_the_group_with_ranges(broker):
    broker.create_topic("orders", partitions=4)
    first = broker.consumer("billing", ["orders"], client_id="a")
    assert first.assignment() == {("orders", p) for p in range(4)}
    second = broker.consumer("billing", ["orders"], client_id="b")
    assert first.assignment() == {("orders", 0), ("orders", 1)}
    assert second.assignment() == {("orders", 2), ("orders", 3)}
    second.close()
    assert first.assignment() == {("orders", p) for p in range(4)}


def test_a_kept_partition_keeps_its_position_and_a_moved_one_restarts_at_the_commit(broker):
    broker.create_topic("orders", partitions=2)
    with broker.producer() as producer:
        on = {p: [] for p in (0, 1)}
        for n in range(20):
            stored = producer.publish("orders", b"%d" % n, key=b"%d" % n)
            on[stored.partition].append(stored.offset)
    first = broker.consumer("billing", ["orders"], client_id="a")
    read = first.poll(max_records=100)
    assert len(read) == 20  # nothing committed
    second = broker.consumer("billing", ["orders"], client_id="b")
    assert first.assignment() == {("orders", 0)}
    assert first.poll(timeout_s=0) == []  # partition 0 kept, with its position
    redelivered = second.poll(max_records=100)
    assert [r.offset for r in redelivered] == on[1]
    moved = next(r for r in read if r.partition == 1)
    with pytest.raises(CommitFailedError, match="does not own orders\\[1\\]"):
        first.commit(moved)


class Clock:
    """Milliseconds that move only when a test says so."""

    def __init__(self, now_ms: int = 1_000_000) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


def test_a_silent_member_loses_its_partitions_after_the_session_timeout():
    clock = Clock()
    broker = MemoryBroker(clock=clock, session_timeout_ms=10_000)
    broker.create_topic("orders", partitions=2)
    key = next(k for k in (b"%d" % n for n in range(20)) if partition_for(k, 2) == 0)
    with broker.producer() as producer:
        producer.publish("orders", b"held", key=key)
    silent = broker.consumer("billing", ["orders"], client_id="a")  # owns partition 0
    alive = broker.consumer("billing", ["orders"], client_id="b")
    [held] = silent.poll(timeout_s=0)

    clock.advance(10_000)  # exactly the timeout: still a member
    assert alive.poll(timeout_s=0) == []
    assert broker.members("billing") == sorted([silent.member_id, alive.member_id])

    clock.advance(1)
    [redelivered] = alive.poll(timeout_s=0)  # the group moved the partition to the live one
    assert redelivered == held
    assert broker.members("billing") == [alive.member_id]
    assert alive.assignment() == {("orders", 0), ("orders", 1)}
    with pytest.raises(CommitFailedError):
        silent.commit(held)  # the zombie wakes up holding a record it no longer owns
    alive.commit(redelivered)

    assert silent.poll(timeout_s=0) == []  # its next poll joins the group again
    assert broker.members("billing") == sorted([silent.member_id, alive.member_id])
    assert len(silent.assignment()) == len(alive.assignment()) == 1


def test_a_member_that_keeps_polling_keeps_its_partitions():
    clock = Clock()
    broker = MemoryBroker(clock=clock, session_timeout_ms=10_000)
    broker.create_topic("orders", partitions=2)
    one = broker.consumer("billing", ["orders"])
    two = broker.consumer("billing", ["orders"])
    before = one.assignment()
    for _ in range(10):
        clock.advance(6_000)
        one.poll(timeout_s=0)
        two.poll(timeout_s=0)
    assert one.assignment() == before and len(broker.members("billing")) == 2


def test_a_rebalance_keeps_the_pause_of_a_kept_partition_and_drops_a_moved_ones(broker):
    broker.create_topic("orders", partitions=2)
    first = broker.consumer("billing", ["orders"], client_id="a")
    first.pause([("orders", 0), ("orders", 1)])
    second = broker.consumer("billing", ["orders"], client_id="b")
    assert first.paused() == {("orders", 0)}
    assert second.paused() == set()


def test_a_topic_created_after_subscribing_is_assigned(broker):
    consumer = broker.consumer("billing", ["late"])
    assert consumer.assignment() == set()
    with broker.producer() as producer:
        producer.publish("late", b"x")
    assert consumer.assignment() == {("late", 0)}
    assert [r.value for r in consumer.poll()] == [b"x"]


def test_a_poll_takes_from_every_partition_in_turn(broker):
    broker.create_topic("orders", partitions=2)
    with broker.producer() as producer:
        for n in range(40):
            producer.publish("orders", b"%d" % n, key=b"%d" % n)
    with broker.consumer("billing", ["orders"]) as consumer:
        batch = consumer.poll(max_records=6)
    assert Counter(r.partition for r in batch) == {0: 3, 1: 3}


# -- blocking and threads --


def test_poll_waits_for_a_record_and_returns_as_soon_as_it_arrives(broker):
    broker.create_topic("orders")
    consumer = broker.consumer("billing", ["orders"])
    producer = broker.producer()
    later = threading.Timer(0.2, producer.publish, ("orders", b"late"))
    started = time.monotonic()
    later.start()
    records = consumer.poll(timeout_s=5)
    elapsed = time.monotonic() - started
    later.join()
    assert [r.value for r in records] == [b"late"]
    assert 0.15 <= elapsed < 2


def test_closing_a_consumer_wakes_its_waiting_poll(broker):
    consumer = broker.consumer("billing", ["orders"])
    threading.Timer(0.2, consumer.close).start()
    started = time.monotonic()
    assert consumer.poll(timeout_s=5) == []
    assert time.monotonic() - started < 2


def test_many_producers_and_consumers_in_threads_see_every_record_exactly_once(broker):
    broker.create_topic("orders", partitions=4)
    consumers = [broker.consumer("billing", ["orders"]) for _ in range(3)]
    seen: Counter[tuple[int, int]] = Counter()
    seen_lock = threading.Lock()
    done = threading.Event()

    def produce(worker: int) -> None:
        with broker.producer() as producer:
            for n in range(250):
                producer.publish("orders", b"x", key=b"%d-%d" % (worker, n))

    def drain(consumer) -> None:
        while not done.is_set():
            for record in consumer.poll(timeout_s=0.05):
                with seen_lock:
                    seen[(record.partition, record.offset)] += 1
                consumer.commit(record)

    threads = [threading.Thread(target=drain, args=(c,)) for c in consumers]
    threads += [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while sum(seen.values()) < 1000 and time.monotonic() < deadline:
        time.sleep(0.01)
    done.set()
    for thread in threads:
        thread.join(timeout=5)
    assert set(seen.values()) == {1}
    assert seen.keys() == {(r.partition, r.offset) for r in broker.topic_records("orders")}
    assert len(seen) == 1000
    assert broker.lag("billing", "orders") == 0


# -- the port's helpers --


def test_record_header_returns_the_last_value_of_a_name():
    record = Record("t", 0, 0, None, b"", headers=(("a", b"1"), ("b", b"2"), ("a", b"3")))
    assert record.header("a") == b"3"
    assert record.header("c") is None


def test_partition_for_matches_kafkas_default_partitioner():
    # Java's Utils.murmur2("21".getBytes()) is -973932308; Kafka keeps its low 31 bits.
    assert partition_for(b"21", 1_000_000_007) == (-973932308 & 0x7FFFFFFF) % 1_000_000_007
    assert {partition_for(b"same", 8) for _ in range(10)} == {partition_for(b"same", 8)}
    assert {partition_for(None, 3) for _ in range(3)} == {0, 1, 2}


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda p: p.publish("orders", "text"), TypeError),
        (lambda p: p.publish("orders", b"x", key="k"), TypeError),
        (lambda p: p.publish("orders", b"x", headers=[("h", "text")]), TypeError),
        (lambda p: p.publish("", b"x"), ValueError),
    ],
)
def test_publish_refuses_what_kafka_could_not_carry(broker, call, error):
    with pytest.raises(error):
        call(broker.producer())


def test_a_consumer_takes_a_list_of_topics_not_a_string(broker):
    with pytest.raises(TypeError, match="list of names"):
        broker.consumer("billing", "orders")


@pytest.mark.parametrize(
    ("url", "servers"),
    [
        ("kafka://127.0.0.1:9092", "127.0.0.1:9092"),
        ("kafka://a:9092,b:9093/", "a:9092,b:9093"),
        ("broker-1:9092,broker-2:9092", "broker-1:9092,broker-2:9092"),
    ],
)
def test_open_broker_finds_kafka_by_url_without_connecting(url, servers):
    broker = open_broker(url)
    assert isinstance(broker, KafkaBroker)
    assert broker.bootstrap_servers == servers
    broker.close()


def test_open_broker_finds_the_memory_broker_and_refuses_unknown_urls():
    assert isinstance(open_broker("memory://"), MemoryBroker)
    assert open_broker("memory", default_partitions=4).default_partitions == 4
    with pytest.raises(ValueError, match="unknown broker"):
        open_broker("redis://localhost:6379")
