"""define() is the guard that also refuses a stale schema."""

from __future__ import annotations

import threading

import pytest
from mongoengine import fields

from modelguard import OverwriteModelError, Schema, SchemaConflictError


def test_define_compiles_a_new_model(registry, name, user_schema):
    cls = registry.define(name, user_schema)
    assert registry.model(name) is cls


def test_define_with_an_equal_structure_returns_the_existing_model(registry, name, user_schema):
    cls = registry.define(name, user_schema)
    rebuilt = Schema(
        {
            "email": fields.StringField(required=True, unique=True),
            "role": fields.StringField(choices=("student", "trainer"), default="student"),
        }
    )
    assert rebuilt is not user_schema
    assert registry.define(name, rebuilt) is cls
    assert registry.compilations[name] == 1


def test_a_different_structure_raises_a_schema_conflict_naming_what_differs(
    registry, name, user_schema
):
    registry.define(name, user_schema)
    changed = Schema(
        {
            "email": fields.StringField(required=True, unique=False),
            "role": fields.StringField(choices=("student", "trainer"), default="student"),
            "skills": fields.ListField(fields.StringField()),
        },
        collection="people",
    )
    with pytest.raises(SchemaConflictError) as raised:
        registry.define(name, changed)
    error = raised.value
    assert isinstance(error, OverwriteModelError)
    assert str(error).startswith(f"Cannot overwrite `{name}` model once compiled.")
    assert error.differences == [
        "field `skills` is new",
        "field `email` changed options (unique True -> False)",
        "collection None became 'people'",
    ]


def test_a_changed_field_type_and_a_removed_field_are_named(registry, name, user_schema):
    registry.define(name, user_schema)
    changed = Schema({"email": fields.EmailField(required=True, unique=True)})
    with pytest.raises(SchemaConflictError) as raised:
        registry.define(name, changed)
    assert raised.value.differences == [
        "field `role` is missing from the new schema",
        "field `email` changed type from StringField to EmailField",
    ]


def test_the_mongoose_guard_hides_a_stale_schema_that_define_catches(registry, name, user_schema):
    stale = registry.models.get(name) or registry.model(name, user_schema)
    newer = Schema({**user_schema.fields, "phone": fields.StringField()})
    silently_stale = registry.models.get(name) or registry.model(name, newer)
    assert silently_stale is stale and "phone" not in silently_stale._fields
    with pytest.raises(SchemaConflictError, match="field `phone` is new"):
        registry.define(name, newer)


def test_nested_field_options_are_part_of_the_structure(registry, name):
    registry.define(name, Schema({"tags": fields.ListField(fields.StringField(max_length=10))}))
    with pytest.raises(SchemaConflictError, match="tags"):
        registry.define(name, Schema({"tags": fields.ListField(fields.StringField(max_length=20))}))


def test_eight_threads_defining_one_model_get_one_class(registry, name):
    barrier = threading.Barrier(8)
    classes = []

    def define_from_a_fresh_run_of_the_file():
        schema = Schema({"email": fields.StringField(unique=True)})
        barrier.wait()
        classes.append(registry.define(name, schema))

    threads = [threading.Thread(target=define_from_a_fresh_run_of_the_file) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(classes) == 8
    assert len({id(c) for c in classes}) == 1
    assert registry.compilations[name] == 1


def test_eight_threads_through_the_guard_with_one_schema_get_one_class(registry, name, user_schema):
    barrier = threading.Barrier(8)
    classes = []

    def guarded():
        barrier.wait()
        classes.append(registry.models.get(name) or registry.model(name, user_schema))

    threads = [threading.Thread(target=guarded) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in classes}) == 1
