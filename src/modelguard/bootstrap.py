"""The one place that opens databases and brokers and wires a worker's parts together.

The embedded default is mongomock plus the in-memory broker; `MONGODB_URI`
and `KAFKA_BOOTSTRAP_SERVERS` (or `--broker kafka`) switch to real servers.
Nothing is connected until one of these functions is called.

Where it sits: above the domain (`academy`), `messaging` and `ops`, whose parts it
builds, and below the lab and the entry points, which call it (the layers contract
in pyproject.toml). So it never imports the lab: a caller with faults to inject (a
scenario's `FaultPlan`, the worker command's `--faults`) passes them in, and they
reach the worker through its fault port. Every database and broker the lab and the
entry points use is opened by `open_database`, `open_broker` or `memory_broker`, and
every allocation worker is built by `new_worker`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from modelguard import registry
from modelguard.config import require_database_uri
from modelguard.messaging.drivers import open_broker  # re-exported: callers wire through here
from modelguard.messaging.port import Broker

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from pymongo import monitoring
    from pymongo.database import Database

    from modelguard.academy.workers.allocation import AllocationWorker
    from modelguard.academy.workers.faults import Faults
    from modelguard.messaging.drivers.memory import MemoryBroker
    from modelguard.ops.metrics import WorkerMetrics

__all__ = [
    "fresh_process",
    "memory_broker",
    "new_worker",
    "open_broker",
    "open_database",
    "worker_from_env",
    "worker_metrics",
]

# While its database is away a worker fails an attempt in about a second (pymongo waits
# at least 0.5 s for a server, and retries a read once), so a batch of 100 records fails
# well inside Kafka's 5-minute poll interval, and the retry topic, not a blocked
# consumer, waits for the database to come back.
WORKER_DB_TIMEOUT_MS = 500


def open_database(
    uri: str | None = None,
    name: str | None = None,
    *,
    empty: bool = False,
    timeout_ms: int = 5000,
    listeners: Sequence[monitoring.CommandListener] = (),
) -> Database:
    """mongoengine connected to database `name` (mongomock unless `uri` or MONGODB_URI
    names a server), emptied first when `empty`; returns its handle.

    `timeout_ms` bounds the wait for a real server; `listeners` see every command.
    """
    from modelguard import db

    database = db.connect(uri, db=name, timeout_ms=timeout_ms, listeners=listeners)
    if empty:
        database.client.drop_database(database.name)
    return database


def memory_broker(clock: Callable[[], int] | None = None) -> MemoryBroker:
    """A new in-process broker; `clock` (milliseconds) lets a simulation skip time."""
    from modelguard.messaging.drivers.memory import MemoryBroker

    return MemoryBroker() if clock is None else MemoryBroker(clock=clock)


def new_worker(variant: str = "fixed", *, faults: Faults | None = None) -> AllocationWorker:
    """An uninitialized allocation worker of `variant`, with `faults` as its own fault plan
    (a no-op plan of its own when none is given)."""
    from modelguard.academy.workers.allocation import AllocationWorker

    return AllocationWorker(variant, faults=faults)


def worker_from_env(
    variant: str = "fixed", *, faults: Faults | None = None, kafka_timeout_s: float | None = None
) -> tuple[Broker, AllocationWorker]:
    """A worker process's broker (KAFKA_BOOTSTRAP_SERVERS) and uninitialized worker,
    connected to the server MONGODB_URI names: processes cannot share a mongomock.

    `faults` is the worker's own fault plan, as for `new_worker`; `kafka_timeout_s`
    bounds each wait for Kafka (the driver's default when None).
    """
    require_database_uri()
    open_database(timeout_ms=WORKER_DB_TIMEOUT_MS)
    options = {} if kafka_timeout_s is None else {"timeout_s": kafka_timeout_s}
    return open_broker("kafka", **options), new_worker(variant, faults=faults)


class LoadsItsService(Protocol):
    """A worker that counts how many times it loaded its service."""

    @property
    def service_loads(self) -> int: ...


def worker_metrics(
    worker: LoadsItsService, collectors: CollectorRegistry | None = None
) -> WorkerMetrics:
    """Metrics for one worker process, in `collectors` (a new CollectorRegistry by
    default): its attempts, and the process's model compilations and service loads."""
    from prometheus_client import CollectorRegistry

    from modelguard.ops.metrics import WorkerMetrics

    metrics = WorkerMetrics(CollectorRegistry() if collectors is None else collectors)
    metrics.watch_compilations(registry.compilations)
    metrics.watch_service_loads(lambda: worker.service_loads)
    return metrics


# Modules a new worker process would not have loaded yet.
_PLATFORM_MODULES = ("modelguard.academy.models", "modelguard.academy.services", "admin_build_")


def fresh_process() -> None:
    """Forget every compiled model and cached platform module, as a new process starts.

    The embedded scenarios run several "processes" (a worker before and after a
    restart, one per variant) inside one Python process; this is the boundary.
    """
    registry.reset()
    for name in [m for m in sys.modules if m.startswith(_PLATFORM_MODULES)]:
        del sys.modules[name]
