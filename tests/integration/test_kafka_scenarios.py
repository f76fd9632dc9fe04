"""The four scenarios on real Kafka with worker processes: the embedded run's outcomes."""

from __future__ import annotations

import pytest

from modelguard.lab.scenarios import run_variant

EVENTS = 8
USER_COMPILATIONS = 'modelguard_model_compilations_total{model="User"}'

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.mongodb]


@pytest.fixture(scope="module")
def on_kafka(kafka_bootstrap, mongodb_uri):
    """Each variant's JSON object from Kafka, run once for the module."""
    results = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
        env.setenv("MONGODB_URI", mongodb_uri)

        def result(variant: str) -> dict:
            if variant not in results:
                results[variant] = run_variant(
                    variant, broker="kafka", events=EVENTS, consumers=2, timeout_s=90
                )
            return results[variant]

        yield result


def by_name(result: dict) -> dict[str, dict]:
    return {scenario["name"]: scenario for scenario in result["scenarios"]}


def test_the_json_object_has_the_embedded_shape_with_broker_kafka(on_kafka, monkeypatch):
    kafka_result = on_kafka("fixed")
    monkeypatch.delenv("MONGODB_URI", raising=False)
    embedded = run_variant("fixed", events=2)

    assert kafka_result["broker"] == "kafka" and kafka_result["variant"] == "fixed"
    assert kafka_result.keys() == embedded.keys()
    assert [s["name"] for s in kafka_result["scenarios"]] == [
        "kafka_retry", "multiple_retries", "concurrent_events", "worker_restart",
    ]  # fmt: skip
    for ours, theirs in zip(kafka_result["scenarios"], embedded["scenarios"], strict=True):
        assert ours.keys() == theirs.keys()
        assert ours["per_event"][0].keys() == theirs["per_event"][0].keys()


def test_fixed_succeeds_everywhere_with_no_dlq_no_duplicates_and_one_compilation(on_kafka):
    scenarios = by_name(on_kafka("fixed"))
    for name, scenario in scenarios.items():
        assert scenario["succeeded"] == scenario["events"], name
        assert scenario["dead_lettered"] == 0, name
        assert scenario["duplicates"] == 0, name
        assert "OverwriteModelError" not in scenario["errors"], name
        assert scenario["compilations"]["User"] == 1, name
        # Each worker process loads the service once, at start-up,
        assert scenario["service_loads"] == scenario["processes"], name
        # and its own metrics say so.
        assert len(scenario["metrics"]) == scenario["processes"], name
        for process in scenario["metrics"]:
            assert process[USER_COMPILATIONS] == 1, name
            assert process["modelguard_service_loads_total"] == 1, name
    assert [e["attempts"] for e in scenarios["kafka_retry"]["per_event"]] == [2]
    assert [e["attempts"] for e in scenarios["multiple_retries"]["per_event"]] == [5]
    assert scenarios["kafka_retry"]["errors"] == {"InjectedFailure": 1}
    assert scenarios["multiple_retries"]["errors"] == {"InjectedFailure": 4}
    assert scenarios["concurrent_events"]["processes"] >= 2
    assert scenarios["worker_restart"]["processes"] == 2


def test_buggy_dead_letters_with_overwrite_model_error_in_every_scenario(on_kafka):
    scenarios = by_name(on_kafka("buggy"))
    for name, scenario in scenarios.items():
        assert scenario["dead_lettered"] >= 1, name
        assert scenario["errors"].get("OverwriteModelError", 0) >= 4, name
        # A process's first load compiles the models; every later load raises.
        assert scenario["succeeded"] <= scenario["processes"], name
        assert scenario["compilations"]["User"] > 1, name
        assert max(process[USER_COMPILATIONS] for process in scenario["metrics"]) > 1, name
        # Dead letters come after the fifth attempt. (A record redelivered by a kill can
        # run a second retry chain, so an event may show more than 5 attempts in all.)
        dead = [a for a in scenario["timeline"] if a["outcome"] == "dead_lettered"]
        assert {(a["attempt"], a["error_class"]) for a in dead} == {(5, "OverwriteModelError")}
    for name in ("kafka_retry", "multiple_retries"):
        [event] = scenarios[name]["per_event"]
        assert event["outcome"] == "dead_lettered"
        assert event["errors"][0] == "InjectedFailure"
        assert set(event["errors"][1:]) == {"OverwriteModelError"}
