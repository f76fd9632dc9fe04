"""Stale dead letters: dead-lettered by a worker that then died, applied by the next one.

The embedded `worker_restart` scenario makes them for real: the buggy worker is killed
mid-stream without committing the rest of its batch, the new process gets that rest
again, and an event whose first delivery had already gone to the DLQ can succeed on the
second. `dlq inspect` must count those as already processed, and the replay (and its
dry run) must leave them out, saying why.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest

from modelguard.config import dlq_topic, run_names
from modelguard.lab.scenarios import Scenario, run_scenario
from modelguard.lab.scenarios.threads import ThreadsExecutor
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.idempotency import COLLECTION
from modelguard.messaging.replay import (
    event_id_of,
    plan_replay,
    processed_lookup,
    replay_dead_letters,
)
from modelguard.ops.dlq import inspect_dlq
from modelguard.views.dlq import dlq_report

logging.getLogger("modelguard").setLevel(logging.CRITICAL)


class KeepingWorlds(ThreadsExecutor):
    """The threads executor, reading each run's DLQ and store before the world closes."""

    def __init__(self) -> None:
        self.seen: dict = {}

    @contextmanager
    def world(self, run_id):
        with super().world(run_id) as world:
            yield world
            topic = run_names(run_id)[0]
            lookup = processed_lookup(world.database)
            self.seen = {
                "dead": [event_id_of(r) for r in world.bus.scan(dlq_topic(topic))],
                "summary": inspect_dlq(world.bus, topic, processed=lookup),
                "plan": plan_replay(world.bus, topic, processed=lookup),
                "processed": {d["event_id"] for d in world.database[COLLECTION].find()},
            }


@pytest.fixture(scope="module")
def restarted():
    """A buggy worker_restart run that leaves a stale dead letter. With 5 events it leaves
    one in every run: the embedded scenario's batches, and so the kill's place in them, do
    not follow thread timing."""
    executor = KeepingWorlds()
    result = run_scenario(Scenario("worker_restart", events=5, restart_at=0.5), "buggy",
                          executor=executor)  # fmt: skip
    assert executor.seen["summary"].already_processed, "no dead letter for a processed event"
    return result, executor.seen


def test_inspect_counts_the_dead_letters_whose_event_was_processed_later(restarted):
    result, seen = restarted
    stale = seen["summary"].already_processed
    # Ground truth from the two stores directly: in the DLQ and in the processed events.
    assert stale == [event for event in seen["dead"] if event in seen["processed"]]
    outcomes = {event.event_id: event.outcome for event in result.per_event}
    assert all(outcomes[event] == "succeeded" for event in stale), outcomes
    assert seen["summary"].to_json()["already_processed"] == len(stale)
    assert f"already processed: {len(stale)} ({stale[0]}" in dlq_report(seen["summary"])


def test_the_dry_run_skips_them_and_replays_the_rest(restarted):
    _, seen = restarted
    plan = seen["plan"]
    assert plan.already_processed == seen["summary"].already_processed
    assert plan.replayed == len(seen["dead"]) - len(plan.already_processed)
    assert plan.to_json()["would_skip_already_processed"] == plan.already_processed


def constructed_dlq(bus, processed_ids):
    """A DLQ of three dead letters, and a store in which `processed_ids` were applied."""
    import mongomock

    database = mongomock.MongoClient().db
    database[COLLECTION].insert_many([{"event_id": e, "handler": "t"} for e in processed_ids])
    with bus.producer() as producer:
        for n in range(3):
            event = PurchaseCreated(f"evt-{n}", f"p-{n}", "u", "c")
            producer.publish(dlq_topic("t"), event.to_bytes(),
                             headers=[("x-error-class", b"OverwriteModelError")])  # fmt: skip
    return database


def test_the_replay_commits_stale_dead_letters_without_republishing_them():
    from modelguard.messaging.drivers.memory import MemoryBroker

    with MemoryBroker() as bus:
        database = constructed_dlq(bus, ["evt-1"])
        skipped = []
        replayed = replay_dead_letters(
            bus, "t", group="r", idle_timeout_s=0.1, on_skip=skipped.append,
            processed=processed_lookup(database),
        )  # fmt: skip
        assert replayed == 2
        assert [event_id_of(r) for r in skipped] == ["evt-1"]
        assert sorted(event_id_of(r) for r in bus.scan("t")) == ["evt-0", "evt-2"]


def test_without_the_store_the_count_is_unknown_not_zero():
    from modelguard.messaging.drivers.memory import MemoryBroker

    with MemoryBroker() as bus:
        constructed_dlq(bus, ["evt-1"])
        summary = inspect_dlq(bus, "t")
        assert summary.already_processed is None
        assert "already processed: unknown" in dlq_report(summary)
        assert plan_replay(bus, "t").to_json()["would_skip_already_processed"] is None
