"""Where the real services are, and whether they answer right now.

The defaults are the ones `scripts/services.sh` starts; `KAFKA_BOOTSTRAP_SERVERS`
and `MONGODB_URI` override them. A notebook or a command asks `real_services()`
before it reaches for the network, so the embedded default never waits on a
server that is not there.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

DEFAULT_KAFKA = "127.0.0.1:9092"
DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017/modelguard"


def kafka_servers() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_KAFKA


def mongodb_uri() -> str:
    return os.environ.get("MONGODB_URI") or DEFAULT_MONGODB_URI


def answers(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Whether host:port accepts a TCP connection."""
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError:
        return False
    return True


def real_services() -> tuple[str, str] | None:
    """(Kafka servers, MongoDB URI) when both answer, else None."""
    servers, uri = kafka_servers(), mongodb_uri()
    kafka_host, _, kafka_port = servers.split(",")[0].rpartition(":")
    mongo = urlsplit(uri)
    if answers(kafka_host, int(kafka_port or 9092)) and answers(
        mongo.hostname or "127.0.0.1", mongo.port or 27017
    ):
        return servers, uri
    return None
