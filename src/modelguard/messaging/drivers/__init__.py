"""Broker drivers, found by name or URL and imported only when one is opened.

The table maps a URL scheme to ``"module:Class"``, so the broker port never imports
a driver and the memory broker never pays for loading the Kafka client.
"""

from __future__ import annotations

import importlib
from typing import Any

from modelguard.messaging.port import Broker

DRIVERS = {
    "memory": "modelguard.messaging.drivers.memory:MemoryBroker",
    "kafka": "modelguard.messaging.drivers.kafka:KafkaBroker",
}


def driver(scheme: str) -> type[Broker]:
    """The broker class registered for ``scheme``."""
    try:
        module_name, _, class_name = DRIVERS[scheme].partition(":")
    except KeyError:
        raise ValueError(
            f"unknown broker driver {scheme!r}; choose from {', '.join(DRIVERS)}"
        ) from None
    # import_module returns the cached module after the first call: nothing runs twice,
    # and a driver is imported only when one is first opened, which is the point.
    module = importlib.import_module(module_name)  # noqa: MG006 -- cached driver lookup
    return getattr(module, class_name)


def open_broker(url: str, **options: Any) -> Broker:
    """The broker named by ``url``.

    ``"memory"`` or ``"memory://"`` gives a new MemoryBroker; ``"kafka"`` gives
    ``KafkaBroker.from_env()``; ``"kafka://host:port[,host:port]"`` or a bare
    ``"host:port[,...]"`` gives a KafkaBroker on those servers. ``options`` go to the
    driver's constructor.
    """
    scheme, sep, servers = url.partition("://")
    servers = servers.strip("/")
    if url in ("memory", "memory://"):
        return driver("memory")(**options)
    if url == "kafka":
        return driver("kafka").from_env(**options)  # type: ignore[attr-defined]
    if (scheme == "kafka" and servers) or (not sep and ":" in url):
        return driver("kafka")(servers if sep else url, **options)  # type: ignore[call-arg]
    raise ValueError(f"unknown broker {url!r}: expected memory:// or kafka://host:port[,...]")
