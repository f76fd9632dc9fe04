"""Which classes are mongoengine documents, across every file checked (MG003, MG008).

A project rarely derives its documents from mongoengine's classes directly: it
has its own base (udata's ``UDataDocument``), often imported under
mongoengine's name (``from udata.mongo.document import UDataDocument as
Document``), or re-exported by a package's ``__init__``. So a class is a
document when one of its bases, followed through the checked files' imports
and re-exports, is one of mongoengine's document classes or a module-level
class of a checked file that is itself a document. A base from outside the
checked files is known only if it is mongoengine's own. A base made by a call
(``six.with_metaclass(Meta, Base)``, django-mongoengine's ``django_meta(...,
me.Document)``) counts as the classes passed to it.

Each file reports its module-level classes with their bases as the file's
imports name them (`ClassInfo`), and the classes it defines inside functions
(`PendingClass`); `documents()` decides the first, `is_document()` the second.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_DOCUMENTS = ("Document", "DynamicDocument", "EmbeddedDocument", "DynamicEmbeddedDocument")
MONGOENGINE = frozenset(
    f"mongoengine{sub}.{name}" for sub in ("", ".document") for name in _DOCUMENTS
)
# A chain of re-exports longer than this is a cycle.
_MAX_HOPS = 20


@dataclass(frozen=True)
class ClassInfo:
    """A class defined at a module's top level."""

    qualname: str  # module.Class
    bases: tuple[str, ...]  # dotted, through the file's imports; a local name as module.Name


@dataclass(frozen=True)
class PendingClass:
    """A class defined inside a function; whether it is a document waits for every file."""

    node: ast.ClassDef
    function: str  # qualname of the function it is defined in
    scope_name: str
    bases: tuple[str, ...]
    local_document: bool  # derived from a document class defined earlier in this file


def canonical(name: str, exports: Mapping[str, Mapping[str, str]]) -> str:
    """`pkg.Document` -> `pkg.document.UDataDocument`, through the modules' imports."""
    for _ in range(_MAX_HOPS):
        module, _, last = name.rpartition(".")
        target = exports.get(module, {}).get(last)
        if target is None or target == name:
            return name
        name = target
    return name


def documents(
    classes: Iterable[ClassInfo], exports: Mapping[str, Mapping[str, str]]
) -> frozenset[str]:
    """The qualified names of every document class: mongoengine's and the checked files'."""
    pending = [(c.qualname, [canonical(b, exports) for b in c.bases]) for c in classes]
    found = set(MONGOENGINE)
    while True:
        added = [name for name, bases in pending if any(b in found for b in bases)]
        if not added:
            return frozenset(found)
        found.update(added)
        pending = [(name, bases) for name, bases in pending if name not in found]


def is_document(
    pending: PendingClass,
    known: frozenset[str],
    exports: Mapping[str, Mapping[str, str]],
) -> bool:
    return pending.local_document or any(canonical(b, exports) in known for b in pending.bases)
