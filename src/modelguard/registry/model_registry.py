"""ModelRegistry: Mongoose's model registry, over mongoengine documents.

The registry decides when a model name may be compiled, and what a second
compilation means. It follows the top-level Mongoose object (`mongoose.model`,
`mongoose.models`, `mongoose.deleteModel`), and each `ModelRegistry()` is one
`new Mongoose()`; real Mongoose 8 is the oracle (tests/unit/test_mongoose_oracle.py),
and docs/registry.md lists every difference that remains, with its reason.

- `model(name)` returns the compiled model or raises `MissingSchemaError`. A
  name is a `str`; anything else is a TypeError (Mongoose turns it into a string).
- `model(name, schema)` compiles a mongoengine `Document` subclass. The same
  schema object again returns the cached class; another schema object raises
  `OverwriteModelError` (Mongoose compares identity, not content), unless
  overwriting is on: then every call compiles and replaces the model that
  lookups return. `model(name, None)` returns the cached model, and raises
  `MissingSchemaError` when there is none or overwriting is on.
- `model(name, schema, collection)` names the collection; otherwise the schema's
  collection, otherwise Mongoose's plural of the name (`collection_names`). A
  cached name asked for with another collection gives a new model on that
  collection on every call, never cached.
- Overwriting follows the Mongoose object: the registry-wide `overwrite_models`,
  once set to True or False, decides both ways; a per-call `overwrite=` counts
  only while it is None (never set). A Mongoose connection lets the per-call
  option win instead; the registry is not a connection. One-argument lookups
  never compile, whatever the setting (Mongoose gh-12359).
- `models` is a live view the guard reads (`models.get(name) or model(name,
  schema)`); `del models[name]` forgets a model as `delete mongoose.models[name]`
  does, so compiling it again succeeds.
- `model_names()` lists the names in registration order; an overwritten model
  keeps its place, a deleted and recompiled one moves to the end.
- `delete_model(name)` forgets one model and raises `MissingSchemaError` for
  an unknown name; `delete_model(re.compile(...))` forgets every name the
  pattern matches anywhere in it (`re.search`, like JavaScript's
  `RegExp.test`), and matching nothing is not an error. Both return the
  registry, so calls chain.
- `define(name, schema)` is the guarded helper: it returns the existing model
  when the structure is equal, and raises `SchemaConflictError` when it is
  not, which the bare guard `models.get(name) or model(name, schema)` cannot.

A compiled model carries the schema it was compiled from as `Model.schema`,
as a Mongoose model does, so `model(name, Model.schema)` returns `Model`.
Mongoose accepts a schema path named `schema`; here it is refused, a constraint
of Python's, not Mongoose's: the class attribute `Model.schema` and a field's
descriptor of the same name would share one class namespace.

mongoengine keeps one process-wide document registry keyed by class name; this
registry keeps it pointing at the class it compiled last, and forgets its
classes there when it forgets them, so `mongoengine.get_document()` agrees with
it. An uncached model (another collection) leaves that entry alone.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from types import FrameType
from typing import Any, Final, NoReturn

from mongoengine import Document
from mongoengine.base.common import _document_registry

from modelguard.registry.collection_names import default_collection
from modelguard.registry.errors import (
    CompileSite,
    MissingSchemaError,
    OverwriteModelError,
    SchemaConflictError,
)
from modelguard.registry.schema import Schema

__all__ = ["ModelRegistry", "ModelsView", "default_collection"]

# Frames from these files are the registry's own; the compile site is the first
# frame outside them (the model module that asked).
_OWN_FILES = {os.path.abspath(__file__)}
# A compiled model's attribute holding its schema, as Mongoose's `Model.schema`.
RESERVED_FIELD = "schema"


class _Unset:
    """The schema argument left out: `model(name)` is a lookup, `model(name, None)` is not."""

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Final = _Unset()


class ModelsView(Mapping[str, type[Document]]):
    """The registry's models by name, live: what `mongoose.models` is to Mongoose.

    Reading is a plain mapping's; `del view[name]` (and `pop`) forget a model as
    `delete mongoose.models[name]` does. Assigning is refused: models are compiled.
    """

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def __getitem__(self, name: str) -> type[Document]:
        return self._registry._models[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry._models)

    def __len__(self) -> int:
        return len(self._registry._models)

    def __setitem__(self, name: str, value: object) -> None:
        raise TypeError(
            f"registry.models is not assignable: compile {name!r} with model(name, schema)"
        )

    def __delitem__(self, name: str) -> None:
        with self._registry._lock:
            if name not in self._registry._models:
                raise KeyError(name)
            self._registry._delete(name)

    def pop(self, name: str, *default: Any) -> Any:
        """Forget `name` and return its model; `default` when there is none (else KeyError)."""
        with self._registry._lock:
            if name in self._registry._models:
                cls = self._registry._models[name]
                self._registry._delete(name)
                return cls
            if default:
                return default[0]
            raise KeyError(name)

    def __getattr__(self, name: str) -> NoReturn:
        # Only reached when normal lookup fails: `models.User`, Mongoose's spelling.
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"registry.models has no attribute {name!r}: it is a mapping, so "
            f"mongoose.models.{name} is written models.get({name!r}) (None when there is "
            f"no such model) or models[{name!r}]"
        )

    def __repr__(self) -> str:
        return f"<models {list(self._registry._models)}>"


class ModelRegistry:
    """Compiled models by name, with Mongoose's rules for compiling them again."""

    def __init__(self, *, overwrite_models: bool | None = None) -> None:
        # Registry-wide overwriting: None until set; once True or False, it decides
        # over any per-call `overwrite=`, as `mongoose.set('overwriteModels', ...)` does.
        self.overwrite_models = overwrite_models
        self._models: dict[str, type[Document]] = {}
        self._schemas: dict[str, Schema] = {}
        self._sites: dict[str, CompileSite] = {}
        # Every request to compile, whether it succeeded or raised: the incident's
        # "no duplicate model compilation across retries" is read from here.
        self.compilations: Counter[str] = Counter()
        self._lock = threading.RLock()
        self.models = ModelsView(self)

    def model(
        self,
        name: str,
        schema: Schema | Mapping[str, Any] | None | _Unset = _UNSET,
        collection: str | None = None,
        *,
        overwrite: bool | None = None,
    ) -> type[Document]:
        """Look a model up, or compile it from a schema.

        `collection` names the model's collection (Mongoose's third argument).
        `overwrite` counts only while the registry-wide `overwrite_models` is None.
        """
        _check_name(name)
        if collection is not None and not isinstance(collection, str):
            # Mongoose takes any value there; a collection name is a string in MongoDB.
            raise TypeError(
                f"collection must be a string, got {type(collection).__name__} {collection!r}"
            )
        if schema is _UNSET:
            if collection is None and overwrite is None:
                try:
                    return self._models[name]
                except KeyError:
                    raise MissingSchemaError(name) from None
            schema = None
        if isinstance(schema, Mapping):
            # Mongoose turns a plain object into a new Schema, so it never matches.
            schema = Schema(schema)
        elif schema is not None and not isinstance(schema, Schema):
            # Mongoose's words, with the Python call and a mapping for its POJO.
            raise TypeError(
                "The 2nd parameter to `modelguard.model()` should be a schema or a mapping "
                f"of fields, got {type(schema).__name__}"
            )
        if self.overwrite_models is not None:
            overwrite = self.overwrite_models
        site = _caller_site()
        with self._lock:
            if schema is not None:
                self.compilations[name] += 1
            existing = self._models.get(name)
            if existing is not None and overwrite is not True:
                if schema is not None and schema is not self._schemas[name]:
                    raise OverwriteModelError(name, self._sites[name], site)
                if collection and collection != existing._meta["collection"]:
                    return self._uncached(name, self._schemas[name], collection, site)
                return existing
            if schema is None:
                raise MissingSchemaError(name)
            return self._compile(name, schema, site, collection)

    def define(self, name: str, schema: Schema) -> type[Document]:
        """Return the model `name`, compiling it once; refuse a different structure.

        `overwrite_models` does not apply: define() never replaces a model.
        """
        _check_name(name)
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

    def delete_model(self, name: str | re.Pattern[str]) -> ModelRegistry:
        """Forget a model, or every model whose name matches a pattern; returns the registry.

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
                # Mongoose's words (`deleteModel()`, "string or regexp") in Python's.
                raise TypeError(
                    "First parameter to `delete_model()` must be a string or a compiled "
                    f're.Pattern, got "{name}"'
                )
        return self

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

    def _compile(
        self, name: str, schema: Schema, site: CompileSite, collection: str | None = None
    ) -> type[Document]:
        cls = _document_class(name, schema, site, collection)
        self._models[name] = cls
        self._schemas[name] = schema
        self._sites[name] = site
        return cls

    def _uncached(
        self, name: str, schema: Schema, collection: str, site: CompileSite
    ) -> type[Document]:
        """A model of `name` on another collection, kept nowhere: Mongoose's uncached
        subclass. mongoengine's document registry keeps pointing at the cached model."""
        before = _document_registry.get(name)
        cls = _document_class(name, schema, site, collection)
        if before is not None:
            _document_registry[name] = before
        elif _document_registry.get(name) is cls:
            del _document_registry[name]
        return cls

    def __repr__(self) -> str:
        return f"<ModelRegistry {sorted(self._models)}>"


