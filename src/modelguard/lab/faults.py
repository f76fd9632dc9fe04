"""Fault injection for the scenarios: failures, stalls and crashes at chosen attempts.

A `FaultPlan` is the lab's adapter for the worker's fault port
(`modelguard.academy.workers.faults.Faults`): the scenario runner builds one per
worker and passes it in, and the worker itself has no idea which scenario it runs
in. An injected failure is an ordinary exception, retried like any other. A crash
is a `BaseException`, so no handler catches it: like a killed process, it leaves
the record in hand uncommitted. A stall holds the first delivery of an event in the
handler, after the idempotency guard's check and before the allocation: the zombie
drill's window to freeze the worker mid-record.
A crashed process says no goodbye to its group either; its members
are dropped once the broker's session timeout has passed, which `SkippingClock`
lets a simulation skip instead of wait for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class InjectedFailure(RuntimeError):
    """A transient failure the scenario asked for."""


class WorkerCrash(BaseException):
    """The worker process dies here; nothing after this point runs.

    It names the attempt it killed, so that the runner can count that attempt.
    """

    def __init__(self, message: str, event_id: str | None = None, attempt: int = 0) -> None:
        super().__init__(message)
        self.event_id, self.attempt = event_id, attempt


@dataclass
class FaultPlan:
    """Fail attempts 1..k of chosen events; stall attempt 1 of others for some seconds;
    crash after the Nth attempt, or the next one.

    It counts attempts and may hold a pending crash, so each worker needs a plan of
    its own.
    """

    fail_attempts: Mapping[str, int] = field(default_factory=dict)
    stall_s: Mapping[str, float] = field(default_factory=dict)
    crash_after_attempts: int | None = None
    _attempts: int = 0
    _crash_next: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def crash_next(self) -> None:
        """Kill the process at the end of the next attempt, whichever consumer makes it:
        a busy process is always inside an attempt, so that is where a kill finds it."""
        with self._lock:
            self._crash_next = True

    def before_allocation(self, event_id: str, attempt: int) -> None:
        if attempt == 1 and self.stall_s.get(event_id, 0) > 0:
            log.info("stalling %s for %.1f s", event_id, self.stall_s[event_id])
            time.sleep(self.stall_s[event_id])
        if attempt <= self.fail_attempts.get(event_id, 0):
            raise InjectedFailure(f"injected failure of attempt {attempt} of {event_id}")

    def after_attempt(self, event_id: str | None = None, attempt: int = 0) -> None:
        """The attempt is done but not yet settled: a crash here leaves it uncommitted."""
        with self._lock:
            self._attempts += 1
            crash = self._crash_next or self._attempts == self.crash_after_attempts
            self._crash_next = False
            made = self._attempts
        if crash:
            raise WorkerCrash(f"worker killed after {made} attempts", event_id, attempt)


class SkippingClock:
    """Wall-clock milliseconds, plus whatever time was skipped: a session timeout passes
    at once, and the records' timestamps keep their order."""

    def __init__(self) -> None:
        self.skipped_ms = 0

    def __call__(self) -> int:
        return time.time_ns() // 1_000_000 + self.skipped_ms

    def skip(self, ms: int) -> None:
        self.skipped_ms += ms
