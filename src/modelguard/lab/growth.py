"""How the DLQ and the cost per event grow with the number of events: measured by running.

`measure_growth` runs the concurrent-events scenario at several sizes for each
variant and returns one `GrowthPoint` (a plain dict) per run, the data `plots.dlq_growth` and
`plots.cost_growth` draw. Measuring lives here, not in the plots, so a figure
never runs a worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from tqdm.auto import tqdm

from modelguard.config import VARIANT_NAMES
from modelguard.lab.scenarios import Scenario, run_scenario
from modelguard.messaging.outcome import Outcome


class GrowthPoint(TypedDict):
    """One concurrent-events run of one variant at one size."""

    variant: str
    events: int
    consumers: int
    dead_lettered: int
    dlq_records: int
    attempts: int
    overwrite_errors: int
    service_loads: int
    processes: int
    duration_s: float
    attempts_per_event: float
    service_loads_per_event: float
    ms_per_event: float


def measure_growth(
    sizes: Iterable[int] = (5, 10, 20, 40),
    variants: Iterable[str] = VARIANT_NAMES,
    *,
    consumers: int = 3,
    policy: str = "seed",
    broker: str = "memory",
    progress: bool | None = False,
) -> list[GrowthPoint]:
    """One point per (variant, size): what the run did, in totals and per event.

    `dlq_records` counts the records published to the DLQ topic; it can exceed
    `dead_lettered` when a record was delivered twice (a rebalance redelivers
    what was not yet committed) and both deliveries ran out of attempts.
    `service_loads` counts the runs of the admin service's build. `ms_per_event`
    is the scenario's wall time over its events, set-up included (a clean
    database, seeding, starting the worker), so a cost paid once per run
    shrinks per event as the events grow.
    """
    runs = [(variant, size) for variant in variants for size in sizes]
    points = []
    # progress=None: a bar only when the output is a terminal (tqdm's own test).
    bar = tqdm(runs, desc="growth", disable=None if progress is None else not progress)
    for variant, size in bar:
        result = run_scenario(
            Scenario("concurrent_events", events=size, consumers=consumers),
            variant,
            broker=broker,
            policy=policy,
        )
        events = max(1, result.events)
        points.append(
            GrowthPoint(
                variant=variant,
                events=result.events,
                consumers=consumers,
                dead_lettered=result.dead_lettered,
                dlq_records=sum(a["outcome"] == Outcome.DEAD_LETTERED for a in result.timeline),
                attempts=result.attempts,
                overwrite_errors=result.errors.get("OverwriteModelError", 0),
                service_loads=result.service_loads,
                processes=result.processes,
                duration_s=result.duration_s,
                attempts_per_event=result.attempts / events,
                service_loads_per_event=result.service_loads / events,
                ms_per_event=1000 * result.duration_s / events,
            )
        )
    return points
