"""The JSON objects the lab returns have exactly the keys their TypedDicts declare.

The TypedDicts are what mypy checks the readers against (the views, the notebooks'
helpers); these tests check the writers: a key added to a result but not to its type,
or the other way round, fails here.
"""

from __future__ import annotations

import logging
from dataclasses import fields

from modelguard.lab.growth import GrowthPoint, measure_growth
from modelguard.lab.outcomes import (
    EventOutcome,
    EventOutcomeJson,
    ScenarioJson,
    ScenarioResult,
    VariantRun,
)
from modelguard.lab.scenarios import Recovery, RecoveryPlan, flood_and_replay, run_variant

logging.getLogger("modelguard").setLevel(logging.CRITICAL)


def keys(typed_dict: type) -> set[str]:
    return set(typed_dict.__annotations__)


def test_the_scenario_types_name_every_field_of_their_dataclasses():
    assert keys(ScenarioJson) == {f.name for f in fields(ScenarioResult)}
    assert keys(EventOutcomeJson) == {f.name for f in fields(EventOutcome)}


def test_a_variant_run_and_its_scenarios_have_the_declared_keys():
    run = run_variant("fixed", events=2, consumers=1)
    assert set(run) == keys(VariantRun)
    for scenario in run["scenarios"]:
        assert set(scenario) == keys(ScenarioJson), scenario["name"]
        for event in scenario["per_event"]:
            assert set(event) == keys(EventOutcomeJson)


def test_a_growth_point_has_the_declared_keys():
    [point] = measure_growth(sizes=(2,), variants=("buggy",), consumers=1)
    assert set(point) == keys(GrowthPoint)
    assert point["attempts_per_event"] == point["attempts"] / point["events"]


def test_the_recovery_and_its_dry_run_have_the_declared_keys():
    assert set(flood_and_replay(events=3, consumers=1)) == keys(Recovery)
    assert set(flood_and_replay(events=3, consumers=1, dry_run=True)) == keys(RecoveryPlan)
