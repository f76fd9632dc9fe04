"""The worker through Kafka's SASL_PLAINTEXT listener: the lab's user gets in, a wrong
password stops it at start-up with a clear error that never shows the password."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from modelguard import db
from modelguard.config import lab_sasl_credentials, run_names
from modelguard.lab.databases import fresh_database
from modelguard.lab.outcomes import duplicate_allocations
from modelguard.lab.scenarios import create_topics, publish_events
from modelguard.lab.seed import purchases, seed_academy
from modelguard.messaging.drivers.kafka import KafkaBroker

WAIT_S = 90.0
WRONG_PASSWORD = f"wrong-{uuid.uuid4().hex}"  # new each run, so only a leak can print it


def sasl_env(servers: str, uri: str, password: str) -> dict[str, str]:
    username, _ = lab_sasl_credentials()
    return {
        **os.environ,
        "MONGODB_URI": uri,
        "KAFKA_BOOTSTRAP_SERVERS": servers,
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "PLAIN",
        "KAFKA_SASL_USERNAME": username,
        "KAFKA_SASL_PASSWORD": password,
    }


@pytest.fixture
def database(mongodb_uri):
    name = f"mg_sasl_{uuid.uuid4().hex[:8]}"
    database = fresh_database(mongodb_uri, name)
    yield db.with_database(mongodb_uri, name), database
    database.client.drop_database(name)


def worker(env: dict[str, str], topic: str, group: str, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "modelguard.entrypoints.worker", "--topic", topic]
    return subprocess.Popen(
        [*command, "--group", group, *options], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_a_worker_logs_in_over_sasl_plain_and_allocates_what_is_published(
    kafka_sasl_bootstrap, database
):
    uri, documents = database
    _, password = lab_sasl_credentials()
    env = sasl_env(kafka_sasl_bootstrap, uri, password)
    topic, group, _ = run_names(f"sasl-{uuid.uuid4().hex[:8]}")
    with KafkaBroker.from_env(env, timeout_s=20) as bus:  # this side logs in too
        events = purchases(6, seed_academy(), prefix=topic)
        create_topics(bus, topic, partitions=2)
        publish_events(bus, topic, events)
        process = worker(env, topic, group, "--kafka-timeout", "20")
        deadline = time.monotonic() + WAIT_S
        while documents["allocations"].count_documents({}) < len(events):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the worker allocated too little in time"
            time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)

    assert process.returncode == 0, output
    assert "security_protocol='SASL_PLAINTEXT'" in output  # the broker it logged in to
    assert password not in output
    assert duplicate_allocations(documents) == 0


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_a_wrong_password_stops_the_worker_at_start_up_and_is_never_printed(
    kafka_sasl_bootstrap, database
):
    uri, _ = database
    env = sasl_env(kafka_sasl_bootstrap, uri, WRONG_PASSWORD)
    process = worker(env, f"sasl-{uuid.uuid4().hex[:8]}", "sasl-refused")
    output, _ = process.communicate(timeout=WAIT_S)

    assert process.returncode == 1, output
    username, _ = lab_sasl_credentials()
    assert f"refused the login of user '{username}'" in output
    assert "Invalid username or password" in output
    assert "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD" in output
    assert WRONG_PASSWORD not in output
    # A login the worker knows was refused is never retried. One window of the client's
    # retries can see only closed sockets (the broker answers some refused logins so), and
    # that looks like a broker that is not there yet, which is worth joining again.
    retries = [line for line in output.splitlines() if "joining again" in line]
    assert not [line for line in retries if "refused" in line or "Invalid username" in line]
