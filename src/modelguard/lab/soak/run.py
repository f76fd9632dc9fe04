"""The whole soak: the stream in rounds, the planned kills, and the figures it reports.

It decides:

- rounds: the stream runs in rounds of `round_size` records through the same
  worker process, on one database emptied after each round is checked;
- kills: `kills` simulated process deaths (`WorkerCrash` after a chosen
  handler attempt), spread over the whole run, each followed by a new process,
  as in the worker_restart scenario;
- the verdict: `ok` when nothing was lost, crashed, applied twice, left
  unallocated, ended unexpectedly or dead-lettered without a reason.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

from modelguard.bootstrap import open_broker
from modelguard.lab.soak.database import prepare
from modelguard.lab.soak.process import WorkerProcess
from modelguard.lab.soak.records import PROCESSED, Outgoing
from modelguard.lab.soak.rounds import Soak
from modelguard.lab.soak.stream import Stream
from modelguard.messaging.consumer import Handler
from modelguard.messaging.policy import MAX_ATTEMPTS

# Every attempt at these fails, so each of their records takes MAX_ATTEMPTS handler attempts.
_ALWAYS_FAILING = ("failing", "unknown_course")
# Any one of these above zero fails the soak.
_FAILURES = ("lost", "crashes", "duplicates", "unexpected", "allocations_missing",
             "dead_letters_without_reason")  # fmt: skip


def run_soak(
    records: int = 10_000,
    seed: int = 0,
    kills: int = 0,
    broker: str = "memory",
    *,
    consumers: int = 3,
    round_size: int = 1_000,
    failing: float = 0.0,
    wrap_handler: Callable[[Handler], Handler] | None = None,
    timeout_s: float = 600.0,
    progress: bool | None = None,
) -> dict:
    """Run `records` records through the fixed worker and account for every one of them.

    `failing` is the share of valid events whose every attempt fails by injection
    (they must reach the DLQ); `wrap_handler` replaces the worker's handler, to
    check that a broken one is noticed. `progress=None` shows a bar on an interactive
    stderr only.
    """
    if broker != "memory":
        raise NotImplementedError(
            f"soak on {broker!r} needs the worker as separate processes (`python -m modelguard "
            "worker`) to kill and restart; only the embedded default, --broker memory, runs now"
        )
    if records < 1 or consumers < 1 or round_size < 1 or kills < 0:
        raise ValueError("records, consumers and round_size must be >= 1, kills >= 0")
    from tqdm import tqdm

    started = time.monotonic()
    rng = random.Random(seed)
    database, course_ids = prepare()
    stream = Stream(rng, course_ids, prefix=f"s{seed}", failing=failing)
    rounds = [stream.round(min(round_size, records - start))
              for start in range(0, records, round_size)]  # fmt: skip
    process = WorkerProcess(stream.fail_attempts, _kill_plan(rng, rounds, kills), wrap_handler)
    bar = tqdm(total=records, desc="soak", unit="rec", file=sys.stderr,
               disable=None if progress is None else not progress)  # fmt: skip
    with bar, open_broker(broker) as bus:
        soak = Soak(bus, process, consumers=consumers, deadline=started + timeout_s,
                    on_progress=lambda n: bar.update(n - bar.n))  # fmt: skip
        for number, batch in enumerate(rounds):
            soak.run_round(f"s{seed}-r{number:03d}", batch, database)
    duration = time.monotonic() - started
    result = {"broker": broker, "seed": seed, "records": records, **_figures(soak)}
    result |= {
        "consumers": consumers,
        "rounds": len(rounds),
        "processes": process.starts,
        "duration_s": round(duration, 2),
        "records_per_s": round(records / duration, 1),
    }
    result["ok"] = not any(result[key] for key in _FAILURES)
    return result


def _figures(soak: Soak) -> dict:
    """What happened to the records, the handler and the worker processes."""
    figures, ledger = soak.figures, soak.ledger
    return {
        "processed": figures.total("processed"),
        "dead_lettered": figures.total("dead_lettered"),
        "lost": figures.total("lost"),
        "crashes": soak.crashes.total(),
        "duplicates": figures.duplicates,
        "kills": soak.kills,
        "unexpected": figures.unexpected(),
        "allocations_missing": figures.allocations_missing,
        "purchases": figures.purchases,
        "allocations": figures.allocations,
        "dead_letters": figures.dead_letters,
        "dead_letters_without_reason": figures.dead_letters_without_reason,
        "attempts": dict(ledger.outcomes),
        "handler_results": dict(soak.process.results),
        "dead_letter_reasons": dict(figures.reasons.most_common()),
        "crash_errors": dict(soak.crashes),
        "events_on_several_consumers": sum(len(names) > 1 for names in ledger.handled_by.values()),
        "categories": {name: dict(states) for name, states in sorted(figures.categories.items())},
    }


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
