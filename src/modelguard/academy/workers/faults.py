"""The fault port: where a worker lets an outside plan fail, stall or stop an attempt.

The worker calls two hooks on every delivery and knows nothing of what is behind
them. In production nothing is: each worker builds its own `NoFaults`. The lab
passes in a plan of its own (`modelguard.lab.faults.FaultPlan`) that raises,
sleeps or kills at the attempts a scenario names; the domain never imports it.

A plan may hold state (a count of attempts, a pending crash), so a plan belongs
to one worker: a default is built per worker, never shared between workers.
"""

from __future__ import annotations

from typing import Protocol


class Faults(Protocol):
    """The two moments of an attempt at which a fault may be injected."""

    def before_allocation(self, event_id: str, attempt: int) -> None:
        """After the idempotency check, before the work: a failure or a stall goes here."""

    def after_attempt(self, event_id: str | None = None, attempt: int = 0) -> None:
        """The attempt is done but not settled: a crash here leaves it uncommitted."""


class NoFaults:
    """A worker's own plan when nobody injects faults: both hooks do nothing."""

    def before_allocation(self, event_id: str, attempt: int) -> None:
        return None

    def after_attempt(self, event_id: str | None = None, attempt: int = 0) -> None:
        return None
