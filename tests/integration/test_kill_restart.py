"""Kill-and-restart on real Kafka: SIGKILLed workers, a restarted broker, a database outage.

The full-size run (`python -m modelguard soak --broker kafka --restart-broker
--database-outage`: 2,000 records, 5 kills) takes about ten minutes on two cores, so CI
runs the same drill on fewer records.
The drill restarts and stops the services through scripts/, so it needs services
those scripts manage (`make services-up`), not just any server on the ports.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from modelguard.config import scripts_dir
from modelguard.lab.soak import OUTAGE_BACKLOG, Parts, SoakPlan, run_soak

RECORDS = 300
KILLS = 5
SEED = 20240611


@pytest.fixture
def managed_services(kafka_bootstrap, mongodb_uri, monkeypatch):
    """Kafka and the database, started by scripts/ so that the drill can bounce them."""
    for script in ("kafka.sh", "mongo.sh"):
        status = subprocess.run(
            ["bash", str(scripts_dir() / script), "status"], capture_output=True, text=True
        )
        if "running (pid" not in status.stdout:
            reason = f"scripts/{script} does not manage the server: {status.stdout.strip()}"
            if os.environ.get("MODELGUARD_REQUIRE_SERVICES") == "1":
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)


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
