"""A pytest plugin that fails the session when a project file was imported under two names.

    pytest -p modelguard.pytest_plugin      (or `addopts = -p modelguard.pytest_plugin`)

A file imported as two module names ran twice, so every class in it exists
twice: the double-import trap, and for model files the silent overwrite of
plain mongoengine or `OverwriteModelError` from the registry. This plugin
decides:

- *which files count*: files under pytest's rootdir, minus the interpreter's
  own tree (`sys.prefix`), so a virtualenv inside the project is not judged;
- *what counts as two names*: two entries of `sys.modules` holding two
  different module objects for one file. One object under two names (an
  alias such as `sys.modules["old"] = new`) ran once and is not reported, and
  neither is `importlib.reload`, which runs a file again under the same name
  (`modelguard.strict` sees that one);
- *when it looks*: after collection, after each test and at the end, so a test
  that imports a second copy and then tidies `sys.modules` is still seen. A
  copy that never enters `sys.modules` (a bare `exec_module`) is not.

The session fails, and the summary names each file and its module names. Under
pytest-xdist each worker reports what it saw to the controller. A codebase that
adopts the check with known offenders lists them, as globs relative to the
rootdir, under the ini option `modelguard_double_imports_ignore`, and removes
each line as it is fixed.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_WORKER_KEY = "modelguard_double_imports"


@dataclass
class DoubleImports:
    """The module names seen so far for each project file."""

    root: str
    _names: dict[str, dict[str, int]] = field(default_factory=dict)  # file -> name -> id(module)
    _looked_at: dict[str, int] = field(default_factory=dict)  # name -> id(module) last scanned
    _remote: dict[str, set[str]] = field(default_factory=dict)  # from xdist workers
    _outside = (os.path.realpath(sys.prefix) + os.sep, os.path.realpath(sys.base_prefix) + os.sep)

    def scan(self) -> None:
        """Note every module in `sys.modules` that comes from a project file."""
        for name, module in list(sys.modules.items()):
            ident = id(module)
            if self._looked_at.get(name) == ident:
                continue
            self._looked_at[name] = ident
            file = getattr(module, "__file__", None)
            if not isinstance(file, str):
                continue
            path = os.path.realpath(file)
            if path.startswith(self.root) and not path.startswith(self._outside):
                self._names.setdefault(path, {})[name] = ident

    def merge(self, found: dict[str, list[str]]) -> None:
        """Add another process's findings (an xdist worker's), already judged there."""
        for path, names in found.items():
            self._remote.setdefault(path, set()).update(names)

    def found(self) -> dict[str, list[str]]:
        """Project file (relative to the root) -> its module names, for files with two or more."""
        found = {
            os.path.relpath(path, self.root): set(names)
            for path, names in self._names.items()
            if len(set(names.values())) > 1
        }
        for path, names in self._remote.items():
            found.setdefault(path, set()).update(names)
        return {path: sorted(names) for path, names in sorted(found.items())}


def describe(found: dict[str, list[str]]) -> list[str]:
    """One line per file, naming the file and every module name it was imported under."""
    return [
        f"{path} was imported under {len(names)} module names: {', '.join(map(repr, names))}; "
        "its code ran once per name (a package folder and its parent both on sys.path, "
        "a load by file path, or a module run as __main__ and imported by name)"
        for path, names in found.items()
    ]


_watch_key = pytest.StashKey[DoubleImports]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "modelguard_double_imports_ignore",
        "files (globs relative to the rootdir) the double-import check does not judge",
        type="linelist",
        default=[],
    )


def _judged(config: pytest.Config) -> dict[str, list[str]]:
    ignored = config.getini("modelguard_double_imports_ignore")
    found = config.stash[_watch_key].found()
    return {
        path: names
        for path, names in found.items()
        if not any(fnmatch.fnmatch(path, pattern) for pattern in ignored)
    }


def pytest_configure(config: pytest.Config) -> None:
    root = str(Path(config.rootpath).resolve()) + os.sep
    config.stash[_watch_key] = DoubleImports(root)


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[_watch_key].scan()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    item.config.stash[_watch_key].scan()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker finished; add what it saw."""
    found = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if found:
        node.config.stash[_watch_key].merge(found)


def pytest_sessionfinish(session: pytest.Session) -> None:
    session.config.stash[_watch_key].scan()
    found = _judged(session.config)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller judges
        workeroutput[_WORKER_KEY] = found
        return
    if found and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    found = _judged(config)
    if not found:
        return
    terminalreporter.write_sep("=", "modelguard: project files imported under two names", red=True)
    for line in describe(found):
        terminalreporter.write_line(line)
