"""The one scenario runner: every scenario, on either broker, through an executor.

It decides everything that does not depend on who runs the workers:

- validation: the variant and the policy are checked by name before anything starts;
  instead of a variant, a `WorkerUnderTest` runs any worker (in this process);
- a run: a run id, its topic and group (`config.run_names`), its events (seeded
  trainers and courses, then purchases), its fault plan and its AttemptLog;
- the order: the workers start, the events are published once every member holds
  partitions (so that concurrent_events is shared by all of them), and the workers
  run until every event has succeeded or been dead-lettered, or the time is up; on
  the memory broker they poll only once every event is published, so that the same
  scenario gives the same batches, the same kill point and the same counts in every
  run (on Kafka the broker's timing decides the batches);
- the restart trigger: the worker process is killed as the scenario's restart point
  (half the events) settles, and a new process takes over; the same on both brokers;
- the counting and the JSON object of `modelguard scenarios --json`
  (`ScenarioResult`); duplicates are read from the database.

`broker="memory"` runs the workers as threads on the memory broker, `"kafka"` as OS
processes on Kafka (`executor.open_executor`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable

from modelguard.config import POLICY_NAMES, VARIANT_NAMES, dlq_topic, retry_topic, run_names
from modelguard.lab.outcomes import AttemptLog, DlqCountJson, ScenarioResult, VariantRun
from modelguard.lab.scenarios.executor import Crew, Executor, Job, World, open_executor
from modelguard.lab.scenarios.spec import Scenario, scenarios
from modelguard.lab.seed import purchases, seed_academy
from modelguard.lab.under_test import WorkerUnderTest, allocation_worker
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.port import Broker
from modelguard.messaging.replay import origin_of

log = logging.getLogger(__name__)

PUMP_S = 0.2
DRAIN_CHECK_S = 0.5  # on Kafka each lag check opens a client: not every pump
# Joining a group takes the memory broker microseconds and Kafka seconds: look often.
MEMBERS_PUMP_S = 0.01


def check_names(variant: str | None, policy: str) -> None:
    """Refuse an unknown variant (None: the worker is not a variant) or policy."""
    if variant is not None and variant not in VARIANT_NAMES:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANT_NAMES)}")
    if policy not in POLICY_NAMES:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICY_NAMES)}")


def run_variant(
    variant: str,
    *,
    broker: str = "memory",
    events: int = 50,
    consumers: int = 3,
    policy: str = "seed",
    timeout_s: float = 120.0,
    on_scenario: Callable[[ScenarioResult], None] = lambda result: None,
) -> VariantRun:
    """All four scenarios for `variant`: the JSON object of `modelguard scenarios --json`.

    `timeout_s` bounds each scenario.
    """
    check_names(variant, policy)
    results = []
    with open_executor(broker) as executor:
        for scenario in scenarios(events, consumers):
            result = run_scenario(
                scenario, variant, executor=executor, policy=policy, timeout_s=timeout_s
            )
            on_scenario(result)
            results.append(result.to_json())
    return VariantRun(variant=variant, broker=broker, policy=policy, scenarios=results)


def run_scenario(
    scenario: Scenario,
    variant: str | WorkerUnderTest,
    *,
    broker: str = "memory",
    executor: Executor | None = None,
    policy: str = "seed",
    timeout_s: float = 120.0,
    before_close: Callable[[World, str], object] = lambda world, topic: None,
) -> ScenarioResult:
    """One scenario for `variant` (or any worker under test), on `broker` or through an
    `executor` already open. `before_close` gets the run's world and topic once the
    workers have stopped, while the broker (the embedded one lives only as long as the
    world) and the database are still there: to read the DLQ the scenario left."""
    check_names(variant if isinstance(variant, str) else None, policy)
    under_test = allocation_worker(variant) if isinstance(variant, str) else variant
    if executor is None:
        with open_executor(broker) as own:
            return run_scenario(scenario, variant, executor=own, policy=policy,
                                timeout_s=timeout_s, before_close=before_close)  # fmt: skip
    started = time.monotonic()
    deadline = started + timeout_s
    run_id = f"{scenario.name}-{uuid.uuid4().hex[:8]}"
    topic, group, _ = run_names(run_id)
    with executor.world(run_id) as world:
        # Named by the scenario, not the run: the keys, and so the partitions and the
        # order of a batch, are the same in every run.
        events = purchases(scenario.events, seed_academy(), prefix=scenario.name)
        attempts = AttemptLog([e.event_id for e in events])
        job = Job(variant, policy, topic, group, scenario.fail_attempts(attempts.event_ids))
        create_topics(world.bus, topic, partitions=scenario.partitions())
        with executor.crew(world, job, attempts) as crew:
            point = scenario.restart_point()
            if point is not None:
                attempts.when_settled(point, crew.kill)
            crew.launch(scenario.consumers, held=True)
            wait_for_members(world.bus, group, scenario.consumers, crew, deadline)
            publish_events(world.bus, topic, events)
            crew.published()
            if drive(crew, attempts, deadline, run_id):
                drain(crew, world.bus, group, [topic, retry_topic(topic)], deadline, run_id)
        duplicates = under_test.duplicates(world.database)
        dead_letters = list(world.bus.scan(dlq_topic(topic)))
        before_close(world, topic)
    return ScenarioResult.from_log(
        scenario.name,
        attempts,
        duplicates=duplicates,
        compilations=crew.compilations(),
        service_loads=crew.service_loads(),
        processes=crew.processes,
        metrics=crew.metrics(),
        duration_s=round(time.monotonic() - started, 3),
        topic=topic,
        dlq=DlqCountJson(records=len(dead_letters),
                         events=len({origin_of(r) for r in dead_letters})),  # fmt: skip
    )


def drive(crew: Crew, attempts: AttemptLog, deadline: float, run_id: str = "") -> bool:
    """Let the crew work until every event of `attempts` settled; False if it did not."""
    while not attempts.all_settled() and time.monotonic() < deadline:
        crew.pump(PUMP_S)
        if not crew.alive():
            log.error("%s: every worker process exited", run_id)
            break
    if not attempts.all_settled():
        log.warning("%s: %d of %d events settled", run_id, attempts.settled(),
                    len(attempts.event_ids))  # fmt: skip
        return False
    return True


def drain(
    crew: Crew, bus: Broker, group: str, topics: list[str], deadline: float, run_id: str = ""
) -> bool:
    """Let the crew work until `group` has committed every record of `topics`; False if
    `deadline` came first. Every event can have settled while records are left: after a
    crash, the redelivered rest of a batch (and the retries it already sent) run again.
    A run that stops there leaves its group with a lag that Kafka's own tools report."""
    while time.monotonic() < deadline:
        if bus.lag(group, *topics) == 0:
            return True
        crew.pump(DRAIN_CHECK_S)
    log.warning("%s: group %s still has records to read", run_id, group)
    return False


def wait_for_members(bus: Broker, group: str, members: int, crew: Crew, deadline: float) -> bool:
    """Wait until `group` is stable with `members` members; False if `deadline` came first."""
    while time.monotonic() < deadline:
        if bus.group_members(group) == members:
            return True
        crew.pump(MEMBERS_PUMP_S)
    return False


def create_topics(bus: Broker, topic: str, *, partitions: int) -> None:
    """The topic and its retry topic with `partitions` each, and its DLQ with one."""
    bus.create_topic(topic, partitions)
    bus.create_topic(retry_topic(topic), partitions)
    bus.create_topic(dlq_topic(topic), 1)


def publish_events(bus: Broker, topic: str, events: Iterable[PurchaseCreated]) -> None:
    """Each event keyed by its purchase, so that its copies share a partition."""
    with bus.producer() as producer:
        for event in events:
            producer.publish(topic, event.to_bytes(), key=event.purchase_id.encode())
