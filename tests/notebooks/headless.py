"""Running a notebook headless, as `make demo` and a reader's JupyterLab run it.

Test modules here import this by name (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CELL_TIMEOUT_S = 120
# Addresses a notebook must not see: the walkthrough runs on the embedded default.
SERVICE_VARIABLES = ("MONGODB_URI", "KAFKA_BOOTSTRAP_SERVERS")


def execute_notebook(path: Path, kernel: str, *, cwd: Path | None = None):
    """Run every cell of the notebook at `path` in a new kernel started in `cwd` (default:
    the notebook's folder), on the embedded default; returns the executed notebook.

    Raises CellExecutionError, naming the cell, on the first cell that raises.
    """
    notebook = nbformat.read(path, as_version=4)
    saved = {name: os.environ.pop(name) for name in SERVICE_VARIABLES if name in os.environ}
    try:
        NotebookClient(
            notebook,
            kernel_name=kernel,
            timeout=CELL_TIMEOUT_S,
            resources={"metadata": {"path": str(cwd or path.parent)}},
        ).execute()
    finally:
        os.environ.update(saved)
    return notebook


def errors_in(notebook) -> list:
    return [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
