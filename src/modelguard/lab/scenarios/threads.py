"""The threads executor: worker processes simulated inside this one, on the memory broker.

It decides what a simulated worker process is and how it dies:

- a process starts as a new one would (`fresh_process`: no model compiled, no platform
  module cached), builds its worker, initializes it once, and runs its consumers, one
  thread each, as members of the run's group;
- held (`launch(held=True)`, as the scenario runner launches), the first process's
  consumers join the group at once but poll only once every event is published
  (`published()`), so the batches they poll (every event there is, in an order the
  event keys decide, 100 at most) are the same in every run. Left free to poll during
  the publishing, a consumer takes whatever part of the events the publisher has
  written so far, and where a kill cuts the batches (how much is left uncommitted and
  delivered again) would follow thread timing, not the scenario;
- a kill is a `WorkerCrash` raised at the end of the process's next attempt (the
  allocation done, nothing committed); it takes every consumer of the process with
  it. Nothing says goodbye: no consumer is closed, no member leaves the group, the
  records in hand stay uncommitted. The attempt it cut short is reported, as
  `Outcome.CRASHED`, so that it counts;
- the take-over: the supervisor (`pump`) waits until the dead process's threads have
  stopped, lets the broker's session timeout pass (the broker's clock is moved on by
  it, so that no test waits 45 s), and starts a new process: its members' joins find
  the dead members silent for too long, the broker drops them, and the new process
  resumes from the committed offsets;
- the counts: each process's compilations are read from the registry before the
  next process resets it, its service loads from its worker, and its metrics (the
  counters `python -m modelguard worker --metrics-port` serves) as it stopped.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from modelguard import registry
from modelguard.bootstrap import fresh_process, memory_broker, worker_metrics
from modelguard.lab.databases import clean_database
from modelguard.lab.faults import FaultPlan, SkippingClock, WorkerCrash
from modelguard.lab.outcomes import AttemptLog
from modelguard.lab.scenarios.executor import Crew, Executor, Job, World
from modelguard.lab.under_test import allocation_worker
from modelguard.messaging.consumer import Attempt, RetryingConsumer
from modelguard.messaging.drivers.memory import MemoryBroker
from modelguard.messaging.outcome import Outcome
from modelguard.messaging.policy import POLICIES

# A clean stop waits for each consumer's poll to return: keep the poll short.
POLL_S = 0.01
# How often the supervisor looks whether the run is over: a scenario on the memory broker
# settles in tens of milliseconds, so waiting out the runner's whole slice would cost more
# than the run.
WAKE_S = 0.005


@dataclass(frozen=True)
class MemoryWorld(World):
    bus: MemoryBroker
    clock: SkippingClock | None = None  # a kill needs it: the session timeout is skipped


class ThreadsExecutor(Executor):
    broker = "memory"

    @contextmanager
    def world(self, run_id: str) -> Iterator[MemoryWorld]:
        fresh_process()  # the runner seeds in a registry no earlier run compiled into
        database = clean_database()
        clock = SkippingClock()
        with memory_broker(clock) as bus:
            yield MemoryWorld(run_id, bus, database, clock)

    def crew(self, world: World, job: Job, log: AttemptLog) -> ThreadsCrew:
        if not isinstance(world, MemoryWorld):
            raise TypeError(f"the threads executor runs in its own worlds, not {world!r}")
        return ThreadsCrew(world, job, log)


class SimulatedProcess:
    """One worker process: its worker, and one consumer thread per group member."""

    def __init__(
        self,
        number: int,
        bus: MemoryBroker,
        job: Job,
        log: AttemptLog,
        consumers: int,
        go: threading.Event,
    ) -> None:
        fresh_process()  # a new process has loaded no model and no service
        self.faults = FaultPlan(fail_attempts=dict(job.fail_attempts))
        under_test = (
            job.worker if not isinstance(job.worker, str) else allocation_worker(job.worker)
        )
        self.worker = under_test.make(self.faults)
        self.metrics = worker_metrics(self.worker)
        self.worker.initialize()
        self.log = log
        self.crashed = threading.Event()
        self._stopping = threading.Event()
        self._go = go  # set: the consumers may poll
        # Every member joins before any polls, so the group rebalances once, up front,
        # instead of taking partitions away from consumers with records in hand.
        self.members = [
            RetryingConsumer(
                bus,
                job.topic,
                job.group,
                self.metrics.timed(self.worker.handle),
                policy=POLICIES[job.policy],
                on_attempt=self.report,
                name=f"process-{number}.consumer-{index}",
            )  # fmt: skip
            for index in range(consumers)
        ]
        self._threads = [
            threading.Thread(target=self._consume, args=(member,), daemon=True)
            for member in self.members
        ]
        for thread in self._threads:
            thread.start()

    def report(self, attempt: Attempt) -> None:
        self.metrics.observe(attempt)
        self.log(attempt)

    def _consume(self, member: RetryingConsumer) -> None:
        while not self._go.wait(POLL_S):
            if self._stopping.is_set():
                member.close()
                return
        try:
            while not (self._stopping.is_set() or self.crashed.is_set()):
                member.poll_once(POLL_S)
        except WorkerCrash as crash:
            self.report(
                Attempt(crash.event_id, crash.attempt, Outcome.CRASHED, consumer=member.name)
            )
            self.crashed.set()
            for other in self.members:
                other.stop()  # the whole process dies: every record in hand stays uncommitted
            return
        if not self.crashed.is_set():
            member.close()  # a clean stop leaves the group; a crash never does

    def stop(self) -> None:
        self._stopping.set()
        for member in self.members:
            member.stop()
        self.join()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()


class ThreadsCrew(Crew):
    def __init__(self, world: MemoryWorld, job: Job, log: AttemptLog) -> None:
        self.bus, self.clock, self.job, self.log = world.bus, world.clock, job, log
        self._consumers = 1
        self._current: SimulatedProcess | None = None
        self._started = 0
        self._compilations: Counter[str] = Counter()
        self._loads = 0
        self._metrics: list[dict[str, float]] = []
        self._go = threading.Event()

    def launch(self, consumers: int, *, held: bool = False) -> None:
        self._consumers = consumers
        if not held:
            self._go.set()
        self._start()

    def published(self) -> None:
        self._go.set()

    def kill(self) -> None:
        if self._current is not None:
            self._current.faults.crash_next()

    def pump(self, timeout_s: float) -> None:
        current = self._current
        if current is None or not self._crashed_within(current, timeout_s):
            return
        current.join()  # the other consumers stop at their next record
        self._count(current)
        self._let_the_session_time_out()
        self._start()

    def alive(self) -> bool:
        return self._current is not None

    def _crashed_within(self, current: SimulatedProcess, timeout_s: float) -> bool:
        """Whether `current` crashed within `timeout_s`; False as soon as every event settled."""
        deadline = time.monotonic() + timeout_s
        while not self.log.all_settled():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if current.crashed.wait(min(WAKE_S, left)):
                return True
        return current.crashed.is_set()

    def stop(self) -> None:
        current, self._current = self._current, None
        if current is not None:
            current.stop()
            self._count(current)

    @property
    def processes(self) -> int:
        return self._started

    def compilations(self) -> dict[str, int]:
        return dict(sorted(self._compilations.items()))

    def service_loads(self) -> int:
        return self._loads

    def metrics(self) -> list[dict[str, float]]:
        return list(self._metrics)

    def _start(self) -> None:
        self._started += 1
        self._current = SimulatedProcess(
            self._started, self.bus, self.job, self.log, self._consumers, self._go
        )

    def _let_the_session_time_out(self) -> None:
        if self.clock is None:
            raise RuntimeError("a killed process needs a broker on a SkippingClock")
        self.clock.skip(self.bus.session_timeout_ms + 1)

    def _count(self, process: SimulatedProcess) -> None:
        self._compilations |= registry.compilations  # per process: the largest count wins
        self._loads += process.worker.service_loads
        self._metrics.append(process.metrics.snapshot())
