"""The layers point down: import-linter's contract in pyproject.toml holds for src/,
and breaks, naming the import, when a module imports a layer above its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One import per kind of upward arrow the contract forbids: (importer, imported).
UPWARD = [
    ("modelguard.academy.workers.allocation", "modelguard.lab.faults"),
    ("modelguard.bootstrap", "modelguard.lab.databases"),
    ("modelguard.views.dashboard", "modelguard.lab.scrapes"),
    ("modelguard.lab.seed", "modelguard.views.tables"),
    ("modelguard.lab.growth", "modelguard.entrypoints.cli"),
    ("modelguard.messaging.consumer", "modelguard.academy.workers.allocation"),
    ("modelguard.registry.schema", "modelguard.messaging.events"),
    ("modelguard.lint.findings", "modelguard.registry.errors"),
    ("modelguard.db", "modelguard.registry.model_registry"),
    ("modelguard.config", "modelguard.db"),
]


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """import-linter run on the package under `project`/src with `project`'s pyproject."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True, no_logo=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_no_module_in_src_imports_a_layer_above_its_own():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Layers point down KEPT" in run.stdout


@pytest.fixture(scope="module")
def upward_run(tmp_path_factory) -> subprocess.CompletedProcess[str]:
    """import-linter on a copy of the project whose modules each gained one upward import."""
    project = tmp_path_factory.mktemp("upward")
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(ROOT / "src" / "modelguard", project / "src" / "modelguard",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for importer, imported in UPWARD:
        path = (project / "src" / importer.replace(".", "/")).with_suffix(".py")
        with open(path, "a", encoding="utf-8") as module:
            module.write(f"\nimport {imported}  # an upward import\n")
    return lint_imports(project)


def test_an_upward_import_breaks_the_contract(upward_run):
    assert upward_run.returncode == 1, upward_run.stdout + upward_run.stderr
    assert "Layers point down BROKEN" in upward_run.stdout


@pytest.mark.parametrize(("importer", "imported"), UPWARD)
def test_the_broken_contract_names_each_upward_import(upward_run, importer, imported):
    assert f"- {importer} -> {imported} (l." in upward_run.stdout, upward_run.stdout
