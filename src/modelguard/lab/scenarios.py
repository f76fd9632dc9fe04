"""The incident report's four scenarios, run for real against one worker variant.

1. kafka_retry: one PURCHASE_CREATED whose attempt 1 fails; attempt 2 must succeed.
2. multiple_retries: attempts 1-4 fail; attempt 5 must succeed.
3. concurrent_events: many purchases at once over several consumers of one group.
4. worker_restart: the worker dies mid-stream; a new process takes over from
   the committed offsets, with a new registry and no cached modules.

Each scenario gets a clean database and a new broker topic, seeds trainers and
courses, publishes the events, runs the worker's consumers until every event
has succeeded or been dead-lettered, and counts what happened. Faults are
injected by the runner through a `FaultPlan`; the worker does not know which
scenario it is in.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass

import mongoengine

from modelguard import db, registry
from modelguard.academy.workers.allocation import VARIANTS, AllocationWorker
from modelguard.bootstrap import fresh_process, open_broker, worker_metrics
from modelguard.config import dlq_topic, retry_topic
from modelguard.lab.faults import FaultPlan, WorkerCrash
from modelguard.lab.outcomes import AttemptLog, ScenarioResult
from modelguard.lab.seed import purchases, seed_academy
from modelguard.lab.under_test import ScenarioWorker, WorkerUnderTest
from modelguard.messaging.consumer import Attempt, RetryingConsumer
from modelguard.messaging.events import PurchaseCreated, parse_event
from modelguard.messaging.policy import POLICIES, RetryPolicy
from modelguard.messaging.port import Broker
from modelguard.messaging.replay import error_class, plan_replay, replay_dead_letters, selected

SCENARIO_NAMES = ("kafka_retry", "multiple_retries", "concurrent_events", "worker_restart")
DATABASE = "modelguard_scenarios"


@dataclass(frozen=True)
class Scenario:
    name: str
    events: int
    consumers: int = 1
    failing_attempts: int = 0  # attempts 1..k of every event fail by injection
    restart: bool = False


def scenarios(events: int = 50, consumers: int = 3) -> list[Scenario]:
    return [
        Scenario("kafka_retry", events=1, failing_attempts=1),
        Scenario("multiple_retries", events=1, failing_attempts=4),
        Scenario("concurrent_events", events=events, consumers=consumers),
        Scenario("worker_restart", events=events, restart=True),
    ]


def run_variant(
    variant: str,
    *,
    broker: str = "memory",
    events: int = 50,
    consumers: int = 3,
    policy: str = "seed",
    timeout_s: float = 120.0,
    on_scenario: Callable[[ScenarioResult], None] = lambda result: None,
) -> dict:
    """All four scenarios for `variant`; the JSON object of DESIGN.md."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    results = []
    for scenario in scenarios(events, consumers):
        result = run_scenario(
            scenario, variant, broker=broker, policy=POLICIES[policy], timeout_s=timeout_s
        )
        on_scenario(result)
        results.append(result.to_json())
    return {"variant": variant, "broker": broker, "policy": policy, "scenarios": results}


