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

from modelguard.lint.names import dotted

_DOCUMENTS = ("Document", "DynamicDocument", "EmbeddedDocument", "DynamicEmbeddedDocument")
# Flask-MongoEngine's `db = MongoEngine(app)` puts every mongoengine name on the instance, and
# its documentation writes models as `class User(db.Document)`; a module-level binding of
# such an instance is recorded as `<factory>()` (`module_bindings`).
INSTANCE_FACTORIES = frozenset({"flask_mongoengine.MongoEngine", "flask_mongoengine2.MongoEngine"})
MONGOENGINE = frozenset(
    [f"mongoengine{sub}.{name}" for sub in ("", ".document") for name in _DOCUMENTS]
    + [f"{factory}().{name}" for factory in INSTANCE_FACTORIES for name in _DOCUMENTS]
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
    """`pkg.Document` -> `pkg.document.UDataDocument`, through the modules' imports and
    module-level aliases; `app.extensions.db.Document` -> `flask_mongoengine.MongoEngine().
    Document` when `app.extensions` binds `db` to such an instance."""
    for _ in range(_MAX_HOPS):
        target = _one_hop(name, exports)
        if target is None or target == name:
            return name
        name = target
    return name


def _one_hop(name: str, exports: Mapping[str, Mapping[str, str]]) -> str | None:
    """The name with its longest prefix that a checked module binds replaced by what it binds."""
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        target = exports.get(".".join(parts[:split]), {}).get(parts[split])
        if target is not None:
            return ".".join([target, *parts[split + 1 :]])
    return None


def module_bindings(tree: ast.Module, module: str, imported: Mapping[str, str]) -> dict[str, str]:
    """Module-level aliases a base class may go through: `Base = ProjectDocument`,
    `Base = models.ProjectDocument`, and `db = MongoEngine(app)` for Flask-MongoEngine's
    instance. Only a name bound once at module level, and not imported, is followed: a name
    bound twice could be either value."""
    counts: dict[str, int] = {}
    for statement in tree.body:
        for bound in _bound_names(statement):
            counts[bound] = counts.get(bound, 0) + 1
    found: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name) or counts.get(target.id) != 1:
            continue
        if target.id in imported:
            continue
        known = {**imported, **found}
        if isinstance(value, ast.Call):
            factory = dotted(value.func, known)
            if factory in INSTANCE_FACTORIES:
                found[target.id] = f"{factory}()"
            continue
        name = dotted(value, known)
        if not name:
            continue
        found[target.id] = name if "." in name or name in known else f"{module}.{name}"
    return found


def _bound_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(statement, ast.AnnAssign | ast.AugAssign):
        return [n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)]
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [statement.name]
    return []


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
