"""ModelRegistry: Mongoose's model registry, over mongoengine documents.

The registry decides when a model name may be compiled, and what a second
compilation means:

- `model(name)` returns the compiled model or raises `MissingSchemaError`.
- `model(name, schema)` compiles a mongoengine `Document` subclass. The same
  schema object again returns the cached class; another schema object raises
  `OverwriteModelError` (Mongoose compares identity, not content), unless
  `overwrite=True` replaces the model.
- `define(name, schema)` is the guarded helper: it returns the existing model
  when the structure is equal, and raises `SchemaConflictError` when it is
  not, which the bare guard `models.get(name) or model(name, schema)` cannot.

Each registry is independent, like a Mongoose connection. mongoengine keeps
one process-wide document registry keyed by class name; this registry keeps
it pointing at the class it compiled last, and forgets its classes there on
`delete_model`, so `mongoengine.get_document()` always agrees with it.
"""

from __future__ import annotations

import os
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


class ModelRegistry:
    """Compiled models by name, with Mongoose's rules for compiling them again."""

    def __init__(self) -> None:
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
        overwrite: bool = False,
    ) -> type[Document]:
        """Look a model up, or compile it from a schema."""
        if schema is None:
            try:
                return self._models[name]
            except KeyError:
                raise MissingSchemaError(name) from None
        if not isinstance(schema, Schema):
            # Mongoose turns a plain object into a new Schema, so it never matches.
            schema = Schema(schema)
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
        """Return the model `name`, compiling it once; refuse a different structure."""
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

    def delete_model(self, name: str) -> None:
        """Forget a model here and in mongoengine's document registry."""
        with self._lock:
            if name not in self._models:
                raise MissingSchemaError(name)
            cls = self._models.pop(name)
            del self._schemas[name], self._sites[name]
            if _document_registry.get(cls._class_name) is cls:
                del _document_registry[cls._class_name]

    def schema_of(self, name: str) -> Schema:
        self.model(name)  # raises MissingSchemaError for an unknown name
        return self._schemas[name]

    def compiled_at(self, name: str) -> CompileSite:
        self.model(name)
        return self._sites[name]

    def reset(self) -> None:
        """Forget every model and count, as a freshly started process would have nothing."""
        with self._lock:
            for name in list(self._models):
                self.delete_model(name)
            self.compilations.clear()

    def _compile(self, name: str, schema: Schema, site: CompileSite) -> type[Document]:
        meta: dict[str, Any] = {"collection": schema.collection or default_collection(name)}
        if schema.indexes:
            meta["indexes"] = list(schema.indexes)
        attrs = {**schema.compile_fields(), "meta": meta, "__module__": site.module}
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
