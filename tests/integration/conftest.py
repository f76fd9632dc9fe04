"""Fixtures for tests against real services (Kafka, a MongoDB-wire server).

A test here uses a service only when a variable names it (`KAFKA_BOOTSTRAP_SERVERS`,
`KAFKA_SASL_BOOTSTRAP_SERVERS`, `MONGODB_URI`, as `scripts/services.sh env` prints
them): nothing is looked for on a default address, since on a shared machine that may
be someone else's server. An unnamed service, or a named one that does not answer,
skips the tests that need it and says why, so that a laptop without the services still
runs the suite; with MODELGUARD_REQUIRE_SERVICES=1 it fails them instead, so that a run
that started the services cannot pass by skipping.
"""

from __future__ import annotations

import os

import pytest

from modelguard.config import (
    HOW_TO_NAME,
    answers,
    first_mongodb_host,
    host_and_port,
    named,
)


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("MODELGUARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason}; MODELGUARD_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(reason)


def require_service(name: str, host: str, port: int, timeout_s: float = 2.0) -> None:
    """Skip the test, or fail it under MODELGUARD_REQUIRE_SERVICES=1, unless host:port
    accepts a TCP connection."""
    if not answers(host, port, timeout_s):
        _skip_or_fail(f"{name} does not answer on {host}:{port}")


def require_variable(variable: str, service: str) -> str:
    """The variable's value; skip (or fail) with the reason when it is not set."""
    value = named(variable)
    if value is None:
        _skip_or_fail(f"{variable} is not set, so there is no {service} to test against "
                      f"({HOW_TO_NAME})")  # fmt: skip
    assert value is not None  # for the type checker: _skip_or_fail raised otherwise
    return value


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """KAFKA_BOOTSTRAP_SERVERS, once its first server answers."""
    servers = require_variable("KAFKA_BOOTSTRAP_SERVERS", "Kafka broker")
    require_service("Kafka", *host_and_port(servers.split(",")[0], 9092))
    return servers


@pytest.fixture(scope="session")
def kafka_sasl_bootstrap() -> str:
    """The broker's SASL_PLAINTEXT listener (KAFKA_SASL_BOOTSTRAP_SERVERS, which
    `scripts/kafka.sh env` prints), once it answers."""
    servers = require_variable("KAFKA_SASL_BOOTSTRAP_SERVERS", "SASL listener")
    require_service("Kafka's SASL listener", *host_and_port(servers.split(",")[0], 9094))
    return servers


@pytest.fixture(scope="session")
def mongodb_uri() -> str:
    """MONGODB_URI, once its server answers."""
    uri = require_variable("MONGODB_URI", "MongoDB server")
    require_service("MongoDB", *first_mongodb_host(uri))
    return uri
