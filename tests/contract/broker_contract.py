"""The broker contract: what every adapter of the broker port must do.

A test module subclasses BrokerContract under a name starting with ``Test``, provides a
``broker`` fixture, and sets how long to wait for records that should arrive
(``wait_s``) and to watch for records that should not (``quiet_s``). Every topic and
group name is new, so runs against a long-lived broker do not collide.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import pytest

from modelguard.messaging.drivers.memory import partition_for
from modelguard.messaging.port import (
    Broker,
    BrokerClosedError,
    CommitFailedError,
    Consumer,
    Record,
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def consume(consumer: Consumer, count: int, wait_s: float) -> list[Record]:
    """Poll until ``count`` records arrived or ``wait_s`` passed."""
    records: list[Record] = []
    deadline = time.monotonic() + wait_s
    while len(records) < count and time.monotonic() < deadline:
        records += consumer.poll(timeout_s=0.2)
    return records


def settle(consumers: list[Consumer], partitions: Iterable[tuple[str, int]], wait_s: float):
    """Poll every member until together they own ``partitions``, each one exactly once.

    The members poll side by side, each in a thread of its own, as members of a group do:
    polled one after another from one thread, a member's poll that waits inside its
    group's join leaves the others unpolled, and on a loaded machine the rebalance can
    then outlast the wait.
    """
    expected = sorted(partitions)
    deadline = time.monotonic() + wait_s
    with ThreadPoolExecutor(len(consumers)) as members:
        while time.monotonic() < deadline:
            for records in members.map(lambda member: member.poll(timeout_s=0.1), consumers):
                assert records == [], "settle() expects empty topics"
            owned = [tp for consumer in consumers for tp in consumer.assignment()]
            if sorted(owned) == expected and all(c.assignment() for c in consumers):
                return
    pytest.fail(f"no stable assignment of {expected}: {[c.assignment() for c in consumers]}")


class BrokerContract:
    wait_s: float = 5.0
    quiet_s: float = 0.2

    def topic(self, broker: Broker, partitions: int = 1) -> str:
        name = unique("topic")
        broker.create_topic(name, partitions)
        return name

    def test_a_record_comes_back_with_its_key_headers_and_timestamp(self, broker):
        topic = self.topic(broker)
        headers = [("event-type", b"PURCHASE_CREATED"), ("attempt", b"1"), ("attempt", b"2")]
        before_ms = time.time_ns() // 1_000_000 - 60_000
        with broker.producer() as producer:
            stored = producer.publish(topic, b'{"id": 1}', key=b"purchase-1", headers=headers)
        with broker.consumer(unique("group"), [topic]) as consumer:
            [record] = consume(consumer, 1, self.wait_s)
        assert (record.topic, record.partition, record.offset) == (
            stored.topic,
            stored.partition,
            stored.offset,
        )
        assert (record.key, record.value) == (b"purchase-1", b'{"id": 1}')
        assert record.headers == tuple(headers)
        assert record.header("attempt") == b"2"
        assert record.header("missing") is None
        assert record.timestamp_ms > before_ms

    def test_records_with_the_same_key_go_to_the_same_partition(self, broker):
        topic = self.topic(broker, partitions=4)
        keys = [f"purchase-{n}".encode() for n in range(8)]
        with broker.producer() as producer:
            placed = {key: {producer.publish(topic, b"x", key=key).partition} for key in keys}
            for key in keys * 2:
                placed[key].add(producer.publish(topic, b"x", key=key).partition)
        # One partition per key, and the one Kafka's default partitioner picks.
        assert placed == {key: {partition_for(key, 4)} for key in keys}
        assert len({p for ps in placed.values() for p in ps}) > 1

    def test_offsets_in_a_partition_start_at_zero_and_increase_by_one(self, broker):
        topic = self.topic(broker)
        with broker.producer() as producer:
            offsets = [producer.publish(topic, b"%d" % n).offset for n in range(3)]
        with broker.consumer(unique("group"), [topic]) as consumer:
            records = consume(consumer, 3, self.wait_s)
        assert offsets == [0, 1, 2]
        assert [(r.offset, r.value) for r in records] == [(0, b"0"), (1, b"1"), (2, b"2")]

    def test_a_new_member_starts_after_the_groups_last_commit(self, broker):
        topic, group = self.topic(broker), unique("group")
        with broker.producer() as producer:
            for n in range(3):
                producer.publish(topic, b"%d" % n)
        with broker.consumer(group, [topic]) as first:
            records = consume(first, 3, self.wait_s)
            first.commit(records[1])
        with broker.consumer(group, [topic]) as second:
            assert [r.value for r in consume(second, 1, self.wait_s)] == [b"2"]
            assert consume(second, 1, self.quiet_s) == []

    def test_uncommitted_records_are_redelivered_after_a_restart(self, broker):
        topic, group = self.topic(broker), unique("group")
        with broker.producer() as producer:
            producer.publish(topic, b"a")
            producer.publish(topic, b"b")
        with broker.consumer(group, [topic]) as crashed:
            assert len(consume(crashed, 2, self.wait_s)) == 2
        with broker.consumer(group, [topic]) as restarted:
            assert [r.value for r in consume(restarted, 2, self.wait_s)] == [b"a", b"b"]

    def test_two_members_split_the_partitions_and_see_every_record_once(self, broker):
        topic, group = self.topic(broker, partitions=4), unique("group")
        with broker.consumer(group, [topic]) as one, broker.consumer(group, [topic]) as two:
            settle([one, two], [(topic, p) for p in range(4)], self.wait_s * 4)
            assert len(one.assignment()) == len(two.assignment()) == 2
            with broker.producer() as producer:
                sent = {producer.publish(topic, b"%d" % n, key=b"%d" % n) for n in range(40)}
            seen: Counter[tuple[str, int, int]] = Counter()
            deadline = time.monotonic() + self.wait_s * 2
            while sum(seen.values()) < len(sent) and time.monotonic() < deadline:
                for member in (one, two):
                    for record in member.poll(timeout_s=0.1):
                        assert (record.topic, record.partition) in member.assignment()
                        seen[(record.topic, record.partition, record.offset)] += 1
                        member.commit(record)
            assert consume(one, 1, self.quiet_s) + consume(two, 1, self.quiet_s) == []
        assert seen == Counter((m.topic, m.partition, m.offset) for m in sent)

    def test_another_group_reads_everything_independently(self, broker):
        topic = self.topic(broker)
        with broker.producer() as producer:
            for n in range(3):
                producer.publish(topic, b"%d" % n)
        with broker.consumer(unique("billing"), [topic]) as billing:
            for record in consume(billing, 3, self.wait_s):
                billing.commit(record)
        with broker.consumer(unique("audit"), [topic]) as audit:
            assert [r.value for r in consume(audit, 3, self.wait_s)] == [b"0", b"1", b"2"]

    def test_committing_a_partition_the_member_does_not_own_fails(self, broker):
        topic, other, group = self.topic(broker, partitions=2), self.topic(broker), unique("g")
        with broker.consumer(group, [topic]) as one, broker.consumer(group, [topic]) as two:
            settle([one, two], [(topic, 0), (topic, 1)], self.wait_s * 4)
            with broker.producer() as producer:
                stored = producer.publish(topic, b"x", key=b"k")
                elsewhere = producer.publish(other, b"y")
            owner, stranger = (
                (one, two) if (topic, stored.partition) in one.assignment() else (two, one)
            )
            [record] = consume(owner, 1, self.wait_s)
            with pytest.raises(CommitFailedError):
                stranger.commit(record)
            with pytest.raises(CommitFailedError):
                owner.commit(Record(other, elsewhere.partition, elsewhere.offset, None, b"y"))
            owner.commit(record)

    def test_sent_records_are_stored_once_flushed(self, broker):
        topic = self.topic(broker)
        with broker.producer() as producer:
            for n in range(5):
                producer.send(topic, b"%d" % n, key=b"k", headers=[("h", b"%d" % n)])
            producer.flush()
            producer.flush()  # nothing pending: returns at once
        with broker.consumer(unique("group"), [topic]) as consumer:
            records = consume(consumer, 5, self.wait_s)
        assert [(r.value, r.header("h")) for r in records] == [(b"%d" % n,) * 2 for n in range(5)]

    def test_a_batch_commit_stores_each_partitions_end_and_a_new_member_starts_there(self, broker):
        topic, group = self.topic(broker, partitions=2), unique("group")
        with broker.producer() as producer:
            for n in range(6):
                producer.publish(topic, b"%d" % n, key=b"%d" % n)
        with broker.consumer(group, [topic]) as first:
            records = consume(first, 6, self.wait_s)
            by_partition = {p: [r for r in records if r.partition == p] for p in (0, 1)}
            # Every record of partition 0 but its last, and all of partition 1, in any order.
            batch = by_partition[0][:-1] + by_partition[1][::-1]
            first.commit_batch(batch)
            first.commit_batch([])  # nothing to commit is not an error
        with broker.consumer(group, [topic]) as second:
            rest = consume(second, 1, self.wait_s) + consume(second, 1, self.quiet_s)
        assert [(r.partition, r.offset) for r in rest] == [(0, by_partition[0][-1].offset)]

    def test_a_batch_commit_with_a_partition_the_member_does_not_own_commits_nothing(self, broker):
        topic, other, group = self.topic(broker), self.topic(broker), unique("g")
        with broker.producer() as producer:
            producer.publish(topic, b"x")
            elsewhere = producer.publish(other, b"y")
        with broker.consumer(group, [topic]) as member:
            [record] = consume(member, 1, self.wait_s)
            stranger = Record(other, elsewhere.partition, elsewhere.offset, None, b"y")
            with pytest.raises(CommitFailedError):
                member.commit_batch([record, stranger])
        with broker.consumer(group, [topic]) as again:
            assert [r.value for r in consume(again, 1, self.wait_s)] == [b"x"]

    def test_a_closed_consumer_can_neither_commit_nor_poll(self, broker):
        topic = self.topic(broker)
        with broker.producer() as producer:
            producer.publish(topic, b"x")
        consumer = broker.consumer(unique("group"), [topic])
        [record] = consume(consumer, 1, self.wait_s)
        consumer.close()
        consumer.close()  # closing twice is harmless
        assert consumer.assignment() == set()
        with pytest.raises(CommitFailedError):
            consumer.commit(record)
        with pytest.raises(BrokerClosedError):
            consumer.poll()

    def test_poll_gives_up_after_its_timeout_when_nothing_arrives(self, broker):
        topic = self.topic(broker)
        with broker.consumer(unique("group"), [topic]) as consumer:
            consume(consumer, 1, self.quiet_s)  # let the member join first
            started = time.monotonic()
            assert consumer.poll(timeout_s=0.3) == []
            assert 0.25 <= time.monotonic() - started < 0.3 + self.wait_s

    def test_a_poll_returns_at_most_max_records(self, broker):
        topic = self.topic(broker)
        with broker.producer() as producer:
            for n in range(5):
                producer.publish(topic, b"%d" % n)
        with broker.consumer(unique("group"), [topic]) as consumer:
            deadline = time.monotonic() + self.wait_s
            batch: list[Record] = []
            while not batch and time.monotonic() < deadline:
                batch = consumer.poll(timeout_s=0.2, max_records=2)
            assert [r.value for r in batch] == [b"0", b"1"]

    def test_the_lag_counts_what_the_group_has_not_committed_past(self, broker):
        first, second, group = self.topic(broker), self.topic(broker), unique("group")
        with broker.producer() as producer:
            for n in range(3):
                producer.publish(first, b"%d" % n)
            producer.publish(second, b"x")
        assert broker.lag(group, first, second) == 4
        with broker.consumer(group, [first]) as consumer:
            consumer.commit(consume(consumer, 3, self.wait_s)[1])
        assert broker.lag(group, first) == 1
        assert broker.lag(group, first, second) == 2
        assert broker.lag(group, unique("never-created")) == 0

    def test_committed_offsets_say_where_a_group_resumes_in_each_partition(self, broker):
        topic, group = self.topic(broker), unique("group")
        with broker.producer() as producer:
            for n in range(3):
                producer.publish(topic, b"%d" % n)
        assert broker.committed_offsets(group, topic) == {}  # nothing committed yet
        with broker.consumer(group, [topic]) as consumer:
            [record, *_] = consume(consumer, 3, self.wait_s)
            consumer.commit(record)
        assert broker.committed_offsets(group, topic) == {record.partition: record.offset + 1}
        assert broker.committed_offsets(group, unique("never-created")) == {}

    def test_a_stable_group_counts_its_members(self, broker):
        topic, group = self.topic(broker, partitions=2), unique("group")
        with broker.consumer(group, [topic]) as one, broker.consumer(group, [topic]) as two:
            deadline = time.monotonic() + self.wait_s
            while broker.group_members(group) != 2 and time.monotonic() < deadline:
                one.poll(timeout_s=0.1)
                two.poll(timeout_s=0.1)
            assert broker.group_members(group) == 2
        assert broker.group_members(unique("nobody")) == 0

    def test_creating_an_existing_topic_keeps_it(self, broker):
        topic = self.topic(broker, partitions=2)
        with broker.producer() as producer:
            producer.publish(topic, b"kept")
        broker.create_topic(topic, partitions=2)
        with broker.consumer(unique("group"), [topic]) as consumer:
            assert [r.value for r in consume(consumer, 1, self.wait_s)] == [b"kept"]
            assert consumer.assignment() == {(topic, 0), (topic, 1)}

    def test_a_scan_reads_every_partition_in_offset_order_and_moves_no_group(self, broker):
        topic = self.topic(broker, partitions=3)
        headers = [("mg.error-class", b"OverwriteModelError")]
        with broker.producer() as producer:
            stored = [
                producer.publish(topic, b"%d" % n, key=b"key-%d" % n, headers=headers)
                for n in range(9)
            ]
        group = unique("group")
        with broker.consumer(group, [topic]) as member:
            first = consume(member, 1, self.wait_s)
            member.commit(first[0])

        scanned = list(broker.scan(topic))

        assert sorted((r.partition, r.offset) for r in scanned) == sorted(
            (s.partition, s.offset) for s in stored
        )
        for partition in {r.partition for r in scanned}:
            offsets = [r.offset for r in scanned if r.partition == partition]
            assert offsets == sorted(offsets)
        assert {r.headers for r in scanned} == {tuple(headers)}
        # The group's commit stands and no other group appeared: a new member of the
        # group resumes after its commit, and a new group still gets everything.
        with broker.consumer(group, [topic]) as member:
            assert len(consume(member, 8, self.wait_s)) == 8
        with broker.consumer(unique("group"), [topic]) as fresh:
            assert len(consume(fresh, 9, self.wait_s)) == 9

    def test_a_scan_ends_at_what_the_topic_held_when_it_started(self, broker):
        topic = self.topic(broker, partitions=2)
        with broker.producer() as producer:
            for n in range(4):
                producer.publish(topic, b"before-%d" % n, key=b"key-%d" % n)
            scan = broker.scan(topic)
            first = next(scan)
            for n in range(4):
                producer.publish(topic, b"after-%d" % n, key=b"key-%d" % n)
            rest = list(scan)
        assert sorted(r.value for r in [first, *rest]) == [b"before-%d" % n for n in range(4)]

    def test_a_scan_of_a_missing_topic_is_empty(self, broker):
        assert list(broker.scan(unique("missing"))) == []

    def test_closing_the_broker_closes_what_it_opened(self, broker):
        topic = self.topic(broker)
        producer = broker.producer()
        consumer = broker.consumer(unique("group"), [topic])
        broker.close()
        assert producer.closed and consumer.closed
        with pytest.raises(BrokerClosedError):
            producer.publish(topic, b"late")
        with pytest.raises(BrokerClosedError):
            broker.producer()

    def test_a_paused_partition_waits_while_the_others_flow_until_it_is_resumed(self, broker):
        fresh, retries = self.topic(broker), self.topic(broker)
        with broker.consumer(unique("group"), [fresh, retries]) as consumer:
            settle([consumer], [(fresh, 0), (retries, 0)], self.wait_s * 4)
            consumer.pause([(retries, 0)])
            assert consumer.paused() == {(retries, 0)}
            with broker.producer() as producer:
                producer.publish(retries, b"later")
                producer.publish(fresh, b"now")
            assert [r.value for r in consume(consumer, 1, self.wait_s)] == [b"now"]
            assert consume(consumer, 1, self.quiet_s) == []
            consumer.resume([(retries, 0)])
            assert consumer.paused() == set()
            assert [r.value for r in consume(consumer, 1, self.wait_s)] == [b"later"]

    def test_seeking_back_delivers_the_records_again_from_that_offset(self, broker):
        topic = self.topic(broker)
        with broker.producer() as producer:
            for n in range(3):
                producer.publish(topic, b"%d" % n)
        with broker.consumer(unique("group"), [topic]) as consumer:
            assert len(consume(consumer, 3, self.wait_s)) == 3
            consumer.seek(topic, 0, 1)
            assert [r.value for r in consume(consumer, 2, self.wait_s)] == [b"1", b"2"]

    def test_pause_resume_and_seek_ignore_a_partition_the_member_does_not_own(self, broker):
        topic, elsewhere = self.topic(broker), self.topic(broker)
        with broker.consumer(unique("group"), [topic]) as consumer:
            settle([consumer], [(topic, 0)], self.wait_s * 4)
            consumer.pause([(elsewhere, 0)])
            consumer.seek(elsewhere, 0, 5)
            consumer.resume([(elsewhere, 0)])
            assert consumer.paused() == set()
            with pytest.raises(ValueError):
                consumer.seek(topic, 0, -1)
