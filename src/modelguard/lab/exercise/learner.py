"""A learner's worker folder, imported as a new worker process would import it.

The folder (one with an `__init__.py`) is imported as a package named after it.
While a `LearnerPackage` is open, a finder in front of `sys.meta_path` serves that
package from the folder, so every way of running one of its files again through
the import system (a reload, an import after deleting it from `sys.modules`) goes
through one loader, and the loader counts each run of each file. A run outside the
import system (`spec_from_file_location` with a loader of its own, `runpy`, `exec`
of the source) does not reach it: the check's worker processes count those too
(`process_watch`, which turns this loader's counting off). A file that runs more than once in
one worker process is the incident's signature, whether the registry noticed (an
unguarded model raises) or not (a guarded one hides it). The loader also counts
each construction of the classes it is told to watch (the worker's service), with
the line of the learner's code that built it: a service built again on a retry is
the other half of the signature, even when no file ran twice.

`start_process()` forgets the package's modules, as a newly started process has
loaded nothing, and returns that process's `ProcessRecord`. Closing the package
takes the finder away and puts back whatever was imported under that name before.
No bytecode is written next to the learner's files, so checking them leaves the
folder as it was.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType


class NotAPackage(ValueError):
    """The folder cannot be imported as a package."""


@dataclass
class ProcessRecord:
    """What one worker process did with the learner's files."""

    runs: Counter[str] = field(default_factory=Counter)  # file -> runs
    built: dict[str, list[str]] = field(default_factory=dict)  # class -> where each was built


class _CountingLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, package: LearnerPackage) -> None:
        super().__init__(fullname, path)
        self._package = package

    def exec_module(self, module: ModuleType) -> None:
        if self._package.count_runs:
            self._package._count(Path(self.path))
        # The module's own builtins, with a class builder that watches what it builds, so
        # a service built at module level, right after its class, is counted too.
        module.__dict__["__builtins__"] = {
            **builtins.__dict__,
            "__build_class__": self._package._watching_build_class,
        }
        super().exec_module(module)  # noqa: MG002 -- counting each run is this loader's job

    def set_data(self, path, data, *, _mode=0o666) -> None:
        """Write no bytecode cache: the learner's folder stays as it was."""


class LearnerPackage:
    """`with LearnerPackage(folder) as package:` then `package.start_process()` per process."""

    def __init__(
        self, folder: str | Path, watch: tuple[str, ...] = (), *, count_runs: bool = True
    ) -> None:
        self.folder = Path(folder).resolve()
        self.name = self.folder.name
        if not self.name.isidentifier():
            raise NotAPackage(f"{self.folder.name!r} is not a Python package name")
        if not (self.folder / "__init__.py").is_file():
            raise NotAPackage(f"{self.folder} has no __init__.py")
        self.watch = watch  # class names whose constructions are counted
        # False where the process counts runs itself, however they happen (process_watch)
        self.count_runs = count_runs
        self.process = ProcessRecord()
        self._lock = threading.Lock()
        self._saved: dict[str, ModuleType] = {}

    def __enter__(self) -> LearnerPackage:
        self._saved = {name: sys.modules.pop(name) for name in self._own(sys.modules)}
        sys.meta_path.insert(0, self)  # a finder, by protocol: find_spec
        return self

    def __exit__(self, *exc_info) -> None:
        sys.meta_path.remove(self)
        self._forget()
        sys.modules.update(self._saved)

    @property
    def runs(self) -> Counter[str]:
        """File, relative to the folder -> runs in the current process."""
        return self.process.runs

    def start_process(self) -> ProcessRecord:
        """Forget every module of the package and count afresh; returns the new record."""
        self._forget()
        with self._lock:
            self.process = ProcessRecord()
            return self.process

    def import_module(self, module: str) -> ModuleType:
        """Import one module of the package, once per process (start_process forgets it)."""
        return importlib.import_module(f"{self.name}.{module}")  # noqa: MG006 -- once per process

    def files(self) -> list[Path]:
        """The learner's own files: the folder's modules, not its subfolders."""
        return sorted(self.folder.glob("*.py"))

    def find_spec(self, fullname: str, path=None, target=None):
        """The finder protocol: a spec for the package and its modules, None for the rest."""
        if fullname != self.name and not fullname.startswith(self.name + "."):
            return None
        where = self.folder.joinpath(*fullname.split(".")[1:])
        if (where / "__init__.py").is_file():
            file, search = where / "__init__.py", [str(where)]
        elif where.with_suffix(".py").is_file():
            file, search = where.with_suffix(".py"), None
        else:
            return None  # the import system then raises ModuleNotFoundError
        loader = _CountingLoader(fullname, str(file), self)
        return importlib.util.spec_from_file_location(
            fullname, file, loader=loader, submodule_search_locations=search
        )

    def _count(self, file: Path) -> None:
        with self._lock:
            self.process.runs[file.relative_to(self.folder).as_posix()] += 1

    def _watching_build_class(self, func, name, *bases, **kwargs):
        """`__build_class__`, counting constructions of the watched classes it builds."""
        cls = builtins.__build_class__(func, name, *bases, **kwargs)
        if name in self.watch and isinstance(cls, type):
            # The class is the learner's, just built: wrapping its own __init__ is the point.
            cls.__init__ = self._counting(name, cls.__init__)  # type: ignore[misc]
        return cls

    def _counting(self, name: str, init):
        package = self

        @functools.wraps(init)
        def counted_init(instance, *args, **kwargs):
            place = package.where_called()
            init(instance, *args, **kwargs)
            package._built(name, place)  # after: a constructor that raised built nothing

        return counted_init

    def _built(self, name: str, place: str) -> None:
        with self._lock:
            self.process.built.setdefault(name, []).append(place)

    def where_called(self) -> str:
        """`file line N` of the innermost frame of the learner's code on this stack."""
        for frame in reversed(traceback.extract_stack()):
            path = Path(frame.filename).resolve()
            if path.is_relative_to(self.folder):
                return f"{path.relative_to(self.folder).as_posix()} line {frame.lineno}"
        return "outside your files"

    def _own(self, names) -> list[str]:
        return [n for n in list(names) if n == self.name or n.startswith(self.name + ".")]

    def _forget(self) -> None:
        for name in self._own(sys.modules):
            del sys.modules[name]
