"""The lab's DLQ tools against Kafka's own: after the buggy `worker_restart` and after a
soak on Kafka, `dlq inspect` and `replay-dlq --dry-run` count the records GetOffsetShell
counts, every consumer group the runs used (the replayer's included) has the lag 0 that
ConsumerGroupCommand reports, and the distinct events agree with the scenario's JSON.

Kafka's tools run through `scripts/kafka.sh tool`, which fetches them on first use.
The soak here has bad records, one kill and a replay, on the shared services (no broker
restart, no outage: those bounce the services, which test_kill_restart does on a pair of
its own).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from modelguard.config import dlq_topic, retry_topic, scripts_dir
from modelguard.entrypoints.cli import main
from modelguard.lab.scenarios.runner import run_scenario
from modelguard.lab.scenarios.spec import scenarios
from modelguard.lab.soak import Parts, run_soak
from modelguard.messaging.replay import POISON

EVENTS = 20
RECORDS = 200

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.mongodb,
              pytest.mark.xdist_group("kafka_tools")]  # fmt: skip


def kafka_tool(*args: str) -> str:
    """The stdout of one of Kafka's tools (`scripts/kafka.sh tool ...`)."""
    done = subprocess.run(["bash", str(scripts_dir() / "kafka.sh"), "tool", *args],
                          capture_output=True, text=True, timeout=240)  # fmt: skip
    assert done.returncode == 0, f"kafka.sh tool {args}:\n{done.stdout}{done.stderr}"
    return done.stdout


def end_offsets(topic: str) -> int:
    """GetOffsetShell's latest offsets of `topic`, summed over its partitions."""
    lines = kafka_tool("get-offsets", "--topic", topic).split()
    return sum(int(line.rsplit(":", 1)[1]) for line in lines if line.startswith(f"{topic}:"))


def lags(*groups: str) -> dict[tuple[str, str], int]:
    """ConsumerGroupCommand's lag of each (group, topic), summed over partitions."""
    args = [arg for group in groups for arg in ("--group", group)]
    found: dict[tuple[str, str], int] = {}
    for line in kafka_tool("consumer-groups", "--describe", *args).splitlines():
        cells = line.split()
        if len(cells) >= 6 and cells[0] in groups and cells[5].isdigit():
            found[(cells[0], cells[1])] = found.get((cells[0], cells[1]), 0) + int(cells[5])
    return found


def cli_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main([*args, "--broker", "kafka", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def runs(kafka_bootstrap, mongodb_uri):
    """The buggy worker_restart and a soak on Kafka, run once; their JSON objects."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
        env.setenv("MONGODB_URI", mongodb_uri)
        [restart] = [s for s in scenarios(EVENTS) if s.name == "worker_restart"]
        scenario = run_scenario(restart, "buggy", broker="kafka", timeout_s=120).to_json()
        soak = run_soak(RECORDS, 7, "kafka", parts=Parts(kills=1), timeout_s=300)
        yield scenario, soak


def test_after_the_buggy_worker_restart_the_lab_counts_what_kafkas_tools_count(runs, capsys):
    scenario, _ = runs
    topic = scenario["topic"]
    records = end_offsets(dlq_topic(topic))
    inspected = cli_json(capsys, "dlq", "inspect", "--topic", topic)
    planned = cli_json(capsys, "replay-dlq", "--topic", topic, "--dry-run",
                       "--group", f"never-committed.{topic}")  # fmt: skip
    assert inspected["records"] == planned["records"] == scenario["dlq"]["records"] == records
    assert records > 0
    # Distinct events: the scenario's JSON and the DLQ agree, and the doubles are named.
    assert inspected["events"] == planned["events"] == scenario["dlq"]["events"]
    assert inspected["events"] >= scenario["dead_lettered"] >= 1
    repeats = inspected["repeats"]
    assert sum(len(r["dead_letters"]) - 1 for r in repeats) == records - inspected["events"]
    assert all("not committed" in r["why"] for r in repeats)
    # The worker group read everything, as Kafka's own tool says.
    group = lags(f"allocation-worker.{topic.removeprefix('purchases.')}")
    assert {t for _, t in group} == {topic, retry_topic(topic)} and set(group.values()) == {0}


def test_after_the_soak_every_group_has_lag_0_and_poison_records_were_skipped(runs, capsys):
    _, soak = runs
    topic = soak["topic"]
    records = end_offsets(dlq_topic(topic))
    assert records == soak["dead_letters"] > 0
    inspected = cli_json(capsys, "dlq", "inspect", "--topic", topic)
    assert inspected["records"] == records and inspected["events"] == soak["dlq_events"]
    assert inspected["store"]["belongs"] and inspected["store"]["dlq_run"] == soak["run_id"]
    # Every bad record is poison: the replay left each one out, with its reason.
    poison = soak["replay_skipped"][POISON]
    assert sum(poison.values()) == records - soak["replayed"]
    assert set(poison) <= {"MalformedEvent", "UnknownCourse"} and poison
    # The replayer resumed nowhere but the DLQ's end: a dry run in its group reads nothing.
    replayer = f"replayer.{soak['run_id']}"
    assert replayer in soak["groups"]
    planned = cli_json(capsys, "replay-dlq", "--topic", topic, "--dry-run", "--group", replayer)
    assert planned["records"] == 0 and planned["before_start"] == records
    found = lags(*soak["groups"])
    assert {g for g, _ in found} == set(soak["groups"]) and set(found.values()) == {0}, found
