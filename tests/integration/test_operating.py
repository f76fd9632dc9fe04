"""Operating a real worker process on Kafka and a MongoDB-wire server: its Prometheus
endpoint, and `dlq inspect` / `replay-dlq` on the DLQ a buggy run left."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import kafka
import pytest
from prometheus_client.parser import text_string_to_metric_families

from modelguard import db
from modelguard.config import dlq_topic, run_names
from modelguard.lab.databases import fresh_database
from modelguard.lab.scenarios import create_topics, publish_events
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.consumer import Headers
from modelguard.messaging.drivers.kafka import KafkaBroker
from modelguard.messaging.events import parse_event
from modelguard.messaging.failure import read_notes
from modelguard.messaging.idempotency import COLLECTION, tag_run
from modelguard.ops.metrics import sample_key
from modelguard.registry.errors import double_run_in

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.mongodb]

WAIT_S = 90.0
EVENTS = 6
USER_COMPILATIONS = 'modelguard_model_compilations_total{model="User"}'


class Worker:
    """A `python -m modelguard worker` process whose output is read as it comes."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def metrics_url(self, timeout_s: float = WAIT_S) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(r"metrics at (http://\S+/metrics)", self.output())
            if found:
                return found[1]
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        pytest.fail(f"the worker never said where its metrics are:\n{self.output()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Run:
    """One test's topics, group, database and worker processes."""

    def __init__(self, bootstrap: str, uri: str) -> None:
        self.run_id = f"op-{uuid.uuid4().hex[:8]}"
        self.topic, self.group, _ = run_names(self.run_id)
        self.bootstrap = bootstrap
        self.database_name = f"mg_{self.run_id.replace('-', '_')}"
        self.database = fresh_database(uri, self.database_name)
        tag_run(self.database, self.run_id)  # as a drill tags its store: the DLQ's run
        self.env = {
            **os.environ,
            "MONGODB_URI": db.with_database(uri, self.database_name),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        }
        self.bus = KafkaBroker(bootstrap, timeout_s=20)
        self.workers: list[Worker] = []
        self.published = []

    def publish(self, count: int, *, malformed: int = 0):
        events = purchases(count, seed_academy(), prefix=self.run_id)
        create_topics(self.bus, self.topic, partitions=4)
        publish_events(self.bus, self.topic, events)
        with self.bus.producer() as producer:
            self.published = [
                producer.publish(self.topic, b"{not json %d" % n, key=b"bad-%d" % n)
                for n in range(malformed)
            ]
        return events

    def worker(self, *options: str) -> Worker:
        command = [sys.executable, "-m", "modelguard", "worker", "--topic", self.topic,
                   "--group", self.group, *options]  # fmt: skip
        worker = Worker(command, self.env)
        self.workers.append(worker)
        return worker

    def cli(self, *arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "modelguard", *arguments],
            env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def dead_letters(self) -> list:
        return list(self.bus.scan(dlq_topic(self.topic)))

    def wait_for(self, condition, what: str, timeout_s: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                outputs = "\n".join(w.output()[-3000:] for w in self.workers)
                pytest.fail(f"timed out waiting for {what}\n{outputs}")
            time.sleep(0.5)

    def groups(self) -> set[str]:
        """This run's consumer groups on the broker (the broker is shared)."""
        admin = kafka.KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","))
        try:
            return {g["group_id"] for g in admin.list_groups() if self.run_id in g["group_id"]}
        finally:
            admin.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        self.bus.close()
        self.database.client.drop_database(self.database_name)


@pytest.fixture
def run(kafka_bootstrap, mongodb_uri):
    the_run = Run(kafka_bootstrap, mongodb_uri)
    yield the_run
    the_run.close()


def scrape(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        sample_key(sample.name, sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_buggy_worker_process_shows_the_incident_on_its_metrics_endpoint(run):
    run.publish(EVENTS)
    worker = run.worker("--variant", "buggy", "--metrics-port", "0")
    url = worker.metrics_url()
    dead = 'modelguard_dead_letters_total{error_class="OverwriteModelError"}'
    run.wait_for(lambda: scrape(url).get(dead) == EVENTS - 1, f"{EVENTS - 1} dead letters")
    samples = scrape(url)
    assert worker.stop() == 0, worker.output()

    # The first event compiles User; every later attempt compiles it again and raises.
    attempts = sum(v for k, v in samples.items() if k.startswith("modelguard_attempts_total{"))
    assert samples['modelguard_attempts_total{error_class="none",outcome="succeeded"}'] == 1
    assert samples[USER_COMPILATIONS] == attempts == samples["modelguard_service_loads_total"]
    assert samples['modelguard_retries_total{error_class="OverwriteModelError"}'] == 4 * (
        EVENTS - 1
    )
    assert samples['modelguard_handler_duration_seconds_count{outcome="error"}'] == attempts - 1
    assert samples['modelguard_handler_duration_seconds_count{outcome="ok"}'] == 1
    assert samples['modelguard_model_compilations_total{model="Course"}'] == 1


def test_a_fixed_worker_process_compiles_each_model_once(run):
    run.publish(EVENTS)
    worker = run.worker("--variant", "fixed", "--metrics-port", "0")
    url = worker.metrics_url()
    ok = 'modelguard_attempts_total{error_class="none",outcome="succeeded"}'
    run.wait_for(lambda: scrape(url).get(ok) == EVENTS, f"{EVENTS} successes")
    samples = scrape(url)
    assert worker.stop() == 0, worker.output()
    assert samples[USER_COMPILATIONS] == 1
    assert samples["modelguard_service_loads_total"] == 1
    assert not [k for k in samples if k.startswith("modelguard_dead_letters_total{")]


def test_dlq_inspect_explains_the_dlq_a_buggy_run_left_on_kafka(run):
    run.publish(EVENTS, malformed=1)
    worker = run.worker("--variant", "buggy")
    run.wait_for(lambda: len(run.dead_letters()) == EVENTS, f"{EVENTS} dead letters")
    assert worker.stop() == 0, worker.output()

    # The notes survived the trip through Kafka's headers, on every OverwriteModelError.
    records = run.dead_letters()
    overwrites = [r for r in records if r.header(Headers.ERROR_CLASS) == b"OverwriteModelError"]
    assert len(overwrites) == EVENTS - 1
    for record in overwrites:
        double_run = double_run_in(read_notes(record.header(Headers.ERROR_NOTES)))
        assert double_run is not None and double_run.file.endswith("shared/user.py")

    # A later delivery applied one of them (as after a crash mid-batch): a stale dead letter.
    stale = next(parse_event(r.value).event_id for r in overwrites)
    run.database[COLLECTION].insert_one({"event_id": stale, "handler": "a later delivery"})

    groups_before = run.groups()
    assert groups_before == {run.group}
    summary = json.loads(run.cli("dlq", "inspect", "--topic", run.topic, "--broker", "kafka",
                                 "--json"))  # fmt: skip
    text = run.cli("dlq", "inspect", "--topic", run.topic, "--broker", "kafka")
    assert run.groups() == groups_before  # no group was joined to read it

    assert summary["records"] == EVENTS
    assert summary["already_processed"] == 1 and summary["already_processed_events"] == [stale]
    assert f"already processed: 1 ({stale})" in text
    assert summary["error_classes"] == {"OverwriteModelError": EVENTS - 1, "MalformedEvent": 1}
    assert summary["attempts"] == {"1": 1, "5": EVENTS - 1}
    assert summary["first_failure_ms"]["earliest"] <= summary["first_failure_ms"]["latest"]
    origins = {(o["topic"], o["partition"]): o["offsets"] for o in summary["origins"]}
    assert sum(len(offsets) for offsets in origins.values()) == EVENTS
    [bad] = run.published
    assert bad.offset in origins[(run.topic, bad.partition)]
    assert summary["messages"][0]["records"] == EVENTS - 1
    [runs] = summary["double_runs"]
    assert runs["records"] == EVENTS - 1 and runs["file"].endswith("shared/user.py")
    assert runs["first_module"].startswith("admin_build_")
    assert "user.py ran twice, under 'admin_build_" in " ".join(text.split())
    assert "loaded by file path as 'admin_build_" in " ".join(text.split())

    # The dry run and a replay of one class.
    plan = json.loads(run.cli("replay-dlq", "--broker", "kafka", "--topic", run.topic,
                              "--only", "MalformedEvent", "--dry-run", "--json"))  # fmt: skip
    assert plan["would_replay"] == 1
    assert plan["would_skip"] == {"OverwriteModelError": EVENTS - 2}
    assert plan["would_skip_already_processed"] == [stale]
    assert run.groups() == groups_before
    replayer = f"replayer.{run.run_id}"
    replay = json.loads(run.cli("replay-dlq", "--broker", "kafka", "--topic", run.topic,
                                "--only", "MalformedEvent", "--group", replayer,
                                "--json"))  # fmt: skip
    assert {key: replay[key] for key in ("replayed", "skipped", "skipped_poison",
                                         "skipped_already_processed", "records")} == {
        "replayed": 1, "skipped": {"OverwriteModelError": EVENTS - 2}, "skipped_poison": {},
        "skipped_already_processed": [stale], "records": EVENTS}  # fmt: skip
    bad_records = [r for r in run.bus.scan(run.topic) if r.value.startswith(b"{not json")]
    assert len(bad_records) == 2  # the original and its replay
