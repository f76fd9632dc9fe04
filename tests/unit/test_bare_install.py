"""`pip install modelguard` without the lab: the three tools work, and the lab says what it needs.

The package's wheel is built from this checkout (no build isolation, nothing
fetched), then installed with uv into a fresh virtual environment together with
pytest; mongoengine and PyMongo come from the index through uv's cache. In that
environment the test asserts that none of the lab's dependencies is installed,
then runs the lint, strict mode and the pytest plugin on small projects written
here, each with one true case and one clean one, and imports a lab package and
runs a lab command, which must fail in one line naming the extra. It skips only
when uv cannot reach an index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_strict_versions import OFFLINE

from modelguard.extras import INSTALL, LAB_MODULES

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")


def run(*command: str | Path, cwd: Path | None = None, check: bool = True):
    # PYTHONPATH and the checkout's own packages must not leak into the bare environment.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )
    if check and done.returncode != 0:
        pytest.fail(f"{command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> Path:
    """The python of a virtual environment holding only the wheel, its dependencies and pytest."""
    root = tmp_path_factory.mktemp("bare")
    # built from a copy, so setuptools' build/ and egg-info never land in the checkout
    project = root / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", project / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", root / "dist", project, cwd=root)  # fmt: skip
    wheels = list((root / "dist").glob("modelguard-*.whl"))
    assert len(wheels) == 1, wheels
    run(UV, "venv", "--quiet", "--python", sys.executable, root / "venv")
    python = root / "venv" / "bin" / "python"
    done = run(UV, "pip", "install", "--quiet", "--python", python, wheels[0], "pytest>=8,<9.2",
               check=False)  # fmt: skip
    if done.returncode != 0:
        if any(marker in done.stderr for marker in OFFLINE + ("Could not connect",)):
            pytest.skip("offline: uv could not fetch mongoengine and pymongo")
        pytest.fail(f"uv pip install failed:\n{done.stderr}")
    return python


def test_the_bare_install_holds_none_of_the_labs_dependencies(bare):
    check = (
        "import importlib.util, json, sys\n"
        f"print(json.dumps([m for m in {sorted(LAB_MODULES)!r} "
        "if importlib.util.find_spec(m) is not None]))\n"
    )
    assert run(bare, "-c", check).stdout.strip() == "[]"
    installed = run(UV, "pip", "list", "--python", bare).stdout.lower()
    for dist in (*LAB_MODULES.values(), "jupyterlab", "ipykernel"):
        assert f"\n{dist} " not in installed, installed
    assert "\nmongoengine " in installed and "\npymongo " in installed


def test_the_lint_runs_in_the_bare_install(bare, tmp_path):
    (tmp_path / "models.py").write_text(
        'from modelguard import Schema, registry\n\nUser = registry.model("User", Schema({}))\n'
    )
    (tmp_path / "clean.py").write_text(
        "from modelguard import Schema, registry\n\n"
        'User = registry.models.get("User") or registry.model("User", Schema({}))\n'
    )
    found = run(bare, "-m", "modelguard", "lint", tmp_path / "models.py", check=False)
    assert found.returncode == 1 and ":3:8: MG001 " in found.stdout, found.stdout + found.stderr
    assert run(bare, "-m", "modelguard", "lint", tmp_path / "clean.py").stdout == ""


def test_strict_mode_runs_in_the_bare_install(bare, tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(
        "from mongoengine import Document, fields\n\nclass Cart(Document):\n"
        "    total = fields.IntField()\n"
    )
    script = textwrap.dedent(
        """
        import importlib
        from modelguard import OverwriteModelError, strict
        strict.enable()
        import shop.models
        try:
            importlib.reload(shop.models)
        except OverwriteModelError as error:
            print("refused:", error.again)
        """
    )
    out = run(bare, "-c", script, cwd=tmp_path).stdout
    assert out.startswith("refused: module 'shop.models' (") and "models.py:3)" in out, out


def test_the_pytest_plugin_runs_in_the_bare_install(bare, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "settings.py").write_text("LIMIT = 3\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_twice.py").write_text(
        "import importlib, sys\n\n\n"
        "def test_imports_one_file_under_two_names():\n"
        "    import pkg.settings\n"
        "    sys.path.insert(0, 'pkg')\n"
        "    assert importlib.import_module('settings').LIMIT == pkg.settings.LIMIT\n"
    )
    caught = run(bare, "-m", "pytest", "-p", "modelguard.pytest_plugin", "-q", "-p",
                 "no:cacheprovider", cwd=tmp_path, check=False)  # fmt: skip
    assert caught.returncode != 0, caught.stdout
    assert "'pkg.settings'" in caught.stdout and "'settings'" in caught.stdout, caught.stdout
    (tmp_path / "tests" / "test_twice.py").write_text("def test_nothing_twice():\n    pass\n")
    clean = run(bare, "-m", "pytest", "-p", "modelguard.pytest_plugin", "-q", "-p",
                "no:cacheprovider", cwd=tmp_path, check=False)  # fmt: skip
    assert clean.returncode == 0, clean.stdout


def test_the_lab_refuses_in_one_line_naming_the_extra(bare, tmp_path):
    assert "lint" in run(bare, "-m", "modelguard", "--help").stdout  # the CLI itself imports
    imported = run(bare, "-c", "import modelguard.lab", check=False)
    last = imported.stderr.strip().splitlines()[-1]
    assert imported.returncode == 1
    assert last.startswith("modelguard.extras.LabExtraMissing: modelguard.lab is part of the lab")
    assert INSTALL in last and "missing: kafka-python, matplotlib, mongomock" in last
    command = run(bare, "-m", "modelguard", "scenarios", check=False)
    assert command.returncode == 2
    assert command.stderr.count("\n") == 1 and INSTALL in command.stderr, command.stderr
    connect = run(bare, "-c", "from modelguard import db; db.connect()", check=False)
    assert "LabExtraMissing: modelguard.db.connect() without a URI" in connect.stderr
