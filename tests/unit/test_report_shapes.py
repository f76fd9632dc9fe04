"""The soak's, the benchmark's and the zombie drill's reports have exactly their types' keys.

mypy checks the readers (the tables, the CLI) against the TypedDicts; these small real
runs check the writers: a key added to a report but not to its type, or the other way
round, fails here. A NotRequired key may be missing, never unknown.
"""

from __future__ import annotations

import logging
from dataclasses import fields

import pytest

from modelguard.lab.bench import run_bench
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
from modelguard.lab.soak import run_soak
from modelguard.lab.soak.records import Fate
from modelguard.lab.soak.shapes import EmbeddedSoakReport, PartsJson, SoakFigures, Tally
from modelguard.lab.zombie import ZombieJson, ZombieReport

logging.getLogger("modelguard").setLevel(logging.CRITICAL)


def required(typed_dict: type) -> set[str]:
    return set(typed_dict.__required_keys__)  # type: ignore[attr-defined]


def declared(typed_dict: type) -> set[str]:
    return required(typed_dict) | set(typed_dict.__optional_keys__)  # type: ignore[attr-defined]


def has_the_keys_of(result: dict, typed_dict: type) -> bool:
    return required(typed_dict) <= set(result) <= declared(typed_dict)


def test_an_embedded_soak_report_has_the_declared_keys():
    result = run_soak(50, seed=3, progress=False)
    assert set(result) == declared(EmbeddedSoakReport)
    assert set(result["parts"]) == declared(PartsJson)
    assert result["ok"] is True


def test_every_fate_has_its_key_in_the_figures_both_brokers_report():
    for typed_dict in (SoakFigures, Tally):
        assert {fate.value for fate in Fate} <= declared(typed_dict)


@pytest.fixture(scope="module")
def bench() -> BenchReport:
    return run_bench(events=4, batch=2, buggy_events=2, repeat=1, progress=False)


def test_a_bench_report_has_the_declared_keys(bench):
    assert has_the_keys_of(bench, BenchReport)
    assert set(bench["machine"]) == declared(Machine)
    assert declared(Micro) <= set(bench)
    assert set(bench["ratios"]) == declared(Ratios)
    assert has_the_keys_of(bench["kafka_ratios"], KafkaRatios)


def test_each_run_process_and_target_of_the_bench_has_the_declared_keys(bench):
    for name, run in bench["runs"].items():
        assert has_the_keys_of(run, RunFigures), name
    # A worker behind the broker reports every optional figure; a direct call none.
    assert set(bench["runs"]["fixed"]) == declared(RunFigures)
    assert set(bench["runs"]["direct"]) == required(RunFigures)
    for name, growth in bench["memory"].items():
        assert set(growth) == declared(Growth), name
    for target in bench["targets"]:
        assert set(target) == declared(Target)


def test_the_zombie_report_type_names_every_field_and_the_verdict():
    report = ZombieReport(records=4, zombies=1, session_timeout_ms=6000)
    assert declared(ZombieJson) == {f.name for f in fields(ZombieReport)} | {"ok"}
    assert set(report.to_json()) == declared(ZombieJson)
