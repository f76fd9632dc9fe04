"""The four scenarios over the network: real Kafka, a MongoDB-wire server, worker processes.

The scenarios (`scenarios.scenarios()`), the counting (`AttemptLog`, `ScenarioResult`)
and the JSON object are those of the embedded run; what changes is who does the work.
This module decides:

- isolation: every scenario gets new topics (4 partitions for the topic and its retry
  topic) and a database of its own on the MONGODB_URI server, dropped afterwards;
- timing: the events are published once every worker of the scenario holds partitions,
  so that concurrent_events is handled by all of them at once;
- the workers: separate `python -m modelguard.entrypoints.worker` processes of one
  group, never threads of this one; they learn their database from MONGODB_URI and
  their injected failures from --faults;
- counting across processes: every worker publishes each attempt, with its process's
  compilations and service loads, to a report topic that this runner reads until
  every event has settled or the time is up; then the workers get SIGTERM;
- worker_restart: once about half the events have settled, the worker gets SIGKILL,
  and a new process resumes from the group's committed offsets.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

import kafka
import kafka.errors

from modelguard import db
from modelguard.bootstrap import open_broker
from modelguard.config import VARIANTS, require_database_uri, run_names
from modelguard.entrypoints.worker import faults_argument
from modelguard.lab.outcomes import AttemptLog, ScenarioResult
from modelguard.lab.scenarios import Scenario, duplicate_allocations, publish_events, scenarios
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.consumer import Attempt
from modelguard.messaging.drivers.kafka import KafkaBroker
from modelguard.messaging.policy import POLICIES
from modelguard.messaging.port import BrokerError

log = logging.getLogger(__name__)

PARTITIONS = 4
STOP_WAIT_S = 30.0


def run_variant_on_kafka(
    variant: str,
    *,
    events: int = 50,
    consumers: int = 2,
    policy: str = "seed",
    timeout_s: float = 120.0,
    on_scenario: Callable[[ScenarioResult], None] = lambda result: None,
) -> dict:
    """All four scenarios for `variant` on Kafka; the JSON object of DESIGN.md.

    `consumers` is the number of worker processes in concurrent_events (at least 2);
    `timeout_s` bounds each scenario.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    uri = require_database_uri()
    results = []
    with open_broker("kafka") as bus:
        for scenario in scenarios(events, max(2, consumers)):
            result = run_scenario_on_kafka(
                scenario, variant, bus=bus, uri=uri, policy=policy, timeout_s=timeout_s
            )
            on_scenario(result)
            results.append(result.to_json())
    return {"variant": variant, "broker": "kafka", "policy": policy, "scenarios": results}


