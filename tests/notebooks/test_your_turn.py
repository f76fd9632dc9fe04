"""Notebook 07, the exercise, both ways, as a learner would meet it.

As shipped, its checking cell must report the bug, so the check can fail. With the
solution's files in place of the learner's (in a copy of the notebooks folder), the
same cell must say it passed. Neither run may change the exercise folder.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from headless import errors_in, execute_notebook

pytestmark = pytest.mark.notebooks

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = NOTEBOOKS_DIR / "07-your-turn.ipynb"
EXERCISE = NOTEBOOKS_DIR / "exercise"


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under the folder, bytecode caches included, and its content's hash."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def check_cell_says(notebook) -> str:
    """What the cell tagged `check` printed."""
    cells = [cell for cell in notebook.cells if "check" in cell.metadata.get("tags", [])]
    assert len(cells) == 1, "notebook 07 has one checking cell, tagged `check`"
    assert cells[0] is notebook.cells[-1], "the checking cell comes last"
    return "".join(o.text for o in cells[0].outputs if o.output_type == "stream")


@pytest.fixture
def exercise_unchanged():
    before = fingerprint(EXERCISE)
    yield
    assert fingerprint(EXERCISE) == before, "running notebook 07 changed notebooks/exercise/"


def test_as_shipped_the_check_reports_what_fails(python3_kernel, exercise_unchanged):
    notebook = execute_notebook(NOTEBOOK, python3_kernel)
    assert errors_in(notebook) == []
    said = check_cell_says(notebook)
    assert said.startswith("Not yet:"), said
    assert "kafka_retry" in said and "multiple_retries" in said
    assert "OverwriteModelError" in said and "notifications.py" in said
    assert "Already right: concurrent_events, worker_restart." in said


def test_with_the_solution_applied_the_check_passes(python3_kernel, exercise_unchanged, tmp_path):
    copy = tmp_path / "notebooks"
    copy.mkdir()
    shutil.copy(NOTEBOOK, copy / NOTEBOOK.name)
    shutil.copytree(EXERCISE, copy / "exercise", ignore=shutil.ignore_patterns("__pycache__"))
    for solved in (EXERCISE / "solution").glob("*.py"):
        if solved.name != "__init__.py":
            shutil.copy(solved, copy / "exercise" / solved.name)
    notebook = execute_notebook(copy / NOTEBOOK.name, python3_kernel)
    assert errors_in(notebook) == []
    said = check_cell_says(notebook)
    assert said.startswith("Passed."), said
