"""Each variant's outcome in each scenario, from running the worker for real."""

from __future__ import annotations

import logging

import pytest

from modelguard.lab.scenarios import Scenario, flood_and_replay, run_scenario, run_variant
from modelguard.lab.scenarios.threads import ThreadsCrew

# The module's runs are set up once, on one pytest worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("scenarios")

logging.getLogger("modelguard").setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def outcomes():
    """All four variants once, at a size that keeps the unit suite fast."""
    return {
        variant: {s["name"]: s for s in run_variant(variant, events=12, consumers=3)["scenarios"]}
        for variant in ("buggy", "guard-only", "cache-only", "fixed")
    }


def test_the_json_object_has_the_contracts_keys(outcomes):
    result = run_variant("fixed", events=2, consumers=1)
    assert set(result) >= {"variant", "broker", "scenarios"}
    assert [s["name"] for s in result["scenarios"]] == [
        "kafka_retry", "multiple_retries", "concurrent_events", "worker_restart",
    ]  # fmt: skip
    keys = {"events", "succeeded", "dead_lettered", "attempts", "errors", "duplicates",
            "per_event", "compilations"}  # fmt: skip
    for scenario in result["scenarios"]:
        assert keys <= set(scenario)
        assert set(scenario["per_event"][0]) == {"event_id", "attempts", "outcome", "errors"}


@pytest.mark.parametrize(
    "scenario", ["kafka_retry", "multiple_retries", "concurrent_events", "worker_restart"]
)
def test_buggy_dead_letters_with_overwrite_model_error_after_five_attempts(outcomes, scenario):
    result = outcomes["buggy"][scenario]
    assert result["dead_lettered"] >= 1
    assert result["errors"]["OverwriteModelError"] >= 4
    dead = [e for e in result["per_event"] if e["outcome"] == "dead_lettered"]
    assert all(e["attempts"] >= 5 and e["errors"][-1] == "OverwriteModelError" for e in dead)
    assert result["compilations"]["User"] > 1


def test_buggy_lets_only_the_first_load_of_each_process_succeed(outcomes):
    assert outcomes["buggy"]["kafka_retry"]["succeeded"] == 0  # attempt 1 was the injected one
    assert outcomes["buggy"]["concurrent_events"]["succeeded"] == 1
    assert outcomes["buggy"]["worker_restart"]["succeeded"] == 2  # one per process


@pytest.mark.parametrize("variant", ["fixed", "guard-only", "cache-only"])
@pytest.mark.parametrize(
    "scenario", ["kafka_retry", "multiple_retries", "concurrent_events", "worker_restart"]
)
def test_each_half_of_the_fix_and_the_fix_succeed_everywhere(outcomes, variant, scenario):
    result = outcomes[variant][scenario]
    assert result["succeeded"] == result["events"]
    assert result["dead_lettered"] == 0
    assert result["duplicates"] == 0
    assert "OverwriteModelError" not in result["errors"]
    assert set(result["compilations"].values()) == {1}


@pytest.mark.parametrize(("scenario", "succeeds_on"), [("kafka_retry", 2), ("multiple_retries", 5)])
def test_fixed_succeeds_on_the_attempt_after_the_injected_failures(outcomes, scenario, succeeds_on):
    [event] = outcomes["fixed"][scenario]["per_event"]
    assert event["attempts"] == succeeds_on
    assert event["errors"] == ["InjectedFailure"] * (succeeds_on - 1)


def test_per_call_loading_loads_the_service_on_every_attempt_and_caching_once(outcomes):
    assert outcomes["guard-only"]["multiple_retries"]["service_loads"] == 5
    assert outcomes["fixed"]["multiple_retries"]["service_loads"] == 1
    assert outcomes["fixed"]["worker_restart"]["service_loads"] == 2  # one per process


def test_a_redelivery_after_a_kill_is_an_attempt_that_loads_nothing(outcomes):
    """What the demo's legend says of `attempts` and `loads`: a per-call worker's
    redeliveries of events it already applied are attempts, answered before any load."""
    restart = outcomes["guard-only"]["worker_restart"]
    assert restart["errors"] == {} and restart["attempts"] > restart["events"]
    assert restart["service_loads"] == restart["events"] < restart["attempts"]


def test_worker_restart_runs_two_processes_and_loses_nothing(outcomes):
    result = outcomes["fixed"]["worker_restart"]
    assert result["processes"] == 2
    assert all(e["outcome"] == "succeeded" for e in result["per_event"])


@pytest.mark.parametrize(("failing", "events"), [(2, 1), (3, 4)])
def test_the_assertions_follow_the_parameters(failing, events):
    result = run_scenario(Scenario("custom", events=events, failing_attempts=failing), "fixed")
    assert result.events == events
    assert result.attempts == events * (failing + 1)
    assert result.errors == {"InjectedFailure": events * failing}


def test_the_classify_policy_dead_letters_overwrite_model_error_at_once():
    result = run_variant("buggy", events=3, consumers=1, policy="classify")
    kafka_retry = result["scenarios"][0]
    assert kafka_retry["per_event"][0]["attempts"] == 2
    assert kafka_retry["per_event"][0]["errors"] == ["InjectedFailure", "OverwriteModelError"]


