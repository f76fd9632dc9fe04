"""Injected stalls: the zombie drill's window, and how the worker is told about them."""

from __future__ import annotations

import argparse

import pytest

from modelguard.entrypoints.worker import faults_argument, faults_from_argument
from modelguard.lab import faults


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
