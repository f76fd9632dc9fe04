"""Fault injection for the scenarios: failures and crashes at chosen attempts.

The scenario runner hands a `FaultPlan` to the worker; the worker itself has
no idea which scenario it runs in. An injected failure is an ordinary
exception, retried like any other. A crash is a `BaseException`, so no
handler catches it: like a killed process, it leaves the record in hand
uncommitted.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field


class InjectedFailure(RuntimeError):
    """A transient failure the scenario asked for."""


class WorkerCrash(BaseException):
    """The worker process dies here; nothing after this point runs."""


@dataclass
class FaultPlan:
    """Fail attempts 1..k of chosen events; crash after the Nth attempt."""

    fail_attempts: Mapping[str, int] = field(default_factory=dict)
    crash_after_attempts: int | None = None
    _attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before_allocation(self, event_id: str, attempt: int) -> None:
        if attempt <= self.fail_attempts.get(event_id, 0):
            raise InjectedFailure(f"injected failure of attempt {attempt} of {event_id}")

    def after_attempt(self) -> None:
        with self._lock:
            self._attempts += 1
            crash = self._attempts == self.crash_after_attempts
        if crash:
            raise WorkerCrash(f"worker killed after {self._attempts} attempts")


NO_FAULTS = FaultPlan()
