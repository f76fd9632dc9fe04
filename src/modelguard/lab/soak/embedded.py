"""The soak on the embedded broker: the stream in rounds, the planned kills, the figures.

It decides:

- rounds: the stream runs in rounds of `round_size` records through the same
  worker process, on one database emptied after each round is checked;
- kills: `kills` simulated process deaths (`WorkerCrash` after a chosen
  handler attempt), spread over the whole run, each followed by a new process,
  as in the worker_restart scenario;
- bad records and replay, when asked: the stream mixes in bad records, and each
  round's DLQ is replayed once its injected failures are lifted;
- the figures, in the shape both brokers report (`verdict` decides `ok`).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

from modelguard.bootstrap import memory_broker
from modelguard.lab.faults import SkippingClock
from modelguard.lab.soak.database import prepare
from modelguard.lab.soak.parts import (
    DEFAULT_PARTS,
    DEFAULT_RECORDS,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT_S,
    Parts,
)
from modelguard.lab.soak.process import WorkerProcess
from modelguard.lab.soak.records import PROCESSED, Fate, Outgoing
from modelguard.lab.soak.rounds import Soak
from modelguard.lab.soak.shapes import EmbeddedFigures, EmbeddedSoak
from modelguard.lab.soak.stream import Stream
from modelguard.messaging.consumer import Handler
from modelguard.messaging.policy import MAX_ATTEMPTS

# Every attempt at these fails, so each of their records takes MAX_ATTEMPTS handler attempts.
_ALWAYS_FAILING = ("failing", "unknown_course")


def run_embedded_soak(
    records: int = DEFAULT_RECORDS,
    seed: int = DEFAULT_SEED,
    parts: Parts = DEFAULT_PARTS,
    *,
    consumers: int = 3,
    round_size: int = 1_000,
    failing: float = 0.0,
    wrap_handler: Callable[[Handler], Handler] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    progress: bool | None = None,
) -> EmbeddedSoak:
    """Run `records` records through the fixed worker and account for every one of them.

    `failing` is the share of valid events whose every attempt fails by injection
    (they must reach the DLQ, or succeed once replayed); `wrap_handler` replaces the
    worker's handler, to check that a broken one is noticed. `progress=None` shows a
    bar on an interactive stderr only.
    """
    if records < 1 or consumers < 1 or round_size < 1:
        raise ValueError("records, consumers and round_size must be >= 1")
    from tqdm import tqdm

    started = time.monotonic()
    rng = random.Random(seed)
    database, course_ids = prepare()
    stream = Stream(rng, course_ids, prefix=f"s{seed}", failing=failing, bad=parts.bad_records)
    rounds = [stream.round(min(round_size, records - start))
              for start in range(0, records, round_size)]  # fmt: skip
    kill_plan = _kill_plan(rng, rounds, parts.kills)
    process = WorkerProcess(stream.fail_attempts, kill_plan, wrap_handler)
    bar = tqdm(total=records, desc="soak", unit="rec", file=sys.stderr,
               disable=None if progress is None else not progress)  # fmt: skip
    clock = SkippingClock()
    with bar, memory_broker(clock) as bus:
        soak = Soak(bus, process, consumers=consumers, deadline=started + timeout_s,
                    replay=parts.replay, clock=clock,
                    on_progress=lambda n: bar.update(min(records, n) - bar.n))  # fmt: skip
        for number, batch in enumerate(rounds):
            soak.run_round(f"s{seed}-r{number:03d}", batch, database)
    duration = time.monotonic() - started
    return EmbeddedSoak(
        broker="memory",
        seed=seed,
        records=records,
        parts=parts.to_json(),
        **_figures(soak),
        consumers=consumers,
        rounds=len(rounds),
        processes=process.starts,
        duration_s=round(duration, 2),
        records_per_s=round(records / duration, 1),
    )


def _figures(soak: Soak) -> EmbeddedFigures:
    """What happened to the records, the handler and the worker processes."""
    figures, ledger = soak.figures, soak.ledger
    return EmbeddedFigures(
        processed=figures.total(Fate.PROCESSED),
        dead_lettered=figures.total(Fate.DEAD_LETTERED),
        lost=figures.total(Fate.LOST),
        duplicates=figures.duplicates,
        crashes=soak.crashes.total(),
        unexpected=figures.unexpected(),
        allocations_missing=figures.allocations_missing,
        dead_letters_without_reason=figures.dead_letters_without_reason,
        replayed=soak.replayed,
        # Every replayed record is accounted with the others: its category says how it ends.
        replay_unexpected=0,
        kills=soak.kills,
        broker_restarts=0,
        database_outage_s=0.0,
        purchases=figures.purchases,
        allocations=figures.allocations,
        dead_letters=figures.dead_letters,
        attempts=dict(ledger.outcomes),
        dead_letter_reasons=dict(figures.reasons.most_common()),
        categories={name: dict(states) for name, states in sorted(figures.categories.items())},
        handler_results=dict(soak.process.results),
        crash_errors=dict(soak.crashes),
        events_on_several_consumers=sum(len(names) > 1 for names in ledger.handled_by.values()),
    )


def _kill_plan(rng: random.Random, rounds: list[list[Outgoing]], kills: int) -> list[int]:
    """Handler attempts each process makes before its kill, spread over the whole run."""
    attempts = sum(
        MAX_ATTEMPTS if r.category in _ALWAYS_FAILING else 1
        for batch in rounds
        for r in batch
        if r.category in PROCESSED or r.category in _ALWAYS_FAILING
    )
    if kills == 0 or attempts < 2:
        return []
    points = sorted(rng.sample(range(1, attempts), min(kills, attempts - 1)))
    return [b - a for a, b in zip([0, *points], points, strict=False)]