def _check_name(name: object) -> None:
    """A model name is a `str`: Mongoose turns any value into a string key, Python does not."""
    if not isinstance(name, str):
        raise TypeError(f"Model name must be a string, got {type(name).__name__} {name!r}")


def _document_class(
    name: str, schema: Schema, site: CompileSite, collection: str | None
) -> type[Document]:
    if "\0" in name:
        raise ValueError(
            f"model name {name!r} holds a NUL character, which a Python class name cannot "
            "(type() refuses it). This is Python's constraint; Mongoose accepts the name."
        )
    if RESERVED_FIELD in schema.fields:
        raise ValueError(
            f"`{RESERVED_FIELD}` may not be used as a schema pathname here (model {name!r}): "
            f"{name}.{RESERVED_FIELD} holds the schema the model was compiled from, and a "
            "Python class has one namespace for that attribute and a field of the same name. "
            "This is Python's constraint; Mongoose accepts the path."
        )
    meta: dict[str, Any] = {
        "collection": collection or schema.collection or default_collection(name)
    }
    if schema.indexes:
        meta["indexes"] = list(schema.indexes)
    attrs = {
        **schema.compile_fields(),
        "meta": meta,
        "__module__": site.module,
        RESERVED_FIELD: schema,
    }
    return type(name, (Document,), attrs)  # mongoengine's metaclass registers it by name


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
