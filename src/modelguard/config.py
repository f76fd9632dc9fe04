"""Names the lab defines once, and where the real services are.

- the worker variants and retry policies by name, in the order tables and plots show
  them; the command line's `choices` come from here;
- how topics and runs are named: a topic's retry and dead-letter topics, and the
  topic, group and report topic of one scenario run;
- the services: Kafka and the database are used only where the user names them, with
  `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URI` (`scripts/services.sh env` prints the
  local ones). Nothing falls back to a well-known address and nothing probes one to
  decide: on a shared machine, whatever answers on 127.0.0.1:9092 may be someone
  else's broker, and the embedded default must never write topics or databases into
  it. The local scripts' addresses are kept here only to print and to start them;
- where the service scripts are, for the drills that restart a broker or database.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

# Each variant is (registration, loading): the two halves of the fix, on or off.
VARIANT_PARTS: dict[str, tuple[str, str]] = {
    "buggy": ("unguarded", "per-call"),
    "guard-only": ("guarded", "per-call"),
    "cache-only": ("unguarded", "cached"),
    "fixed": ("guarded", "cached"),
}
VARIANT_NAMES = tuple(VARIANT_PARTS)

# The broker drivers `messaging.drivers.DRIVERS` finds, by name; "memory" is the default.
BROKER_NAMES = ("memory", "kafka")

# The retry policies `messaging.policy.POLICIES` builds, by name; "seed" is the platform's.
POLICY_NAMES = ("seed", "classify", "backoff")


# The soak's one set of defaults, for either broker; the command line shows them.
SOAK_DEFAULTS: dict[str, float] = {"records": 2_000, "seed": 1, "kills": 5, "timeout_s": 900.0}


def retry_topic(topic: str) -> str:
    return f"{topic}.retry"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def run_names(run_id: str) -> tuple[str, str, str]:
    """One run's topic, consumer group and report topic."""
    return f"purchases.{run_id}", f"allocation-worker.{run_id}", f"reports.{run_id}"


def run_database_name(run_id: str) -> str:
    """A database name for run `run_id` that every MongoDB-wire server accepts."""
    return f"mg_{run_id.replace('-', '_')}"


def run_id_of(topic: str) -> str | None:
    """The run whose topic (or retry topic, or DLQ) `topic` is, as `run_names` names
    them; None for a topic no run named, such as the worker's own `purchases`."""
    for suffix in (".dlq", ".retry"):
        topic = topic.removesuffix(suffix)
    prefix = "purchases."
    return topic[len(prefix):] or None if topic.startswith(prefix) else None


# Where `scripts/services.sh` starts the local services, for scripts/check_services.py,
# which checks the servers those scripts started; never a fallback for an unset variable.
LOCAL_KAFKA = "127.0.0.1:9092"
LOCAL_MONGODB_URI = "mongodb://127.0.0.1:27017/modelguard"
# The one user of the SASL_PLAINTEXT (PLAIN) listener `scripts/kafka.sh` opens beside the
# plain one: a lab credential, printed in the script and the README, not a secret.
LAB_SASL_USERNAME = "modelguard"
LAB_SASL_PASSWORD = "modelguard-lab"

# The variables that name a service, and what each one names.
SERVICE_VARIABLES: dict[str, str] = {
    "KAFKA_BOOTSTRAP_SERVERS": "Kafka",
    "KAFKA_SASL_BOOTSTRAP_SERVERS": "Kafka's SASL listener",
    "MONGODB_URI": "a MongoDB server",
}
HOW_TO_NAME = 'eval "$(bash scripts/services.sh env)" names the local ones'


class ServiceNotNamed(RuntimeError):
    """A real service was asked for, but no variable names where it is."""

    def __init__(self, variable: str, message: str | None = None) -> None:
        self.variable = variable
        super().__init__(
            message
            or f"{variable} is not set: say where {SERVICE_VARIABLES[variable]} is "
            f"({HOW_TO_NAME}); nothing falls back to a default address"
        )


def named(variable: str) -> str | None:
    """The value of a service variable, or None when it is unset or blank."""
    return os.environ.get(variable, "").strip() or None


