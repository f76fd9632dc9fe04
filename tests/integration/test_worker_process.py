"""`python -m modelguard worker` as a real process over Kafka and a MongoDB-wire server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import kafka
import pytest

from modelguard import db
from modelguard.config import retry_topic, run_names
from modelguard.lab.databases import fresh_database
from modelguard.lab.fault_arguments import faults_argument
from modelguard.lab.outcomes import duplicate_allocations
from modelguard.lab.scenarios import create_topics, publish_events
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.drivers.kafka import KafkaBroker

WAIT_S = 60.0


class Run:
    """One test's topics, group and database, and the worker processes it starts."""

    def __init__(self, bootstrap: str, uri: str) -> None:
        self.run_id = f"wp-{uuid.uuid4().hex[:8]}"
        self.topic, self.group, self.reports = run_names(self.run_id)
        self.bootstrap = bootstrap
        self.database_name = f"mg_{self.run_id.replace('-', '_')}"
        self.database = fresh_database(uri, self.database_name)
        self.env = {
            **os.environ,
            "MONGODB_URI": db.with_database(uri, self.database_name),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        }
        self.bus = KafkaBroker(bootstrap, timeout_s=20)
        self.processes: list[subprocess.Popen] = []

    def publish(self, count: int):
        events = purchases(count, seed_academy(), prefix=self.run_id)
        create_topics(self.bus, self.topic, partitions=4)
        publish_events(self.bus, self.topic, events)
        return events

    def worker(self, *options: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "modelguard.entrypoints.worker"]
        command += ["--topic", self.topic, "--group", self.group, *options]
        process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.processes.append(process)
        return process

    def wait_for(self, condition, what: str, timeout_s: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.2)

    def allocations(self) -> int:
        return self.database["allocations"].count_documents({})

    def processed(self) -> int:
        return self.database["processed_events"].count_documents({})

    def committed(self) -> int:
        """Records of the topic the group has committed past."""
        servers = self.bootstrap.split(",")
        consumer = kafka.KafkaConsumer(bootstrap_servers=servers, group_id=self.group)
        try:
            partitions = [
                kafka.TopicPartition(self.topic, p)
                for p in consumer.partitions_for_topic(self.topic)
            ]
            return sum(consumer.committed(tp) or 0 for tp in partitions)
        finally:
            consumer.close(autocommit=False)

    def members(self) -> list:
        admin = kafka.KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","))
        try:
            return admin.describe_groups([self.group])[self.group]["members"]
        finally:
            admin.close()

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.bus.close()
        self.database.client.drop_database(self.database_name)


@pytest.fixture
def run(kafka_bootstrap, mongodb_uri):
    the_run = Run(kafka_bootstrap, mongodb_uri)
    yield the_run
    the_run.close()


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return process.returncode, output


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_a_worker_allocates_what_is_published_and_stops_cleanly_on_sigterm(run):
    run.publish(12)
    worker = run.worker("--variant", "fixed")
    run.wait_for(lambda: run.allocations() == 12, "12 allocations")

    code, output = stop(worker)

    assert code == 0, output
    assert "SIGTERM received" in output and "stopped" in output
    assert run.committed() == 12
    assert run.bus.lag(run.group, run.topic, retry_topic(run.topic)) == 0
    assert run.members() == []  # it left the group rather than timing out of it
    assert duplicate_allocations(run.database) == 0
    assert "attempt 1: succeeded" in output


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_a_worker_stopped_mid_stream_commits_exactly_what_it_handled(run):
    events = run.publish(120)
    first = run.worker()
    run.wait_for(lambda: run.processed() >= 10, "the first 10 events")

    code, output = stop(first)

    assert code == 0, output
    assert run.members() == []
    # The record in hand was finished and committed, and nothing was committed unhandled.
    assert run.committed() == run.processed() < len(events)

    second = run.worker()
    run.wait_for(lambda: run.allocations() == len(events), "every event allocated")
    code, output = stop(second)
    assert code == 0, output
    assert duplicate_allocations(run.database) == 0
    assert run.processed() == len(events)


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_a_worker_reports_every_attempt_with_its_model_counts(run):
    [event] = run.publish(1)
    run.bus.create_topic(run.reports, 1)
    faults = faults_argument({event.event_id: 2})
    worker = run.worker("--report-topic", run.reports, "--faults", faults)

    reports = []
    with run.bus.consumer(f"reader.{run.run_id}", [run.reports]) as reader:
        deadline = time.monotonic() + WAIT_S
        while len([r for r in reports if r["kind"] == "attempt"]) < 3:
            assert time.monotonic() < deadline, reports
            reports += [json.loads(record.value) for record in reader.poll(0.5)]
    code, output = stop(worker)

    assert code == 0, output
    assert reports[0]["kind"] == "started"
    attempts = [r["attempt"] for r in reports if r["kind"] == "attempt"]
    assert [(a["attempt"], a["outcome"], a["error_class"]) for a in attempts] == [
        (1, "retrying", "InjectedFailure"),
        (2, "retrying", "InjectedFailure"),
        (3, "succeeded", None),
    ]
    assert {r["process"] for r in reports} == {reports[0]["process"]}
    assert reports[-1]["compilations"] == {"User": 1, "Course": 1, "Allocation": 1}
    assert reports[-1]["service_loads"] == 1


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_an_idle_worker_exits_on_its_own(run):
    run.publish(2)
    worker = run.worker("--idle-exit", "8")
    output, _ = worker.communicate(timeout=WAIT_S)
    assert worker.returncode == 0, output
    assert "idle for 8 s" in output
    assert run.allocations() == 2


def test_a_worker_without_mongodb_uri_says_why_and_exits_2():
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    done = subprocess.run(
        [sys.executable, "-m", "modelguard.entrypoints.worker"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "MONGODB_URI is not set" in done.stderr


def test_a_fault_plan_that_asks_for_a_crash_is_refused():
    done = subprocess.run(
        [sys.executable, "-m", "modelguard.entrypoints.worker", "--faults", '{"crash_after": 3}'],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "crashes are a SIGKILL from outside" in done.stderr
