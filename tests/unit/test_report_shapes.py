"""The soak's and the zombie drill's reports have exactly their types' keys (the
benchmark's are checked in test_bench.py, on the run its module sets up once).

mypy checks the readers (the tables, the CLI) against the TypedDicts; these small real
runs check the writers: a key added to a report but not to its type, or the other way
round, fails here. A NotRequired key may be missing, never unknown.
"""

from __future__ import annotations

import logging
from dataclasses import fields

from modelguard.lab.soak import run_soak
from modelguard.lab.soak.records import Fate
from modelguard.lab.soak.shapes import EmbeddedSoakReport, PartsJson, SoakFigures, Tally
from modelguard.lab.zombie import ZombieJson, ZombieReport

logging.getLogger("modelguard").setLevel(logging.CRITICAL)


def required(typed_dict: type) -> set[str]:
    return set(typed_dict.__required_keys__)


def declared(typed_dict: type) -> set[str]:
    return required(typed_dict) | set(typed_dict.__optional_keys__)


def test_an_embedded_soak_report_has_the_declared_keys():
    result = run_soak(50, seed=3, progress=False)
    assert set(result) == declared(EmbeddedSoakReport)
    assert set(result["parts"]) == declared(PartsJson)
    assert result["ok"] is True


def test_every_fate_has_its_key_in_the_figures_both_brokers_report():
    for typed_dict in (SoakFigures, Tally):
        assert {fate.value for fate in Fate} <= declared(typed_dict)


def test_the_zombie_report_type_names_every_field_and_the_verdict():
    report = ZombieReport(records=4, zombies=1, session_timeout_ms=6000)
    assert declared(ZombieJson) == {f.name for f in fields(ZombieReport)} | {"ok"}
    assert set(report.to_json()) == declared(ZombieJson)
