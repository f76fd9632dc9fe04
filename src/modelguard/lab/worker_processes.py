"""Worker processes as the OS runs them: `python -m modelguard.entrypoints.worker`.

It decides the command line and environment of a worker process (its database and
broker come from the environment, as in production), and what stopping one means:
SIGKILL is a crash (no clean-up, no commit, no leaving the group), SIGTERM a clean
stop (the record in hand finishes and commits, then the member leaves), SIGSTOP and
SIGCONT a freeze and a thaw (the zombie drill's long pause). Each process
logs to a file of its own, whose tail is logged when it exits badly.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from modelguard import db
from modelguard.messaging.port import Broker

log = logging.getLogger(__name__)

STOP_WAIT_S = 30.0


def worker_command(
    variant: str,
    topic: str,
    group: str,
    *,
    policy: str = "seed",
    report_topic: str | None = None,
    faults: str | None = None,
) -> list[str]:
    command = [sys.executable, "-m", "modelguard.entrypoints.worker", "--variant", variant]
    command += ["--topic", topic, "--group", group, "--policy", policy]
    if report_topic:
        command += ["--report-topic", report_topic]
    if faults:
        command += ["--faults", faults]
    return command


def worker_env(bus: Broker, uri: str, database: str) -> dict[str, str]:
    """This process's environment, naming the run's database and this broker."""
    servers = getattr(bus, "bootstrap_servers", None)
    if servers is None:
        raise TypeError(f"worker processes need a broker other processes can reach, not {bus!r}")
    return {
        **os.environ,
        "MONGODB_URI": db.with_database(uri, database),
        "KAFKA_BOOTSTRAP_SERVERS": servers,
    }


class WorkerProcesses:
    """Worker processes started from one command line; leaving the block stops them."""

    def __init__(self, command: list[str], env: Mapping[str, str]) -> None:
        self.command, self.env = command, dict(env)
        self.started: list[subprocess.Popen[bytes]] = []
        self.killed: list[subprocess.Popen[bytes]] = []
        self._log_paths: dict[int, Path] = {}
        self.frozen: set[int] = set()
        self._logs = tempfile.TemporaryDirectory(prefix="modelguard-workers-")

    def start(self) -> subprocess.Popen[bytes]:
        path = Path(self._logs.name) / f"worker-{len(self.started) + 1}.log"
        with path.open("wb") as out:
            process = subprocess.Popen(
                self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._log_paths[process.pid] = path
        self.started.append(process)
        return process

    def running(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.started if p.poll() is None]

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean-up, no commit, no leaving the group."""
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.killed.append(process)

    def freeze(self, process: subprocess.Popen[bytes]) -> None:
        """SIGSTOP: the process stops dead, heartbeats included, holding what it had."""
        process.send_signal(signal.SIGSTOP)
        self.frozen.add(process.pid)

    def thaw(self, process: subprocess.Popen[bytes]) -> None:
        """SIGCONT: the process carries on where it stopped, unaware of the time gone."""
        process.send_signal(signal.SIGCONT)
        self.frozen.discard(process.pid)

    def stop(self, timeout_s: float = STOP_WAIT_S) -> dict[int, int]:
        """SIGTERM every running process and wait; returns each stopped pid's exit code."""
        running = self.running()
        for process in running:
            if process.pid in self.frozen:  # a stopped process cannot act on SIGTERM
                self.thaw(process)
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.error("worker pid %d ignored SIGTERM for %.0f s; killing it", process.pid,
                          timeout_s)  # fmt: skip
                process.kill()
                process.wait()
        for process in self.started:
            if process not in self.killed and process.returncode != 0:
                log.error("worker pid %d exited with %s:\n%s", process.pid, process.returncode,
                          self.log_tail(process))  # fmt: skip
        return {p.pid: p.returncode for p in running}

    def log_text(self, process: subprocess.Popen[bytes]) -> str:
        """Everything the process has logged so far."""
        return self._log_paths[process.pid].read_text(errors="replace")

    def log_tail(self, process: subprocess.Popen[bytes], lines: int = 30) -> str:
        text = self._log_paths[process.pid].read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> WorkerProcesses:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self._logs.cleanup()
