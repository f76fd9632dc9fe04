"""Notebook 07, the exercise, both ways, as a learner would meet it.

As shipped, its checking cell must report the bug, so the check can fail. With the
solution's files in place of the learner's (in a copy of the notebooks folder), the
same cell must say it passed. Neither run may change the exercise folder.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import nbformat
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
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(cells) == 1, "notebook 07 has one checking cell, tagged `check`"
    assert cells[0] is code[-1], "the checking cell is the last code cell"
    return printed(cells[0])


def printed(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


def cell_that_runs(notebook, code: str):
    [cell] = [cell for cell in notebook.cells if cell.cell_type == "code" and code in cell.source]
    return cell


def test_notebook_07_ends_with_a_link_to_notebook_08():
    last = nbformat.read(NOTEBOOK, as_version=4).cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("**Next:**")
    assert "(08-operating-the-worker.ipynb)" in last.source
    assert (NOTEBOOKS_DIR / "08-operating-the-worker.ipynb").is_file()


@pytest.fixture
def exercise_unchanged():
    before = fingerprint(EXERCISE)
    yield
    assert fingerprint(EXERCISE) == before, "running notebook 07 changed notebooks/exercise/"


def test_as_shipped_the_check_reports_what_fails(python3_kernel, exercise_unchanged):
    notebook = execute_notebook(NOTEBOOK, python3_kernel)
    assert errors_in(notebook) == []
    said = check_cell_says(notebook)
    assert said.startswith("Not yet (seed "), said
    assert "its buyer was never told" in said and "OverwriteModelError" in said
    assert "notifications.py" in said and "plays the same deliveries again" in said
    assert re.search(r"This cell took \d+\.\d s\.", said), said
    afternoon = printed(cell_that_runs(notebook, "bad_afternoon"))
    assert afternoon.startswith("20 purchases, 0 receipts stored, 20 in the DLQ"), afternoon
    figures = printed(cell_that_runs(notebook, "scenarios = run(FOLDER)"))
    assert "kafka_retry: 1 purchase, 0 receipts stored, 1 in the DLQ" in figures, figures
    assert "concurrent_events: 20 purchases, 20 receipts stored, 0 in the DLQ" in figures, figures


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
    assert said.startswith("Passed (seed "), said
    assert re.search(r"This cell took \d+\.\d s\.", said), said
    afternoon = printed(cell_that_runs(notebook, "bad_afternoon"))
    assert afternoon.startswith("20 purchases, 20 receipts stored, 0 in the DLQ"), afternoon
    figures = printed(cell_that_runs(notebook, "scenarios = run(FOLDER)"))
    assert "database_timeout: 1 purchase, 1 receipt stored, 0 in the DLQ" in figures
