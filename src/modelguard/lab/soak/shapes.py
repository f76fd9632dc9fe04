"""The soak report's JSON shape: what `run_soak` returns and `soak --json` prints.

Both brokers report the figures of `SoakFigures`, the ones the verdict and the table
read; each drill adds its own (`EmbeddedSoak`, `ProcessSoak`), and `run_soak` adds the
verdict, `ok` (`EmbeddedSoakReport`, `ProcessSoakReport`). `Tally` is what the process
drill reads from the database and the DLQ. They are TypedDicts: the notebooks and the
CLI go on reading plain dicts, and mypy checks the writers against them.

The counts by fate (`processed`, `dead_lettered`, `lost`) are keyed by `Fate`'s values,
so they are written with the keyword constructors, never as string keys.
"""

from __future__ import annotations

from typing import TypedDict


class PartsJson(TypedDict):
    """`Parts.to_json()`: one key per part of the drill."""

    bad_records: bool
    kills: int
    restart_broker: bool
    database_outage: bool
    replay: bool


class _Fates(TypedDict):
    """Records by fate, one key per `Fate`."""

    processed: int
    dead_lettered: int
    lost: int


class _Accounted(_Fates):
    """What both drills read of the records' fates and of the database."""

    duplicates: int
    unexpected: int
    allocations_missing: int
    dead_letters_without_reason: int
    replay_unexpected: int
    purchases: int
    allocations: int
    dead_letters: int
    attempts: dict[str, int]  # handler attempts by Outcome
    dead_letter_reasons: dict[str, int]  # by error class
    categories: dict[str, dict[str, int]]  # records of each category by fate


class Tally(_Accounted):
    """`fates.tally`: the process drill's figures read from the database and the DLQ."""

    dead_lettered_events: int
    replayed_succeeded: int
    replayed_dead_lettered: int
    errors: dict[str, int]


class _Drilled(TypedDict):
    """What the drill did to the worker processes, the broker and the database."""

    crashes: int  # worker processes that died of something other than a planned kill
    replayed: int  # records the replay put back
    kills: int
    broker_restarts: int
    database_outage_s: float


class SoakFigures(_Accounted, _Drilled):
    """The figures of either broker's soak, before its verdict."""

    broker: str
    seed: int
    records: int
    parts: PartsJson
    processes: int
    duration_s: float
    records_per_s: float


class EmbeddedFigures(_Accounted, _Drilled):
    """`embedded._figures`: what the rounds counted of the records, handler and processes."""

    handler_results: dict[str, int]  # the handler's results by kind
    crash_errors: dict[str, int]  # unplanned crashes by error class
    events_on_several_consumers: int


class EmbeddedSoak(SoakFigures, EmbeddedFigures):
    """`run_embedded_soak`: the soak in rounds on the embedded broker."""

    consumers: int
    rounds: int


class ProcessSoak(SoakFigures, Tally):
    """`run_process_soak`: the soak with worker processes on Kafka."""

    dead_lettered_in_outage: int
    run_id: str  # names its topics, its groups and its database, which the run leaves
    topic: str
    database: str
    groups: list[str]  # every consumer group the run used: the workers', the replayer's
    dlq_events: int  # distinct events in the DLQ (origins); dead_letters counts records
    replay_skipped: dict[str, dict[str, int]]  # records the replay left out, by reason
    plan: list[tuple[int, str]]  # (events settled, action) steps of the drill
    timings_s: dict[str, float]


class _Verdict(TypedDict):
    ok: bool


class EmbeddedSoakReport(EmbeddedSoak, _Verdict):
    """`run_soak` on the embedded broker."""


class ProcessSoakReport(ProcessSoak, _Verdict):
    """`run_soak` on Kafka."""


SoakReport = EmbeddedSoakReport | ProcessSoakReport
