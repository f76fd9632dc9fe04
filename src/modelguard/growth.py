"""How the DLQ grows with the number of events: measured by running the scenario.

`measure_dlq_growth` runs the concurrent-events scenario at several sizes for
each variant and returns one plain dict per run, the data `plots.dlq_growth`
draws. Measuring lives here, not in the plots, so a figure never runs a worker.
"""

from __future__ import annotations

from collections.abc import Iterable

from tqdm.auto import tqdm

from modelguard.messaging.policy import POLICIES
from modelguard.scenarios import Scenario, run_scenario


def measure_dlq_growth(
    sizes: Iterable[int] = (5, 10, 20, 40),
    variants: Iterable[str] = ("buggy", "fixed"),
    *,
    consumers: int = 3,
    policy: str = "seed",
    broker: str = "memory",
    progress: bool = False,
) -> list[dict]:
    """One point per (variant, size): events published, DLQ records and dead-lettered events.

    `dlq_records` counts the records published to the DLQ topic; it can exceed
    `dead_lettered` when a record was delivered twice (a rebalance redelivers
    what was not yet committed) and both deliveries ran out of attempts.
    """
    runs = [(variant, size) for variant in variants for size in sizes]
    points = []
    for variant, size in tqdm(runs, desc="DLQ growth", disable=not progress):
        result = run_scenario(
            Scenario("concurrent_events", events=size, consumers=consumers),
            variant,
            broker=broker,
            policy=POLICIES[policy],
        )
        points.append(
            {
                "variant": variant,
                "events": result.events,
                "consumers": consumers,
                "dead_lettered": result.dead_lettered,
                "dlq_records": sum(a["outcome"] == "dead_lettered" for a in result.timeline),
                "attempts": result.attempts,
                "overwrite_errors": result.errors.get("OverwriteModelError", 0),
                "duration_s": result.duration_s,
            }
        )
    return points
