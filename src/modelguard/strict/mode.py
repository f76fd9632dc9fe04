"""The switch and the hook: a plain mongoengine document whose file ran twice is refused.

Plain mongoengine registers every `Document` class by name and lets the last
definition win, silently. Once `enable()` is called, this module decides that
a class statement registering a name again is an error when both definitions
were executed at module level from the *same source file*: that is the file
running a second time (reload, `%autoreload`, a load by path, a double import
through two `sys.path` entries, `python -m` plus an import by name). It then
raises the registry's `OverwriteModelError`, with the same notes the registry
writes (which file, the first and second module names, which trigger ran it twice), and
mongoengine keeps the first class. `enable(action="warn")` lets the second
class win, as mongoengine does, and emits a `RuntimeWarning` instead, as Django
does for a reloaded model; `-W error::RuntimeWarning` turns that back into a failure.
Where the class statement runs is found through any metaclass that wraps
mongoengine's (django-mongoengine's, a project's own): `modelguard.strict.sites`.

`enable(across_files=True)` also refuses (or warns about) a class statement
registering a name that a class statement in a *different* file registered
before, naming both files: mongoengine keeps the last, and every reference by
name then resolves to it. Off by default, since a process may legitimately
load two unrelated apps that happen to share a name and never refer to it.

Not judged, so they keep working:
- abstract documents (`meta = {"abstract": True}`): they have no collection
  and nothing is loaded through them;
- subclasses under `allow_inheritance`: mongoengine registers them under their
  dotted name (`Base.Child`), so they never collide with their base;
- classes built inside a function, or by code such as `ModelRegistry` that
  calls `type()` itself: whether they are built again depends on the caller
  (the lint's MG003 reports the function case), not on a file running twice;
- two files that each define a class of one name, unless `across_files=True`;
- anything inside `with overwriting():`, the deliberate redefinition, like
  Mongoose's `overwriteModels`.
"""

from __future__ import annotations

import inspect
import os
import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mongoengine.base import DocumentMetaclass
from mongoengine.base.common import _document_registry

from modelguard.registry.errors import CompileSite, OverwriteModelError
from modelguard.strict.sites import class_statement_site

ACTIONS = ("error", "warn")

# Why wrap `DocumentMetaclass.__new__`: the registration is one line inside it
# (`_document_registry[cls._class_name] = cls`), and the registry is a plain dict
# that mongoengine's modules share by reference, so a write to it cannot be
# observed without swapping a private module global. The metaclass is exported
# by `mongoengine.base`, its `__new__(mcs, name, bases, attrs)` is the metaclass
# protocol itself, and `TopLevelDocumentMetaclass` reaches it through `super()`,
# so one wrapper sees every document class while every line of mongoengine still
# runs as written. `disable()` puts the original back.
_ORIGINAL_NEW = DocumentMetaclass.__dict__["__new__"]

_action: str | None = None
_across_files = False
_overwriting: ContextVar[bool] = ContextVar("modelguard_strict_overwriting", default=False)
_lock = threading.RLock()
# Where each class judged so far was defined; weak, so a forgotten class is not kept alive.
_sites: weakref.WeakKeyDictionary[type, CompileSite] = weakref.WeakKeyDictionary()


class RedefinedDocumentWarning(RuntimeWarning):
    """Warn mode's report: a document class was defined again by its file running twice,
    or (with ``across_files=True``) under a name another file registered.

    `error` is the `OverwriteModelError` error mode would have raised.
    """

    def __init__(self, error: OverwriteModelError) -> None:
        super().__init__("\n".join([str(error), *getattr(error, "__notes__", [])]))
        self.error = error


def enable(action: str = "error", across_files: bool = False) -> None:
    """Judge every document class defined from now on; `action` is "error" or "warn".

    `across_files=True` also judges a class statement registering a name that a
    class statement in a different file registered before.
    """
    global _action, _across_files
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(map(repr, ACTIONS))}, got {action!r}")
    with _lock:
        _action, _across_files = action, bool(across_files)
        DocumentMetaclass.__new__ = staticmethod(_judged_new)


def disable() -> None:
    """Stop judging, and give mongoengine its own metaclass back."""
    global _action, _across_files
    with _lock:
        _action, _across_files = None, False
        DocumentMetaclass.__new__ = _ORIGINAL_NEW


def action() -> str | None:
    """The action in force, or None when strict mode is off."""
    return _action


@contextmanager
def enabled(action: str = "error", across_files: bool = False) -> Iterator[None]:
    """Strict mode for the block, then back to what was in force before it."""
    before, before_across = _action, _across_files
    enable(action, across_files)
    try:
        yield
    finally:
        if before is None:
            disable()
        else:
            enable(before, before_across)


@contextmanager
def overwriting() -> Iterator[None]:
    """Let the block redefine document classes on purpose (a test reloading its models)."""
    token = _overwriting.set(True)
    try:
        yield
    finally:
        _overwriting.reset(token)


def _judged_new(mcs: type, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
    site = class_statement_site(attrs)
    with _lock:
        before = dict(_document_registry) if site is not None else {}
        cls = _ORIGINAL_NEW.__func__(mcs, name, bases, attrs)
        class_name = cls.__dict__.get("_class_name")
        if site is None or class_name is None or _action is None:
            return cls
        _sites[cls] = site
        old = before.get(class_name)
        if old is None or cls._meta.get("abstract") or _overwriting.get():
            return cls
        first = _sites.get(old) or _site_of(old)
        if first is None:
            return cls
        if first.file == site.file:
            error = OverwriteModelError(class_name, first, site)
        elif _across_files and class_name == name:  # a dotted name is an inheriting subclass
            error = same_name_refusal(class_name, first, site)
        else:
            return cls
        if _action == "warn":
            warning = RedefinedDocumentWarning(error)
            try:
                warnings.warn_explicit(warning, type(warning), site.file, site.line, site.module)
            except RedefinedDocumentWarning:
                # `-W error` made the warning an exception: then keep the first class, as error does
                _document_registry[class_name] = old
                raise
            return cls
        _document_registry[class_name] = old  # the first class stays, as the registry's does
    error.add_note(
        "modelguard.strict kept the first class; wrap a deliberate redefinition "
        "in modelguard.strict.overwriting()."
    )
    raise error


def same_name_refusal(
    class_name: str, first: CompileSite, again: CompileSite
) -> OverwriteModelError:
    """Two files define a document of one name: what mongoengine does with it, and the way out."""
    error = OverwriteModelError(class_name, first, again)
    diagnosis = (
        f"Two files define a document named {class_name!r}: {first.file} and {again.file}. "
        "mongoengine keeps one class per name, so a reference by name (ReferenceField("
        f"{class_name!r}), a GenericReferenceField, get_document) resolves to whichever "
        "file ran last. Rename one, or make the shared one abstract."
    )
    # in place of the registry's own diagnosis, whose fix speaks of its guard, which a
    # mongoengine document has not
    notes = error.__notes__
    notes[notes.index(error.diagnosis)] = diagnosis
    error.diagnosis = diagnosis
    return error


def _site_of(cls: type) -> CompileSite | None:
    """Where a class defined before strict mode was enabled lives, read from its source.

    A class built in a function (its qualified name holds ``<locals>``) or nested
    in another class has no module-level class statement: no site.
    """
    if "." in cls.__qualname__:
        return None
    try:
        file = inspect.getsourcefile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None
    if file is None:
        return None
    return CompileSite(cls.__module__, os.path.realpath(file), line)
