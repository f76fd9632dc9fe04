"""Which worker a scenario runs: the allocation worker by variant, or another one.

The runner starts one worker per (simulated) process and knows it only through
`ScenarioWorker`: `initialize()` once, `handle(event, attempt)` per delivery, and
how many times it loaded its service. A `WorkerUnderTest` names the worker in
results, builds one per process from the scenario's fault plan, and counts the
duplicates it left in the database, since each worker writes its own records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from modelguard.bootstrap import new_worker
from modelguard.config import VARIANT_NAMES
from modelguard.lab.faults import FaultPlan
from modelguard.lab.outcomes import duplicate_allocations
from modelguard.messaging.events import PurchaseCreated


class ScenarioWorker(Protocol):
    """What the runner drives in one worker process."""

    @property
    def service_loads(self) -> int: ...

    def initialize(self) -> None: ...

    def handle(self, event: PurchaseCreated, attempt: int) -> object: ...


@dataclass(frozen=True)
class WorkerUnderTest:
    name: str
    make: Callable[[FaultPlan], ScenarioWorker]  # called once per worker process
    duplicates: Callable[[Any], int]  # the scenario's database -> records applied twice


def allocation_worker(variant: str) -> WorkerUnderTest:
    """The allocation worker of one variant, as the runner's worker under test."""
    if variant not in VARIANT_NAMES:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANT_NAMES)}")

    def make(faults: FaultPlan) -> ScenarioWorker:
        return new_worker(variant, faults=faults)

    return WorkerUnderTest(variant, make, duplicate_allocations)


def duplicates_per_key(collection: str, key: str) -> Callable[[Any], int]:
    """Documents beyond the first for one value of `key`: work a redelivery did again."""

    def count(database) -> int:
        groups = database[collection].aggregate(
            [{"$group": {"_id": f"${key}", "n": {"$sum": 1}}}, {"$match": {"n": {"$gt": 1}}}]
        )
        return sum(group["n"] - 1 for group in groups)

    return count
