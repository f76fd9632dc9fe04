"""Throughput on the embedded default: candidates side by side, batch by batch.

It decides:

- that candidates run in one "process", on the same events, and interleaved
  batch by batch, so that any change in the machine's load falls on every
  candidate alike;
- batches: mongomock scans a whole collection for each query and unique check,
  which a real server answers from an index. Events therefore go through in
  batches, and the collections are emptied between batches, outside the timed
  part;
- that every candidate warms up first, on batches of its own, before the clock
  and the memory baseline start.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from modelguard.bootstrap import fresh_process
from modelguard.lab.bench.candidates import Candidate
from modelguard.lab.bench.memory import growth, snapshot
from modelguard.lab.bench.shapes import Growth, RunFigures
from modelguard.lab.seed import purchases
from modelguard.lab.soak.database import empty_round, prepare


def measure(
    candidates: list[Candidate], events: int, batch: int, tick: Callable[[int], None]
) -> tuple[dict[str, RunFigures], Growth]:
    """Run `candidates` side by side in one "process", batch by batch, on the same events.

    Interleaving the batches spreads any change in the machine's load over every
    candidate alike. Returns each candidate's figures and the process's memory growth.
    """
    database, course_ids = prepare()
    fresh_process()
    seconds = dict.fromkeys((c.name for c in candidates), 0.0)

    def one_batch(candidate: Candidate, batch_events: list) -> float:
        candidate.stage(batch_events)
        started = time.perf_counter()
        candidate.run()
        elapsed = time.perf_counter() - started
        candidate.finish()
        # Emptied outside the clock: kept, it would slow every later query (see above).
        empty_round(database)
        return elapsed

    starts = range(0, events, batch)
    for candidate in candidates:
        candidate.setup()
    for number in range(min(max(c.warmup_batches for c in candidates), len(starts))):
        warm = purchases(batch, course_ids, f"warm{number}-")
        for candidate in candidates:
            if number < candidate.warmup_batches:
                one_batch(candidate, warm)
    middle_start = starts[len(starts) // 2]
    for candidate in candidates:
        candidate.begin()
    before = middle = snapshot()
    for start in starts:
        if start == middle_start:
            middle = snapshot()
        batch_events = purchases(min(batch, events - start), course_ids, f"b{start}")
        for candidate in candidates:
            seconds[candidate.name] += one_batch(candidate, batch_events)
            tick(len(batch_events))
    memory = growth(before, middle, snapshot(), events - middle_start)
    fresh_process()  # the process ends: its module copies go with it
    results: dict[str, RunFigures] = {}
    for candidate in candidates:
        took = seconds[candidate.name]
        results[candidate.name] = RunFigures(
            events=events,
            seconds=round(took, 3),
            events_per_s=round(events / took, 1) if took else None,
            **candidate.figures(),
        )
    return results, memory
