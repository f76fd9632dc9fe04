"""One benchmark run: which candidates share a process, and the figures it reports.

It decides:

- the processes: direct, direct with the guard and the fixed worker share one
  (all guarded, so they can be interleaved); an unguarded or per-call variant
  needs a process of its own, and the buggy one a shorter run;
- the database: the embedded figures are the embedded default's, on mongomock
  even where MONGODB_URI names a server; only the real-Kafka run uses it;
- the machine it ran on, since other work on it slows every candidate.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from contextlib import contextmanager
from typing import Any, Literal, cast

from modelguard import db
from modelguard.lab.bench.candidates import Candidate, Direct, ThroughBroker
from modelguard.lab.bench.kafka import WORKERS, kafka_throughput
from modelguard.lab.bench.micro import micro
from modelguard.lab.bench.shapes import BenchReport, DatabaseLimit, Growth, Machine, RunFigures
from modelguard.lab.bench.targets import kafka_ratios, ratios, targets
from modelguard.lab.bench.throughput import measure

# The figures of `Growth` the report also gives per process, side by side.
PerProcessFigure = Literal[
    "memory_growth_kb", "modules_added", "model_classes_alive", "service_classes_alive"
]


def run_bench(
    events: int = 2000,
    kafka: str | None = None,
    *,
    batch: int = 50,
    buggy_events: int | None = None,
    repeat: int = 11,
    kafka_events: int | None = None,
    progress: bool | None = None,
) -> BenchReport:
    """Measure everything once; `kafka="auto"` adds real Kafka when it is there.

    `buggy_events` (default: up to 200) bounds the buggy run, which reloads the build
    five times per event, and `kafka_events` (default: up to 1,000) each real-Kafka run
    and the database limit beside them; `repeat` is the micro-benchmarks' number of
    rounds.
    """
    if events < 1 or batch < 1:
        raise ValueError("events and batch must be at least 1")
    from tqdm import tqdm

    buggy_events = min(events, 200) if buggy_events is None else buggy_events
    started = time.monotonic()
    bar = tqdm(total=6 * events + buggy_events, desc="bench", unit="ev", file=sys.stderr,
               disable=None if progress is None else not progress)  # fmt: skip
    runs: dict[str, RunFigures] = {}
    memory: dict[str, Growth] = {}
    with bar, _embedded():
        bar.set_postfix_str("micro-benchmarks")
        # Built in steps, since the ratios and targets read the figures before them; the
        # shape test checks it has exactly BenchReport's keys.
        result: dict[str, Any] = {
            "events": events,
            "batch": batch,
            "machine": machine(),
            **micro(repeat),
        }
        # direct and fixed share one process (both guarded), so they can be interleaved;
        # an unguarded or per-call variant needs a process of its own.
        groups: list[tuple[str, list[Candidate]]] = [
            ("fixed", [Direct(idempotent=False), Direct(idempotent=True), ThroughBroker("fixed")]),
            ("cache-only", [ThroughBroker("cache-only")]),
            ("guard-only", [ThroughBroker("guard-only")]),
            ("buggy", [ThroughBroker("buggy")]),
        ]
        for variant, candidates in groups:
            bar.set_postfix_str(", ".join(c.name for c in candidates))
            count = buggy_events if variant == "buggy" else events
            figures, memory[variant] = measure(candidates, count, batch, bar.update)
            runs.update(figures)
    rate = {name: run["events_per_s"] for name, run in runs.items()}

    def per_process(figure: PerProcessFigure) -> dict[str, int | None]:
        return {name: m[figure] for name, m in memory.items()}

    result.update(
        {
            "direct_events_per_s": rate["direct"],
            "direct_idempotent_events_per_s": rate["direct_idempotent"],
            "fixed_events_per_s": rate["fixed"],
            "guard_only_events_per_s": rate["guard-only"],
            "cache_only_events_per_s": rate["cache-only"],
            # The buggy worker allocates nothing: this is how fast it dead-letters.
            "buggy_events_per_s": rate["buggy"],
            "buggy_events_per_s_means": "events dead-lettered per second, 5 failed attempts each",
            "buggy_events": buggy_events,
            "memory_growth_kb": per_process("memory_growth_kb"),
            "memory": memory,
            "modules_added": per_process("modules_added"),
            "model_classes_alive": per_process("model_classes_alive"),
            "service_classes_alive": per_process("service_classes_alive"),
            "memory_note": "resident set size after gc, end of warm-up to end of run; fixed "
            "ran in one process with direct and direct_idempotent, so its figure covers all three",
            "runs": runs,
        }
    )
    result["ratios"] = ratios(result)
    limit: list[DatabaseLimit] = []
    if kafka == "auto":
        kafka_events = min(events, 1000) if kafka_events is None else kafka_events
        result["kafka_events"] = kafka_events
        result["kafka_database"] = db.target()  # the password, if any, redacted
        result["kafka_events_per_s"], note = kafka_throughput(kafka_events, limit=limit)
    else:
        result["kafka_events_per_s"] = {str(n): None for n in WORKERS}
        note = "not requested"
    result["kafka_note"] = note or None
    result["database_limit_events_per_s"] = limit[0]["events_per_s"] if limit else None
    result["database_limit"] = limit[0] if limit else None
    result["kafka_ratios"] = kafka_ratios(result)
    result["targets"] = targets(result)
    result["duration_s"] = round(time.monotonic() - started, 1)
    return cast(BenchReport, result)


def machine() -> Machine:
    cpu = platform.processor() or None
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")),
                       cpu)  # fmt: skip
    except OSError:
        pass
    return Machine(
        nproc=os.cpu_count(),
        cpu=cpu,
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        platform=platform.platform(terse=True),
        # Other work on the machine slows every candidate; interleaving evens that out.
        load_average=_load_average(),
    )


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


@contextmanager
def _embedded():
    """mongomock, even where MONGODB_URI names a server: the embedded figures are the
    embedded default's; only the real-Kafka run uses the server."""
    saved = os.environ.pop("MONGODB_URI", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["MONGODB_URI"] = saved
