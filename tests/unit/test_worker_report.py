"""The report a worker process publishes: one JSON form, written and read by one class."""

from __future__ import annotations

import json

from modelguard.messaging.consumer import Attempt
from modelguard.messaging.outcome import Outcome
from modelguard.ops.worker_report import HandedBack, WorkerReport, process_name


def test_an_attempt_report_reads_back_as_the_report_that_was_sent():
    sent = WorkerReport(
        kind="attempt",
        process=process_name(4242),
        compilations={"User": 1},
        service_loads=1,
        metrics={"modelguard_attempts_total": 3.0},
        attempt=Attempt("evt-1", 2, Outcome.DEAD_LETTERED, "OverwriteModelError", "boom", "w1"),
    )
    received = WorkerReport.from_bytes(sent.to_bytes())
    assert received == sent
    assert received.attempt is not None and received.attempt.outcome is Outcome.DEAD_LETTERED


def test_the_json_keeps_the_outcome_as_a_plain_string_and_names_a_handed_back_record():
    report = WorkerReport(
        kind="handed_back",
        process="host:1",
        compilations={},
        service_loads=0,
        record=HandedBack("purchases", 2, 17, None, "CommitFailedError"),
    )
    raw = json.loads(report.to_bytes())
    assert raw["record"] == {
        "topic": "purchases", "partition": 2, "offset": 17, "event_id": None,
        "error_class": "CommitFailedError",
    }  # fmt: skip
    assert raw["attempt"] is None and WorkerReport.from_bytes(report.to_bytes()) == report
    outcome = WorkerReport(
        "attempt", "host:1", {}, 0, attempt=Attempt("e", 1, Outcome.SUCCEEDED)
    ).to_bytes()
    assert b'"outcome": "succeeded"' in outcome


def test_a_process_is_named_by_its_host_and_pid():
    assert process_name(77).endswith(":77") and process_name(77) != process_name(78)
