"""Schema: the mongoengine fields of a model, plus its collection and indexes.

A Schema is what `ModelRegistry.model()` compiles. Like a Mongoose schema it has
an identity (the registry compares schema *objects*) and a structure (field
names, field types and their options, collection, indexes). `structure()`
describes the latter as plain data, so two schemas built by two runs of the
same file compare equal, and `differences()` names what changed between two
versions of a model.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from mongoengine.base import BaseField

# Attributes mongoengine sets on a field once it is bound to a document class:
# they say where the field lives, not what it is, so structure ignores them.
_BINDING_ATTRIBUTES = {"name", "owner_document", "_owner_document", "creation_counter", "_auto_gen"}


class Schema:
    """Field name to mongoengine field, with an optional collection and indexes."""

    def __init__(
        self,
        fields: Mapping[str, BaseField],
        collection: str | None = None,
        indexes: Iterable[Any] | None = None,
    ) -> None:
        for name, field in fields.items():
            if not isinstance(field, BaseField):
                raise TypeError(
                    f"schema field {name!r} must be a mongoengine field, got {type(field).__name__}"
                )
        self.fields = dict(fields)
        self.collection = collection
        self.indexes = list(indexes or [])

    def compile_fields(self) -> dict[str, BaseField]:
        """Fresh field instances for one document class.

        mongoengine binds a field instance to the class it is declared on, so
        each compilation gets its own copies and the schema stays reusable.
        """
        return {name: copy.deepcopy(field) for name, field in self.fields.items()}

    def structure(self) -> dict[str, Any]:
        return {
            "fields": {name: _describe(field) for name, field in sorted(self.fields.items())},
            "collection": self.collection,
            "indexes": _describe(self.indexes),
        }

    def differences(self, other: Schema) -> list[str]:
        """What `other` changes, in words, compared with this schema."""
        mine, theirs = self.structure(), other.structure()
        found = []
        for name in sorted(mine["fields"].keys() - theirs["fields"].keys()):
            found.append(f"field `{name}` is missing from the new schema")
        for name in sorted(theirs["fields"].keys() - mine["fields"].keys()):
            found.append(f"field `{name}` is new")
        for name in sorted(mine["fields"].keys() & theirs["fields"].keys()):
            if mine["fields"][name] != theirs["fields"][name]:
                found.append(_field_change(name, mine["fields"][name], theirs["fields"][name]))
        for key in ("collection", "indexes"):
            if mine[key] != theirs[key]:
                found.append(f"{key} {mine[key]!r} became {theirs[key]!r}")
        return found

    def __repr__(self) -> str:
        return f"Schema({sorted(self.fields)}, collection={self.collection!r})"


def _field_change(name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    if old["type"] != new["type"]:
        return f"field `{name}` changed type from {old['type']} to {new['type']}"
    options = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    changes = ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in options)
    return f"field `{name}` changed options ({changes})"


def _describe(value: Any) -> Any:
    """Plain, comparable data for a field option, recursing into nested fields."""
    if isinstance(value, BaseField):
        described = {"type": type(value).__name__}
        for key, option in sorted(vars(value).items()):
            if key not in _BINDING_ATTRIBUTES:
                described[key.lstrip("_")] = _describe(option)
        return described
    if isinstance(value, Mapping):
        return {str(k): _describe(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_describe(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, type):
        return value.__name__
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    return value
