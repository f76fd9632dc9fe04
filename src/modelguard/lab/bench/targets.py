"""The targets each measurement is set against, and the ratios they are read from.

It decides the targets' values and that each is reported as met, not met or
not measured; none is asserted, because a benchmark reports and a test decides.
Every target is a ratio of two figures of one run, or a rate of that run, so the
machine's load that day falls on both sides alike.

Two figures are kept without a target: the fixed worker against the service
called with no guard (unequal work: the guard's check and mark are two more
round trips), and the guarded model access against a dict get (paid once per
run of a model file, never per event).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelguard.lab.bench.shapes import Growth, KafkaRatios, Ratios, Target

TARGETS = {
    "fixed_over_direct_idempotent": 0.9,  # at least: the same calls, the same guard
    "fixed_growth_kb_over_10000_events": 1024,  # at most, with no module copy left behind
    "kafka_1_worker_over_database_limit": 0.8,  # at least
    "kafka_2_workers_over_1": 1.6,  # at least
    "kafka_2_workers_events_per_s": 1000,  # at least; a stretch on two shared cores
}


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


# The readers below take the report so far as a Mapping: it is still being built.


def ratios(result: Mapping[str, Any]) -> Ratios:
    fixed = result["fixed_events_per_s"]
    return Ratios(
        fixed_over_direct=ratio(fixed, result["direct_events_per_s"]),
        fixed_over_direct_idempotent=ratio(fixed, result["direct_idempotent_events_per_s"]),
        guard_only_over_fixed=ratio(result["guard_only_events_per_s"], fixed),
        cache_only_over_fixed=ratio(result["cache_only_events_per_s"], fixed),
        guard_access_ratio=result["guard_access_ratio"],
    )


def kafka_ratios(result: Mapping[str, Any]) -> KafkaRatios:
    """The Kafka figures read against each other and against the database limit."""
    rates, limit = result["kafka_events_per_s"], result.get("database_limit_events_per_s")
    one = rates.get("1")
    # One key per number of workers beyond one (kafka.WORKERS).
    read = KafkaRatios(
        {
            "1_worker_over_database_limit": ratio(one, limit),
            "2_over_1": ratio(rates.get("2"), one),
            "4_over_1": ratio(rates.get("4"), one),
        }
    )
    if one and limit:
        # The limit's time is all handler and database; the rest of one worker's time
        # per event is the consumer's and the broker's.
        read["database_ms_per_event"] = round(1000 / limit, 3)
        read["consumer_and_broker_ms_per_event"] = round(1000 / one - 1000 / limit, 3)
    return read


def targets(result: Mapping[str, Any]) -> list[Target]:
    fixed: Growth = result["memory"]["fixed"]
    growth, events = fixed["second_half_growth_kb"], fixed["second_half_events"]
    modules = fixed["modules_added"]
    projected = None if growth is None else round(max(growth, 0) * 10_000 / events)
    flat = _at_most(projected, TARGETS["fixed_growth_kb_over_10000_events"])
    kafka: KafkaRatios = result["kafka_ratios"]
    fair = result["ratios"]["fixed_over_direct_idempotent"]
    two = result["kafka_events_per_s"].get("2")
    return [
        Target(
            target="fixed >= 0.9x direct with the idempotency guard (the same calls)",
            measured=fair,
            met=_at_least(fair, TARGETS["fixed_over_direct_idempotent"]),
        ),
        Target(
            target="fixed memory flat over 10,000 events (<= 1 MiB)",
            measured=f"{projected} KiB at the 2nd half's slope, {modules} modules added",
            met=None if flat is None else flat and modules == 0,
        ),
        Target(
            target="real Kafka, 1 worker >= 0.8x the database limit",
            measured=kafka["1_worker_over_database_limit"],
            met=_at_least(
                kafka["1_worker_over_database_limit"],
                TARGETS["kafka_1_worker_over_database_limit"],
            ),
        ),
        Target(
            target="real Kafka, 2 workers >= 1.6x 1 worker",
            measured=kafka.get("2_over_1"),
            met=_at_least(kafka.get("2_over_1"), TARGETS["kafka_2_workers_over_1"]),
        ),
        Target(
            target="stretch: real Kafka >= 1,000 events/s with 2 workers",
            measured=two,
            met=_at_least(two, TARGETS["kafka_2_workers_events_per_s"]),
        ),
    ]


def _at_least(value, goal) -> bool | None:
    return None if value is None else value >= goal


def _at_most(value, goal) -> bool | None:
    return None if value is None else value <= goal
