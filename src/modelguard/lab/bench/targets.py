"""The targets each measurement is set against, and the ratios they are read from.

It decides the targets' values and that each is reported as met, not met or
not measured; none is asserted, because a benchmark reports and a test decides.
"""

from __future__ import annotations

TARGETS = {
    "fixed_over_direct": 0.9,  # at least
    "guard_access_ratio": 1.5,  # at most
    "fixed_growth_kb_over_10000_events": 1024,  # at most, with no module copy left behind
    "kafka_2_workers_events_per_s": 1000,  # at least
}


def ratios(result: dict) -> dict:
    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a and b else None

    fixed = result["fixed_events_per_s"]
    return {
        "fixed_over_direct": ratio(fixed, result["direct_events_per_s"]),
        "fixed_over_direct_idempotent": ratio(fixed, result["direct_idempotent_events_per_s"]),
        "guard_only_over_fixed": ratio(result["guard_only_events_per_s"], fixed),
        "cache_only_over_fixed": ratio(result["cache_only_events_per_s"], fixed),
        "guard_access_ratio": result["guard_access_ratio"],
    }


def targets(result: dict) -> list[dict]:
    fixed = result["memory"]["fixed"]
    growth, events = fixed["second_half_growth_kb"], fixed["second_half_events"]
    modules = fixed["modules_added"]
    projected = None if growth is None else round(max(growth, 0) * 10_000 / events)
    kafka_2 = result["kafka_events_per_s"].get("2")
    flat = _at_most(projected, TARGETS["fixed_growth_kb_over_10000_events"])
    return [
        {
            "target": "fixed >= 0.9x direct",
            "measured": result["ratios"]["fixed_over_direct"],
            "met": _at_least(result["ratios"]["fixed_over_direct"], TARGETS["fixed_over_direct"]),
        },
        {
            "target": "guarded access <= 1.5x dict get",
            "measured": result["guard_access_ratio"],
            "met": _at_most(result["guard_access_ratio"], TARGETS["guard_access_ratio"]),
        },
        {
            "target": "fixed memory flat over 10,000 events (<= 1 MiB)",
            "measured": f"{projected} KiB at the 2nd half's slope, {modules} modules added",
            "met": None if flat is None else flat and modules == 0,
        },
        {
            "target": "real Kafka >= 1,000 events/s with 2 workers",
            "measured": kafka_2,
            "met": _at_least(kafka_2, TARGETS["kafka_2_workers_events_per_s"]),
        },
    ]


def _at_least(value, goal) -> bool | None:
    return None if value is None else value >= goal


def _at_most(value, goal) -> bool | None:
    return None if value is None else value <= goal