def run_scenario_on_kafka(
    scenario: Scenario,
    variant: str,
    *,
    bus: KafkaBroker,
    uri: str,
    policy: str = "seed",
    timeout_s: float = 120.0,
) -> ScenarioResult:
    started = time.monotonic()
    run_id = f"{scenario.name}-{uuid.uuid4().hex[:8]}"
    database_name = f"mg_{run_id.replace('-', '_')}"
    database = fresh_database(uri, database_name)
    events = purchases(scenario.events, seed_academy(), prefix=run_id)
    attempts = AttemptLog([e.event_id for e in events])
    topic, group, reports = run_names(run_id)
    bus.create_topic(reports, 1)
    publish_events(bus, topic, [], partitions=PARTITIONS)  # the topics, for the workers to join
    command = worker_command(
        variant, topic, group, policy=policy, report_topic=reports,
        faults=faults_argument({e.event_id: scenario.failing_attempts for e in events}),
    )  # fmt: skip
    restart_after = max(1, scenario.events // 2) if scenario.restart else None
    deadline = started + timeout_s
    try:
        with (
            ReportInbox(bus, reports, attempts) as inbox,
            WorkerProcesses(command, worker_env(bus, uri, database_name)) as workers,
        ):
            for _ in range(scenario.consumers):
                workers.start()
            # Publish once every worker holds partitions, so that they share the events.
            wait_for_members(bus, group, scenario.consumers, inbox, deadline)
            publish_events(bus, topic, events, partitions=PARTITIONS)
            while not attempts.all_settled() and time.monotonic() < deadline:
                inbox.read(0.2)
                running = workers.running()
                if restart_after is not None and running and attempts.settled() >= restart_after:
                    workers.kill(running[0])
                    workers.start()  # the new process resumes from the committed offsets
                    restart_after = None
                elif not running:
                    log.error("%s: every worker process exited", run_id)
                    break
        if not attempts.all_settled():
            log.warning("%s: %d of %d events settled", run_id, attempts.settled(), len(events))
        duplicates = duplicate_allocations(database)
    finally:
        database.client.drop_database(database_name)
    return ScenarioResult.from_log(
        scenario.name,
        attempts,
        duplicates=duplicates,
        compilations=dict(sorted(inbox.compilations().items())),
        service_loads=inbox.service_loads(),
        processes=len(workers.started),
        duration_s=round(time.monotonic() - started, 3),
    )


def wait_for_members(
    bus: KafkaBroker, group: str, members: int, inbox: ReportInbox, deadline: float
) -> bool:
    """Wait until `group` is stable with `members` members; False if `deadline` came first."""
    while time.monotonic() < deadline:
        inbox.read(0.5)
        if group_members(bus.bootstrap_servers, group) == members:
            return True
    return False


def group_members(servers: str, group: str) -> int:
    """Members of `group` once it is stable, else 0 (the broker port has no such question)."""
    admin = kafka.KafkaAdminClient(bootstrap_servers=servers.split(","))
    try:
        described = admin.describe_groups([group])[group]
    except kafka.errors.KafkaError:
        return 0
    finally:
        admin.close()
    return len(described["members"]) if described["group_state"] == "Stable" else 0


def fresh_database(uri: str, name: str):
    """Connect mongoengine to an empty database `name` on the server of `uri`."""
    database = db.connect(db.with_database(uri, name))
    database.client.drop_database(name)
    return database


def worker_env(bus: KafkaBroker, uri: str, database: str) -> dict[str, str]:
    """This process's environment, naming the run's database and this broker."""
    return {
        **os.environ,
        "MONGODB_URI": db.with_database(uri, database),
        "KAFKA_BOOTSTRAP_SERVERS": bus.bootstrap_servers,
    }


def worker_command(
    variant: str,
    topic: str,
    group: str,
    *,
    policy: str = "seed",
    report_topic: str | None = None,
    faults: str | None = None,
) -> list[str]:
    command = [sys.executable, "-m", "modelguard.entrypoints.worker", "--variant", variant]
    command += ["--topic", topic, "--group", group, "--policy", policy]
    if report_topic:
        command += ["--report-topic", report_topic]
    if faults:
        command += ["--faults", faults]
    return command


class WorkerProcesses:
    """Worker processes started from one command line; leaving the block stops them.

    Each process logs to its own file, whose tail is logged when it exits badly.
    """

    def __init__(self, command: list[str], env: Mapping[str, str]) -> None:
        self.command, self.env = command, dict(env)
        self.started: list[subprocess.Popen] = []
        self.killed: list[subprocess.Popen] = []
        self.exit_codes: dict[int, int] = {}
        self._logs = tempfile.TemporaryDirectory(prefix="modelguard-workers-")

    def start(self) -> subprocess.Popen:
        path = Path(self._logs.name) / f"worker-{len(self.started) + 1}.log"
        with path.open("wb") as out:
            process = subprocess.Popen(
                self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        process.log_path = path  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def running(self) -> list[subprocess.Popen]:
        return [p for p in self.started if p.poll() is None]

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL: no clean-up, no commit, no leaving the group."""
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.killed.append(process)

    def stop(self, timeout_s: float = STOP_WAIT_S) -> dict[int, int]:
        """SIGTERM every running process and wait; returns each stopped pid's exit code."""
        running = self.running()
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.error("worker pid %d ignored SIGTERM for %.0f s; killing it", process.pid,
                          timeout_s)  # fmt: skip
                process.kill()
                process.wait()
            self.exit_codes[process.pid] = process.returncode
        for process in self.started:
            if process not in self.killed and process.returncode != 0:
                log.error("worker pid %d exited with %s:\n%s", process.pid, process.returncode,
                          self.log_tail(process))  # fmt: skip
        return {p.pid: p.returncode for p in running}

    def log_tail(self, process: subprocess.Popen, lines: int = 30) -> str:
        text = process.log_path.read_text(errors="replace")  # type: ignore[attr-defined]
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> WorkerProcesses:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self._logs.cleanup()


class ReportInbox:
    """Reads the workers' report topic into an AttemptLog (or several).

    Records are taken once each, by offset, even when a rebalance (a broker restart)
    makes the consumer read some again; each process's latest compilations and
    service loads are kept.
    """

    def __init__(self, bus: KafkaBroker, topic: str, *logs: AttemptLog) -> None:
        self.bus, self.topic, self.logs = bus, topic, list(logs)
        self.reports = 0
        self.last_report = time.monotonic()
        self._counts: dict[str, tuple[dict[str, int], int]] = {}
        self._seen: dict[int, int] = {}
        self._group = f"report-reader.{uuid.uuid4().hex[:8]}"
        self._consumer = bus.consumer(self._group, [topic])

    def read(self, timeout_s: float = 0.2) -> int:
        """Take what arrived within `timeout_s`; returns how many attempts were new."""
        try:
            records = self._consumer.poll(timeout_s)
        except BrokerError as error:
            log.warning("report reader: %s; joining again", error)
            self._reopen()
            return 0
        attempts = 0
        for record in records:
            if record.offset <= self._seen.get(record.partition, -1):
                continue
            self._seen[record.partition] = record.offset
            report = json.loads(record.value)
            self._counts[report["process"]] = (report["compilations"], report["service_loads"])
            if report["kind"] == "attempt":
                attempt = Attempt(**report["attempt"])
                for attempt_log in self.logs:
                    attempt_log(attempt)
                attempts += 1
        if records:
            self.reports += len(records)
            self.last_report = time.monotonic()
            try:
                self._consumer.commit(records[-1])
            except BrokerError:
                pass  # the offsets seen above keep a re-read from counting twice
        return attempts

    def compilations(self) -> Counter[str]:
        """Per model, the most compilations any one process asked for."""
        total: Counter[str] = Counter()
        for compiled, _ in self._counts.values():
            total |= Counter(compiled)
        return total

    def service_loads(self) -> int:
        return sum(loads for _, loads in self._counts.values())

    def _reopen(self) -> None:
        try:
            self._consumer.close()
        except BrokerError:
            pass
        try:
            self._consumer = self.bus.consumer(self._group, [self.topic])
        except BrokerError as error:
            log.warning("report reader: cannot join yet: %s", error)
            time.sleep(1.0)

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> ReportInbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
