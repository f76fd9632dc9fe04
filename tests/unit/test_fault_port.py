"""Faults are an adapter: each worker has a plan of its own, and a fault planned for one
worker never fires in another."""

from __future__ import annotations

import pytest

from modelguard.academy.workers.allocation import AllocationWorker
from modelguard.academy.workers.faults import NoFaults
from modelguard.bootstrap import fresh_process
from modelguard.lab.faults import FaultPlan, InjectedFailure, WorkerCrash
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.events import PurchaseCreated


@pytest.fixture
def events(mongo) -> list[PurchaseCreated]:
    """Four purchases of a seeded academy, in a process that has compiled nothing yet."""
    fresh_process()
    batch = purchases(4, seed_academy(), prefix="port")
    fresh_process()
    return batch


def started(worker: AllocationWorker) -> AllocationWorker:
    worker.initialize()
    return worker


class Recorder:
    """A plan of the test's own: it only notes when the worker calls each hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, int]] = []

    def before_allocation(self, event_id: str, attempt: int) -> None:
        self.calls.append(("before", event_id, attempt))

    def after_attempt(self, event_id: str | None = None, attempt: int = 0) -> None:
        self.calls.append(("after", event_id, attempt))


def test_every_worker_builds_its_own_plan_that_injects_nothing():
    one, other = AllocationWorker(), AllocationWorker("buggy")
    assert one.faults is not other.faults
    assert isinstance(one.faults, NoFaults) and isinstance(other.faults, NoFaults)


def test_a_crash_planned_for_one_worker_leaves_another_untouched(events):
    plan = FaultPlan()
    doomed, bystander = started(AllocationWorker(faults=plan)), started(AllocationWorker())
    plan.crash_next()

    assert bystander.allocate_trainer(events[0]) == "allocated"
    with pytest.raises(WorkerCrash):
        doomed.allocate_trainer(events[1])
    assert doomed.allocate_trainer(events[2]) == "allocated"  # the crash was for one attempt


def test_two_plans_count_their_own_attempts(events):
    # Were the attempt counter shared, the second worker's first attempt would be the
    # second attempt counted, and would crash.
    first = started(AllocationWorker(faults=FaultPlan(crash_after_attempts=2)))
    second = started(AllocationWorker(faults=FaultPlan(crash_after_attempts=2)))

    assert first.allocate_trainer(events[0]) == "allocated"
    assert second.allocate_trainer(events[1]) == "allocated"
    with pytest.raises(WorkerCrash):
        first.allocate_trainer(events[2])


def test_a_failure_planned_for_an_event_fails_only_the_worker_that_was_given_it(events):
    failing = started(AllocationWorker(faults=FaultPlan(fail_attempts={events[0].event_id: 1})))
    with pytest.raises(InjectedFailure):
        failing.allocate_trainer(events[0], attempt=1)

    other = started(AllocationWorker())
    assert other.allocate_trainer(events[0], attempt=1) == "allocated"


def test_the_worker_calls_whatever_plan_it_is_given_around_each_attempt(events):
    recorder = Recorder()
    worker = started(AllocationWorker(faults=recorder))

    worker.allocate_trainer(events[0], attempt=3)
    worker.allocate_trainer(events[0], attempt=4)  # already done: no work, still an attempt

    done = events[0].event_id
    assert recorder.calls == [("before", done, 3), ("after", done, 3), ("after", done, 4)]
