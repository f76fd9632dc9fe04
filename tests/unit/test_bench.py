"""The benchmark's report has its documented shape; its speed is not tested here."""

from __future__ import annotations

import json

import pytest

from modelguard.lab.bench import bench_table, kafka_throughput, run_bench
from modelguard.lab.bench.shapes import (
    BenchReport,
    Growth,
    KafkaRatios,
    Machine,
    Micro,
    Ratios,
    RunFigures,
    Target,
)

# The module's runs are set up once, on one pytest worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("bench")

RATES = (
    "direct_events_per_s",
    "direct_idempotent_events_per_s",
    "fixed_events_per_s",
    "guard_only_events_per_s",
    "cache_only_events_per_s",
    "buggy_events_per_s",
)
PROCESSES = ("fixed", "cache-only", "guard-only", "buggy")


@pytest.fixture(scope="module")
def result():
    # Module-scoped, so set up before conftest's per-test guard: keep servers out here too.
    with pytest.MonkeyPatch.context() as env:
        env.delenv("MONGODB_URI", raising=False)
        env.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
        yield run_bench(events=50, batch=25, buggy_events=5, repeat=1, progress=False)


def test_the_report_is_json_with_every_figure(result):
    assert json.loads(json.dumps(result)) == result
    for key in RATES:
        assert result[key] > 0, key
    assert result["guard_access_ns"] > 0 and result["dict_get_ns"] > 0
    assert result["guard_access_ratio"] == pytest.approx(
        result["guard_access_ns"] / result["dict_get_ns"], rel=0.01
    )
    assert result["define_hit_ns"] > 0 and result["define_hit_identical_ns"] > 0
    assert set(result["ratios"]) >= {"fixed_over_direct", "guard_access_ratio"}
    assert result["machine"]["nproc"] >= 1 and result["machine"]["python"]


def test_memory_is_reported_per_worker_process(result):
    for figures in ("memory_growth_kb", "modules_added", "model_classes_alive"):
        assert set(result[figures]) == set(PROCESSES), figures
    # The per-call variants leave a copy of the build's modules behind on every load.
    assert result["modules_added"]["fixed"] == 0
    assert result["modules_added"]["guard-only"] > 0


def test_each_run_counts_its_events(result):
    runs = result["runs"]
    assert runs["fixed"]["succeeded"] == 50 and runs["fixed"]["dead_lettered"] == 0
    assert runs["fixed"]["service_loads"] == 0  # loaded once, at start-up
    assert runs["guard-only"]["service_loads"] == 50  # once per event
    assert runs["buggy"]["events"] == result["buggy_events"] == 5
    assert runs["buggy"]["dead_lettered"] == 5 and runs["buggy"]["succeeded"] == 0


def test_kafka_is_null_with_a_reason_when_not_requested(result):
    assert result["kafka_events_per_s"] == {"1": None, "2": None, "4": None}
    assert result["database_limit_events_per_s"] is None
    assert result["kafka_ratios"]["1_worker_over_database_limit"] is None
    assert result["kafka_note"]


def test_every_target_is_reported_not_asserted(result):
    assert len(result["targets"]) == 5
    for target in result["targets"]:
        assert set(target) == {"target", "measured", "met"}
        assert target["met"] in (True, False, None)
    assert [t["met"] for t in result["targets"] if "Kafka" in t["target"]] == [None] * 3
    # Retired: the fixed worker against unequal work, and a cost paid once per model file.
    assert not any("dict get" in t["target"] for t in result["targets"])
    assert "fixed_over_direct" in result["ratios"] and result["guard_access_ratio"]


def test_the_table_shows_each_candidate_and_target(result):
    table = bench_table(result)
    for name in ("direct", "fixed", "guard-only", "cache-only", "buggy (dead-lettered/s)"):
        assert name in table
    assert "not measured" in table


def test_kafka_is_null_with_a_reason_when_no_broker_answers(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")

    rates, note = kafka_throughput(10)

    assert rates == {"1": None, "2": None, "4": None}
    assert "127.0.0.1:1" in note


def test_the_kafka_figures_are_read_against_the_database_limit_and_one_worker():
    from modelguard.lab.bench.targets import kafka_ratios

    result = {
        "kafka_events_per_s": {"1": 160.0, "2": 300.0, "4": 400.0},
        "database_limit_events_per_s": 200.0,
    }
    assert kafka_ratios(result) == {
        "1_worker_over_database_limit": 0.8,
        "2_over_1": 1.875,
        "4_over_1": 2.5,
        "database_ms_per_event": 5.0,
        "consumer_and_broker_ms_per_event": 1.25,
    }


def declared(typed_dict: type) -> set[str]:
    return set(typed_dict.__required_keys__) | set(typed_dict.__optional_keys__)


def has_the_keys_of(report: dict, typed_dict: type) -> bool:
    """Every required key of the type, and no key it does not declare."""
    return set(typed_dict.__required_keys__) <= set(report) <= declared(typed_dict)


def test_a_bench_report_has_the_declared_keys(result):
    assert has_the_keys_of(result, BenchReport)
    assert set(result["machine"]) == declared(Machine)
    assert declared(Micro) <= set(result)
    assert set(result["ratios"]) == declared(Ratios)
    assert has_the_keys_of(result["kafka_ratios"], KafkaRatios)


def test_each_run_process_and_target_of_the_bench_has_the_declared_keys(result):
    for name, run in result["runs"].items():
        assert has_the_keys_of(run, RunFigures), name
    # A worker behind the broker reports every optional figure; a direct call none.
    assert set(result["runs"]["fixed"]) == declared(RunFigures)
    assert set(result["runs"]["direct"]) == set(RunFigures.__required_keys__)
    for name, growth in result["memory"].items():
        assert set(growth) == declared(Growth), name
    for target in result["targets"]:
        assert set(target) == declared(Target)
