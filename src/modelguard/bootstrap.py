"""The one place that wires embedded or real parts together.

The embedded default is mongomock plus the in-memory broker; `MONGODB_URI`
and `KAFKA_BOOTSTRAP_SERVERS` (or `--broker kafka`) switch to real servers.
Nothing is connected until one of these functions is called.
"""

from __future__ import annotations

import sys

from modelguard import registry
from modelguard.messaging.broker import Broker


def open_broker(kind: str = "memory", **options) -> Broker:
    """A broker adapter by name: "memory" (in-process) or "kafka" (KAFKA_BOOTSTRAP_SERVERS)."""
    if kind == "memory":
        from modelguard.messaging.memory import MemoryBroker

        return MemoryBroker(**options)
    if kind == "kafka":
        from modelguard.messaging.kafka import KafkaBroker

        return KafkaBroker.from_env(**options)
    raise ValueError(f"unknown broker {kind!r}: use 'memory' or 'kafka'")


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
