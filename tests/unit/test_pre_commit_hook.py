"""The pre-commit hook, used from another repository as its users would use it.

A throwaway git repository holds this project's package files and
`.pre-commit-hooks.yaml`; a second one, the "service", names it by path in its
`.pre-commit-config.yaml` (`id: modelguard-lint`). pre-commit then clones the
hook repository, builds an environment for it and runs the hook on the service.

Nothing is fetched: pip is told to use no index, builds without isolation
(setuptools is in the dev extra) and sees the installed dependencies through
PYTHONPATH, so the test passes on a machine without network, as in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
HANDLER = '''"""The allocation handler, loading the admin service's build on every event."""


def allocate_trainer(event, source, path):
    namespace = {}
    exec(compile(source, path, "exec"), namespace)
    return namespace["AllocationService"]().allocate(event)
'''
FIXED = '''"""The allocation handler with its service built once, at start-up."""

_service = None


def initialize(service_class):
    global _service
    if _service is None:
        _service = service_class()


def allocate_trainer(event):
    return _service.allocate(event)
'''


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=modelguard", "-c", "user.email=lint@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory) -> tuple[Path, str]:
    """A git repository of this project's package, as another repo's config would name it."""
    repo = tmp_path_factory.mktemp("modelguard")
    for name in PACKAGE_FILES:
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(
        ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "modelguard")
    return repo, git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PRE_COMMIT"))}
    env.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",  # pip reads this negative flag inverted: 0 turns isolation off
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONPATH=sysconfig.get_paths()["purelib"],
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def service_repository(root: Path, hook: tuple[Path, str], handler: str) -> Path:
    repo, rev = hook
    root.mkdir()
    (root / "handler.py").write_text(handler, encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: modelguard-lint\n",
        encoding="utf-8",
    )
    git(root, "init", "--quiet")
    git(root, "add", ".")
    return root


def pre_commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_hook_fails_a_commit_that_runs_compiled_source_in_a_handler(
    tmp_path, hook_repository, offline_env
):
    service = service_repository(tmp_path / "service", hook_repository, HANDLER)

    result = pre_commit(service, offline_env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "modelguard lint" in result.stdout and "Failed" in result.stdout
    assert "handler.py:6:5: MG002 exec() runs the code compiled from `path` again" in result.stdout


def test_the_hook_passes_the_initialize_once_fix(tmp_path, hook_repository, offline_env):
    service = service_repository(tmp_path / "service", hook_repository, FIXED)

    result = pre_commit(service, offline_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "modelguard lint" in result.stdout and "Passed" in result.stdout
