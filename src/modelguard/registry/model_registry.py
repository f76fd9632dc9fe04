"""ModelRegistry: Mongoose's model registry, over mongoengine documents.

The registry decides when a model name may be compiled, and what a second
compilation means:

- `model(name)` returns the compiled model or raises `MissingSchemaError`.
- `model(name, schema)` compiles a mongoengine `Document` subclass. The same
  schema object again returns the cached class; another schema object raises
  `OverwriteModelError` (Mongoose compares identity, not content), unless
  overwriting is on: then every call compiles and replaces the model.
- Overwriting follows Mongoose's `Connection.model`: a per-call `overwrite=`
  wins whenever it is given, and the registry-wide `overwrite_models` decides
  otherwise. (The top-level `mongoose.model` lets a global `false` beat a
  per-call `true`; that quirk is not copied.) An overwrite replaces the model
  that lookups return, as `mongoose.model` does; a Mongoose connection returns
  the new model but keeps answering lookups with the first one, which is not
  copied either. One-argument lookups never compile, whatever the setting
  (Mongoose gh-12359).
- `model_names()` lists the names in registration order; an overwritten model
  keeps its place, a deleted and recompiled one moves to the end.
- `delete_model(name)` forgets one model and raises `MissingSchemaError` for
  an unknown name; `delete_model(re.compile(...))` forgets every name the
  pattern matches anywhere in it (`re.search`, like JavaScript's
  `RegExp.test`), and matching nothing is not an error.
- `define(name, schema)` is the guarded helper: it returns the existing model
  when the structure is equal, and raises `SchemaConflictError` when it is
  not, which the bare guard `models.get(name) or model(name, schema)` cannot.

A compiled model carries the schema it was compiled from as `Model.schema`,
as a Mongoose model does, so `model(name, Model.schema)` returns `Model`.
Mongoose reserves the path name `schema` for that; so does this registry.

Each registry is independent, like a Mongoose connection. mongoengine keeps
one process-wide document registry keyed by class name; this registry keeps
it pointing at the class it compiled last, and forgets its classes there on
`delete_model`, so `mongoengine.get_document()` always agrees with it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Mapping
from types import FrameType, MappingProxyType
from typing import Any

from mongoengine import Document
from mongoengine.base.common import _document_registry

from modelguard.registry.errors import (
    CompileSite,
    MissingSchemaError,
    OverwriteModelError,
    SchemaConflictError,
)
from modelguard.registry.schema import Schema

# Frames from these files are the registry's own; the compile site is the first
# frame outside them (the model module that asked).
_OWN_FILES = {os.path.abspath(__file__)}
# A compiled model's attribute holding its schema, as Mongoose's `Model.schema`.
RESERVED_FIELD = "schema"


class ModelRegistry:
    """Compiled models by name, with Mongoose's rules for compiling them again."""

    def __init__(self, *, overwrite_models: bool = False) -> None:
        # Registry-wide default for `model(name, schema)`; a per-call `overwrite=` wins.
        self.overwrite_models = overwrite_models
        self._models: dict[str, type[Document]] = {}
        self._schemas: dict[str, Schema] = {}
        self._sites: dict[str, CompileSite] = {}
        # Every request to compile, whether it succeeded or raised: the incident's
        # "no duplicate model compilation across retries" is read from here.
        self.compilations: Counter[str] = Counter()
        self._lock = threading.RLock()
        self.models: Mapping[str, type[Document]] = MappingProxyType(self._models)

    def model(
        self,
        name: str,
        schema: Schema | Mapping | None = None,
        *,
        overwrite: bool | None = None,
    ) -> type[Document]:
        """Look a model up, or compile it from a schema.

        `overwrite` left as None defers to `self.overwrite_models`.
        """
        if schema is None:
            try:
                return self._models[name]
            except KeyError:
                raise MissingSchemaError(name) from None
        if not isinstance(schema, Schema):
            # Mongoose turns a plain object into a new Schema, so it never matches.
            schema = Schema(schema)
        if overwrite is None:
            overwrite = self.overwrite_models
        site = _caller_site()
        with self._lock:
            self.compilations[name] += 1
            existing = self._models.get(name)
            if existing is not None and not overwrite:
                if self._schemas[name] is schema:
                    return existing
                raise OverwriteModelError(name, self._sites[name], site)
            return self._compile(name, schema, site)

    def define(self, name: str, schema: Schema) -> type[Document]:
        """Return the model `name`, compiling it once; refuse a different structure.

        `overwrite_models` does not apply: define() never replaces a model.
        """
        site = _caller_site()
        with self._lock:
            existing = self._models.get(name)
            if existing is None:
                self.compilations[name] += 1
                return self._compile(name, schema, site)
            known = self._schemas[name]
            if known is schema:
                return existing
            differences = known.differences(schema)
            if differences:
                raise SchemaConflictError(name, differences, self._sites[name], site)
            return existing

    def model_names(self) -> list[str]:
        """The compiled names, in registration order."""
        with self._lock:
            return list(self._models)

    def delete_model(self, name: str | re.Pattern[str]) -> None:
        """Forget a model, or every model whose name matches a pattern.

        mongoengine's document registry forgets the same classes.
        """
        with self._lock:
            if isinstance(name, re.Pattern):
                for each in [n for n in self._models if name.search(n)]:
                    self._delete(each)
            elif isinstance(name, str):
                if name not in self._models:
                    raise MissingSchemaError(name)
                self._delete(name)
            else:
                raise TypeError(
                    "delete_model() takes a model name or a compiled re.Pattern, "
                    f"got {type(name).__name__} {name!r}"
                )

    def _delete(self, name: str) -> None:
        cls = self._models.pop(name)
        del self._schemas[name], self._sites[name]
        if _document_registry.get(cls._class_name) is cls:
            del _document_registry[cls._class_name]

    def reset(self) -> None:
        """Forget every model and count, as a freshly started process would have nothing."""
        with self._lock:
            for name in list(self._models):
                self._delete(name)
            self.compilations.clear()

    def _compile(self, name: str, schema: Schema, site: CompileSite) -> type[Document]:
        if RESERVED_FIELD in schema.fields:
            raise ValueError(
                f"`{RESERVED_FIELD}` may not be used as a schema pathname (model {name!r}: "
                f"{name}.{RESERVED_FIELD} is the schema the model was compiled from)"
            )
        meta: dict[str, Any] = {"collection": schema.collection or default_collection(name)}
        if schema.indexes:
            meta["indexes"] = list(schema.indexes)
        attrs = {
            **schema.compile_fields(),
            "meta": meta,
            "__module__": site.module,
            RESERVED_FIELD: schema,
        }
        cls = type(name, (Document,), attrs)  # mongoengine's metaclass registers it by name
        self._models[name] = cls
        self._schemas[name] = schema
        self._sites[name] = site
        return cls

    def __repr__(self) -> str:
        return f"<ModelRegistry {sorted(self._models)}>"


def default_collection(name: str) -> str:
    """Mongoose's default: the model name, lower-cased and pluralised."""
    word = name.lower()
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _caller_site() -> CompileSite:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename) in _OWN_FILES:
        frame = frame.f_back
    if frame is None:  # pragma: no cover - only when called from nowhere
        return CompileSite("<unknown>", "<unknown>", 0)
    return CompileSite(
        module=frame.f_globals.get("__name__", "<unknown>"),
        file=os.path.realpath(frame.f_code.co_filename),
        line=frame.f_lineno,
    )
