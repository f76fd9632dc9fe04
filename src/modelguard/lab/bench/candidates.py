"""The ways of handling events that the throughput benchmark compares.

It decides what each candidate is, and which part of its work is timed:

- `Direct`: the allocation service called per event, no broker (the limit),
  with the idempotency guard if asked;
- `ThroughBroker`: a worker variant behind the in-memory broker and one
  `RetryingConsumer`, no faults; publishing is not timed, only the worker's side.
"""

from __future__ import annotations

import importlib
import time

import mongoengine

from modelguard.academy.workers.allocation import VARIANTS as VARIANTS_BY_NAME
from modelguard.bootstrap import new_worker, open_broker
from modelguard.lab.bench.shapes import CandidateFigures
from modelguard.lab.scenarios import create_topics, publish_events
from modelguard.messaging.consumer import RetryingConsumer
from modelguard.messaging.idempotency import COLLECTION, IdempotencyGuard
from modelguard.messaging.outcome import Outcome


class Candidate:
    """One way of handling events: set up once, then batch by batch, timed in `run` only."""

    name: str
    # Batches run before the clock and the memory baseline: allocator arenas, caches and
    # lazily built indexes settle in the first few hundred events.
    warmup_batches = 4

    def setup(self) -> None:
        """Start the candidate's "process": load what it loads at start-up."""

    def begin(self) -> None:
        """The warm-up is over: count from here."""

    def stage(self, events: list) -> None:
        """Get a batch ready (untimed)."""

    def run(self) -> None:
        """Handle the staged batch (timed)."""

    def finish(self) -> None:
        """Tidy up after a batch (untimed)."""

    def figures(self) -> CandidateFigures:
        """What the candidate counted beyond its speed."""
        return CandidateFigures()


class Direct(Candidate):
    """AllocationService.allocate per event, no broker; with the idempotency guard if asked."""

    def __init__(self, *, idempotent: bool) -> None:
        self.name = "direct_idempotent" if idempotent else "direct"
        self.idempotent = idempotent
        self.events: list = []

    def setup(self) -> None:
        # By name, not `from package import`: after fresh_process() that would hand back
        # the forgotten module objects instead of registering the models again.
        importlib.import_module("modelguard.academy.models")  # noqa: MG006 -- run for its side effect: registers the models
        services = importlib.import_module("modelguard.academy.services.allocation")
        self.service = services.AllocationService()
        self.guard = None
        if self.idempotent:
            self.guard = IdempotencyGuard(mongoengine.get_db()[COLLECTION], "bench")

    def stage(self, events: list) -> None:
        self.events = events

    def run(self) -> None:
        for event in self.events:
            if self.guard is not None and self.guard.seen(event.event_id):
                continue
            self.service.allocate(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
            if self.guard is not None:
                self.guard.mark(event.event_id)


class ThroughBroker(Candidate):
    """A worker variant behind the in-memory broker and one RetryingConsumer, no faults.

    Each batch gets a new broker, published before the clock starts: the worker's
    side is what is timed, and the broker's logs do not pile up in the memory figures.
    """

    def __init__(self, variant: str) -> None:
        self.name = variant
        if VARIANTS_BY_NAME[variant].loading == "per-call":
            self.warmup_batches = 1  # it grows with every event anyway; keep the run short
        self.outcomes: dict[str, int] = {Outcome.SUCCEEDED: 0, Outcome.DEAD_LETTERED: 0}
        self._target = 0

    def setup(self) -> None:
        self.worker = new_worker(self.name)
        started = time.perf_counter()
        self.worker.initialize()
        self.startup_ms = round((time.perf_counter() - started) * 1000, 1)

    def begin(self) -> None:
        self._before = dict(self.outcomes)
        self._loads_before = self.worker.build.loads

    def stage(self, events: list) -> None:
        self.bus = open_broker("memory")
        create_topics(self.bus, "bench", partitions=4)
        publish_events(self.bus, "bench", events)
        self.consumer = RetryingConsumer(self.bus, "bench", "bench", self.worker.allocate_trainer,
                                         on_attempt=self._count)  # fmt: skip
        self._target = sum(self.outcomes.values()) + len(events)

    def run(self) -> None:
        while sum(self.outcomes.values()) < self._target:
            self.consumer.poll_once(0.01)

    def finish(self) -> None:
        self.consumer.close()
        self.bus.close()

    def figures(self) -> CandidateFigures:
        """Outcomes and service loads of the timed events; loads at start-up are apart."""
        now, before = self.outcomes, self._before
        return CandidateFigures(
            succeeded=now[Outcome.SUCCEEDED] - before[Outcome.SUCCEEDED],
            dead_lettered=now[Outcome.DEAD_LETTERED] - before[Outcome.DEAD_LETTERED],
            service_loads=self.worker.build.loads - self._loads_before,
            startup_ms=self.startup_ms,
        )

    def _count(self, attempt) -> None:
        if attempt.outcome in self.outcomes:
            self.outcomes[attempt.outcome] += 1
