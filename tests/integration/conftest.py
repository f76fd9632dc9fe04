"""Fixtures for tests against real services (Kafka, a MongoDB-wire server).

A service that does not answer skips the tests that need it, so that a laptop without
the services still runs the suite; with MODELGUARD_REQUIRE_SERVICES=1 it fails them
instead, so that a run that started the services cannot pass by skipping.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from modelguard.config import kafka_sasl_servers


def require_service(name: str, host: str, port: int, timeout_s: float = 2.0) -> None:
    """Skip the test, or fail it under MODELGUARD_REQUIRE_SERVICES=1, unless host:port
    accepts a TCP connection."""
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as error:
        reason = f"{name} does not answer on {host}:{port} ({error})"
        if os.environ.get("MODELGUARD_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}; MODELGUARD_REQUIRE_SERVICES=1 requires it", pytrace=False)
        pytest.skip(reason)


def host_and_port(address: str, default_port: int) -> tuple[str, int]:
    """("host", port) from "host:port", "host" or "[::1]:port"."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or host.endswith(":"):  # no port, or a bare IPv6 address
        return address.strip().strip("[]"), default_port
    return host.strip("[]"), int(port)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092), once its first server answers."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092"
    require_service("Kafka", *host_and_port(servers.split(",")[0], 9092))
    return servers


@pytest.fixture(scope="session")
def kafka_sasl_bootstrap() -> str:
    """The broker's SASL_PLAINTEXT listener (KAFKA_SASL_BOOTSTRAP_SERVERS, default
    127.0.0.1:9094, which scripts/kafka.sh opens), once it answers."""
    servers = kafka_sasl_servers()
    require_service("Kafka's SASL listener", *host_and_port(servers.split(",")[0], 9094))
    return servers


@pytest.fixture(scope="session")
def mongodb_uri() -> str:
    """MONGODB_URI (default mongodb://127.0.0.1:27017/modelguard), once its server answers."""
    uri = os.environ.get("MONGODB_URI") or "mongodb://127.0.0.1:27017/modelguard"
    hosts = urlsplit(uri).netloc.rpartition("@")[2]
    require_service("MongoDB", *host_and_port(hosts.split(",")[0], 27017))
    return uri
