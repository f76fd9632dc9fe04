"""JupyterLab starts headless and serves the notebooks: what `make lab` gives a reader.

The browser test in tests/e2e opens a notebook in it and runs every cell.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from labserver import jupyterlab

pytestmark = pytest.mark.notebooks

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"


def test_jupyterlab_starts_headless_and_lists_the_notebooks(tmp_path):
    expected = {path.name for path in NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")}
    assert expected, "no notebooks to serve"
    with jupyterlab(NOTEBOOKS_DIR, tmp_path) as lab:
        lab.wait_until_listed(expected)
        assert lab.get("/api/contents", "wrong-token")[0] == 403
        status, page = lab.get("/lab")
        assert status == 200 and b"JupyterLab" in page
