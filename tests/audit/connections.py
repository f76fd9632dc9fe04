"""Counting the connections a process opens to the services' well-known ports.

A Python audit hook sees every `socket.connect` (and `connect_ex`, which kafka-python
uses) before it happens, so it counts attempts even to a port where nothing listens,
where a listener could only count what it accepted. The ports are the local services'
defaults; a test run that named no service must open no connection to any of them.

One line per connection goes to the file `MODELGUARD_AUDIT_LOG` names ("PID HOST PORT"),
appended, so the test process, the command-line subprocesses and the notebook kernels
it starts all count into one place. `sitecustomize.py` beside this file installs the
hook in every Python process started with this folder on PYTHONPATH.

The unit tests and the notebook runs count themselves (a test or notebook that connects
fails). To count a whole `make test` by hand, with no service named:

    env -u KAFKA_BOOTSTRAP_SERVERS -u KAFKA_SASL_BOOTSTRAP_SERVERS -u MONGODB_URI \
        MODELGUARD_AUDIT_LOG=/tmp/connections.log PYTHONPATH=$PWD/tests/audit make test

and /tmp/connections.log must not exist afterwards: it is created by the first
connection to one of the ports.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOG_VARIABLE = "MODELGUARD_AUDIT_LOG"
PORTS_VARIABLE = "MODELGUARD_AUDIT_PORTS"
# Kafka, Kafka's SASL listener and the MongoDB-wire server, as scripts/services.sh starts them.
DEFAULT_PORTS = (9092, 9094, 27017)
HERE = Path(__file__).resolve().parent

_installed: set[tuple[str, tuple[int, ...]]] = set()


def watched_ports() -> tuple[int, ...]:
    spec = os.environ.get(PORTS_VARIABLE, "")
    return tuple(int(p) for p in spec.split(",") if p.strip()) or DEFAULT_PORTS


def install(log: Path | str, ports: tuple[int, ...] = DEFAULT_PORTS) -> None:
    """Record every connection this process opens to `ports` in `log`. Audit hooks
    cannot be removed, so a second install with the same arguments does nothing."""
    key = (str(log), tuple(ports))
    if key in _installed:
        return
    _installed.add(key)
    watched = frozenset(ports)
    path = str(log)

    def hook(event: str, args: tuple) -> None:
        if event != "socket.connect":
            return
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2 and address[1] in watched:
            # One write per line in append mode: lines from several processes never mix.
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"{os.getpid()} {address[0]} {address[1]}\n")

    sys.addaudithook(hook)


def install_from_environment() -> None:
    """Install the hook when MODELGUARD_AUDIT_LOG is set (sitecustomize calls this)."""
    log = os.environ.get(LOG_VARIABLE)
    if log:
        install(log, watched_ports())


def recorded(log: Path | str) -> list[str]:
    """The connections recorded so far, one "PID HOST PORT" string each."""
    try:
        return Path(log).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def child_environment(log: Path | str, ports: tuple[int, ...] = DEFAULT_PORTS) -> dict[str, str]:
    """The variables a child Python needs to count into `log`: the log, the ports, and
    this folder first on PYTHONPATH, so that its sitecustomize runs."""
    path = os.environ.get("PYTHONPATH", "")
    parts = [str(HERE)] + [p for p in path.split(os.pathsep) if p and p != str(HERE)]
    return {
        LOG_VARIABLE: str(log),
        PORTS_VARIABLE: ",".join(map(str, ports)),
        "PYTHONPATH": os.pathsep.join(parts),
    }
