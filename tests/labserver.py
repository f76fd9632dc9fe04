"""A JupyterLab server for tests: what `make lab` starts, on a free local port.

It loads the repository's jupyter/jupyter_lab_config.py, as `make lab` does, and
runs with a random token and private config, runtime, settings and workspace
folders, so a test never reads or writes the user's own Jupyter files. It calls
nothing outside this machine. `wait_until_listed` polls the contents API
until the server serves the notebooks; the server is always stopped, whatever
the test's outcome.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LAB_CONFIG = Path(__file__).resolve().parents[1] / "jupyter" / "jupyter_lab_config.py"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LabServer:
    base: str  # http://127.0.0.1:PORT
    token: str
    process: subprocess.Popen
    log_path: Path

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"token {token or self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def wait_until_listed(self, names: set[str], timeout_s: float = START_TIMEOUT_S) -> set[str]:
        """Poll the contents API until it lists `names`; returns what it listed last."""
        listed: set[str] = set()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"JupyterLab exited with {code}:\n{self.log()}")
            try:
                status, body = self.get("/api/contents")
            except OSError:  # not listening yet
                time.sleep(0.5)
                continue
            if status == 200:
                listed = {item["name"] for item in json.loads(body)["content"]}
                if names <= listed:
                    return listed
            time.sleep(0.5)
        shown = sorted(listed)
        raise TimeoutError(f"JupyterLab listed {shown} within {timeout_s} s:\n{self.log()}")


@contextmanager
def jupyterlab(root: Path, private: Path) -> Iterator[LabServer]:
    """The lab's JupyterLab serving `root`, with its own folders under `private`."""
    token, port = secrets.token_hex(16), free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(private / "config"),
        "JUPYTER_RUNTIME_DIR": str(private / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(private / "lab" / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(private / "lab" / "workspaces"),
    }
    log_path = private / "jupyterlab.log"
    private.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab", f"--config={LAB_CONFIG}", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.allow_root=True",  # containers and CI often run as root
                "--LabApp.extension_manager=readonly",  # no calls out to PyPI from a test
            ],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            yield LabServer(f"http://127.0.0.1:{port}", token, process, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)