def run_scenario(
    scenario: Scenario,
    variant: str | WorkerUnderTest,
    *,
    broker: str = "memory",
    policy: RetryPolicy = POLICIES["seed"],
    timeout_s: float = 120.0,
) -> ScenarioResult:
    """One scenario for an allocation worker variant, or for any `WorkerUnderTest`."""
    under_test = allocation_worker(variant) if isinstance(variant, str) else variant
    started = time.monotonic()
    run_id = f"{scenario.name}-{uuid.uuid4().hex[:8]}"
    database = clean_database()
    fresh_process()
    events = purchases(scenario.events, seed_academy(), prefix=run_id)
    fresh_process()  # the worker starts in a process that has loaded nothing

    log = AttemptLog([e.event_id for e in events])
    faults = FaultPlan(fail_attempts={e.event_id: scenario.failing_attempts for e in events})
    if scenario.restart:
        faults.crash_after_attempts = max(1, scenario.events // 2)
    topic, group = f"purchases.{run_id}", f"allocation-worker.{run_id}"
    compilations: Counter[str] = Counter()
    loads = processes = 0
    metrics: list[dict[str, float]] = []
    with open_broker(broker) as bus:
        publish_events(bus, topic, events, partitions=max(4, 2 * scenario.consumers))
        deadline = time.monotonic() + timeout_s
        while not log.all_settled() and time.monotonic() < deadline:
            if processes:
                fresh_process()  # the restarted worker is a new process
            processes += 1
            worker, process_metrics = _start_worker(
                bus, topic, group, under_test.make(faults), scenario.consumers, policy, log,
                deadline,
            )  # fmt: skip
            compilations |= registry.compilations  # per process: the largest count wins
            loads += worker.service_loads
            metrics.append(process_metrics)
    return ScenarioResult.from_log(
        scenario.name,
        log,
        duplicates=under_test.duplicates(database),
        compilations=dict(sorted(compilations.items())),
        service_loads=loads,
        processes=processes,
        metrics=metrics,
        duration_s=round(time.monotonic() - started, 3),
    )


def clean_database():
    database = db.connect(db=DATABASE)
    database.client.drop_database(DATABASE)
    return mongoengine.get_db()


def publish_events(bus: Broker, topic: str, events, *, partitions: int) -> None:
    bus.create_topic(topic, partitions)
    bus.create_topic(retry_topic(topic), partitions)
    bus.create_topic(dlq_topic(topic), 1)
    with bus.producer() as producer:
        for event in events:
            producer.publish(topic, event.to_bytes(), key=event.purchase_id.encode())


@dataclass
class Flood:
    """What the buggy worker left on an embedded broker: the topic, its group, what
    happened to each event, and the database."""

    topic: str
    group: str
    result: ScenarioResult
    database: object


def flood_dead_letters(
    bus: Broker,
    *,
    events: int = 20,
    consumers: int = 3,
    topic: str | None = None,
    timeout_s: float = 120.0,
) -> Flood:
    """Run the buggy worker over `events` new purchases on `bus` until each has settled:
    the DLQ the incident left. `topic` defaults to a new name."""
    run_id = f"flood-{uuid.uuid4().hex[:8]}"
    database = clean_database()
    fresh_process()
    batch = purchases(events, seed_academy(), prefix=run_id)
    fresh_process()
    topic = topic or f"purchases.{run_id}"
    group = f"allocation-worker.{run_id}"
    publish_events(bus, topic, batch, partitions=max(4, 2 * consumers))
    flood = AttemptLog([e.event_id for e in batch])
    _start_worker(bus, topic, group, AllocationWorker("buggy"), consumers, POLICIES["seed"],
                  flood, time.monotonic() + timeout_s)  # fmt: skip
    result = ScenarioResult.from_log("flood", flood, duplicates=0, compilations={})
    return Flood(topic, group, result, database)


def flood_and_replay(
    events: int = 20,
    consumers: int = 3,
    timeout_s: float = 120.0,
    *,
    only: Collection[str] | None = None,
    dry_run: bool = False,
) -> dict:
    """The incident's recovery, end to end on the embedded default.

    The buggy worker floods the DLQ; the fix is deployed (a new process of the
    fixed worker); the DLQ is replayed to the original topic (only the error classes
    in `only`, when given); every replayed event must now succeed, with no allocation
    made twice. With `dry_run`, the replay is only planned, and nothing is replayed.
    """
    deadline = time.monotonic() + timeout_s
    with open_broker("memory") as bus:
        flood = flood_dead_letters(bus, events=events, consumers=consumers, timeout_s=timeout_s)
        topic, group, flooded, database = flood.topic, flood.group, flood.result, flood.database
        if dry_run:
            plan = plan_replay(bus, topic, only=only)
            return {
                "events": events,
                "dead_lettered_before": flooded.dead_lettered,
                "errors_before": flooded.errors,
                "dry_run": True,
                "would_replay": plan.replayed,
                "would_skip": dict(plan.skip),
            }

        # The events the replay will put back, which the fixed worker must then settle.
        chosen = [parse_event(r.value).event_id
                  for r in bus.scan(dlq_topic(topic)) if selected(r, only)]  # fmt: skip
        fresh_process()  # deploy the fix: a new process running the fixed worker
        skipped: Counter[str] = Counter()
        replayed = replay_dead_letters(
            bus, topic, group=f"replayer.{group}", only=only,
            on_skip=lambda record: skipped.update([error_class(record)]),
        )  # fmt: skip
        after = AttemptLog(chosen)
        _start_worker(bus, topic, group, AllocationWorker("fixed"), consumers,
                      POLICIES["seed"], after, deadline)  # fmt: skip
        recovered = ScenarioResult.from_log("replay", after, duplicates=0, compilations={})
    return {
        "events": events,
        "dead_lettered_before": flooded.dead_lettered,
        "replayed": replayed,
        "skipped": dict(skipped),
        "succeeded_after_replay": recovered.succeeded,
        "dead_lettered_after_replay": recovered.dead_lettered,
        "allocations": database["allocations"].count_documents({}),  # type: ignore[index]
        "duplicates": duplicate_allocations(database),
        "errors_before": flooded.errors,
        "errors_after": recovered.errors,
    }


def _start_worker(
    bus: Broker,
    topic: str,
    group: str,
    worker: ScenarioWorker,
    consumers: int,
    policy: RetryPolicy,
    log: AttemptLog,
    deadline: float,
) -> tuple[ScenarioWorker, dict[str, float]]:
    """One worker process: initialize, then consume until the log settles or it crashes.

    Returns the worker and its process's metrics as they stood when it stopped, the
    same counters `python -m modelguard worker --metrics-port` serves."""
    metrics = worker_metrics(worker)
    worker.initialize()

    def on_attempt(attempt: Attempt) -> None:
        metrics.observe(attempt)
        log(attempt)

    handler = metrics.timed(worker.handle)
    _run_consumers(bus, topic, group, handler, consumers, policy, on_attempt, log, deadline)
    return worker, metrics.snapshot()


def _run_consumers(
    bus: Broker,
    topic: str,
    group: str,
    handler: Callable[[PurchaseCreated, int], object],
    count: int,
    policy: RetryPolicy,
    on_attempt: Callable[[Attempt], None],
    log: AttemptLog,
    deadline: float,
) -> None:
    """Run `count` consumers of one worker process until all events settle or it crashes."""
    crashed = threading.Event()
    # Every member joins before any polls, so the group rebalances once, up front,
    # instead of taking partitions away from consumers with records in hand.
    members = [
        RetryingConsumer(
            bus,
            topic,
            group,
            handler,
            policy=policy,
            on_attempt=on_attempt,
            name=f"consumer-{number}",
        )  # fmt: skip
        for number in range(count)
    ]

    def consume(consumer: RetryingConsumer) -> None:
        try:
            while not (log.all_settled() or crashed.is_set() or time.monotonic() > deadline):
                consumer.poll_once(0.05)
        except WorkerCrash:
            crashed.set()  # a crash takes the whole process, every consumer in it
        finally:
            consumer.close()

    threads = [threading.Thread(target=consume, args=(m,), daemon=True) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def allocation_worker(variant: str) -> WorkerUnderTest:
    """The allocation worker of one variant, as the runner's worker under test."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")

    def make(faults: FaultPlan) -> ScenarioWorker:
        return AllocationWorker(variant, faults=faults)

    return WorkerUnderTest(variant, make, duplicate_allocations)


def duplicate_allocations(database) -> int:
    """Allocations applied more than once: extra documents per purchase, or extra load."""
    per_purchase = database["allocations"].aggregate(
        [{"$group": {"_id": "$purchase_id", "n": {"$sum": 1}}}, {"$match": {"n": {"$gt": 1}}}]
    )
    extra_documents = sum(doc["n"] - 1 for doc in per_purchase)
    allocations = database["allocations"].count_documents({})
    load = sum(doc.get("load", 0) for doc in database["users"].find({"role": "trainer"}))
    return extra_documents + max(0, load - allocations)
