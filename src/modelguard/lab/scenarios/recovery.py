"""The incident's recovery, end to end: flood the DLQ, deploy the fix, replay the DLQ.

The buggy worker floods the DLQ (`flood_dead_letters` leaves it there, for the DLQ
tools to read); the fix is deployed (a new process of the fixed worker); the DLQ is
replayed to the original topic, all of it or only some error classes; every replayed
event must now succeed, with no allocation made twice. It runs through the scenarios'
executors, so the embedded run and a run on Kafka are one experiment.

`flood_and_replay` returns a `Recovery`, or with `dry_run` a `RecoveryPlan`: the JSON
objects `modelguard replay-dlq --json` prints.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from modelguard.bootstrap import fresh_process
from modelguard.config import dlq_topic, run_names
from modelguard.lab.databases import clean_database
from modelguard.lab.outcomes import AttemptLog, ScenarioResult, duplicate_allocations
from modelguard.lab.scenarios.executor import Executor, Job, World, open_executor
from modelguard.lab.scenarios.runner import create_topics, drive, publish_events, wait_for_members
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.events import PurchaseCreated, parse_event
from modelguard.messaging.port import Broker
from modelguard.messaging.replay import (
    ReplayPlan,
    plan_replay,
    processed_lookup,
    replay_dead_letters,
    skip_reason,
)


class Recovery(TypedDict):
    """The flood, the replay after the fix is deployed, and what the database holds."""

    events: int
    dead_lettered_before: int
    replayed: int
    replayed_events: int  # distinct events among the replayed records (one per origin)
    skipped: dict[str, int]  # by error class: not among `only`'s classes
    skipped_poison: dict[str, int]  # by error class: the payload itself is the fault
    succeeded_after_replay: int
    dead_lettered_after_replay: int
    allocations: int
    duplicates: int
    errors_before: dict[str, int]
    errors_after: dict[str, int]


class RecoveryPlan(TypedDict):
    """The flood, and what a replay of its DLQ would do; nothing was replayed."""

    events: int
    dead_lettered_before: int
    errors_before: dict[str, int]
    dry_run: Literal[True]
    would_replay: int
    would_replay_events: int  # distinct events among them (one per origin)
    would_skip: dict[str, int]
    would_skip_poison: dict[str, int]
    would_skip_already_processed: list[str] | None


@dataclass
class Flood:
    """What the buggy worker left: the topic, its group, what happened to each event,
    and the database."""

    topic: str
    group: str
    result: ScenarioResult
    database: Any


def flood_dead_letters(
    bus: Broker,
    *,
    events: int = 20,
    consumers: int = 3,
    topic: str | None = None,
    timeout_s: float = 120.0,
) -> Flood:
    """Run the buggy worker over `events` new purchases on the memory broker `bus` until
    each has settled: the DLQ the incident left. `topic` defaults to a new name."""
    from modelguard.lab.scenarios.threads import MemoryWorld, ThreadsExecutor

    if not isinstance(bus, MemoryBroker):
        raise TypeError(f"the flood runs its workers as threads, on a memory broker: {bus!r}")
    run_id = f"flood-{uuid.uuid4().hex[:8]}"
    fresh_process()
    world = MemoryWorld(run_id, bus, clean_database())
    default_topic, group, _ = run_names(run_id)
    batch = purchases(events, seed_academy(), prefix=run_id)
    return _flood(ThreadsExecutor(), world, topic or default_topic, group, batch, consumers,
                  time.monotonic() + timeout_s)  # fmt: skip


def flood_and_replay(
    events: int = 20,
    consumers: int = 3,
    timeout_s: float = 120.0,
    *,
    broker: str = "memory",
    only: Collection[str] | None = None,
    dry_run: bool = False,
) -> Recovery | RecoveryPlan:
    """The buggy worker floods the DLQ, the fixed one takes over, the DLQ is replayed
    (only the error classes in `only`, when given). With `dry_run`, the replay is only
    planned, and nothing is replayed."""
    run_id = f"replay-{uuid.uuid4().hex[:8]}"
    topic, group, _ = run_names(run_id)
    deadline = time.monotonic() + timeout_s
    with open_executor(broker) as executor, executor.world(run_id) as world:
        batch = purchases(events, seed_academy(), prefix=run_id)
        flood = _flood(executor, world, topic, group, batch, consumers, deadline)
        flooded = flood.result
        if dry_run:
            plan = plan_replay(
                world.bus, topic, only=only, processed=processed_lookup(world.database)
            )
            return RecoveryPlan(
                events=events,
                dead_lettered_before=flooded.dead_lettered,
                errors_before=flooded.errors,
                dry_run=True,
                would_replay=plan.replayed,
                would_replay_events=len(plan.replay_events),
                would_skip=dict(plan.skip),
                would_skip_poison=dict(plan.poison),
                would_skip_already_processed=plan.already_processed,
            )
        # The events the replay will put back, which the fixed worker must then settle.
        dead_letters = list(world.bus.scan(dlq_topic(topic)))
        chosen = [parse_event(r.value).event_id for r in dead_letters
                  if skip_reason(r, only, set()) is None]  # fmt: skip
        after = AttemptLog(chosen)
        tally = ReplayPlan(topic)
        # Deploy the fix: a new process of the fixed worker, then the replay.
        with executor.crew(world, Job("fixed", "seed", topic, group), after) as crew:
            crew.launch(consumers)
            wait_for_members(world.bus, group, consumers, crew, deadline)
            # The first poll on Kafka includes joining the group: wait longer than that. The
            # flood is over, so the replay stops at the DLQ's last record rather than
            # waiting out an idle poll after it.
            replayed = replay_dead_letters(
                world.bus, topic, group=f"replayer.{group}", only=only, read=len(dead_letters),
                idle_timeout_s=1.0 if broker == "memory" else 10.0,
                tally=tally,
            )  # fmt: skip
            drive(crew, after, deadline, run_id)
        recovered = ScenarioResult.from_log("replay", after, duplicates=0, compilations={})
        return Recovery(
            events=events,
            dead_lettered_before=flooded.dead_lettered,
            replayed=replayed,
            replayed_events=len(tally.replay_events),
            skipped=dict(tally.skip),
            skipped_poison=dict(tally.poison),
            succeeded_after_replay=recovered.succeeded,
            dead_lettered_after_replay=recovered.dead_lettered,
            allocations=world.database["allocations"].count_documents({}),
            duplicates=duplicate_allocations(world.database),
            errors_before=flooded.errors,
            errors_after=recovered.errors,
        )


def _flood(
    executor: Executor,
    world: World,
    topic: str,
    group: str,
    batch: Sequence[PurchaseCreated],
    consumers: int,
    deadline: float,
) -> Flood:
    create_topics(world.bus, topic, partitions=max(4, 2 * consumers))
    flood = AttemptLog([e.event_id for e in batch])
    with executor.crew(world, Job("buggy", "seed", topic, group), flood) as crew:
        crew.launch(consumers)
        wait_for_members(world.bus, group, consumers, crew, deadline)
        publish_events(world.bus, topic, batch)
        drive(crew, flood, deadline, world.run_id)
    result = ScenarioResult.from_log("flood", flood, duplicates=0, compilations={})
    return Flood(topic, group, result, world.database)
