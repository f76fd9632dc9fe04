"""The processes executor: worker processes as the OS runs them, on Kafka.

It decides:

- isolation: every run is a `KafkaRun`: new topics, a report topic, and a database of
  its own on the MONGODB_URI server, left with the topics and tagged with the run id
  (separate processes cannot share a mongomock, so a run without MONGODB_URI is
  refused with MissingDatabase);
  the deadline stays the runner's;
- the workers: `python -m modelguard.entrypoints.worker` processes of one group, one
  member each, never threads of this process; they learn their database from
  MONGODB_URI and their injected failures from --faults;
- counting across processes: every worker publishes each attempt, with its process's
  compilations and service loads, to the report topic, which `pump` reads into the
  run's AttemptLog; at the end the workers get SIGTERM;
- a kill: SIGKILL of the oldest running worker; `pump` starts a new process in its
  place, which resumes from the group's committed offsets once Kafka has declared
  the dead member gone. An attempt in hand at the SIGKILL never reports: on Kafka the
  killed attempt is seen only as the redelivery that follows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from modelguard.bootstrap import open_broker
from modelguard.config import require_database_uri
from modelguard.lab.fault_arguments import faults_argument
from modelguard.lab.kafka_run import KafkaRun
from modelguard.lab.outcomes import AttemptLog
from modelguard.lab.scenarios.executor import Crew, Executor, Job, World
from modelguard.messaging.port import Broker


class ProcessesExecutor(Executor):
    broker = "kafka"

    def __init__(self) -> None:
        self.uri = require_database_uri()
        self._bus: Broker | None = None
        self._runs: dict[str, KafkaRun] = {}

    @property
    def bus(self) -> Broker:
        if self._bus is None:
            self._bus = open_broker("kafka")
        return self._bus

    @contextmanager
    def world(self, run_id: str) -> Iterator[World]:
        # The runner keeps its own deadline, so the run has none.
        with KafkaRun(run_id, drill="scenario", bus=self.bus, uri=self.uri) as run:
            self._runs[run_id] = run
            try:
                yield World(run_id, self.bus, run.database)
            finally:
                del self._runs[run_id]

    def crew(self, world: World, job: Job, log: AttemptLog) -> ProcessesCrew:
        return ProcessesCrew(self._runs[world.run_id], job, log)

    def close(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.close()


class ProcessesCrew(Crew):
    def __init__(self, run: KafkaRun, job: Job, log: AttemptLog) -> None:
        if not isinstance(job.worker, str):
            raise TypeError(
                f"a worker process runs an allocation worker variant by name, not {job.name!r}; "
                "a worker under test runs on the memory broker"
            )
        if (job.topic, job.group) != (run.topic, run.group):
            raise ValueError(f"{job.name}: the job's topic and group are not run {run.run_id}'s")
        self.inbox = run.open_inbox(log)
        self.workers = run.workers(
            job.worker, policy=job.policy, faults=faults_argument(job.fail_attempts)
        )
        self._to_replace = 0
        self._stopped = False

    def launch(self, consumers: int, *, held: bool = False) -> None:
        # An OS process polls Kafka from its start; how records fall into its batches is
        # the broker's timing, so `held` cannot be honoured here.
        for _ in range(consumers):
            self.workers.start()

    def kill(self) -> None:
        running = self.workers.running()
        if running:
            self.workers.kill(running[0])
            self._to_replace += 1

    def pump(self, timeout_s: float) -> None:
        self.inbox.read(timeout_s)
        while self._to_replace:
            self.workers.start()  # the new process resumes from the committed offsets
            self._to_replace -= 1

    def alive(self) -> bool:
        return bool(self.workers.running()) or self._to_replace > 0

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            self.workers.__exit__()
        finally:
            self.inbox.close()

    @property
    def processes(self) -> int:
        return len(self.workers.started)

    def compilations(self) -> dict[str, int]:
        return dict(sorted(self.inbox.compilations().items()))

    def service_loads(self) -> int:
        return self.inbox.service_loads()

    def metrics(self) -> list[dict[str, float]]:
        return self.inbox.metrics()
