"""The one place that wires embedded or real parts together.

The embedded default is mongomock plus the in-memory broker; `MONGODB_URI`
and `KAFKA_BOOTSTRAP_SERVERS` (or `--broker kafka`) switch to real servers.
Nothing is connected until one of these functions is called.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from modelguard import registry
from modelguard.config import require_database_uri
from modelguard.messaging.drivers import open_broker  # re-exported: callers wire through here
from modelguard.messaging.port import Broker

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from modelguard.academy.workers.allocation import AllocationWorker
    from modelguard.lab.faults import FaultPlan
    from modelguard.lab.under_test import ScenarioWorker
    from modelguard.ops.metrics import WorkerMetrics

# While its database is away a worker fails an attempt in about a second (pymongo waits
# at least 0.5 s for a server, and retries a read once), so a batch of 100 records fails
# well inside Kafka's 5-minute poll interval, and the retry topic, not a blocked
# consumer, waits for the database to come back.
WORKER_DB_TIMEOUT_MS = 500


def worker_from_env(
    variant: str = "fixed", *, faults: FaultPlan | None = None
) -> tuple[Broker, AllocationWorker]:
    """A worker process's broker (KAFKA_BOOTSTRAP_SERVERS) and uninitialized worker,
    connected to the server MONGODB_URI names: processes cannot share a mongomock."""
    from modelguard import db
    from modelguard.academy.workers.allocation import AllocationWorker
    from modelguard.lab.faults import NO_FAULTS

    require_database_uri()
    db.connect(timeout_ms=WORKER_DB_TIMEOUT_MS)
    return open_broker("kafka"), AllocationWorker(variant, faults=faults or NO_FAULTS)


def worker_metrics(
    worker: ScenarioWorker, collectors: CollectorRegistry | None = None
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
