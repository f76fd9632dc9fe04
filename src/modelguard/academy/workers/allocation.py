"""The allocation worker, built from two seams instead of four copies.

- Registration: how the model files in the admin service's build register
  their models. `guarded` runs them as written; `unguarded` runs them with the
  guard removed, as they were before the fix.
- Loading: when the worker loads that build. `per-call` loads it by file path
  inside `allocate_trainer`, outside the import cache, as the old worker's
  dynamic import did; `cached` loads it once in `initialize()` and reuses the
  service on every retry.

    buggy       unguarded  per-call   (the incident)
    guard-only  guarded    per-call
    cache-only  unguarded  cached
    fixed       guarded    cached     (the fix)

Faults come in from outside through the `Faults` port: each worker gets its own
no-op plan unless the caller passes one.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path

import mongoengine

from modelguard import config
from modelguard.academy.workers.before_fix import strip_guard
from modelguard.academy.workers.faults import Faults, NoFaults
from modelguard.messaging.events import PurchaseCreated
from modelguard.messaging.idempotency import COLLECTION, IdempotencyGuard
from modelguard.registry.loading import execute_file

_ACADEMY = Path(__file__).resolve().parents[1]
# The admin service's build: the model files its service needs, then the service.
BUILD_FILES = (
    _ACADEMY / "models" / "shared" / "user.py",
    _ACADEMY / "models" / "shared" / "course.py",
    _ACADEMY / "models" / "allocation" / "allocation.py",
    _ACADEMY / "services" / "allocation.py",
)


@dataclass(frozen=True)
class Variant:
    name: str
    registration: str  # "guarded" or "unguarded"
    loading: str  # "per-call" or "cached"


VARIANTS = {name: Variant(name, *parts) for name, parts in config.VARIANT_PARTS.items()}


class AdminServiceBuild:
    """Loads the build by path, each load a fresh run of every file in it."""

    _builds = itertools.count(1)
    # Node runs one dynamic import at a time; a lock keeps threaded loads the same.
    _lock = threading.Lock()

    def __init__(self, registration: str) -> None:
        if registration not in ("guarded", "unguarded"):
            raise ValueError(f"unknown registration {registration!r}")
        self._transform = strip_guard if registration == "unguarded" else None
        self.loads = 0

    def load_service(self):
        with self._lock:
            self.loads += 1
            build = next(self._builds)
            modules = []
            for path in BUILD_FILES:
                name = f"admin_build_{build}_{path.parent.name}_{path.stem}"
                # The old worker's dynamic import, reproduced: `allocate_trainer` reaches
                # this on every attempt in the per-call variants. It is meant to be flagged.
                modules.append(execute_file(path, name, transform=self._transform))  # noqa: MG005 -- the reproduction of the buggy worker
        # The service is the last file of the build; the files before it are its models.
        return modules[-1].AllocationService()


class AllocationWorker:
    """`initialize()` once, then `allocate_trainer(event, attempt)` per delivery."""

    handler_name = "allocation-worker"

    def __init__(self, variant: Variant | str = "fixed", *, faults: Faults | None = None) -> None:
        self.variant = VARIANTS[variant] if isinstance(variant, str) else variant
        self.build = AdminServiceBuild(self.variant.registration)
        # A plan may count attempts or hold a pending crash: one shared default would
        # let a fault planned for one worker fire in another.
        self.faults: Faults = NoFaults() if faults is None else faults
        self._service = None
        self._guard: IdempotencyGuard | None = None

    def initialize(self) -> None:
        database = mongoengine.get_db()
        self._guard = IdempotencyGuard(database[COLLECTION], self.handler_name)
        if self.variant.loading == "cached" and self._service is None:
            self._service = self.build.load_service()

    def allocate_trainer(self, event: PurchaseCreated, attempt: int = 1) -> str:
        """Allocate a trainer for the purchase; returns "allocated" or "duplicate"."""
        if self._guard is None:
            raise RuntimeError("AllocationWorker not initialized")
        try:
            if self._guard.seen(event.event_id):
                return "duplicate"
            service = self._service_for_this_call()
            self.faults.before_allocation(event.event_id, attempt)
            result = service.allocate(
                purchase_id=event.purchase_id,
                user_id=event.user_id,
                course_id=event.course_id,
                event_id=event.event_id,
            )
            self._guard.mark(event.event_id)
            return "allocated" if result.created else "duplicate"
        finally:
            self.faults.after_attempt(event.event_id, attempt)

    def handle(self, event: PurchaseCreated, attempt: int = 1) -> str:
        """The consumer's handler: `allocate_trainer`."""
        return self.allocate_trainer(event, attempt)

    @property
    def service_loads(self) -> int:
        return self.build.loads

    def _service_for_this_call(self):
        if self.variant.loading == "per-call":
            # Reproduction of the old worker: a dynamic load on every attempt.
            return self.build.load_service()
        if self._service is None:
            raise RuntimeError("AllocationService not initialized")
        return self._service