def test_replaying_the_flooded_dlq_with_the_fixed_worker_applies_every_event_once():
    outcome = flood_and_replay(events=10, consumers=2)
    assert outcome["dead_lettered_before"] == 9
    assert outcome["replayed"] >= 9
    assert outcome["succeeded_after_replay"] == 9
    assert outcome["dead_lettered_after_replay"] == 0
    assert outcome["allocations"] == 10
    assert outcome["duplicates"] == 0


@pytest.mark.parametrize("scenario", ["multiple_retries", "worker_restart"])
def test_each_worker_process_carries_the_metrics_that_show_the_incident(outcomes, scenario):
    buggy, fixed = outcomes["buggy"][scenario], outcomes["fixed"][scenario]
    user = 'modelguard_model_compilations_total{model="User"}'
    assert len(buggy["metrics"]) == buggy["processes"]
    assert len(fixed["metrics"]) == fixed["processes"]
    # The incident's signal: a model compiled more than once in one process.
    assert all(process[user] > 1 for process in buggy["metrics"])
    assert all(process[user] == 1 for process in fixed["metrics"])
    assert all(process["modelguard_service_loads_total"] == 1 for process in fixed["metrics"])
    for result in (buggy, fixed):
        counted = sum(
            value for process in result["metrics"] for key, value in process.items()
            if key.startswith("modelguard_attempts_total")
        )  # fmt: skip
        assert counted == result["attempts"]
    dead = 'modelguard_dead_letters_total{error_class="OverwriteModelError"}'
    dead_letters = sum(p.get(dead, 0) for p in buggy["metrics"])
    if scenario == "worker_restart":
        # The killed process's batch was never committed: what it had dead-lettered in it
        # comes back to the next process and is dead-lettered again (at least once).
        assert dead_letters >= buggy["dead_lettered"] > 0
    else:
        assert dead_letters == buggy["dead_lettered"] > 0


def test_the_killed_attempt_counts_and_its_record_goes_to_the_new_process(outcomes):
    result = outcomes["fixed"]["worker_restart"]
    [killed] = [a for a in result["timeline"] if a["outcome"] == "crashed"]
    assert killed["consumer"].startswith("process-1.")
    # Never committed, the record is delivered again, to the process that took over.
    again = [a for a in result["timeline"] if a["event_id"] == killed["event_id"]][1:]
    assert [a["outcome"] for a in again] == ["succeeded"]
    assert again[0]["consumer"].startswith("process-2.")
    # So is the rest of the killed process's uncommitted batch: the guard absorbs it.
    handled = {}
    for attempt in result["timeline"]:
        handled.setdefault(attempt["event_id"], []).append(
            (attempt["consumer"].split(".")[0], attempt["outcome"])
        )
    redone = [e for e, runs in handled.items() if runs == [("process-1", "succeeded"),
                                                           ("process-2", "succeeded")]]  # fmt: skip
    assert all(
        runs in ([("process-1", "succeeded")], [("process-2", "succeeded")])
        or event in redone
        or event == killed["event_id"]
        for event, runs in handled.items()
    ), handled
    assert result["attempts"] == result["events"] + 1 + len(redone)
    assert result["succeeded"] == result["events"] and result["duplicates"] == 0


def test_a_crash_leaves_its_members_in_the_group_until_their_session_times_out(monkeypatch):
    members_at_start = []
    start = ThreadsCrew._start

    def spy(crew):
        members_at_start.append(crew.bus.members(crew.job.group))
        start(crew)

    monkeypatch.setattr(ThreadsCrew, "_start", spy)
    restart = Scenario("restart", events=6, consumers=2, restart_at=0.5)
    result = run_scenario(restart, "fixed")
    # No member of the killed process left the group: both were in it as the new one
    # started, and the session timeout, not a goodbye, took them out.
    first, second = members_at_start
    assert first == []
    assert [m.rsplit("-", 1)[0] for m in second] == ["process-1.consumer-0", "process-1.consumer-1"]
    assert result.processes == 2
    assert result.succeeded == 6 and result.duplicates == 0


@pytest.mark.parametrize("variant", ["fixed", "buggy"])
def test_worker_restart_counts_do_not_follow_the_publishers_pace(monkeypatch, variant):
    """A loaded machine publishes slowly; the consumers must not start on part of the events,
    or where the kill cuts the batches, and so the counts, would follow thread timing."""
    import time

    from modelguard.lab.scenarios import runner

    restart = Scenario("worker_restart", events=12, restart_at=0.5)
    counts = []
    for delay_s in (0.0, 0.02):
        publish = runner.publish_events

        def slow(bus, topic, events, publish=publish, delay_s=delay_s):
            for event in events:
                time.sleep(delay_s)
                publish(bus, topic, [event])

        monkeypatch.setattr(runner, "publish_events", slow)
        result = run_scenario(restart, variant)
        counts.append((result.attempts, result.succeeded, result.dead_lettered, result.errors))
    assert counts[0] == counts[1]
    assert counts[0][1] + counts[0][2] == 12
