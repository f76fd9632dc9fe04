"""Scenario results: what happened to every event, gathered from the consumers' reports.

`AttemptLog` collects the consumers' `Attempt` reports (from several threads),
knows when every event has settled, and runs an action once a given number have
(the scenarios' restart trigger). An attempt a crash cut short is reported with
the outcome `Outcome.CRASHED`: it counts, and it settles nothing. `ScenarioResult` is the
JSON entry of one scenario of `modelguard scenarios --json`; every number in it
is counted from the reports and the database, never written down in advance, and
`duplicate_allocations` is how the database is read for work done twice.

`ScenarioJson` and `VariantRun` name the JSON shapes: one scenario, and the four
scenarios of one worker (`run_variant`, `modelguard scenarios --json`). They are
TypedDicts, so the notebooks and the figures go on reading plain dicts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict, cast

from modelguard.messaging.consumer import Attempt
from modelguard.messaging.outcome import TERMINAL, Outcome


class AttemptLog:
    def __init__(self, event_ids: list[str]) -> None:
        self.event_ids = list(event_ids)
        self._expected = frozenset(self.event_ids)
        self.attempts: list[Attempt] = []
        self._settled: set[str] = set()
        self._lock = threading.Lock()
        self._all_settled = threading.Event()
        self._triggers: list[tuple[int, Callable[[], None]]] = []
        if not self.event_ids:
            self._all_settled.set()

    def when_settled(self, count: int, action: Callable[[], None]) -> None:
        """Run `action` once, on the reporting thread, as the `count`-th event settles."""
        with self._lock:
            self._triggers.append((count, action))

    def __call__(self, attempt: Attempt) -> None:
        due: list[Callable[[], None]] = []
        with self._lock:
            self.attempts.append(attempt)
            if attempt.outcome in TERMINAL and attempt.event_id in self._expected:
                self._settled.add(attempt.event_id)
                if self._settled.issuperset(self.event_ids):
                    self._all_settled.set()
                due = [action for count, action in self._triggers if count <= len(self._settled)]
                self._triggers = [t for t in self._triggers if t[0] > len(self._settled)]
        for action in due:  # outside the lock: an action may report, or wait
            action()

    def settled(self) -> int:
        with self._lock:
            return len(self._settled)

    def all_settled(self) -> bool:
        return self._all_settled.is_set()


class EventOutcomeJson(TypedDict):
    event_id: str
    attempts: int
    outcome: str  # an Outcome
    errors: list[str]


class ScenarioJson(TypedDict):
    """`ScenarioResult.to_json()`: one key per field of the dataclass."""

    name: str
    events: int
    succeeded: int
    dead_lettered: int
    attempts: int
    errors: dict[str, int]
    duplicates: int
    per_event: list[EventOutcomeJson]
    compilations: dict[str, int]
    service_loads: int
    processes: int
    duration_s: float
    timeline: list[dict[str, Any]]
    metrics: list[dict[str, float]]
    topic: str
    dlq: DlqCountJson


class DlqCountJson(TypedDict):
    """What a scenario's DLQ holds when it ends: records, and distinct events (records
    dead-lettered from the same origin record are one event). `records` exceeds `events`
    when a crash redelivered a batch whose records were already dead-lettered; `events`
    exceeds the scenario's `dead_lettered` (events whose final outcome is the DLQ) by
    the stale dead letters, events a later delivery applied."""

    records: int
    events: int


class VariantRun(TypedDict):
    """The four scenarios of one worker, as `run_variant` returns them."""

    variant: str
    broker: str
    policy: str
    scenarios: list[ScenarioJson]


@dataclass
class EventOutcome:
    event_id: str
    attempts: int
    outcome: Outcome  # SUCCEEDED, DEAD_LETTERED or PENDING (never settled)
    errors: list[str]


@dataclass
class ScenarioResult:
    name: str
    events: int
    succeeded: int
    dead_lettered: int
    attempts: int
    errors: dict[str, int]
    duplicates: int
    per_event: list[EventOutcome]
    compilations: dict[str, int]
    service_loads: int = 0
    processes: int = 1
    duration_s: float = 0.0
    timeline: list[dict] = field(default_factory=list)
    # One entry per worker process: its Prometheus samples when it stopped.
    metrics: list[dict[str, float]] = field(default_factory=list)
    topic: str = ""  # the scenario's topic; on Kafka its DLQ stays for the DLQ tools
    dlq: DlqCountJson = field(default_factory=lambda: DlqCountJson(records=0, events=0))

    @classmethod
    def from_log(cls, name: str, log: AttemptLog, **extra: Any) -> ScenarioResult:
        by_event: dict[str, list[Attempt]] = {event_id: [] for event_id in log.event_ids}
        for attempt in log.attempts:
            if attempt.event_id in by_event:
                by_event[attempt.event_id].append(attempt)
        per_event = [_event_outcome(event_id, tried) for event_id, tried in by_event.items()]
        errors = Counter(a.error_class for a in log.attempts if a.error_class)
        return cls(
            name=name,
            events=len(per_event),
            succeeded=sum(e.outcome == Outcome.SUCCEEDED for e in per_event),
            dead_lettered=sum(e.outcome == Outcome.DEAD_LETTERED for e in per_event),
            attempts=len(log.attempts),
            errors=dict(errors.most_common()),
            per_event=per_event,
            timeline=[{k: v for k, v in asdict(a).items() if k != "error"} for a in log.attempts],
            **extra,
        )

    def to_json(self) -> ScenarioJson:
        return cast(ScenarioJson, asdict(self))


def duplicate_allocations(database: Any) -> int:
    """Allocations applied more than once: extra documents per purchase, or extra load."""
    per_purchase = database["allocations"].aggregate(
        [{"$group": {"_id": "$purchase_id", "n": {"$sum": 1}}}, {"$match": {"n": {"$gt": 1}}}]
    )
    extra_documents = sum(doc["n"] - 1 for doc in per_purchase)
    allocations = database["allocations"].count_documents({})
    load = sum(doc.get("load", 0) for doc in database["users"].find({"role": "trainer"}))
    return extra_documents + max(0, load - allocations)


def _event_outcome(event_id: str, tried: list[Attempt]) -> EventOutcome:
    final = next((a.outcome for a in reversed(tried) if a.outcome in TERMINAL), Outcome.PENDING)
    return EventOutcome(
        event_id=event_id,
        attempts=len(tried),
        outcome=final,
        errors=[a.error_class for a in tried if a.error_class],
    )
