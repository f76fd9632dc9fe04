"""Kill-and-restart on real Kafka: SIGKILLed workers, a restarted broker, a database outage.

The full-size run (`python -m modelguard soak --broker kafka --restart-broker
--database-outage`: 2,000 records, 5 kills) takes about ten minutes on two cores, so CI
runs the same drill on fewer records.
The drill restarts and stops the services through scripts/, so it runs on a broker
and a database of its own that those scripts start on free ports: the shared pair
that other tests use at the same time is never touched.
"""

from __future__ import annotations

import socket
import subprocess

import pytest

from modelguard.config import scripts_dir
from modelguard.lab.soak import OUTAGE_BACKLOG, Parts, SoakPlan, run_soak

RECORDS = 300
KILLS = 5
SEED = 20240611


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def managed_services(kafka_bootstrap, mongodb_uri, tmp_path, monkeypatch):
    """A Kafka broker and a database of the drill's own, started by scripts/ on free
    ports with their state in tmp_path, so that the drill can bounce them while other
    tests go on using the shared pair. Asking for the shared pair's fixtures keeps the
    drill to runs that named the services."""
    ports = {
        "MODELGUARD_KAFKA_PORT": free_port(),
        "MODELGUARD_KAFKA_CONTROLLER_PORT": free_port(),
        "MODELGUARD_KAFKA_SASL_PORT": free_port(),
        "MODELGUARD_MONGO_PORT": free_port(),
    }
    monkeypatch.setenv("MODELGUARD_RUN_DIR", str(tmp_path))
    for variable, port in ports.items():
        monkeypatch.setenv(variable, str(port))
    started = []
    try:
        for script in ("kafka.sh", "mongo.sh"):
            done = subprocess.run(
                ["bash", str(scripts_dir() / script), "start"],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert done.returncode == 0, f"{script} start:\n{done.stdout}{done.stderr}"
            started.append(script)
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{ports['MODELGUARD_KAFKA_PORT']}")
        monkeypatch.setenv(
            "MONGODB_URI", f"mongodb://127.0.0.1:{ports['MODELGUARD_MONGO_PORT']}/modelguard"
        )
        yield
    finally:
        for script in reversed(started):
            subprocess.run(["bash", str(scripts_dir() / script), "stop"], capture_output=True)


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.mongodb
def test_nothing_is_lost_or_doubled_through_kills_a_broker_restart_and_a_database_outage(
    managed_services,
):
    parts = Parts(kills=KILLS, restart_broker=True, database_outage=True)
    report = run_soak(RECORDS, SEED, "kafka", parts=parts, timeout_s=600)

    assert report["kills"] == KILLS and report["broker_restarts"] == 1, report
    assert report["crashes"] == 0, report
    # The outage failed attempts with the database's own errors until some hit the DLQ.
    assert report["errors"].keys() & {"ServerSelectionTimeoutError", "AutoReconnect"}, report
    assert report["dead_lettered_in_outage"] >= 1, report
    # Replaying the DLQ once the database is back settles every one of them.
    assert report["replayed"] >= report["dead_lettered_events"] >= 1, report
    assert report["replayed_succeeded"] == report["dead_lettered_events"], report
    assert report["replayed_dead_lettered"] == 0, report
    assert report["replay_unexpected"] == 0, report
    # Every event allocated exactly once, and every bad record in the DLQ with its reason.
    assert report["lost"] == 0 and report["duplicates"] == 0, report
    assert report["allocations"] == report["purchases"] == RECORDS - RECORDS // 10, report
    bad = {name: states for name, states in report["categories"].items() if name != "valid"}
    assert bad and all(set(states) == {"dead_lettered"} for states in bad.values()), report
    assert report["dead_letters_without_reason"] == 0 and report["unexpected"] == 0, report
    assert report["ok"]


def test_the_drill_is_drawn_from_its_seed_and_the_outage_comes_near_the_end():
    plan = SoakPlan.draw(2000, 5, seed=SEED, restart_broker=True, database_outage=True)
    again = SoakPlan.draw(2000, 5, seed=SEED, restart_broker=True, database_outage=True)

    assert plan == again
    actions = [action for _, action in plan.steps]
    assert sorted(actions) == ["database-outage", "kill", "kill", "kill", "kill", "kill",
                               "restart-broker"]  # fmt: skip
    points = [point for point, _ in plan.steps]
    assert points == sorted(points) and len(set(points)) == len(points)
    assert all(100 <= point < 1800 for point, action in plan.steps if action != "database-outage")
    assert plan.steps[-1] == (2000 - OUTAGE_BACKLOG, "database-outage")
