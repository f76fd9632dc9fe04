"""Injected stalls: the zombie drill's window, and how the worker is told about them."""

from __future__ import annotations

import argparse

import pytest

from modelguard.entrypoints.worker import faults_from_argument
from modelguard.lab import faults
from modelguard.lab.fault_arguments import BadFaultPlan, faults_argument, parse_faults


def test_a_stall_holds_only_the_first_attempt_of_its_event(monkeypatch):
    slept = []
    monkeypatch.setattr(faults.time, "sleep", slept.append)
    plan = faults.FaultPlan(stall_s={"evt-1": 8.0})
    plan.before_allocation("evt-1", 1)
    plan.before_allocation("evt-1", 2)
    plan.before_allocation("evt-2", 1)
    assert slept == [8.0]


def test_the_worker_takes_a_stall_in_its_fault_plan_and_refuses_nonsense():
    plan = faults_from_argument(faults_argument({"evt-1": 2}, stall_s={"evt-2": 8.0}))
    assert plan.fail_attempts == {"evt-1": 2} and plan.stall_s == {"evt-2": 8.0}
    with pytest.raises(argparse.ArgumentTypeError, match="crashes are a SIGKILL"):
        faults_from_argument('{"fail_attempts": {}, "stall_s": {"evt-2": -1}}')
    with pytest.raises(argparse.ArgumentTypeError):
        faults_from_argument('{"fail_attempts": {}, "crash_after": 3}')


def test_a_fault_plan_travels_as_json_or_a_file_and_nonsense_says_what_it_should_be(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(faults_argument({"evt-1": 3, "evt-2": 0}))
    plan = parse_faults(str(path))
    assert plan.fail_attempts == {"evt-1": 3} and plan.stall_s == {}
    with pytest.raises(BadFaultPlan, match="cannot read a fault plan"):
        parse_faults(str(tmp_path / "missing.json"))
    with pytest.raises(BadFaultPlan, match="a fault plan is"):
        parse_faults('{"fail_attempts": {"evt-1": "two"}}')
