"""What one worker process does with the learner's files: runs, constructions, swallowed errors.

Installed in a worker process of the check only (never in the learner's kernel:
an audit hook cannot be taken away again, and the process dies with the check).

- Runs of a file: the interpreter's own audit events. Every way of running a file's
  code goes through `exec` of a code object (an import, `importlib.reload`,
  `spec_from_file_location` with `exec_module`, `runpy`), and each raises the
  `exec` event with that code; `exec` of the file's text raises `compile` with the
  text first. A module code object of one of the learner's files, or a
  compilation of a file's exact text under another name, is one run. The cause is
  the innermost line of the learner's code on the stack, if any.
- Constructions of the watched classes (the service), with the learner's line that
  made each one: the class builder of this process wraps their `__init__`.
- Errors raised and swallowed in the learner's code: a tracer on the learner's
  frames only sees an exception arrive in a frame, and the frame go on to another
  line instead of ending: the error was caught there.
"""

from __future__ import annotations

import builtins
import functools
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType


class ProcessWatch:
    def __init__(self, folder: Path, watch: tuple[str, ...], send: Callable[[tuple], None]) -> None:
        self.folder = folder
        self.files = {path.resolve(): path.name for path in folder.glob("*.py")}
        self.texts = {path.read_bytes(): name for path, name in self.files.items()}
        self.watch = watch
        self.send = send
        self._mine: dict[str, str | None] = {}  # code filename -> the learner file's name
        self._pending: dict[int, tuple[BaseException, str]] = {}  # frame id -> (error, origin)
        self._caught: dict[int, tuple[BaseException, str, str]] = {}
        self._settling = threading.Lock()
        self._raised_at: dict[int, str] = {}  # id of an error -> where it was first seen

    def install(self) -> None:
        sys.addaudithook(self._audit)
        builder = builtins.__build_class__
        builtins.__build_class__ = functools.partial(self._build_class, builder)
        sys.settrace(self._trace)
        threading.settrace(self._trace)

    # -- the learner's files ------------------------------------------------------------
    def name_of(self, filename: str) -> str | None:
        if filename not in self._mine:
            try:
                self._mine[filename] = self.files.get(Path(filename).resolve())
            except (OSError, ValueError):
                self._mine[filename] = None
        return self._mine[filename]

    def where(self, frame: FrameType | None = None) -> str:
        """`file line N` of the innermost frame of the learner's code on this stack."""
        frame = frame or sys._getframe(1)
        while frame is not None:
            name = self.name_of(frame.f_code.co_filename)
            if name is not None:
                return f"{name} line {frame.f_lineno}"
            frame = frame.f_back
        return ""

    # -- runs ---------------------------------------------------------------------------
    def _audit(self, event: str, args: tuple) -> None:
        if event == "exec" and args and isinstance(args[0], CodeType):
            code = args[0]
            name = self.name_of(code.co_filename)
            if name is not None and code.co_name == "<module>":
                self.send(("run", name, self.where(sys._getframe(1))))
        elif event == "compile" and len(args) > 1 and isinstance(args[0], bytes | str):
            text = args[0].encode() if isinstance(args[0], str) else args[0]
            name = self.texts.get(text)
            if name is not None and self.name_of(str(args[1])) is None:
                self.send(("run", name, self.where(sys._getframe(1))))

    # -- constructions ------------------------------------------------------------------
    def _build_class(self, builder, func, name, *bases, **kwargs):
        cls = builder(func, name, *bases, **kwargs)
        if name in self.watch and isinstance(cls, type) and self.name_of(func.__code__.co_filename):
            cls.__init__ = self._counting(name, cls.__init__)  # type: ignore[misc]
        return cls

    def _counting(self, name: str, init):
        watch = self

        @functools.wraps(init)
        def counted_init(instance, *args, **kwargs):
            place = watch.where(sys._getframe(1)) or "outside your files"
            init(instance, *args, **kwargs)
            watch.send(("built", name, place))  # after: a constructor that raised built nothing

        return counted_init

    # -- swallowed errors ---------------------------------------------------------------
    def _trace(self, frame: FrameType, event: str, arg):
        if event == "call" and self.name_of(frame.f_code.co_filename) is not None:
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg):
        key = id(frame)
        if event == "exception":
            error = arg[1]
            here = f"{self.name_of(frame.f_code.co_filename)} line {frame.f_lineno}"
            origin = self._raised_at.setdefault(id(error), here)
            self._pending[key] = (error, origin)
        elif event == "line" and key in self._pending:
            # The frame went on after the error: caught here, or a `finally` on its way out.
            # The outermost catcher wins; `settle` drops errors that got out anyway.
            error, origin = self._pending.pop(key)
            here = f"{self.name_of(frame.f_code.co_filename)} line {frame.f_lineno}"
            with self._settling:
                self._caught[id(error)] = (error, origin, here)
        elif event == "return":
            self._pending.pop(key, None)
        return self._local

    def settle(self, escaped: BaseException | None = None) -> None:
        """Report the errors caught in the learner's code since the last call, except the one
        that got out of it (`escaped`) and the errors it carries as its context."""
        out = set()
        while escaped is not None:
            out.add(id(escaped))
            escaped = escaped.__context__
        with self._settling:
            caught, self._caught = self._caught, {}
        for key, (error, origin, here) in caught.items():
            if key not in out:
                self.send(("swallowed", type(error).__name__, origin, here))
