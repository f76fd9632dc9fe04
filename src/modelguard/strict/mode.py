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

Not judged, so they keep working:
- abstract documents (`meta = {"abstract": True}`): they have no collection
  and nothing is loaded through them;
- subclasses under `allow_inheritance`: mongoengine registers them under their
  dotted name (`Base.Child`), so they never collide with their base;
- classes built inside a function, or by code such as `ModelRegistry` that
  calls `type()` itself: whether they are built again depends on the caller
  (the lint's MG003 reports the function case), not on a file running twice;
- two files that each define a class of one name: a different question,
  which mongoengine answers by keeping the last;
- anything inside `with overwriting():`, the deliberate redefinition, like
  Mongoose's `overwriteModels`.
"""

from __future__ import annotations

import inspect
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any

from mongoengine.base import DocumentMetaclass
from mongoengine.base.common import _document_registry

from modelguard.registry.errors import CompileSite, OverwriteModelError

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
_METACLASS_FILE = os.path.abspath(inspect.getfile(DocumentMetaclass))
_THIS_FILE = os.path.abspath(__file__)

_action: str | None = None
_overwriting: ContextVar[bool] = ContextVar("modelguard_strict_overwriting", default=False)
_lock = threading.RLock()
# Where each class judged so far was defined; weak, so a forgotten class is not kept alive.
_sites: weakref.WeakKeyDictionary[type, CompileSite] = weakref.WeakKeyDictionary()


class RedefinedDocumentWarning(RuntimeWarning):
    """Warn mode's report: a document class was defined again by its file running twice.

    `error` is the `OverwriteModelError` error mode would have raised.
    """

    def __init__(self, error: OverwriteModelError) -> None:
        super().__init__("\n".join([str(error), *getattr(error, "__notes__", [])]))
        self.error = error


def enable(action: str = "error") -> None:
    """Judge every document class defined from now on; `action` is "error" or "warn"."""
    global _action
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(map(repr, ACTIONS))}, got {action!r}")
    with _lock:
        _action = action
        DocumentMetaclass.__new__ = staticmethod(_judged_new)


def disable() -> None:
    """Stop judging, and give mongoengine its own metaclass back."""
    global _action
    with _lock:
        _action = None
        DocumentMetaclass.__new__ = _ORIGINAL_NEW


def action() -> str | None:
    """The action in force, or None when strict mode is off."""
    return _action


@contextmanager
def enabled(action: str = "error") -> Iterator[None]:
    """Strict mode for the block, then back to what was in force before it."""
    before = _action
    enable(action)
    try:
        yield
    finally:
        if before is None:
            disable()
        else:
            enable(before)


@contextmanager
def overwriting() -> Iterator[None]:
    """Let the block redefine document classes on purpose (a test reloading its models)."""
    token = _overwriting.set(True)
    try:
        yield
    finally:
        _overwriting.reset(token)


def _judged_new(mcs: type, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
    site = _module_level_site()
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
        if first is None or first.file != site.file:
            return cls
        error = OverwriteModelError(class_name, first, site)
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


def _module_level_site() -> CompileSite | None:
    """Where the class statement runs, if it runs at a module's top level."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _is_machinery(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None or frame.f_code.co_name != "<module>":
        return None
    file = frame.f_code.co_filename
    if file.startswith("<"):  # exec of a string: no file to speak of
        return None
    return CompileSite(
        frame.f_globals.get("__name__", "<unknown>"), os.path.realpath(file), frame.f_lineno
    )


def _is_machinery(filename: str) -> bool:
    """This module and mongoengine's metaclasses: between the class statement and here."""
    return os.path.abspath(filename) in (_THIS_FILE, _METACLASS_FILE)


def _site_of(cls: type) -> CompileSite | None:
    """Where a class defined before strict mode was enabled lives, read from its source."""
    try:
        file = inspect.getsourcefile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None
    if file is None:
        return None
    return CompileSite(cls.__module__, os.path.realpath(file), line)
