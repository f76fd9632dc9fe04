"""Redelivery is harmless: one allocation per purchase, however often it arrives."""

from __future__ import annotations

import threading

import mongoengine
import pytest

from modelguard.academy.workers.allocation import AllocationWorker
from modelguard.bootstrap import fresh_process
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.idempotency import IdempotencyGuard


@pytest.fixture
def academy(mongo):
    fresh_process()
    courses = seed_academy()
    fresh_process()
    yield courses
    fresh_process()


def allocations_and_load(database):
    load = sum(u.get("load", 0) for u in database["users"].find({"role": "trainer"}))
    return database["allocations"].count_documents({}), load


def test_the_guard_records_an_event_once(mongo):
    guard = IdempotencyGuard(mongo["processed_events"], "test")
    assert not guard.seen("e1")
    assert guard.mark("e1") is True
    assert guard.mark("e1") is False
    assert guard.seen("e1")


@pytest.mark.parametrize("deliveries", [2, 5])
def test_a_purchase_delivered_again_and_again_is_allocated_once(academy, mongo, deliveries):
    worker = AllocationWorker("fixed")
    worker.initialize()
    [event] = purchases(1, academy, prefix="dup")
    outcomes = [worker.allocate_trainer(event, 1) for _ in range(deliveries)]
    assert outcomes == ["allocated"] + ["duplicate"] * (deliveries - 1)
    assert allocations_and_load(mongo) == (1, 1)


def test_one_purchase_delivered_to_eight_consumers_at_once_is_allocated_once(academy, mongo):
    worker = AllocationWorker("fixed")
    worker.initialize()
    [event] = purchases(1, academy, prefix="race")
    barrier, outcomes = threading.Barrier(8), []

    def deliver():
        barrier.wait()
        outcomes.append(worker.allocate_trainer(event, 1))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count("allocated") == 1
    assert allocations_and_load(mongoengine.get_db()) == (1, 1)


def test_two_events_for_one_purchase_still_allocate_once(academy, mongo):
    worker = AllocationWorker("fixed")
    worker.initialize()
    [event] = purchases(1, academy, prefix="twice")
    again = type(event)(event_id="another-id", purchase_id=event.purchase_id,
                        user_id=event.user_id, course_id=event.course_id)  # fmt: skip
    assert worker.allocate_trainer(event) == "allocated"
    assert worker.allocate_trainer(again) == "duplicate"
    assert allocations_and_load(mongo) == (1, 1)


def test_the_least_loaded_trainer_with_the_skill_is_chosen(academy, mongo):
    worker = AllocationWorker("fixed")
    worker.initialize()
    for event in purchases(6, academy, prefix="spread"):
        worker.allocate_trainer(event)
    loads = {u["name"]: u["load"] for u in mongo["users"].find()}
    assert sum(loads.values()) == 6
    assert max(loads.values()) - min(loads.values()) <= 1
