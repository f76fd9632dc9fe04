"""With no service named, the embedded default opens no connection to a service's port.

Two counts, either of which would see a leak: foreign listeners on the local services'
ports, counting what they accept (bound only where a port is free: where a real service
already holds it, as in CI, it cannot be bound, and the second count still holds), and
the audit hook in every Python process of the run, counting connection attempts to those
ports, answered or not. The controls show both counts see a connection when one is made.

Every unit test and every notebook run is also counted this way (tests/unit/conftest.py,
tests/notebooks/headless.py); this test covers the command line a new user runs first.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from audit import connections

from modelguard.config import SERVICE_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
# What a new user runs first, on the embedded default: every command that has a broker.
EMBEDDED_COMMANDS = (
    ["walkthrough"],
    ["scenarios", "--variant", "all", "--events", "4", "--json"],
    ["dlq", "inspect", "--topic", "purchases", "--events", "4"],
    ["replay-dlq", "--events", "4"],
    ["replay-dlq", "--events", "4", "--dry-run"],
    ["soak", "--records", "60", "--kills", "1"],
)


class Listener:
    """A foreign server on a port: it accepts, counts and closes every connection."""

    def __init__(self, port: int) -> None:
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        # shutdown() wakes the accepting thread on Linux; close() alone may not.
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()
        self._thread.join(timeout=5)


@contextmanager
def foreign_listeners(ports):
    """Listeners on those of `ports` that are free; {port: Listener}."""
    with ExitStack() as stack:
        bound = {}
        for port in ports:
            try:
                listener = Listener(port)
            except OSError:  # a real service holds it: the audit hook still counts
                continue
            stack.callback(listener.close)
            bound[port] = listener
        yield bound


def run_python(args, log, ports, **named):
    """Run `python ARGS` counted into `log`, with only the services in `named` named."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(connections.child_environment(log, ports), **named)
    env["PYTHONPATH"] += os.pathsep + str(ROOT / "src")
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip


def test_the_counts_see_a_connection_when_one_is_made(tmp_path):
    log = tmp_path / "connections.log"
    with foreign_listeners([0]) as bound:
        [listener] = bound.values()
        code = f"import socket; socket.create_connection(('127.0.0.1', {listener.port})).close()"
        done = run_python(["-c", code], log, (listener.port,))
        assert done.returncode == 0, done.stderr
    assert len(connections.recorded(log)) == 1
    assert listener.accepted == 1


def test_a_named_database_is_reached_and_counted(tmp_path):
    log = tmp_path / "connections.log"
    with foreign_listeners([0]) as bound:
        [listener] = bound.values()
        code = (
            "from modelguard import db\n"
            "try:\n"
            "    db.connect(timeout_ms=500).command('ping')\n"
            "except Exception as error:\n"
            "    print(type(error).__name__)\n"
        )
        uri = f"mongodb://127.0.0.1:{listener.port}/modelguard"
        done = run_python(["-c", code], log, (listener.port,), MONGODB_URI=uri)
        assert done.returncode == 0, done.stderr
    assert connections.recorded(log), "naming a server must reach it, or the count proves nothing"
    assert listener.accepted >= 1


@pytest.mark.parametrize("command", EMBEDDED_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_embedded_command_opens_no_connection_to_a_service_port(tmp_path, command):
    log = tmp_path / "connections.log"
    with foreign_listeners(connections.DEFAULT_PORTS) as bound:
        done = run_python(["-m", "modelguard", *command], log, connections.DEFAULT_PORTS)
        accepted = {port: listener.accepted for port, listener in bound.items()}
    assert done.returncode == 0, done.stderr[-2000:]
    assert connections.recorded(log) == []
    assert sum(accepted.values()) == 0, accepted
