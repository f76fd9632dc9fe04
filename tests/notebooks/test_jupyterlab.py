"""JupyterLab starts headless and serves the notebooks: what `make lab` gives a reader.

The server runs on a free local port with a random token and private config and
runtime folders, is polled until its contents API lists the notebooks, and is
always stopped, whatever the test's outcome.
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
from pathlib import Path

import pytest

pytestmark = pytest.mark.notebooks

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def jupyterlab(tmp_path):
    """A running JupyterLab over notebooks/: yields (base URL, token)."""
    token, port = secrets.token_hex(16), free_port()
    private = {name: tmp_path / name for name in ("config", "data", "runtime", "lab")}
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(private["config"]),
        "JUPYTER_RUNTIME_DIR": str(private["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(private["lab"] / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(private["lab"] / "workspaces"),
    }
    log_path = tmp_path / "jupyterlab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={NOTEBOOKS_DIR}",
                "--ServerApp.allow_root=True",  # containers and CI often run as root
                # No calls out to PyPI or jupyter.org from a test.
                "--LabApp.extension_manager=readonly",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.news_url=",
            ],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            yield f"http://127.0.0.1:{port}", token, server, log_path
        finally:
            server.terminate()
            try:
                server.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=STOP_TIMEOUT_S)


def test_jupyterlab_starts_headless_and_lists_the_notebooks(jupyterlab):
    base, token, server, log_path = jupyterlab
    expected = {path.name for path in NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")}
    assert expected, "no notebooks to serve"
    listed: set[str] = set()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            status, body = get(f"{base}/api/contents", token)
        except OSError:  # not listening yet
            time.sleep(0.5)
            continue
        if status == 200:
            listed = {item["name"] for item in json.loads(body)["content"]}
            if expected <= listed:
                break
        time.sleep(0.5)
    else:
        pytest.fail(f"JupyterLab listed {sorted(listed)} within {START_TIMEOUT_S} s:\n"
                    + log_path.read_text()[-4000:])  # fmt: skip

    assert get(f"{base}/api/contents", "wrong-token")[0] == 403
    status, page = get(f"{base}/lab", token)
    assert status == 200 and b"JupyterLab" in page
