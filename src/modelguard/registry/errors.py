"""The registry's errors, named and worded as Mongoose words them.

`OverwriteModelError` keeps Mongoose's exact message as its `str()`, so a DLQ
header or a log line reads the same as the incident's. Where the registry knows
more (where each compilation happened, or which file ran twice) it adds that as
exception notes: they show in every traceback without changing the message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompileSite:
    """Where code asked the registry to compile a model."""

    module: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"module {self.module!r} ({self.file}:{self.line})"


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
            self.add_note(f"first compiled in {first}")
            self.add_note(f"compiled again in {again}")
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
            "(loaded by file path, or imported twice through two sys.path entries)"
        )
    return (
        f"The same file ran twice: {first.file} was {how}. "
        "Import model modules once, or register them with the guard "
        "`models.get(name) or model(name, schema)` / define(name, schema)."
    )
