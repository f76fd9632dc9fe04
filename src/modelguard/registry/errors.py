"""The registry's errors, named and worded as Mongoose words them.

`OverwriteModelError` keeps Mongoose's exact message as its `str()`, so a DLQ
header or a log line reads the same as the incident's. Where the registry knows
more (where each compilation happened, or which file ran twice) it adds that as
exception notes: they show in every traceback without changing the message.
Notes are text, and they travel as text (in a DLQ record's headers, say), so this
module also reads its own notes back: `double_run_in(notes)`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class CompileSite:
    """Where code asked the registry to compile a model."""

    module: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"module {self.module!r} ({self.file}:{self.line})"

    @classmethod
    def parse(cls, text: str) -> CompileSite | None:
        """The site `str()` printed, or None for any other text."""
        found = _SITE.fullmatch(text)
        if found is None:
            return None
        try:
            module = ast.literal_eval(found["module"])
        except (ValueError, SyntaxError):
            return None
        return cls(module, found["file"], int(found["line"]))


_SITE = re.compile(r"module (?P<module>'[^']*'|\"[^\"]*\") \((?P<file>.+):(?P<line>\d+)\)")
_FIRST, _AGAIN = "first compiled in ", "compiled again in "


class ModelRegistryError(Exception):
    """Base class of the registry's errors."""


class MissingSchemaError(ModelRegistryError):
    """A model was looked up, or deleted, under a name nobody compiled."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f'Schema hasn\'t been registered for model "{name}".\n'
            "Use modelguard.model(name, schema)"
        )
        self.name = name


class OverwriteModelError(ModelRegistryError):
    """A model name was compiled a second time with another schema object."""

    def __init__(
        self,
        name: str,
        first: CompileSite | None = None,
        again: CompileSite | None = None,
        detail: str = "",
    ) -> None:
        message = f"Cannot overwrite `{name}` model once compiled."
        super().__init__(f"{message} {detail}" if detail else message)
        self.name = name
        self.first = first
        self.again = again
        if first is not None and again is not None:
            self.add_note(f"{_FIRST}{first}")
            self.add_note(f"{_AGAIN}{again}")
            self.diagnosis = diagnose(first, again)
            if self.diagnosis:
                self.add_note(self.diagnosis)
        else:
            self.diagnosis = ""


class SchemaConflictError(OverwriteModelError):
    """`define()` met a model of that name whose structure differs from the new schema."""

    def __init__(
        self,
        name: str,
        differences: list[str],
        first: CompileSite | None = None,
        again: CompileSite | None = None,
    ) -> None:
        self.differences = differences
        detail = "The existing model has another structure: " + "; ".join(differences) + "."
        super().__init__(name, first, again, detail)


def diagnose(first: CompileSite, again: CompileSite) -> str:
    """Explain a second compilation, when both came from one source file.

    That case is the Python form of the incident: the module cache (sys.modules)
    normally runs a file once, so a second run means something bypassed it.
    """
    if first.file != again.file:
        return ""
    if first.module == again.module:
        how = f"re-executed under the same name {first.module!r} (importlib.reload or exec)"
    else:
        how = (
            f"executed under two module names, {first.module!r} and {again.module!r} "
            f"({DoubleRun(first, again).cause})"
        )
    return (
        f"The same file ran twice: {first.file} was {how}. "
        "Import model modules once, or register them with the guard "
        "`models.get(name) or model(name, schema)` / define(name, schema)."
    )


@dataclass(frozen=True)
class DoubleRun:
    """One model file that ran twice in one process: where it ran first and again."""

    first: CompileSite
    again: CompileSite

    @property
    def file(self) -> str:
        return self.first.file

    @property
    def cause(self) -> str:
        if self.first.module == self.again.module:
            return "re-executed under the same name (importlib.reload or exec)"
        return "loaded by file path, or imported twice through two sys.path entries"

    def __str__(self) -> str:
        name = PurePath(self.file).name
        if self.first.module == self.again.module:
            return f"{name} ran twice, under {self.first.module!r}: {self.cause}"
        return (
            f"{name} ran twice, under {self.first.module!r} and {self.again.module!r}: {self.cause}"
        )


def double_run_in(notes: Sequence[str]) -> DoubleRun | None:
    """The file that ran twice, read from an `OverwriteModelError`'s notes (as they
    come back from a DLQ header, say); None when the notes do not say so."""
    first = again = None
    for note in notes:
        if note.startswith(_FIRST):
            first = CompileSite.parse(note[len(_FIRST) :])
        elif note.startswith(_AGAIN):
            again = CompileSite.parse(note[len(_AGAIN) :])
    if first is None or again is None or first.file != again.file:
        return None
    return DoubleRun(first, again)
