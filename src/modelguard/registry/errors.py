"""The registry's errors, named and worded as Mongoose words them (but for
`MissingSchemaError`'s hint, which names the Python call, and `SchemaConflictError`,
which is the registry's own).

`OverwriteModelError` keeps Mongoose's exact message as its `str()`, so a DLQ
header or a log line reads the same as the incident's. Where the registry knows
more (where each compilation happened, or which file ran twice) it adds that as
exception notes: they show in every traceback without changing the message.
The diagnosis names one trigger, decided from evidence (the two compile sites and
sys.path when the second compilation happens): a reload, a `__main__` run followed by
an import by name, an import through two sys.path entries, a load by file path, or two
different files choosing one model name. Strict mode and `dlq inspect` print this text;
nothing else words it.

Notes are text, and they travel as text (in a DLQ record's headers, say), so this
module also reads its own notes back: `double_run_in(notes)`. `readable(error)` wraps
an error for printing; the notes themselves stay whole.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
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
            self.trigger: Trigger | None
            self.trigger, cause = trigger_of(first, again)
            self.diagnosis = _worded(first, self.trigger, cause)
            self.add_note(self.diagnosis)
        else:
            self.trigger = None
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


class Trigger(StrEnum):
    """How one model name came to be compiled twice, as the two compile sites show it."""

    RELOAD = "reload"
    MAIN = "run as __main__, imported by name"
    TWO_SYS_PATH_ENTRIES = "two sys.path entries"
    LOAD_BY_PATH = "load by file path"
    TWO_FILES = "two files, one model name"


_GUARD = (
    "or register its models with the guard `models.get(name) or model(name, schema)` or define()"
)
# What to do about each trigger: the cause says what happened, this what ends it.
_FIXES = {
    Trigger.RELOAD: f"Fix: restart instead of reloading a model module, {_GUARD}.",
    Trigger.MAIN: (
        "Fix: never import the file Python was started with; keep the models in a module "
        f"that both import, {_GUARD}."
    ),
    Trigger.TWO_SYS_PATH_ENTRIES: (
        f"Fix: keep one of the two folders off sys.path and import the file by one name, {_GUARD}."
    ),
    Trigger.LOAD_BY_PATH: (
        f"Fix: import the module by its name, once, instead of loading its file, {_GUARD}."
    ),
    Trigger.TWO_FILES: (
        "Fix: give one of the two models another name; the guard would silently hand "
        "the second file the first file's model."
    ),
}
# The diagnosis note of one file that ran twice; `double_run_in` reads it back.
_RAN_TWICE = re.compile(
    r"(?P<file>.+) ran twice \((?P<trigger>[^)]+)\): (?P<cause>.+?)\. Fix: ", re.S
)


def trigger_of(
    first: CompileSite, again: CompileSite, search_path: Sequence[str] | None = None
) -> tuple[Trigger, str]:
    """The trigger of a second compilation and its cause in words, from the evidence.

    The evidence is the two sites (file and module name) and `search_path`
    (sys.path when not given, as it is when the second compilation happens):
    a module name that some entry of it turns into this very file was imported
    by name; one that no entry does was given to the file by whoever loaded it.
    """
    if first.file != again.file:
        return Trigger.TWO_FILES, f"{first.file} compiled it first, then {again.file}"
    if first.module == again.module:
        return Trigger.RELOAD, (
            f"re-executed under the same name {first.module!r} "
            "(importlib.reload, IPython's %autoreload, or exec of its code)"
        )
    if "__main__" in (first.module, again.module):
        other = again.module if first.module == "__main__" else first.module
        return Trigger.MAIN, (
            "run as '__main__', the program Python was started with (`python -m` or a "
            f"script), and imported by its name {other!r}, which runs it a second time"
        )
    searched = sys.path if search_path is None else search_path
    entries = {os.path.realpath(entry or os.curdir) for entry in searched}
    roots = {site.module: _import_root(site) for site in (first, again)}
    by_path = [module for module, root in roots.items() if root not in entries]
    if by_path:
        return Trigger.LOAD_BY_PATH, (
            f"loaded by file path as {by_path[-1]!r}, a name no sys.path entry gives it "
            "(spec_from_file_location and exec_module, or a tool that loads files that way)"
        )
    return Trigger.TWO_SYS_PATH_ENTRIES, (
        "imported by name through two sys.path entries: "
        + " and ".join(f"{root} gives it the name {module!r}" for module, root in roots.items())
    )


def diagnose(
    first: CompileSite, again: CompileSite, search_path: Sequence[str] | None = None
) -> str:
    """Explain a second compilation: which trigger, the evidence for it, and the fix.

    One source file run twice is the Python form of the incident: the module cache
    (sys.modules) normally runs a file once, so a second run means something
    bypassed it. Two files are another mistake: two models chose one name.
    """
    return _worded(first, *trigger_of(first, again, search_path))


def _worded(first: CompileSite, trigger: Trigger, cause: str) -> str:
    if trigger is Trigger.TWO_FILES:
        # Its own sentence: no file ran twice, so the "(trigger)" label would only repeat it.
        return f"Two files compiled one model name: {cause}. {_FIXES[trigger]}"
    return f"{first.file} ran twice ({trigger}): {cause}. {_FIXES[trigger]}"


def readable(error: BaseException, width: int = 88, indent: str = "") -> str:
    """An error's message and notes wrapped for reading, one paragraph each.

    The exception keeps every note whole (a DLQ header or a traceback carries it
    as written); this is only how it is printed.
    """
    text = f"{type(error).__name__}: {error}"
    paragraphs = [*text.splitlines(), *getattr(error, "__notes__", [])]
    return "\n".join(wrap(paragraph, width, indent) for paragraph in paragraphs)


def wrap(paragraph: str, width: int = 88, indent: str = "", hang: str = "  ") -> str:
    """One paragraph in lines of at most `width`, continued `hang` further in
    (a word longer than a line, a path say, keeps its own line whole)."""
    return textwrap.fill(
        paragraph,
        width,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _import_root(site: CompileSite) -> str | None:
    """The folder from which `import <site.module>` finds `site.file`; None when
    that name, read as a dotted path, does not lead to the file from anywhere."""
    file = PurePath(site.file)
    if file.suffix != ".py":
        return None
    folder = file.parent if file.name == "__init__.py" else file.with_suffix("")
    for part in reversed(site.module.split(".")):
        if folder.name != part:
            return None
        folder = folder.parent
    return str(folder)


@dataclass(frozen=True)
class DoubleRun:
    """One model file that ran twice in one process: where it ran first and again,
    and the diagnosis's trigger and cause, as the error's notes said them."""

    first: CompileSite
    again: CompileSite
    trigger: str
    cause: str

    @property
    def file(self) -> str:
        return self.first.file

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
    first = again = diagnosis = None
    for note in notes:
        if note.startswith(_FIRST):
            first = CompileSite.parse(note[len(_FIRST) :])
        elif note.startswith(_AGAIN):
            again = CompileSite.parse(note[len(_AGAIN) :])
        elif diagnosis is None:
            diagnosis = _RAN_TWICE.match(note)
    if first is None or again is None or first.file != again.file:
        return None
    if diagnosis is not None and diagnosis["file"] == first.file:
        return DoubleRun(first, again, diagnosis["trigger"], diagnosis["cause"])
    # Notes without a diagnosis (written by an older release): the names alone tell a
    # reload and a `__main__` run from the rest, but not a load by path from a second
    # sys.path entry, which needs the sys.path of the process that raised.
    if first.module == again.module or "__main__" in (first.module, again.module):
        trigger, cause = trigger_of(first, again)
        return DoubleRun(first, again, str(trigger), cause)
    return DoubleRun(first, again, "two module names", "the notes do not say how")
