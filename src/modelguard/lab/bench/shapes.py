"""The benchmark report's JSON shape: what `run_bench` returns and `bench --json` prints.

Each part has its type: the machine (`Machine`), the micro-benchmarks (`Micro`), a
memory snapshot and a process's growth (`Snapshot`, `Growth`), a candidate's run
(`RunFigures`), the database limit (`DatabaseLimit`), the ratios and the targets; the
whole is `BenchReport`. They are TypedDicts: the notebooks and the CLI go on reading
plain dicts, and mypy checks the writers and the table against them.

A worker's outcome counts (`succeeded`, `dead_lettered`) are keyed by `Outcome`'s
values, so they are written with the keyword constructor, never as string keys.
"""

# No `from __future__ import annotations`: TypedDict reads NotRequired from evaluated
# annotations, and strings would make every key required at runtime.
from typing import NotRequired, TypedDict


class Machine(TypedDict):
    nproc: int | None
    cpu: str | None
    python: str
    implementation: str
    platform: str
    load_average: list[float] | None


class Micro(TypedDict):
    """Nanoseconds per call, the fastest of the repeats."""

    guard_access_ns: float
    dict_get_ns: float
    guard_access_ratio: float
    define_hit_ns: int
    define_hit_identical_ns: int


class Snapshot(TypedDict):
    rss_kb: int | None
    modules: int
    model_classes: int
    service_classes: int


class Growth(TypedDict):
    """One process's memory from the end of its warm-up to the end of its run."""

    memory_growth_kb: int | None
    second_half_growth_kb: int | None
    second_half_events: int
    modules_added: int
    model_classes_alive: int
    service_classes_alive: int


class CandidateFigures(TypedDict, total=False):
    """What a candidate counts beyond its speed: a worker behind the broker counts these,
    a direct call nothing."""

    succeeded: int
    dead_lettered: int
    service_loads: int
    startup_ms: float


class RunFigures(CandidateFigures):
    """One candidate's timed run."""

    events: int
    seconds: float
    events_per_s: float | None


class DatabaseLimit(TypedDict):
    """The fixed handler called directly on the server, no broker."""

    events: int
    events_per_s: float
    ms_per_event: float
    round_trips_per_event: float
    round_trips_by_command: dict[str, float]
    ms_per_event_in_round_trips: float
    ms_per_event_in_python: float


class Ratios(TypedDict):
    fixed_over_direct: float | None
    fixed_over_direct_idempotent: float | None
    guard_only_over_fixed: float | None
    cache_only_over_fixed: float | None
    guard_access_ratio: float


# Keys that are not identifiers: 1 worker against the limit, 2 and 4 workers against 1
# (`kafka.WORKERS`); the split of one worker's time, once both rates are measured.
KafkaRatios = TypedDict(
    "KafkaRatios",
    {
        "1_worker_over_database_limit": float | None,
        "2_over_1": float | None,
        "4_over_1": float | None,
        "database_ms_per_event": NotRequired[float],
        "consumer_and_broker_ms_per_event": NotRequired[float],
    },
)


class Target(TypedDict):
    target: str
    measured: float | str | None
    met: bool | None  # None: not measured


class BenchReport(Micro):
    events: int
    batch: int
    machine: Machine
    direct_events_per_s: float | None
    direct_idempotent_events_per_s: float | None
    fixed_events_per_s: float | None
    guard_only_events_per_s: float | None
    cache_only_events_per_s: float | None
    buggy_events_per_s: float | None
    buggy_events_per_s_means: str
    buggy_events: int
    # The per-process figures are keyed by the process's worker variant.
    memory_growth_kb: dict[str, int | None]
    memory: dict[str, Growth]
    modules_added: dict[str, int]
    model_classes_alive: dict[str, int]
    service_classes_alive: dict[str, int]
    memory_note: str
    runs: dict[str, RunFigures]  # by candidate
    ratios: Ratios
    kafka_events: NotRequired[int]  # only when real Kafka was asked for
    kafka_database: NotRequired[str]
    kafka_events_per_s: dict[str, float | None]  # by number of workers
    kafka_note: str | None
    database_limit_events_per_s: float | None
    database_limit: DatabaseLimit | None
    kafka_ratios: KafkaRatios
    targets: list[Target]
    duration_s: float
