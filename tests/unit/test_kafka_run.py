"""The Kafka run skeleton's deadline and polling, on the memory broker (no run is entered,
so no database is made and no process started)."""

from __future__ import annotations

import sys

import pytest

from modelguard.lab.kafka_run import KafkaRun, RunTimedOut
from modelguard.lab.outcomes import AttemptLog
from modelguard.messaging.drivers.memory import MemoryBroker

URI = "mongodb://127.0.0.1:1/unused"


def test_a_run_past_its_deadline_says_which_drill_and_how_far_it_got():
    run = KafkaRun("zombie-1", drill="zombie drill", timeout_s=0.0, bus=MemoryBroker(), uri=URI)
    with pytest.raises(RunTimedOut, match="zombie drill timed out: 3 of 5 events settled"):
        run.check("3 of 5 events settled")
    # A bench reports any failure it meets; a timeout is one it can name as such.
    assert issubclass(RunTimedOut, TimeoutError)


def test_until_polls_until_done_and_runs_each_step_after_every_wait():
    run = KafkaRun("soak-1", drill="soak", timeout_s=60.0, bus=MemoryBroker(), uri=URI)
    steps: list[int] = []
    run.until(lambda: len(steps) == 3, "never", poll_s=0.0, each=lambda: steps.append(1))
    assert steps == [1, 1, 1]


def test_until_gives_up_at_the_deadline_with_the_progress_of_that_moment():
    run = KafkaRun("soak-2", drill="soak", timeout_s=0.05, bus=MemoryBroker(), uri=URI)
    polls: list[int] = []
    with pytest.raises(RunTimedOut, match=r"soak timed out: \d+ polls"):
        run.until(lambda: False, lambda: f"{len(polls)} polls", 0.01, each=lambda: polls.append(1))
    assert polls


def test_workers_report_to_the_run_only_once_it_reads_their_reports():
    bus = MemoryBroker()
    bus.bootstrap_servers = "127.0.0.1:9092"  # type: ignore[attr-defined]
    run = KafkaRun("scenario-1", bus=bus, uri=URI)
    with run.workers("buggy", faults='{"fail_attempts": {}}') as silent:
        assert "--report-topic" not in silent.command
        assert silent.command[:3] == [sys.executable, "-m", "modelguard.entrypoints.worker"]
        assert silent.env["MONGODB_URI"].endswith("/mg_scenario_1")
    with run.open_inbox(AttemptLog([])), run.workers() as reporting:
        i = reporting.command.index("--report-topic")
        assert reporting.command[i + 1] == run.reports == "reports.scenario-1"
        assert reporting.command[reporting.command.index("--group") + 1] == run.group
