"""Fixtures for tests against real services (Kafka, a MongoDB-wire server).

A service that does not answer skips the tests that need it, so that a laptop without
the services still runs the suite; with MODELGUARD_REQUIRE_SERVICES=1 it fails them
instead, so that a run that started the services cannot pass by skipping.
"""

from __future__ import annotations

import os

import pytest

from modelguard.config import (
    answers,
    first_mongodb_host,
    host_and_port,
    kafka_sasl_servers,
    kafka_servers,
)
from modelguard.config import (
    mongodb_uri as configured_mongodb_uri,
)


def require_service(name: str, host: str, port: int, timeout_s: float = 2.0) -> None:
    """Skip the test, or fail it under MODELGUARD_REQUIRE_SERVICES=1, unless host:port
    accepts a TCP connection."""
    if answers(host, port, timeout_s):
        return
    reason = f"{name} does not answer on {host}:{port}"
    if os.environ.get("MODELGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; MODELGUARD_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092), once its first server answers."""
    servers = kafka_servers()
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
    uri = configured_mongodb_uri()
    require_service("MongoDB", *first_mongodb_host(uri))
    return uri
