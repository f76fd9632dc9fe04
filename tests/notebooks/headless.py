"""Running a notebook headless, as `make demo` and a reader's JupyterLab run it.

It decides which services a notebook may see: none, except that the one notebook about
real services (06) gets the variables that name them when the run has them. And it
counts, in the kernel, every connection to a service's well-known port: a notebook that
was named no service and opened one fails, whatever answered there.

Test modules here import this by name (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from audit import connections
from nbclient import NotebookClient

from modelguard.config import SERVICE_VARIABLES

CELL_TIMEOUT_S = 120
# Notebooks about the real services: they use them when, and only when, they are named.
SERVICE_NOTEBOOKS = frozenset({"06-real-kafka"})


class UnnamedServiceReached(AssertionError):
    """A notebook opened a connection to a service's port with no service named."""


def execute_notebook(path: Path, kernel: str, *, cwd: Path | None = None):
    """Run every cell of the notebook at `path` in a new kernel started in `cwd` (default:
    the notebook's folder); returns the executed notebook.

    Raises CellExecutionError, naming the cell, on the first cell that raises, and
    UnnamedServiceReached when the kernel connected to a service nobody named.
    """
    notebook = nbformat.read(path, as_version=4)
    hidden = () if path.stem in SERVICE_NOTEBOOKS else tuple(SERVICE_VARIABLES)
    saved = {name: os.environ.get(name) for name in (*SERVICE_VARIABLES, "PYTHONPATH",
             connections.LOG_VARIABLE, connections.PORTS_VARIABLE)}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="modelguard-audit-") as scratch:
        log = Path(scratch) / "connections.log"
        for name in hidden:
            os.environ.pop(name, None)
        named = [name for name in SERVICE_VARIABLES if os.environ.get(name)]
        # The kernel inherits this process's environment, and with it the audit hook.
        os.environ.update(connections.child_environment(log))
        try:
            NotebookClient(
                notebook,
                kernel_name=kernel,
                timeout=CELL_TIMEOUT_S,
                resources={"metadata": {"path": str(cwd or path.parent)}},
            ).execute()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        reached = connections.recorded(log)
    if reached and not named:
        raise UnnamedServiceReached(
            f"{path.name} connected to a service's port with no service named: "
            + ", ".join(sorted({" ".join(line.split()[1:]) for line in reached}))
        )
    return notebook


def errors_in(notebook) -> list:
    return [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