def require_named(variable: str) -> str:
    """The value of a service variable, or ServiceNotNamed."""
    value = named(variable)
    if value is None:
        raise ServiceNotNamed(variable)
    return value


def kafka_servers() -> str | None:
    """KAFKA_BOOTSTRAP_SERVERS, or None: Kafka was not named."""
    return named("KAFKA_BOOTSTRAP_SERVERS")


def kafka_sasl_servers() -> str | None:
    """KAFKA_SASL_BOOTSTRAP_SERVERS (as `kafka.sh env` prints it), or None."""
    return named("KAFKA_SASL_BOOTSTRAP_SERVERS")


def lab_sasl_credentials() -> tuple[str, str]:
    """The SASL listener's user and password, with the scripts' overrides."""
    return (
        os.environ.get("MODELGUARD_KAFKA_SASL_USERNAME") or LAB_SASL_USERNAME,
        os.environ.get("MODELGUARD_KAFKA_SASL_PASSWORD") or LAB_SASL_PASSWORD,
    )


def mongodb_uri() -> str | None:
    """MONGODB_URI, or None: the database is the embedded mongomock."""
    return named("MONGODB_URI")


def answers(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Whether host:port accepts a TCP connection. Only ever asked of a named address."""
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError:
        return False
    return True


def host_and_port(address: str, default_port: int) -> tuple[str, int]:
    """("host", port) from "host:port", "host" or "[::1]:port"."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or host.endswith(":"):  # no port, or a bare IPv6 address
        return address.strip().strip("[]") or "127.0.0.1", default_port
    return host.strip("[]") or "127.0.0.1", int(port)


def first_mongodb_host(uri: str) -> tuple[str, int]:
    """The first server of a MongoDB URI, as (host, port)."""
    hosts = urlsplit(uri).netloc.rpartition("@")[2]
    return host_and_port(hosts.split(",")[0], 27017)


def answers_any(servers: str, default_port: int = 9092, timeout_s: float = 1.0) -> bool:
    """Whether any of "host:port[,host:port]" accepts a TCP connection."""
    for server in servers.split(","):
        try:
            host, port = host_and_port(server, default_port)
        except ValueError:
            continue
        if answers(host, port, timeout_s):
            return True
    return False


def real_services() -> tuple[str, str] | None:
    """(Kafka servers, MongoDB URI) when the user named both, else None.

    Decided from the variables alone, without a probe: a named service that does not
    answer is the user's error to see, and an unnamed one is never looked for.
    """
    servers, uri = kafka_servers(), mongodb_uri()
    if servers and uri:
        return servers, uri
    return None


class MissingDatabase(ServiceNotNamed):
    """Worker processes were asked for without a real database to share."""

    def __init__(self) -> None:
        super().__init__(
            "MONGODB_URI",
            "MONGODB_URI is not set: worker processes share their database through a "
            "real MongoDB-wire server (bash scripts/mongo.sh env prints the local one)",
        )


def require_database_uri() -> str:
    """MONGODB_URI, or MissingDatabase: separate processes cannot share a mongomock."""
    uri = mongodb_uri()
    if uri is None:
        raise MissingDatabase()
    return uri


def scripts_dir() -> Path:
    """The folder with kafka.sh and mongo.sh: MODELGUARD_SCRIPTS, or `scripts/` in the
    source checkout this package runs from, or in the current directory or a parent."""
    override = os.environ.get("MODELGUARD_SCRIPTS")
    if override:
        candidates = [Path(override)]
    else:
        here = Path(__file__).resolve().parent
        candidates = [p / "scripts" for p in (*here.parents, Path.cwd(), *Path.cwd().parents)]
    for candidate in candidates:
        if (candidate / "kafka.sh").is_file() and (candidate / "mongo.sh").is_file():
            return candidate
    raise FileNotFoundError(
        "cannot find the service scripts (kafka.sh, mongo.sh): run from a source checkout "
        "of modelguard or set MODELGUARD_SCRIPTS to its scripts/ folder"
    )
